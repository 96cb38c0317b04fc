import SpeculativeDecoding
import XCTest

/// `AdaptiveDraftBudget`: the per-round choice of how many drafts to verify, from measured round costs (seconds by
/// verified rows) and the drafter's cumulative probabilities. The expected values below are worked by hand from
/// its rule (verify the j maximising 1 + q₁ + … + q_j − R·C(j + 1)); tolerances 1e-12 are for exact sums of a few
/// doubles. Then `SpeculativeDecoder` with `.adaptive` on the tiny target: lossless, exploring as documented.
final class AdaptiveDraftBudgetTests: XCTestCase {
    func testExploresBothEndsFirst() {
        var b = AdaptiveDraftBudget(maxRows: 5)
        XCTAssertEqual(b.exploration, .everything)
        XCTAssertEqual(b.chainLength(cumulative: [0.9, 0.01, 0.001]), 3, "nothing measured: verify everything")
        XCTAssertTrue(b.shouldDraftFurther(cumulative: [0.001], maxDrafts: 4))
        XCTAssertEqual(b.treeFloor, 0)
        b.record(rows: 5, committed: 2, seconds: 1.4)
        XCTAssertEqual(b.exploration, .nothing)
        XCTAssertEqual(b.chainLength(cumulative: [0.99]), 0, "a plain step next, to measure one row")
        XCTAssertFalse(b.shouldDraftFurther(cumulative: [], maxDrafts: 4))
        XCTAssertEqual(b.treeFloor, 1)
        b.record(rows: 1, committed: 1, seconds: 1.0)
        XCTAssertNil(b.exploration)
        XCTAssertFalse(b.shouldDraftFurther(cumulative: [0.5, 0.4, 0.3, 0.2], maxDrafts: 4), "at the depth limit")
    }

    func testCostEstimatesAverageInterpolateAndHold() throws {
        var b = AdaptiveDraftBudget(maxRows: 7)
        XCTAssertNil(b.estimatedCost(rows: 3))
        b.record(rows: 2, committed: 1, seconds: 1.0)
        XCTAssertEqual(b.estimatedCost(rows: 1), 1.0, "below the smallest measured size: held")
        b.record(rows: 6, committed: 3, seconds: 3.0)
        XCTAssertEqual(try XCTUnwrap(b.estimatedCost(rows: 3)), 1.5, accuracy: 1e-12, "linear between 2 and 6 rows")
        XCTAssertEqual(b.estimatedCost(rows: 7), 3.0, "above the largest: held")
        b.record(rows: 2, committed: 1, seconds: 2.0)
        XCTAssertEqual(try XCTUnwrap(b.estimatedCost(rows: 2)), 1.0 + AdaptiveDraftBudget.smoothing * 1.0, accuracy: 1e-12, "moving average")
        XCTAssertEqual(try XCTUnwrap(b.rate), 5.0 / 6.0, accuracy: 1e-12, "committed tokens per second of rounds")
        b.record(rows: 0, committed: 9, seconds: 1)
        b.record(rows: 8, committed: 9, seconds: 1)
        b.record(rows: 3, committed: 9, seconds: .nan)
        XCTAssertEqual(b.committedTokens, 5, "rounds of impossible sizes or times are ignored")
    }

    /// Rows cost 1.0 s, + 0.1 s per further row; the rate is 4 tokens / 2.4 s, so a draft pays for its row when its
    /// cumulative probability exceeds 0.1 × 4 / 2.4 ≈ 0.167.
    func testLinearCostsKeepTheDraftsThatPayForTheirRows() {
        var b = AdaptiveDraftBudget(maxRows: 5)
        b.record(rows: 5, committed: 3, seconds: 1.4)
        b.record(rows: 1, committed: 1, seconds: 1.0)
        XCTAssertEqual(b.chainLength(cumulative: [0.9, 0.5, 0.2, 0.1]), 3)
        XCTAssertEqual(b.chainLength(cumulative: [0.9, 0.5, 0.15, 0.1]), 2)
        XCTAssertEqual(b.chainLength(cumulative: [0.16]), 0)
        XCTAssertEqual(b.chainLength(cumulative: []), 0)
        XCTAssertTrue(b.shouldDraftFurther(cumulative: [0.9, 0.5], maxDrafts: 4))
        XCTAssertFalse(b.shouldDraftFurther(cumulative: [0.9, 0.5, 0.1], maxDrafts: 4), "no later draft can beat 0.1")
        XCTAssertEqual(b.treeFloor, 0.1 * 4 / 2.4, accuracy: 1e-12)
    }

    /// The first extra row costs most (1.0 → 1.5 s, then 1.55, 1.6): one draft of 0.4 does not pay for it, three
    /// drafts of 0.4, 0.35, 0.3 do together, and the budget takes all three (a rule stopping at the first draft
    /// that does not pay for its own row would verify none).
    func testAStepInCostIsWeighedOverTheWholeChain() {
        var b = AdaptiveDraftBudget(maxRows: 4)
        b.record(rows: 1, committed: 1, seconds: 1.0)
        b.record(rows: 2, committed: 1, seconds: 1.5)
        b.record(rows: 4, committed: 2, seconds: 1.6)
        // R = 4 / 4.1; values: j=0: 1 − R; j=1: 1.4 − 1.5R; j=2: 1.75 − 1.55R; j=3: 2.05 − 1.6R.
        XCTAssertEqual(b.chainLength(cumulative: [0.4, 0.35, 0.3]), 3)
        XCTAssertEqual(b.chainLength(cumulative: [0.4]), 0)
        XCTAssertTrue(b.shouldDraftFurther(cumulative: [0.4], maxDrafts: 3), "two more drafts at ≤ 0.4 could still pay")
        XCTAssertFalse(b.shouldDraftFurther(cumulative: [0.05], maxDrafts: 3))
    }

    /// Decoding with `.adaptive`: lossless on the tiny target (chain and tree); the first round of each prompt
    /// verifies the full depth, the second none (the exploration), and no round more than the depth.
    func testAdaptiveDecodingIsLosslessAndExplores() throws {
        let target = try Fixtures.target()
        let golden = try Fixtures.golden()
        let drafter = try DrafterModel.load(directory: Fixtures.drafterPath, target: target)
        let chain = try SpeculativeDecoder(target: target, drafter: drafter, depth: 4, draftThreshold: .adaptive,
                                           stopTokens: golden.stopTokens, threads: 2)
        let tree = try SpeculativeDecoder(target: target, drafter: drafter, depth: 4, tree: DraftTreeShape(topK: 3, nodes: 10),
                                          draftThreshold: .adaptive, stopTokens: golden.stopTokens, threads: 2)
        for c in golden.cases.prefix(3) {
            for (name, decoder, full) in [("chain", chain, 4), ("tree", tree, 10)] {
                let ev = try decoder.evaluate(prompt: c.prompt, maxNewTokens: golden.maxNewTokens)
                XCTAssertNil(ev.divergence, name)
                XCTAssertEqual(ev.speculative.tokens, c.tokens, name)
                let rounds = ev.speculative.rounds
                guard rounds.count >= 2, golden.maxNewTokens > 6 else { continue }
                XCTAssertEqual(rounds[0].nodes, full, "\(name): the first round verifies everything")
                XCTAssertEqual(rounds[1].nodes, 0, "\(name): the second verifies nothing")
                XCTAssertTrue(rounds.allSatisfy { $0.nodes <= full }, name)
            }
        }
    }
}

import SpeculativeDecoding
import TargetModel
import XCTest

/// `draftThreshold`: drafting stops where the drafter's probability of the branch falls below the threshold. The
/// output must stay plain greedy decoding, fewer tokens must be verified, and the tokens still drafted must be
/// the confident ones (accepted more often). All on the drafter trained on the tiny target (deterministic).
final class DraftThresholdTests: XCTestCase {
    func testThresholdedChainIsLosslessAndVerifiesFewerButSurerDrafts() throws {
        let target = try Fixtures.target()
        let golden = try Fixtures.golden()
        let drafter = try DrafterModel.load(directory: Fixtures.drafterPath, target: target)
        var drafted: [Double: Int] = [:], accepted: [Double: Int] = [:], shortRounds: [Double: Int] = [:]
        for p in [0.0, 0.2, 0.6] {
            let decoder = try SpeculativeDecoder(target: target, drafter: drafter, depth: 5, draftThreshold: p > 0 ? .fixed(p) : nil,
                                                 stopTokens: golden.stopTokens, threads: 2)
            for c in golden.cases.prefix(4) {
                let ev = try decoder.evaluate(prompt: c.prompt, maxNewTokens: golden.maxNewTokens)
                XCTAssertNil(ev.divergence, "threshold \(p): outputs differ")
                XCTAssertEqual(ev.speculative.tokens, c.tokens, "threshold \(p): the committed reference output")
                var produced = 1  // the prefill's token
                for r in ev.speculative.rounds {
                    let depth = min(5, golden.maxNewTokens - produced - 1)  // the decoder drafts no further than the budget
                    produced += r.committed
                    XCTAssertLessThanOrEqual(r.drafted.count, depth)
                    XCTAssertEqual(r.nodes, r.drafted.count, "a chain verifies what it drafted")
                    drafted[p, default: 0] += r.drafted.count
                    accepted[p, default: 0] += r.accepted
                    if r.drafted.count < depth { shortRounds[p, default: 0] += 1 }
                }
            }
        }
        XCTAssertEqual(shortRounds[0.0, default: 0], 0, "without a threshold every round drafts the full depth")
        XCTAssertGreaterThan(shortRounds[0.2, default: 0], 0)
        XCTAssertLessThan(drafted[0.2]!, drafted[0.0]!)
        XCTAssertLessThan(drafted[0.6]!, drafted[0.2]!)
        let rate = { (p: Double) in Double(accepted[p]!) / Double(max(drafted[p]!, 1)) }
        XCTAssertGreaterThan(rate(0.2), rate(0.0), "the drafts kept must be accepted more often than all drafts")
        XCTAssertGreaterThan(rate(0.6), rate(0.2))
    }

    /// The top-1 draft always has probability ≥ 1 / Vd, so a depth-5 chain's probability is at least Vd⁻⁵: a
    /// threshold below it changes nothing, round for round.
    func testThresholdBelowEveryChainProbabilityChangesNothing() throws {
        let target = try Fixtures.target()
        let golden = try Fixtures.golden()
        let drafter = try DrafterModel.load(directory: Fixtures.drafterPath, target: target)
        let floor = pow(1 / Double(drafter.configuration.draftVocabSize), 5) / 2
        let plain = try SpeculativeDecoder(target: target, drafter: drafter, depth: 5, stopTokens: golden.stopTokens, threads: 2)
        let low = try SpeculativeDecoder(target: target, drafter: drafter, depth: 5, draftThreshold: .fixed(floor), stopTokens: golden.stopTokens, threads: 2)
        for c in golden.cases.prefix(2) {
            XCTAssertEqual(try low.generate(prompt: c.prompt, maxNewTokens: golden.maxNewTokens).rounds,
                           try plain.generate(prompt: c.prompt, maxNewTokens: golden.maxNewTokens).rounds)
        }
    }

    /// A top-1 tree with the threshold prunes exactly where the thresholded chain stops; a real tree with it stays
    /// lossless and verifies fewer nodes than without.
    func testThresholdedTrees() throws {
        let target = try Fixtures.target()
        let golden = try Fixtures.golden()
        let drafter = try DrafterModel.load(directory: Fixtures.drafterPath, target: target)
        let chain = try SpeculativeDecoder(target: target, drafter: drafter, depth: 4, draftThreshold: .fixed(0.3), stopTokens: golden.stopTokens, threads: 2)
        let single = try SpeculativeDecoder(target: target, drafter: drafter, depth: 4, tree: DraftTreeShape(topK: 1, nodes: 4), draftThreshold: .fixed(0.3),
                                            stopTokens: golden.stopTokens, threads: 2)
        let shape = DraftTreeShape(topK: 3, nodes: 10)
        let full = try SpeculativeDecoder(target: target, drafter: drafter, depth: 4, tree: shape, stopTokens: golden.stopTokens, threads: 2)
        let pruned = try SpeculativeDecoder(target: target, drafter: drafter, depth: 4, tree: shape, draftThreshold: .fixed(0.05),
                                            stopTokens: golden.stopTokens, threads: 2)
        var fullNodes = 0, prunedNodes = 0
        for c in golden.cases.prefix(3) {
            XCTAssertEqual(try single.generate(prompt: c.prompt, maxNewTokens: golden.maxNewTokens).rounds,
                           try chain.generate(prompt: c.prompt, maxNewTokens: golden.maxNewTokens).rounds)
            let ev = try pruned.evaluate(prompt: c.prompt, maxNewTokens: golden.maxNewTokens)
            XCTAssertNil(ev.divergence)
            XCTAssertEqual(ev.speculative.tokens, c.tokens)
            prunedNodes += ev.speculative.rounds.reduce(0) { $0 + $1.nodes }
            fullNodes += try full.generate(prompt: c.prompt, maxNewTokens: golden.maxNewTokens).rounds.reduce(0) { $0 + $1.nodes }
        }
        XCTAssertLessThan(prunedNodes, fullNodes)
    }

    func testThresholdsThatAreNotProbabilitiesAreRefused() throws {
        let target = try Fixtures.target()
        let drafter = try DrafterModel.load(directory: Fixtures.drafterPath, target: target)
        for p in [0, 1, -0.5, 1.5, Double.nan] {
            XCTAssertThrowsError(try SpeculativeDecoder(target: target, drafter: drafter, depth: 3, draftThreshold: .fixed(p), stopTokens: [2]), "\(p)")
        }
    }
}

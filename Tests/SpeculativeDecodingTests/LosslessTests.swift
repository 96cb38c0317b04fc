import DraftTraining
import SpeculativeDecoding
import TargetModel
import XCTest

final class LosslessTests: XCTestCase {
    /// A random (untrained) drafter: speculative output = plain greedy output token for token, and τ is exactly
    /// committed tokens / rounds with Σ committed = new tokens − 1 (the prefill's token is not a round's).
    func testRandomDrafterIsLossless() throws {
        let target = try Fixtures.target()
        let dir = try writeDrafter(tinyDrafterConfiguration(), vocabulary: Array(stride(from: 0, to: 256, by: 4)))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let drafter = try DrafterModel.load(directory: dir, target: target)
        for depth in [1, 4, 7] {
            let decoder = try SpeculativeDecoder(target: target, drafter: drafter, depth: depth, stopTokens: [2], threads: 2)
            for prompt in prompts(lengths: [3, 17, 40], seed: UInt64(depth)) {
                let ev = try decoder.evaluate(prompt: prompt, maxNewTokens: 30)
                XCTAssertNil(ev.divergence, "depth \(depth), prompt \(prompt.count): outputs differ")
                XCTAssertEqual(ev.speculative.tokens, ev.plainTokens)
                let s = ev.statistics
                XCTAssertEqual(s.committedTokens, ev.plainTokens.count - 1)
                XCTAssertEqual(s.rounds, ev.speculative.rounds.count)
                let tau = try XCTUnwrap(s.tau)
                XCTAssertGreaterThanOrEqual(tau, 1)
                XCTAssertEqual(tau, Double(ev.plainTokens.count - 1) / Double(s.rounds), accuracy: 1e-12)
                for r in ev.speculative.rounds {
                    XCTAssertLessThanOrEqual(r.drafted.count, depth)
                    XCTAssertEqual(r.committed, r.accepted + 1, "no stop token inside a round here")
                }
            }
        }
    }

    /// A drafter whose lm_head is all zeros proposes draft column 0 at every step (argmax, first index on ties),
    /// whatever its features: token X = d2t's first id. Every round's acceptance is then known from the plain
    /// greedy output alone: the run of X's at the round's position. Checks acceptance, commit, the length cap
    /// and the bookkeeping of both caches without depending on drafter numerics.
    func testConstantDrafterAcceptsExactlyTheRunsOfItsToken() throws {
        let target = try Fixtures.target()
        let golden = try Fixtures.golden()
        // A reference case whose output repeats a token (the tiny target falls into loops).
        let c = try XCTUnwrap(golden.cases.max { a, b in mostFrequent(a.tokens).count < mostFrequent(b.tokens).count })
        let (x, count) = mostFrequent(c.tokens)
        XCTAssertGreaterThan(count, 5, "the fixture output should repeat a token")
        let dir = try writeDrafter(tinyDrafterConfiguration(draftVocab: 4), vocabulary: [Int(x), Int(x) + 1, Int(x) + 2, Int(x) + 3].map { $0 % 256 }.sorted()) {
            $0[.lmHead] = ArraySlice(repeating: 0, count: $0[.lmHead].count)
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let drafter = try DrafterModel.load(directory: dir, target: target)
        XCTAssertEqual(drafter.draftToTarget[0], x)
        for depth in [1, 3, 6] {
            let maxNew = c.tokens.count
            let decoder = try SpeculativeDecoder(target: target, drafter: drafter, depth: depth, stopTokens: golden.stopTokens, threads: 2)
            let result = try decoder.generate(prompt: c.prompt, maxNewTokens: maxNew)
            XCTAssertEqual(result.tokens, c.tokens)
            // Expected rounds from the output: at position p, k = min(depth, maxNew − p − 1) drafts of x; accepted
            // = the run of x's starting at p (at most k); committed = accepted + 1.
            var expected: [SpeculativeRound] = []
            var p = 1
            while p < c.tokens.count {
                let k = min(depth, maxNew - p - 1)
                var a = 0
                while a < k && c.tokens[p + a] == x { a += 1 }
                expected.append(SpeculativeRound(drafted: Array(repeating: x, count: k), accepted: a, committed: a + 1))
                p += a + 1
            }
            XCTAssertEqual(result.rounds, expected, "depth \(depth)")
            XCTAssertTrue(expected.contains { $0.accepted > 0 }, "depth \(depth): the test must see acceptances")
        }
    }

    private func mostFrequent(_ tokens: [Int32]) -> (Int32, count: Int) {
        var counts: [Int32: Int] = [:]
        for t in tokens { counts[t, default: 0] += 1 }
        return counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }.map { ($0.key, $0.value) } ?? (0, 0)
    }

    /// Statistics over hand-made rounds: τ, drafted / reached / accepted per position, rates.
    func testAcceptanceStatistics() {
        let rounds = [SpeculativeRound(drafted: [5, 6, 7], accepted: 2, committed: 3),
                      SpeculativeRound(drafted: [5, 6, 7], accepted: 0, committed: 1),
                      SpeculativeRound(drafted: [5, 6], accepted: 2, committed: 3, nodes: 5)]
        let s = AcceptanceStatistics(rounds: rounds)
        XCTAssertEqual(s.rounds, 3)
        XCTAssertEqual(s.tau, 7.0 / 3.0)
        XCTAssertEqual(s.drafted, [3, 3, 2])
        XCTAssertEqual(s.reached, [3, 2, 1])
        XCTAssertEqual(s.accepted, [2, 2, 0])
        XCTAssertEqual(s.positionRates, [2.0 / 3.0, 1.0, 0.0])
        XCTAssertEqual(s.draftAcceptance, 4.0 / 11.0)  // the last round verified a tree of 5 nodes
        var merged = AcceptanceStatistics(rounds: Array(rounds[..<1]))
        merged.merge(AcceptanceStatistics(rounds: Array(rounds[1...])))
        XCTAssertEqual(merged, s)
        XCTAssertNil(AcceptanceStatistics().tau)
    }
}

import SpeculativeDecoding
import TargetModel
import XCTest

/// Tree drafting (EAGLE-2's dynamic tree): the target's tree-masked verification pass, the cache compaction
/// after it, and the decoder built on both.
final class DraftTreeTests: XCTestCase {
    /// A tree of 12 candidate rows (more than the per-row kernel's default limit, so `exactRows` matters), with
    /// branches at several levels: each row's logits equal, bit for bit, those of single-token decoding steps
    /// along its own path (root to row), which is why tree verification stays exactly lossless.
    func testTreeRowsEqualSingleStepsAlongTheirPaths() throws {
        let target = try Fixtures.target()
        let prompt = prompts(lengths: [19], seed: 21)[0]
        let tokens: [Int32] = [40, 17, 99, 3, 250, 42, 42, 7, 128, 5, 77, 61]
        let parents = [-1, 0, 0, 0, 1, 1, 2, 4, 4, 6, 7, 10]
        let segment = Segment(slot: 0, firstRow: 0, count: tokens.count, startPosition: prompt.count, parents: parents)
        XCTAssertEqual(segment.depths, [0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 5])

        let cache = try prefilled(target, prompt, capacity: prompt.count + tokens.count + 8)
        let out = try target.forward(tokens: tokens, segments: [segment], cache: cache,
                                     options: ForwardOptions(finalRows: .all, threads: 2, exactRows: true))
        var together: [Float] = []
        try target.logits(final: out.finalHidden!, rowCount: tokens.count, threads: 2, exactRows: true) { together += $0.values }
        let v = target.configuration.vocabularySize

        for row in tokens.indices {
            var path: [Int] = []
            var r = row
            while r >= 0 { path.append(r); r = parents[r] }
            let steps = path.reversed().map { tokens[$0] }
            let single = try stepLogits(target, prompt, steps: steps)
            let mine = Array(together[(row * v)..<((row + 1) * v)])
            XCTAssertEqual(zip(mine, single).filter { $0.bitPattern != $1.bitPattern }.count, 0,
                           "row \(row) (path \(steps)) differs from single steps")
        }

        // Compaction: keep the path to row 10 (rows 0, 1, 4, 7, 10), move its entries to consecutive positions,
        // drop the rest; the next step then equals single-step decoding of prompt + that path + the next token.
        let kept = [0, 1, 4, 7, 10]
        cache.moveEntries(slot: 0, from: kept.map { prompt.count + $0 }, to: kept.indices.map { prompt.count + $0 })
        cache.truncate(slot: 0, to: prompt.count + kept.count)
        let next = try target.forward(tokens: [9], segments: [Segment(slot: 0, firstRow: 0, count: 1, startPosition: cache.lengths[0])],
                                      cache: cache, options: ForwardOptions(finalRows: .all, threads: 2))
        var after: [Float] = []
        try target.logits(final: next.finalHidden!, rowCount: 1, threads: 2) { after += $0.values }
        let expected = try stepLogits(target, prompt, steps: kept.map { tokens[$0] } + [9])
        XCTAssertEqual(zip(after, expected).filter { $0.bitPattern != $1.bitPattern }.count, 0, "compacted cache differs")
    }

    func testInvalidTreeParentsAreRefused() throws {
        let target = try Fixtures.target()
        let prompt = prompts(lengths: [5], seed: 2)[0]
        for parents in [[-1, 1], [-1, 0, 3], [-1, -2], [-1]] {
            let cache = try prefilled(target, prompt, capacity: 16)
            XCTAssertThrowsError(try target.forward(tokens: [7, 8], segments: [Segment(slot: 0, firstRow: 0, count: 2, startPosition: prompt.count, parents: parents)],
                                                    cache: cache, options: ForwardOptions(threads: 1)), "parents \(parents)") { error in
                guard case ForwardError.invalidSegments = error else { return XCTFail("\(error)") }
            }
        }
    }

    /// Top-1 with as many nodes as the depth drafts the greedy chain: every round and every token equal the
    /// chain decoder's, through the tree code path (tree drafter passes, compaction, catch-up).
    func testTopOneTreeIsTheChain() throws {
        let target = try Fixtures.target()
        let golden = try Fixtures.golden()
        let drafter = try DrafterModel.load(directory: Fixtures.drafterPath, target: target)
        for depth in [2, 5] {
            let chain = try SpeculativeDecoder(target: target, drafter: drafter, depth: depth, stopTokens: golden.stopTokens, threads: 2)
            let tree = try SpeculativeDecoder(target: target, drafter: drafter, depth: depth, tree: DraftTreeShape(topK: 1, nodes: depth),
                                              stopTokens: golden.stopTokens, threads: 2)
            var accepted = 0
            for c in golden.cases.prefix(3) {
                let a = try chain.generate(prompt: c.prompt, maxNewTokens: golden.maxNewTokens)
                let b = try tree.generate(prompt: c.prompt, maxNewTokens: golden.maxNewTokens)
                XCTAssertEqual(a.tokens, b.tokens, "depth \(depth)")
                XCTAssertEqual(a.rounds, b.rounds, "depth \(depth)")
                accepted += a.rounds.reduce(0) { $0 + $1.accepted }
            }
            XCTAssertGreaterThan(accepted, 0, "depth \(depth): the trained fixture drafter must get drafts accepted")
        }
    }

    /// Real trees on the drafter trained on the tiny target: the output is plain greedy decoding token for token,
    /// each round's bookkeeping holds, and the tree commits more tokens per target pass than the chain of the
    /// same depth (it verifies the chain's alternatives too; deterministic, so this is a fixed comparison).
    func testTreeDecodingIsLosslessAndAcceptsMoreThanTheChain() throws {
        let target = try Fixtures.target()
        let golden = try Fixtures.golden()
        let drafter = try DrafterModel.load(directory: Fixtures.drafterPath, target: target)
        for (depth, shape) in [(3, DraftTreeShape(topK: 2, nodes: 5)), (5, DraftTreeShape(topK: 3, nodes: 12))] {
            let chain = try SpeculativeDecoder(target: target, drafter: drafter, depth: depth, stopTokens: golden.stopTokens, threads: 2)
            let tree = try SpeculativeDecoder(target: target, drafter: drafter, depth: depth, tree: shape, stopTokens: golden.stopTokens, threads: 2)
            var chainStats = AcceptanceStatistics(), treeStats = AcceptanceStatistics()
            for c in golden.cases.prefix(4) {
                let ev = try tree.evaluate(prompt: c.prompt, maxNewTokens: golden.maxNewTokens)
                XCTAssertNil(ev.divergence, "depth \(depth), \(shape): outputs differ")
                XCTAssertEqual(ev.speculative.tokens, c.tokens, "the committed reference output")
                for r in ev.speculative.rounds {
                    XCTAssertLessThanOrEqual(r.nodes, shape.nodes)
                    XCTAssertLessThanOrEqual(r.drafted.count, depth)
                    XCTAssertLessThanOrEqual(r.accepted, r.drafted.count)
                    XCTAssertTrue(r.committed == r.accepted + 1 || (r == ev.speculative.rounds.last! && r.committed <= r.accepted + 1))
                }
                treeStats.merge(ev.statistics)
                chainStats.merge(AcceptanceStatistics(rounds: try chain.generate(prompt: c.prompt, maxNewTokens: golden.maxNewTokens).rounds))
            }
            let treeTau = try XCTUnwrap(treeStats.tau), chainTau = try XCTUnwrap(chainStats.tau)
            XCTAssertGreaterThan(treeTau, chainTau, "depth \(depth), \(shape)")
        }
    }

    /// A tree level's candidates come from one LM-head pass over all its nodes; each row's tokens and
    /// log-probabilities equal, bit for bit, those of its own single-row call (10 rows: past the row count at
    /// which the drafter's projections switch to sgemm, which the LM head must not).
    func testBatchedCandidatesEqualSingleRowCandidates() throws {
        let target = try Fixtures.target()
        let drafter = try DrafterModel.load(directory: Fixtures.drafterPath, target: target)
        let h = drafter.configuration.hiddenSize, rows = 10
        var rng = SystemRandomNumberGenerator()
        let outputs = (0..<(rows * h)).map { _ in Float.random(in: -2...2, using: &rng) }
        let together = try outputs.withUnsafeBufferPointer {
            try drafter.candidates(outputs: $0.baseAddress!, rows: rows, count: 5, threads: 2)
        }
        XCTAssertEqual(together.count, rows)
        for r in 0..<rows {
            let alone = try outputs.withUnsafeBufferPointer {
                try drafter.candidates(output: $0.baseAddress! + r * h, count: 5, threads: 1)
            }
            XCTAssertEqual(together[r].map(\.token), alone.map(\.token), "row \(r)")
            XCTAssertEqual(together[r].map(\.logProbability.bitPattern), alone.map(\.logProbability.bitPattern), "row \(r)")
            XCTAssertEqual(alone.count, 5)
        }
        XCTAssertNotEqual(together[0].map(\.token), together[1].map(\.token), "random rows should rank differently")
    }

    func testTreeShapesOutsideTheLimitsAreRefused() throws {
        let target = try Fixtures.target()
        let drafter = try DrafterModel.load(directory: Fixtures.drafterPath, target: target)
        for shape in [DraftTreeShape(topK: 0, nodes: 4), DraftTreeShape(topK: 2, nodes: 0), DraftTreeShape(topK: 2, nodes: DraftTreeShape.maxNodes + 1),
                      DraftTreeShape(topK: DraftTreeShape.maxTopK + 1, nodes: 8)] {
            XCTAssertThrowsError(try SpeculativeDecoder(target: target, drafter: drafter, depth: 3, tree: shape, stopTokens: [2]), "\(shape)")
        }
    }

    private func prefilled(_ target: TargetModel, _ prompt: [Int32], capacity: Int) throws -> KVCache {
        let cache = KVCache(configuration: target.configuration, capacities: [capacity])
        _ = try target.forward(tokens: prompt, segments: [Segment(slot: 0, firstRow: 0, count: prompt.count, startPosition: 0)],
                               cache: cache, options: ForwardOptions(threads: 2))
        return cache
    }

    /// Logits of the last of `steps` decoded one token at a time after `prompt`.
    private func stepLogits(_ target: TargetModel, _ prompt: [Int32], steps: [Int32]) throws -> [Float] {
        let cache = try prefilled(target, prompt, capacity: prompt.count + steps.count)
        var last: [Float] = []
        for t in steps {
            let out = try target.forward(tokens: [t], segments: [Segment(slot: 0, firstRow: 0, count: 1, startPosition: cache.lengths[0])],
                                         cache: cache, options: ForwardOptions(finalRows: .all, threads: 2))
            last = []
            try target.logits(final: out.finalHidden!, rowCount: 1, threads: 2) { last += $0.values }
        }
        return last
    }
}

import EagleCore
@testable import TargetModel
import TestSupport
import XCTest

/// KV-cache decoding against the full forward pass, batching independence, sampling reproducibility, stops.
final class GenerationTests: XCTestCase {
    /// Prefill in two segments (cache), then single tokens: the final hidden states equal one full forward pass
    /// (same kernels, different grouping: attention blocks differ, so equal to fp32 rounding, atol 1e-5).
    func testIncrementalDecodingMatchesFullForward() throws {
        let m = try Fixtures.model("tiny-qwen3")
        let seq: [Int32] = (0..<40).map { Int32(($0 * 37 + 11) % 256) }
        let full = try m.forward(sequences: [seq], options: ForwardOptions(finalRows: .all)).finalHidden!.array
        let cache = KVCache(configuration: m.configuration, capacities: [seq.count])
        var got: [Float] = []
        var position = 0
        for chunk in [Array(seq[0..<20]), Array(seq[20..<37]), [seq[37]], [seq[38]], [seq[39]]] {
            let out = try m.forward(tokens: chunk, segments: [Segment(slot: 0, firstRow: 0, count: chunk.count, startPosition: position)],
                                    cache: cache, options: ForwardOptions(finalRows: .all))
            got += out.finalHidden!.array
            position += chunk.count
        }
        XCTAssertEqual(cache.lengths, [40])
        assertClose(got, full, atol: 1e-5, rtol: 1e-4, "incremental vs full")
    }

    func testBatchedGreedyEqualsOneAtATime() throws {
        let m = try Fixtures.model("tiny-llama")
        let prompts: [[Int32]] = [[5, 9, 200], [17], (0..<30).map { Int32($0 + 40) }, [3, 3, 3, 3]]
        let g = Generator(model: m, stopTokens: [])
        let batched = try g.generate(prompts: prompts, maxNewTokens: 12)
        for (i, p) in prompts.enumerated() {
            XCTAssertEqual(try g.generate(prompts: [p], maxNewTokens: 12)[0], batched[i], "prompt \(i)")
        }
    }

    func testStopTokenEndsOneSequenceOnly() throws {
        let m = try Fixtures.model("tiny-llama")
        let ref = try ReferenceOutputs("llama")
        let (prompt, output, _) = try ref.greedy(0)
        let stop = output[5]
        let firstStop = output.firstIndex(of: stop)!
        var streamed: [Int: [Int32]] = [:]
        let results = try Generator(model: m, stopTokens: [stop]).generate(prompts: [prompt, [7, 8]], maxNewTokens: 40) { i, id in
            streamed[i, default: []].append(id)
        }
        XCTAssertEqual(results[0].tokens, Array(output[...firstStop]))
        XCTAssertEqual(results[0].stopReason, .stopToken(stop))
        XCTAssertEqual(streamed[0], results[0].tokens)
        XCTAssertEqual(streamed[1], results[1].tokens)
    }

    func testSamplingIsReproducibleAndIndependentOfBatching() throws {
        let m = try Fixtures.model("tiny-qwen2")
        let prompts: [[Int32]] = [[1, 2, 3], [40, 41], [100]]
        let options = SamplingOptions(temperature: 1.3, topP: 0.9, topK: 50, seed: 42)
        let g = Generator(model: m, stopTokens: [], sampling: options)
        let a = try g.generate(prompts: prompts, maxNewTokens: 16, streams: [10, 11, 12])
        let b = try g.generate(prompts: prompts, maxNewTokens: 16, streams: [10, 11, 12])
        XCTAssertEqual(a, b)
        let alone = try g.generate(prompts: [prompts[1]], maxNewTokens: 16, streams: [11])
        XCTAssertEqual(alone[0], a[1])
        let other = try Generator(model: m, stopTokens: [], sampling: SamplingOptions(temperature: 1.3, topP: 0.9, topK: 50, seed: 43))
            .generate(prompts: prompts, maxNewTokens: 16, streams: [10, 11, 12])
        XCTAssertNotEqual(other.map(\.tokens), a.map(\.tokens), "another seed gives other samples")
        // top-k 1 is greedy whatever the temperature.
        let topOne = try Generator(model: m, stopTokens: [], sampling: SamplingOptions(temperature: 2, topK: 1, seed: 5))
            .generate(prompts: prompts, maxNewTokens: 16)
        XCTAssertEqual(topOne, try Generator(model: m, stopTokens: []).generate(prompts: prompts, maxNewTokens: 16))
    }

    func testSamplerDistribution() {
        // logits log(0.5), log(0.3), log(0.2): top-p 0.7 keeps {0, 1} renormalised to 0.625 / 0.375.
        let logits: [Float] = [log(0.5), log(0.3), log(0.2)]
        var random = SplitMix64(seed: 1)
        var counts = [0, 0, 0]
        logits.withUnsafeBufferPointer { row in
            for _ in 0..<20000 { counts[Int(Sampler.sample(logits: row, options: SamplingOptions(temperature: 1, topP: 0.7), random: &random))] += 1 }
        }
        XCTAssertEqual(counts[2], 0)
        XCTAssertEqual(Double(counts[0]) / 20000, 0.625, accuracy: 0.015)
    }

    /// A column subset (a draft vocabulary, in the caller's order) equals the full logits gathered, bit for bit at
    /// the same chunking; the argmax stays over the full vocabulary. Another chunk size may change the last bit
    /// (OpenBLAS uses other kernels for edge tiles), hence the 1e-6 comparison across chunk sizes.
    func testLogitColumnSubsetAndChunks() throws {
        let m = try Fixtures.model("tiny-llama")
        let out = try m.forward(sequences: [[4, 8, 15, 16, 23, 42], [99]], options: ForwardOptions(finalRows: .all))
        func logits(columns: [Int32]?, chunk: Int) throws -> (values: [Float], argmax: [Int32], chunks: Int) {
            var values: [Float] = [], argmax: [Int32] = [], chunks = 0
            try m.logits(final: out.finalHidden!, rowCount: 7, columns: columns, rowsPerChunk: chunk) { c in
                XCTAssertEqual(c.columnCount, columns?.count ?? 256)
                values += c.values
                argmax += c.argmax
                chunks += 1
            }
            return (values, argmax, chunks)
        }
        let columns: [Int32] = [200, 0, 17, 255, 3]
        let full = try logits(columns: nil, chunk: 3), subset = try logits(columns: columns, chunk: 3)
        XCTAssertEqual(subset.chunks, 3)
        XCTAssertEqual(subset.argmax, full.argmax)
        XCTAssertEqual(subset.values, (0..<7).flatMap { r in columns.map { full.values[r * 256 + Int($0)] } })
        let single = try logits(columns: nil, chunk: 256)
        XCTAssertEqual(single.chunks, 1)
        assertClose(single.values, full.values, atol: 1e-6, rtol: 1e-6, "chunk size 7 vs 3")
        XCTAssertThrowsError(try m.logits(final: out.finalHidden!, rowCount: 7, columns: [256]) { _ in })
    }

    func testForwardRejectsBadInput() throws {
        let m = try Fixtures.model("tiny-llama")
        XCTAssertThrowsError(try m.forward(sequences: [[1, 256]], options: ForwardOptions())) {
            XCTAssertEqual($0 as? ForwardError, .tokenOutOfRange(row: 1, id: 256, vocabularySize: 256))
        }
        XCTAssertThrowsError(try m.forward(sequences: [[1]], options: ForwardOptions(hiddenStates: [9]))) {
            XCTAssertEqual($0 as? ForwardError, .invalidHiddenStateIndex(9, layerCount: 8))
        }
        let cache = KVCache(configuration: m.configuration, capacities: [2])
        XCTAssertThrowsError(try m.forward(tokens: [1, 2, 3], segments: [Segment(slot: 0, firstRow: 0, count: 3, startPosition: 0)],
                                           cache: cache, options: ForwardOptions())) {
            XCTAssertEqual($0 as? ForwardError, .cacheFull(slot: 0, capacity: 2, needed: 3))
        }
    }
}

import EagleCore
@testable import TargetModel
import TestSupport
import XCTest

/// Continuous batching: every request gets what `Generator.generate` gives its prompt alone, whatever shares the
/// pass with it, when it is admitted, and when the cache grows under it.
final class ContinuousBatchTests: XCTestCase {
    /// Runs `requests` through a batch of `slots`, admitting in order whenever a slot is free.
    func drain(_ batch: ContinuousBatch, _ requests: [GenerationRequest]) throws -> [Int: GenerationResult] {
        var queue = requests[...], results: [Int: GenerationResult] = [:]
        var passes = 0
        while !queue.isEmpty || batch.activeCount > 0 {
            while batch.freeSlots > 0, let r = queue.first {
                try batch.admit(r)
                queue = queue.dropFirst()
            }
            for (request, result) in try batch.step() {
                XCTAssertNil(results[request.id], "request \(request.id) finished twice")
                results[request.id] = result
            }
            passes += 1
            XCTAssertLessThan(passes, 10_000, "no progress")
        }
        return results
    }

    func testGreedyEqualsEachPromptAlone() throws {
        let m = try Fixtures.model("tiny-llama")
        // Lengths differ, so sequences stop at different passes; the 300-token prompt arrives when the others are
        // mid-way and makes the cache grow past its first 256 tokens per slot while they decode.
        let prompts: [[Int32]] = [[5, 9, 200], [17], (0..<30).map { Int32($0 + 40) }, [3, 3, 3, 3], [8, 1],
                                  (0..<300).map { Int32(($0 * 7 + 3) % 256) }, [250, 249], [4]]
        let reference = try Fixtures.model("tiny-llama")
        let stop: Int32 = 0
        let alone = try prompts.map { try Generator(model: reference, stopTokens: [stop]).generate(prompts: [$0], maxNewTokens: 20)[0] }
        XCTAssertTrue(alone.contains { $0.stopReason == .length } , "some sequence must run to the limit")
        let requests = prompts.enumerated().map { GenerationRequest(id: $0.offset, prompt: $0.element, stream: UInt64($0.offset)) }
        for slots in [1, 3, 8] {
            let batch = ContinuousBatch(generator: Generator(model: m, stopTokens: [stop]), slots: slots, maxNewTokens: 20)
            let got = try drain(batch, requests)
            for i in prompts.indices { XCTAssertEqual(got[i], alone[i], "slots \(slots), prompt \(i)") }
        }
    }

    func testStopTokensFreeSlotsEarly() throws {
        let m = try Fixtures.model("tiny-llama")
        let ref = try ReferenceOutputs("llama")
        let (prompt, output, _) = try ref.greedy(0)
        let stop = output[5]
        let firstStop = output.firstIndex(of: stop)!
        let batch = ContinuousBatch(generator: Generator(model: m, stopTokens: [stop]), slots: 2, maxNewTokens: 40)
        let got = try drain(batch, [GenerationRequest(id: 0, prompt: prompt, stream: 0), GenerationRequest(id: 1, prompt: prompt, stream: 1),
                                    GenerationRequest(id: 2, prompt: prompt, stream: 2)])
        for i in 0..<3 {
            XCTAssertEqual(got[i]?.tokens, Array(output[...firstStop]), "request \(i)")
            XCTAssertEqual(got[i]?.stopReason, .stopToken(stop))
        }
    }

    func testSamplingFollowsEachRequestsStream() throws {
        let m = try Fixtures.model("tiny-qwen2")
        let prompts: [[Int32]] = [[1, 2, 3], [40, 41], [100], [7, 7]]
        let g = Generator(model: m, stopTokens: [], sampling: SamplingOptions(temperature: 1.3, topP: 0.9, topK: 50, seed: 42))
        let streams: [UInt64] = [10, 11, 12, 13]
        let reference = try g.generate(prompts: prompts, maxNewTokens: 16, streams: streams)
        let got = try drain(ContinuousBatch(generator: g, slots: 2, maxNewTokens: 16),
                            prompts.indices.map { GenerationRequest(id: $0, prompt: prompts[$0], stream: streams[$0]) })
        for i in prompts.indices { XCTAssertEqual(got[i], reference[i], "prompt \(i)") }
    }

    func testEmptyPromptIsRefused() throws {
        let batch = ContinuousBatch(generator: Generator(model: try Fixtures.model("tiny-llama"), stopTokens: []), slots: 2, maxNewTokens: 4)
        XCTAssertThrowsError(try batch.admit(GenerationRequest(id: 7, prompt: [], stream: 0))) {
            XCTAssertTrue("\($0)".contains("request 7: the prompt is empty"), "\($0)")
        }
        XCTAssertEqual(batch.freeSlots, 2)
    }
}

@testable import DraftTraining
import TestSupport
import XCTest

/// The data order (shuffling, global accumulation windows, token budgets) and the sample sources.
final class DataSourceTests: XCTestCase {
    func testPermutationsAreSeededPerEpoch() {
        let a = DataOrder.permutation(count: 50, seed: 42, epoch: 0, shuffle: true)
        XCTAssertEqual(a.sorted(), Array(0..<50))
        XCTAssertEqual(a, DataOrder.permutation(count: 50, seed: 42, epoch: 0, shuffle: true))
        XCTAssertNotEqual(a, DataOrder.permutation(count: 50, seed: 42, epoch: 1, shuffle: true))
        XCTAssertNotEqual(a, DataOrder.permutation(count: 50, seed: 43, epoch: 0, shuffle: true))
        XCTAssertEqual(DataOrder.permutation(count: 5, seed: 42, epoch: 3, shuffle: false), [0, 1, 2, 3, 4])
    }

    func testWindowsStraddleEpochsAndDropTheIncompleteTail() {
        // 3 sequences × 3 epochs = 9 stream positions; 2 per step: 4 steps, the 9th sequence is never applied
        // (DeepSpeed counts its accumulation boundary globally and never steps on a partial window).
        var order = DataOrder(sampleCount: 3, epochs: 3, seed: 1, shuffle: true, explicit: nil)
        XCTAssertEqual(order.totalSteps(batching: .sequences(2)) { _ in 10 }, 4)
        XCTAssertEqual(order.window(from: 2, batching: .sequences(2)) { _ in 10 }, 2..<4)  // epoch 0 → 1
        XCTAssertNil(order.window(from: 8, batching: .sequences(2)) { _ in 10 })
        var seen: [Int] = []
        for p in 0..<9 { seen.append(order.sampleIndex(at: p)) }
        XCTAssertEqual(seen[0..<3].sorted(), [0, 1, 2])
        XCTAssertEqual(seen[3..<6].sorted(), [0, 1, 2])
    }

    func testTokenBudgetWindows() {
        let lengths = [5, 30, 10, 10, 50, 1]
        var order = DataOrder(sampleCount: 6, epochs: 1, seed: 0, shuffle: false, explicit: nil)
        var windows: [Range<Int>] = []
        var p = 0
        while let w = order.window(from: p, batching: .tokens(40), length: { lengths[$0] }) {
            windows.append(w)
            p = w.upperBound
        }
        // 5+30 | 10+10 | 50 (alone: over budget, still one step) | 1
        XCTAssertEqual(windows, [0..<2, 2..<4, 4..<5, 5..<6])
    }

    func testSampleFileSourceReadsTheFixtureLayout() throws {
        let f = try TinyFixture()
        let t2d = try f.inputs.bools("vocab_a.t2d")
        let source = try SampleFileSource(path: TinyFixture.root + "/inputs.safetensors", t2d: t2d)
        XCTAssertEqual(source.count, 3)
        XCTAssertEqual(try (0..<3).map { try source.length(of: $0) }, [8, 33, 64])
        for i in 0..<3 { XCTAssertEqual(try source.sample(i), try f.sample(i, vocab: "vocab_a")) }
    }

    func testSyntheticSamplesAreValidAndDeterministic() throws {
        let c = DrafterConfiguration(hiddenSize: 16, intermediateSize: 32, headCount: 2, kvHeadCount: 1, targetVocabSize: 100,
                                     draftVocabSize: 20)
        let inputs = SyntheticSampleSource.inputs(configuration: c, seed: 3)
        try inputs.validate(c)
        let source = SyntheticSampleSource(configuration: c, count: 4, sequenceLength: 2000, maskDensity: 0.6, seed: 3,
                                           draftIds: inputs.draftIds)
        let s = try source.sample(1)
        try s.validate(index: 1, configuration: c)
        XCTAssertEqual(s, try source.sample(1))
        let density = Double(s.lossMask.reduce(0) { $0 + Int($1) }) / 2000
        XCTAssertEqual(density, 0.6, accuracy: 0.1)
    }
}

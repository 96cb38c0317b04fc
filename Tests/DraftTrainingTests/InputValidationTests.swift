import DraftTraining
import TestSupport
import XCTest

/// Mismatched samples, vocabularies, configurations and weights are refused with errors naming the field.
final class InputValidationTests: XCTestCase {
    func expectError(_ expected: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(expected), "expected “\(expected)”, got “\(error)”", file: file, line: line)
        }
    }

    func testBadSamplesAreRefused() throws {
        let f = try TinyFixture()
        let engine = try DrafterEngine(configuration: TinyFixture.configuration, inputs: try f.targetInputs(vocab: "vocab_a"),
                                       weights: try f.weights("init."), threads: 1)
        let good = try f.sample(0, vocab: "vocab_a")
        var s = good
        s.ids[3] = 256
        expectError("sample 5: ids: position 3: id 256 is outside 0..<256") { try engine.evaluate(s, index: 5) }
        s = good
        s.lossMask[2] = 2
        expectError("loss_mask: position 2: 2 is not 0 or 1") { try engine.evaluate(s) }
        s = good
        s.auxHidden.removeLast()
        expectError("aux_hidden: 1535 values, expected L × 3·H = 8 × 192") { try engine.evaluate(s) }
        s = good
        if case .logits(let d, var a) = good.target { a[1] = -1; s.target = .logits(draft: d, argmax: a) }
        expectError("target_argmax: position 1: -1 is outside 0..<256") { try engine.evaluate(s) }
        s = good
        if case .logits(var d, let a) = good.target { d[64 * 3 + 5] = .nan; s.target = .logits(draft: d, argmax: a) }
        expectError("target logits: row 3 has no finite maximum") { try engine.evaluate(s) }
        s = try f.sample(0, vocab: "vocab_a", signal: .hidden)
        expectError("the target's lm_head (and final norm) are needed") { try engine.evaluate(s) }
        s = good
        s.ids = []
        s.lossMask = []
        s.auxHidden = []
        expectError("empty sequence") { try engine.evaluate(s) }
    }

    func testMismatchedVocabularyConfigurationAndWeightsAreRefused() throws {
        let f = try TinyFixture()
        var inputs = try f.targetInputs(vocab: "vocab_a")
        inputs.t2d[inputs.t2d.firstIndex(of: false)!] = true
        expectError("t2d: does not mark exactly the 64 ids of d2t") {
            _ = try DrafterEngine(configuration: TinyFixture.configuration, inputs: inputs, weights: try f.weights("init."))
        }
        inputs = try f.targetInputs(vocab: "vocab_a")
        inputs.d2t.removeLast()
        expectError("d2t: 63 entries, draft_vocab_size is 64") {
            _ = try DrafterEngine(configuration: TinyFixture.configuration, inputs: inputs, weights: try f.weights("init."))
        }
        inputs = try f.targetInputs(vocab: "vocab_a")
        inputs.embedding.removeLast(64)
        expectError("embed_tokens.weight: 16320 values, expected V × H = 256 × 64") {
            _ = try DrafterEngine(configuration: TinyFixture.configuration, inputs: inputs, weights: try f.weights("init."))
        }
        var c = TinyFixture.configuration
        c.kvHeadCount = 3
        expectError("num_key_value_heads: 3 does not divide num_attention_heads 4") { try c.validate() }
        c = TinyFixture.configuration
        c.draftVocabSize = 300
        expectError("draft_vocab_size: 300 is outside 1...vocab_size (256)") { try c.validate() }
        expectError("weights: 10 values, the configuration needs 61696") {
            _ = try DrafterWeights(configuration: TinyFixture.configuration, values: [Float](repeating: 0, count: 10))
        }
        expectError("explicit order names sample 7, outside 0..<1") {
            _ = try DrafterTrainer(configuration: TinyFixture.configuration, inputs: try f.targetInputs(vocab: "vocab_a"),
                                   train: InMemorySampleSource([try f.sample(0, vocab: "vocab_a")]),
                                   options: TrainingOptions(order: [7]), weights: try f.weights("init."))
        }
    }

    func testInitialisationFollowsPyTorchDefaults() {
        let w = DrafterWeights(initializing: TinyFixture.configuration, seed: 3)
        for t in DrafterTensor.allCases {
            let values = w[t]
            if t.isNorm {
                XCTAssertTrue(values.allSatisfy { $0 == 1 }, t.name)
            } else {
                let bound = 1 / Float(t.shape(TinyFixture.configuration)[1]).squareRoot()
                XCTAssertLessThanOrEqual(values.map(abs).max()!, bound, t.name)
                XCTAssertGreaterThan(values.map(abs).max()!, 0.9 * bound, t.name)
                XCTAssertEqual(Double(values.reduce(0, +)) / Double(values.count), 0, accuracy: Double(bound) * 0.1, t.name)
            }
        }
        XCTAssertEqual(w, DrafterWeights(initializing: TinyFixture.configuration, seed: 3))
    }
}

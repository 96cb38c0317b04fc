import DraftTraining
import SpeculativeDecoding
import TargetModel
import XCTest

/// A drafter made for another target is refused with the quantity that differs and both values.
final class MismatchTests: XCTestCase {
    private func refusal(_ configuration: DrafterConfiguration, vocabulary: [Int]) throws -> String {
        let target = try Fixtures.target()
        let dir = try writeDrafter(configuration, vocabulary: vocabulary)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            _ = try DrafterModel.load(directory: dir, target: target)
            XCTFail("a mismatched drafter was accepted")
            return ""
        } catch let e as SpeculativeDecodingError {
            return e.description
        }
    }

    func testHiddenSizeMismatch() throws {
        let m = try refusal(tinyDrafterConfiguration(hidden: 32), vocabulary: Array(0..<64))
        XCTAssertEqual(m, "the drafter does not fit the target: hidden_size is 32 in the drafter but 64 in the target (the drafter was trained for another target model)")
    }

    func testVocabularySizeMismatch() throws {
        let m = try refusal(tinyDrafterConfiguration(vocab: 300), vocabulary: Array(0..<64))
        XCTAssertEqual(m, "the drafter does not fit the target: vocab_size is 300 in the drafter but 256 in the target (the drafter was trained for another tokenizer)")
    }

    func testAuxWidthMismatch() throws {
        let m = try refusal(tinyDrafterConfiguration(auxLayers: 2), vocabulary: Array(0..<64))
        XCTAssertEqual(m, "the drafter does not fit the target: fc input width (aux features) is 128 in the drafter but 192 in the target (EAGLE-3 fuses 3 target layers [2, 4, 5])")
    }

    func testInvalidDepthAndPrompt() throws {
        let target = try Fixtures.target()
        let drafter = try DrafterModel.load(directory: Fixtures.drafterPath, target: target)
        XCTAssertThrowsError(try SpeculativeDecoder(target: target, drafter: drafter, depth: 0, stopTokens: [])) {
            XCTAssertEqual("\($0)", "depth must be in 1...7, got 0")
        }
        let decoder = try SpeculativeDecoder(target: target, drafter: drafter, depth: 2, stopTokens: [])
        XCTAssertThrowsError(try decoder.generate(prompt: [], maxNewTokens: 4)) { XCTAssertEqual("\($0)", "empty prompt") }
    }
}

import Foundation
import TestSupport
import Tokenization
import XCTest

/// Components this implementation does not reproduce are typed errors naming the component, the type and the
/// file, never a silent approximation; malformed documents name the file and the key.
final class ErrorTests: XCTestCase {
    private let source = "tiny.json"

    private func load(_ json: String) throws -> Tokenizer {
        try Tokenizer(json: Array(json.utf8), source: source)
    }

    private func assertUnsupported(_ json: String, _ component: String, _ type: String,
                                   file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try load(json), file: file, line: line) { error in
            XCTAssertEqual(error as? TokenizerError, .unsupported(component: component, type: type, path: source),
                           file: file, line: line)
            XCTAssertTrue("\(error)".contains(component) && "\(error)".contains(source), "\(error)", file: file, line: line)
        }
    }

    func testUnsupportedComponents() {
        assertUnsupported(TinyTokenizers.byteLevel(preTokenizer: #"{"type": "Whitespace"}"#), "pre_tokenizer", "Whitespace")
        assertUnsupported(TinyTokenizers.byteLevel(preTokenizer: #"{"type": "Sequence", "pretokenizers": [{"type": "Punctuation", "behavior": "Isolated"}]}"#),
                          "pre_tokenizer", "Punctuation")
        assertUnsupported(TinyTokenizers.byteLevel(preTokenizer: #"{"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "Isolated", "invert": false}"#),
                          "pre_tokenizer", #"Split(Regex("\\s+"))"#)
        assertUnsupported(TinyTokenizers.byteLevel(preTokenizer: #"{"type": "Split", "pattern": {"String": " "}, "behavior": "Removed", "invert": false}"#),
                          "pre_tokenizer", #"Split(String(" "))"#)
        assertUnsupported(TinyTokenizers.byteLevel(normalizer: #"{"type": "Lowercase"}"#), "normalizer", "Lowercase")
        assertUnsupported(TinyTokenizers.byteLevel(normalizer: #"{"type": "NFKC"}"#), "normalizer", "NFKC")
        assertUnsupported(TinyTokenizers.byteLevel(normalizer: #"{"type": "Replace", "pattern": {"Regex": " +"}, "content": " "}"#),
                          "normalizer", #"Replace(Regex(" +"))"#)
        assertUnsupported(TinyTokenizers.byteLevel(decoder: ###"{"type": "WordPiece", "prefix": "##", "cleanup": true}"###), "decoder", "WordPiece")
        assertUnsupported(TinyTokenizers.byteLevel(postProcessor: #"{"type": "Foo"}"#), "post_processor", "Foo")
        assertUnsupported(TinyTokenizers.byteLevel(truncation: #"{"max_length": 8, "strategy": "LongestFirst", "stride": 0, "direction": "Right"}"#),
                          "truncation", "(set)")
        assertUnsupported(TinyTokenizers.byteLevel(model: #"{"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1}}"#),
                          "model", "WordPiece")
        assertUnsupported(TinyTokenizers.byteLevel(model: #"{"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["a", -1.0]]}"#),
                          "model", "Unigram")
        assertUnsupported(TinyTokenizers.byteLevel(model: #"{"type": "BPE", "dropout": 0.1, "vocab": {"a": 0}, "merges": []}"#),
                          "model", "BPE(dropout: 0.1)")
        assertUnsupported(TinyTokenizers.byteLevel(model: ###"{"type": "BPE", "continuing_subword_prefix": "##", "vocab": {"a": 0}, "merges": []}"###),
                          "model", ###"BPE(continuing_subword_prefix: "##")"###)
    }

    func testMalformedDocumentsNameFileAndKey() {
        XCTAssertThrowsError(try load("{\"model\": ")) { error in
            guard case .malformed(let path, _)? = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, source)
        }
        XCTAssertThrowsError(try load(TinyTokenizers.byteLevel(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a c"]}"#))) { error in
            XCTAssertEqual(error as? TokenizerError, .invalidValue(path: source, key: "model.merges[0]",
                                                                   message: "token \"c\" is not in the vocabulary"))
        }
        XCTAssertThrowsError(try load(TinyTokenizers.byteLevel(model: #"{"type": "BPE", "vocab": {"a": 0}, "merges": ["a b c"]}"#))) { error in
            guard case .invalidValue(let path, let key, _)? = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, source)
            XCTAssertEqual(key, "model.merges[0]")
        }
        XCTAssertThrowsError(try load(TinyTokenizers.byteLevel(model: #"{"type": "BPE", "vocab": {"a": 0}}"#))) { error in
            XCTAssertEqual(error as? TokenizerError, .missingKey(path: source, key: "model.merges"))
        }
        // HF rejects Metaspace's legacy `add_prefix_space: false` unless the scheme is "never".
        XCTAssertThrowsError(try load(TinyTokenizers.byteLevel(preTokenizer: #"{"type": "Metaspace", "replacement": "▁", "add_prefix_space": false}"#))) { error in
            guard case .malformed(let path, let message)? = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, source)
            XCTAssertTrue(message.contains("pre_tokenizer"), message)
        }
    }

    func testLoadErrorsNameThePath() {
        XCTAssertThrowsError(try Tokenizer.load(path: "/nonexistent/tokenizer.json")) { error in
            XCTAssertEqual(error as? TokenizerError, .io(path: "/nonexistent/tokenizer.json", message: "no such file or folder"))
        }
        let dir = NSTemporaryDirectory() + "eagleprep-tok-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertThrowsError(try Tokenizer.load(path: dir)) { error in
            XCTAssertEqual(error as? TokenizerError, .io(path: dir, message: "folder holds no tokenizer.json"))
        }
    }
}

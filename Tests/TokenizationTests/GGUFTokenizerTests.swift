import EagleCore
import Foundation
import GGUF
import TestSupport
import Tokenization
import XCTest
import ZstdCompression

/// Tokenizers built from GGUF metadata equal their `tokenizer.json` twins: the vocab-only fixtures made from
/// the shared tokenizers (`Fixtures/gguf`, see its README) and the real SmolLM2 GGUF, all on the golden corpus.
final class GGUFTokenizerTests: XCTestCase {
    func testGPT2GGUF() throws { try check("gpt2", twin: "tokenizers/gpt2") }
    func testLlama32GGUF() throws { try check("llama-3.2", twin: "tokenizers/llama-3.2") }
    func testQwen3GGUF() throws { try check("qwen3", twin: "tokenizers/qwen3") }

    /// Llama-2 without merges: they are derived from the SentencePiece scores (`sentencePieceMerges`).
    func testLlama2GGUFFromScores() throws {
        let gguf = try fixtureTokenizer("llama-2")
        try assertMatchesGoldens(gguf, "llama-2")
        let twin = try Fixtures.tokenizer("tokenizers/llama-2")
        XCTAssertEqual(gguf.vocabularySize, twin.vocabularySize)
        XCTAssertEqual(gguf.specialTokenIds, twin.specialTokenIds)
        XCTAssertEqual(gguf.byteTokenIds, twin.byteTokenIds)
        XCTAssertEqual(gguf.bosTokenId, 1)
        XCTAssertEqual(gguf.eosTokenId, 2)
        // Runs of spaces exercise the order of the equal-score `▁…` merges.
        for n in 1 ... 40 {
            for text in [String(repeating: " ", count: n), "a" + String(repeating: " ", count: n) + "b",
                         "x\n" + String(repeating: " ", count: n) + "def f():"] {
                XCTAssertEqual(gguf.encode(text), twin.encode(text), text.debugDescription)
            }
        }
    }

    func testRealSmolLM2GGUF() throws {
        let path = try TestSupport.smolLM2GGUF()
        let gguf = try Tokenizer.load(path: path)
        try assertMatchesGoldens(gguf, "smollm2")
        let twin = try Fixtures.tokenizer("models/smollm2-135m-instruct")
        XCTAssertEqual(gguf.vocabularySize, twin.vocabularySize)
        XCTAssertEqual(gguf.specialTokenIds, twin.specialTokenIds)
        XCTAssertEqual(gguf.bosToken, "<|im_start|>")
        XCTAssertEqual(gguf.eosToken, "<|im_end|>")
    }

    func testUnknownPreTokenizerAndModelAreErrors() throws {
        let dir = NSTemporaryDirectory() + "eagleprep-gguf-tok-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tokens = ["a", "b", "ab"]
        let pre = dir + "/pre.gguf"
        try Data(tinyGGUF(model: "gpt2", pre: "falcon", tokens: tokens, merges: ["a b"])).write(to: URL(fileURLWithPath: pre))
        XCTAssertThrowsError(try Tokenizer.load(path: pre)) { error in
            XCTAssertEqual(error as? TokenizerError, .unsupported(component: "tokenizer.ggml.pre", type: "falcon", path: pre))
        }
        let model = dir + "/model.gguf"
        try Data(tinyGGUF(model: "bert", pre: nil, tokens: tokens, merges: nil)).write(to: URL(fileURLWithPath: model))
        XCTAssertThrowsError(try Tokenizer.load(path: model)) { error in
            XCTAssertEqual(error as? TokenizerError, .unsupported(component: "tokenizer.ggml.model", type: "bert", path: model))
        }
        let ok = dir + "/ok.gguf"
        try Data(tinyGGUF(model: "gpt2", pre: "gpt-2", tokens: tokens, merges: ["a b"])).write(to: URL(fileURLWithPath: ok))
        XCTAssertEqual(try Tokenizer.load(path: ok).encode("ab ba"), [2, 1, 0], "\" \" has no token: dropped, as HF")
    }

    private func check(_ name: String, twin twinPath: String) throws {
        let gguf = try fixtureTokenizer(name)
        try assertMatchesGoldens(gguf, name)
        let twin = try Fixtures.tokenizer(twinPath)
        if name != "qwen3" {  // qwen3's GGUF pads its vocabulary to 151,936 with `[PAD…]` tokens
            XCTAssertEqual(gguf.vocabularySize, twin.vocabularySize)
        }
        XCTAssertEqual(gguf.byteTokenIds, twin.byteTokenIds)
        XCTAssertEqual(gguf.bosTokenId, twin.bosTokenId ?? gguf.bosTokenId)
    }

    /// Decompresses `Fixtures/gguf/<name>.vocab.gguf.zst` with libzstd (the project's own wrapper) and loads it.
    private func fixtureTokenizer(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Tokenizer {
        let compressed = Fixtures.root + "/gguf/\(name).vocab.gguf.zst"
        guard FileManager.default.fileExists(atPath: compressed) else {
            XCTFail("missing fixture \(compressed) (pipelines/reference/gguf_vocab_fixtures.py)", file: file, line: line)
            throw XCTSkip("missing \(compressed)")
        }
        let out = NSTemporaryDirectory() + "eagleprep-\(name)-\(UUID().uuidString).gguf"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let raw = try Zstd.decompress(try FileIO.readAll(path: compressed), maxSize: 64 << 20)
        try FileIO.writeAtomically(path: out, bytes: raw)
        return try Tokenizer.load(path: out)
    }
}

/// A minimal GGUF v3 file with only tokenizer metadata (little-endian, per the GGUF spec).
func tinyGGUF(model: String, pre: String?, tokens: [String], merges: [String]?) -> [UInt8] {
    var b: [UInt8] = []
    func u32(_ v: UInt32) { for i in 0..<4 { b.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    func u64(_ v: UInt64) { for i in 0..<8 { b.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    func string(_ s: String) { u64(UInt64(s.utf8.count)); b += Array(s.utf8) }
    func kvString(_ k: String, _ v: String) { string(k); u32(8); string(v) }
    func kvStrings(_ k: String, _ vs: [String]) { string(k); u32(9); u32(8); u64(UInt64(vs.count)); vs.forEach { string($0) } }
    let count = 2 + (pre == nil ? 0 : 1) + (merges == nil ? 0 : 1)
    b += Array("GGUF".utf8)
    u32(3)
    u64(0)
    u64(UInt64(count))
    kvString("tokenizer.ggml.model", model)
    if let pre { kvString("tokenizer.ggml.pre", pre) }
    kvStrings("tokenizer.ggml.tokens", tokens)
    if let merges { kvStrings("tokenizer.ggml.merges", merges) }
    while b.count % 32 != 0 { b.append(0) }
    return b
}

import Foundation
import TestSupport
import Tokenization
import XCTest

/// Exact agreement with HF `tokenizers` on the golden corpus (torture strings, real chat texts, long texts) for
/// every golden tokenizer: ids without and with special tokens, `decode` equal to HF's, round trips where HF
/// round-trips.
final class GoldenTests: XCTestCase {
    func testGPT2() throws { try checkGoldens("gpt2") }
    func testLlama2() throws { try checkGoldens("llama-2") }
    func testLlama32() throws { try checkGoldens("llama-3.2") }
    func testQwen3() throws { try checkGoldens("qwen3") }
    func testSmolLM2() throws { try checkGoldens("smollm2") }

    private func checkGoldens(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = Fixtures.goldenTokenizers.first { $0.name == name }!.path
        try assertMatchesGoldens(try Fixtures.tokenizer(path), name, file: file, line: line)
    }
}

/// Checks a tokenizer against `Fixtures/goldens/<name>.jsonl`: `ids`, `ids_special`, HF's `decoded`, and the
/// round trip where HF round-trips. Stops after 8 failing texts.
func assertMatchesGoldens(_ tokenizer: Tokenizer, _ name: String, file: StaticString = #filePath,
                          line: UInt = #line) throws {
    let lines = try Fixtures.goldens(name)
    XCTAssertGreaterThan(lines.count, 600, "golden file \(name) is suspiciously short", file: file, line: line)
    var failures = 0
    let encoder = tokenizer.makeEncoder()
    for g in lines where failures < 8 {
        var ok = assertSameIds(encoder.encode(g.text), g.ids, text: g.text, "\(name) ids", file: file, line: line)
        ok = assertSameIds(encoder.encode(g.text, addSpecialTokens: true), g.idsSpecial, text: g.text,
                           "\(name) ids_special", file: file, line: line) && ok
        // The convenience API (per-thread cache) must agree with the caller-owned encoder.
        ok = assertSameIds(tokenizer.encode(g.text), g.ids, text: g.text, "\(name) ids (Tokenizer.encode)",
                           file: file, line: line) && ok
        let decoded = try tokenizer.decode(g.ids)
        if !sameBytes(decoded, g.decoded) {
            XCTFail("\(name) decode of \(g.text.prefix(160).debugDescription): got \(decoded.prefix(160).debugDescription), HF \(g.decoded.prefix(160).debugDescription)",
                    file: file, line: line)
            ok = false
        }
        if g.roundtrip && !sameBytes(decoded, g.text) {
            XCTFail("\(name) does not round-trip \(g.text.prefix(160).debugDescription)", file: file, line: line)
            ok = false
        }
        if !ok { failures += 1 }
    }
    if failures >= 8 { XCTFail("\(name): stopped after 8 failing texts", file: file, line: line) }
}

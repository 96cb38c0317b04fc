import Foundation
import Synchronization
import TestSupport
import Tokenization
import XCTest

/// One line of `Fixtures/goldens/<name>.jsonl` (written by `pipelines/reference/tokenizer_goldens.py` with HF
/// `tokenizers` 0.23.3).
struct GoldenLine: Decodable {
    var text: String
    var ids: [Int32]
    var idsSpecial: [Int32]
    var decoded: String
    var roundtrip: Bool

    enum CodingKeys: String, CodingKey {
        case text, ids
        case idsSpecial = "ids_special"
        case decoded, roundtrip
    }
}

enum Fixtures {
    /// The golden tokenizers: golden file name → tokenizer.json under the shared data folder.
    static let goldenTokenizers: [(name: String, path: String)] = [
        ("gpt2", "tokenizers/gpt2"),
        ("llama-2", "tokenizers/llama-2"),
        ("llama-3.2", "tokenizers/llama-3.2"),
        ("qwen3", "tokenizers/qwen3"),
        ("smollm2", "models/smollm2-135m-instruct"),
    ]

    static var root: String {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures").path
    }

    /// Reads a golden file, splitting on "\n" only (texts hold U+2028, VT, FF...). Missing: fails.
    static func goldens(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> [GoldenLine] {
        let path = root + "/goldens/\(name).jsonl"
        guard let data = FileManager.default.contents(atPath: path) else {
            XCTFail("golden file \(path) is missing (run pipelines/reference/tokenizer_goldens.py)", file: file, line: line)
            throw XCTSkip("missing \(path)")
        }
        let decoder = JSONDecoder()
        return try data.split(separator: 0x0A).enumerated().map { (i, bytes) in
            do { return try decoder.decode(GoldenLine.self, from: Data(bytes)) } catch {
                XCTFail("\(path):\(i + 1): \(error)", file: file, line: line)
                throw error
            }
        }
    }

    /// A shared-data tokenizer, loaded once per process.
    static func tokenizer(_ relativePath: String, file: StaticString = #filePath, line: UInt = #line) throws -> Tokenizer {
        let dir = try TestSupport.sharedData(file: file, line: line) + "/" + relativePath
        return try cache.get(dir) { try Tokenizer.load(path: dir) }
    }

    private static let cache = TokenizerCache()
}

/// Loaded tokenizers, shared between tests (loading Llama-3's 9 MB file takes a while in debug builds).
final class TokenizerCache: Sendable {
    private let storage = Mutex<[String: Tokenizer]>([:])

    func get(_ key: String, _ make: () throws -> Tokenizer) throws -> Tokenizer {
        if let t = storage.withLock({ $0[key] }) { return t }
        let t = try make()
        storage.withLock { $0[key] = t }
        return t
    }
}

/// Fails with the text, the first differing index and both id sequences around it.
func assertSameIds(_ actual: [Int32], _ expected: [Int32], text: String, _ what: String,
                   file: StaticString = #filePath, line: UInt = #line) -> Bool {
    guard actual != expected else { return true }
    var i = 0
    while i < min(actual.count, expected.count) && actual[i] == expected[i] { i += 1 }
    let lo = max(0, i - 4)
    func window(_ a: [Int32]) -> String {
        let hi = min(a.count, i + 6)
        return (lo > 0 ? "… " : "") + a[min(lo, a.count) ..< hi].map(String.init).joined(separator: ", ")
            + (hi < a.count ? " …" : "")
    }
    let shown = text.count > 160 ? String(text.prefix(160)) + "…" : text
    XCTFail("""
        \(what) for \(shown.debugDescription) (\(text.utf8.count) bytes): first difference at index \(i) \
        (lengths \(actual.count) vs \(expected.count))
          actual:   [\(window(actual))]
          expected: [\(window(expected))]
        """, file: file, line: line)
    return false
}

/// Exact string comparison (Swift `==` on strings is canonical equivalence; tokenizers must be byte-exact).
func sameBytes(_ a: String, _ b: String) -> Bool { Array(a.utf8) == Array(b.utf8) }

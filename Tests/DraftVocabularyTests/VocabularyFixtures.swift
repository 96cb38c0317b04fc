import DraftVocabulary
import EagleCore
import Foundation
import SafeTensors
import TokenShards
import XCTest
import ZstdCompression

/// One sample of the committed fixture: ids and both loss masks (SPEC §3 reference and assistant modes).
struct FixtureSample {
    var ids: [Int32]
    var reference: [UInt8]
    var assistant: [UInt8]
}

/// The committed fixtures of `pipelines/reference/vocab/make_vocab_fixtures.py` (Llama-3.2 tokenizer, MT-bench and
/// LLaMA-Factory conversations) and helpers that turn samples into a tokenize output directory.
enum VocabularyFixtures {
    static let targetVocabSize = 128_256

    static func url(_ name: String) throws -> URL {
        let url = Bundle.module.bundleURL.appendingPathComponent("Fixtures").appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("fixture \(name) missing; run pipelines/reference/vocab/make_vocab_fixtures.py")
        }
        return url
    }

    /// `fixtures.json`.
    static func manifest() throws -> JSONValue {
        try JSONParser.parse(bytes: FileIO.readAll(path: url("fixtures.json").path))
    }

    nonisolated(unsafe) private static var cachedSamples: [FixtureSample]?
    private static let lock = NSLock()

    /// The samples of `samples.jsonl.zst`, in dataset order (parsed once per test process).
    static func samples() throws -> [FixtureSample] {
        lock.lock()
        defer { lock.unlock() }
        if let cachedSamples { return cachedSamples }
        let compressed = try FileIO.readAll(path: url("samples.jsonl.zst").path)
        let text = try Zstd.decompress(compressed, maxSize: 64 << 20)
        var out: [FixtureSample] = []
        var lineStart = 0
        for i in text.indices where text[i] == 0x0A {
            let line = Array(text[lineStart..<i])
            lineStart = i + 1
            let v = try JSONParser.parse(bytes: line)
            func ints(_ key: String) throws -> [Int] {
                try XCTUnwrap(v[key]?.arrayValue?.map { try XCTUnwrap($0.intValue) }, "line \(out.count + 1): \(key)")
            }
            out.append(FixtureSample(ids: try ints("ids").map { Int32($0) }, reference: try ints("loss_mask").map { UInt8($0) },
                                     assistant: try ints("loss_mask_assistant").map { UInt8($0) }))
        }
        cachedSamples = out
        return out
    }

    /// Writes `samples` (ids with one of the masks) as a finished tokenize directory: shards of
    /// `samplesPerShard` samples written by `TokenShardWriter`, and a `manifest.json` as the tokenize stage writes it.
    static func makeTokenDirectory(at dir: String, ids: [[Int32]], masks: [[UInt8]], samplesPerShard: Int, maskMode: String,
                                   vocabularySize: Int? = targetVocabSize, tokenizerSHA256: String = "tok-sha",
                                   complete: Bool = true, shardVersion: UInt32 = TokenShardFormat.version) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var shards: [JSONValue] = []
        var k = 0
        while k < ids.count {
            let name = String(format: "tokens-%05d.eptok", shards.count)
            let w = try TokenShardWriter(path: dir + "/" + name, version: shardVersion)
            let end = min(k + samplesPerShard, ids.count)
            for i in k..<end {
                try w.append(TokenSample(ids: ids[i], lossMask: masks[i], sourceFile: 0, sourceLine: UInt64(i + 1), recordIndex: UInt64(i)))
            }
            try w.finish(metadata: .object(JSONObject()))
            shards.append(.object(JSONObject([("file", .string(name)), ("samples", .int(end - k))])))
            k = end
        }
        var settings = JSONObject([("tokenizer_sha256", .string(tokenizerSHA256)), ("mask_mode", .string(maskMode))])
        if let vocabularySize { settings["vocabulary_size"] = .int(vocabularySize) }
        let manifest = JSONObject([
            ("format", .string("eagleprep-tokens")), ("version", .int(1)), ("settings", .object(settings)),
            ("shards", .array(shards)), ("complete", .bool(complete)),
        ])
        try FileIO.writeAtomically(path: dir + "/manifest.json", bytes: Array(JSONWriter.string(.object(manifest)).utf8))
    }

    static func makeTokenDirectory(at dir: String, mode: String, samplesPerShard: Int,
                                   shardVersion: UInt32 = TokenShardFormat.version) throws {
        let s = try samples()
        try makeTokenDirectory(at: dir, ids: s.map(\.ids), masks: s.map { mode == "reference" ? $0.reference : $0.assistant },
                               samplesPerShard: samplesPerShard, maskMode: mode, shardVersion: shardVersion)
    }
}

/// A fresh temporary directory per test.
class VocabularyTestCase: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "eagleprep-vocab-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// Counts a directory (all shards) and writes a vocabulary to `out`.
    @discardableResult
    func build(tokens: String, out: String, size: Int, threads: Int = 1, unitSamples: Int = 256, mode: CountMode = .supervised,
               pinned: [Int] = [], pad: Bool = false) throws -> VocabularyReport {
        let directory = try TokenDirectory(path: tokens)
        var counter = TokenCounter(directory: directory, targetVocabSize: try directory.targetVocabularySize(given: nil), mode: mode, threads: threads)
        counter.unitSamples = unitSamples
        let counts = try counter.run()
        let partial = PartialCounts(counts: counts, mode: mode, source: CountSource(directory), shards: 0..<directory.shards.count)
        return try VocabularyOutput.write(counts: partial, options: VocabularyOptions(size: size, pinned: pinned, pad: pad), to: out)
    }

    func bytes(_ path: String) throws -> [UInt8] { try FileIO.readAll(path: path) }

    /// Exact equality of two arrays, reporting the length or the first differing index and both values instead
    /// of dumping the arrays.
    func assertIdentical<T: Equatable>(_ actual: [T], _ expected: [T], _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        guard actual.count == expected.count else {
            return XCTFail("\(label): \(actual.count) elements, expected \(expected.count)", file: file, line: line)
        }
        if let i = actual.indices.first(where: { actual[$0] != expected[$0] }) {
            XCTFail("\(label): first difference at [\(i)]: \(actual[i]), expected \(expected[i])", file: file, line: line)
        }
    }

    /// Asserts that `body` throws a `VocabularyError` whose description contains every fragment.
    func assertVocabularyError(_ body: @autoclosure () throws -> some Any, _ fragments: String..., file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try body()
            XCTFail("expected an error containing \(fragments)", file: file, line: line)
        } catch let e as VocabularyError {
            for f in fragments where !e.description.contains(f) {
                XCTFail("error '\(e.description)' lacks '\(f)'", file: file, line: line)
            }
        } catch {
            XCTFail("expected a VocabularyError, got \(error)", file: file, line: line)
        }
    }
}

import EagleCore

/// A finished `tokenize` output directory (docs/token-shards.md): `manifest.json` plus the shards it lists.
///
/// Only the manifest is read here; shards are opened by the counter, so a worker that counts a part of the shards
/// needs only the manifest and its own shard files. The manifest's SHA-256 identifies the token data in
/// `vocab.json` and in partial counts files.
public struct TokenDirectory: Sendable {
    public struct Shard: Sendable, Equatable {
        /// File name inside the directory.
        public var file: String
        public var path: String
        public var samples: Int
        /// Global index (dataset order) of the shard's first sample: the samples of all earlier shards.
        public var firstSample: Int
    }

    public let path: String
    public let manifestSHA256: String
    /// The manifest's `settings` object (tokenizer hash, mask mode, vocabulary size, inputs, …).
    public let settings: JSONObject
    public let shards: [Shard]

    public init(path: String) throws(VocabularyError) {
        self.path = path
        let manifestPath = path + "/manifest.json"
        let bytes: [UInt8]
        do { bytes = try FileIO.readAll(path: manifestPath, limit: 1 << 30) } catch {
            throw .tokens(path: manifestPath, message: "cannot read the token manifest (\(error.message)); is \(path) a tokenize output directory?")
        }
        func fail(_ message: String) -> VocabularyError { .tokens(path: manifestPath, message: message) }
        let manifest: JSONValue
        do { manifest = try JSONParser.parse(bytes: bytes) } catch { throw fail("invalid JSON: \(error)") }
        guard manifest["format"]?.stringValue == "eagleprep-tokens" else {
            throw fail("format is \(manifest["format"].map(JSONWriter.string) ?? "absent"), expected \"eagleprep-tokens\"")
        }
        guard manifest["version"]?.intValue == 1 else {
            throw fail("version \(manifest["version"].map(JSONWriter.string) ?? "absent") is not supported (this build reads 1)")
        }
        guard manifest["complete"] == .bool(true) else { throw fail("the tokenize run is not complete (\"complete\" is not true); finish it first") }
        guard let settings = manifest["settings"]?.objectValue else { throw fail("settings: missing or not an object") }
        guard let list = manifest["shards"]?.arrayValue else { throw fail("shards: missing or not an array") }
        var shards: [Shard] = []
        var first = 0
        for (i, entry) in list.enumerated() {
            guard let file = entry["file"]?.stringValue, !file.isEmpty, !file.contains("/"), file != "..", file != "." else {
                throw fail("shards[\(i)].file: missing, or not a plain file name")
            }
            guard let samples = entry["samples"]?.intValue, samples >= 0 else {
                throw fail("shards[\(i)].samples: missing or not a non-negative integer")
            }
            shards.append(Shard(file: file, path: path + "/" + file, samples: samples, firstSample: first))
            let (next, overflow) = first.addingReportingOverflow(samples)
            guard !overflow else { throw fail("shards[\(i)].samples: total sample count overflows") }
            first = next
        }
        self.settings = settings
        self.shards = shards
        manifestSHA256 = SHA256.hexDigest(bytes)
    }

    /// Total samples over all shards.
    public var sampleCount: Int { shards.last.map { $0.firstSample + $0.samples } ?? 0 }

    /// `settings.tokenizer_sha256` (SHA-256 of the tokenizer file), when recorded.
    public var tokenizerSHA256: String? { settings["tokenizer_sha256"]?.stringValue }
    /// `settings.mask_mode` (`reference` or `assistant`), when recorded.
    public var maskMode: String? { settings["mask_mode"]?.stringValue }
    /// `settings.vocabulary_size`: the tokenizer's id count (largest id + 1), when recorded. The target's logit
    /// width can differ (see `targetVocabularySize(given:)`).
    public var tokenizerVocabularySize: Int? { settings["vocabulary_size"]?.intValue }

    /// The target vocabulary size (logit width V, the length of `t2d`): `given` when set, else the manifest's
    /// `vocabulary_size` (the tokenizer's id count). The two can differ either way: Qwen pads its logit row past the
    /// tokenizer, while the Llama-3.2 `tokenizer.json` has 128,257 ids for a 128,256-wide Llama-3 logit row. An id
    /// at or beyond V met while counting is an error naming where it is.
    public func targetVocabularySize(given: Int?) throws(VocabularyError) -> Int {
        if let given { return given }
        guard let t = tokenizerVocabularySize else {
            throw .targetVocabularySize("\(path)/manifest.json records no vocabulary_size; give the target's logit width (--target-vocab-size)")
        }
        return t
    }

    /// The shard indices of part `index` of `count` contiguous, nearly equal parts (by shard count).
    public func part(_ index: Int, of count: Int) -> Range<Int> {
        precondition(count > 0 && index >= 0 && index < count, "part index out of range")
        return (shards.count * index / count)..<(shards.count * (index + 1) / count)
    }
}

import EagleCore
import SafeTensors

/// A partial count (`eagleprep vocab --counts-only`): the counts of a contiguous range of a token directory's
/// shards, stored sparsely as a safetensors file:
///
/// | tensor | dtype | shape | meaning |
/// |---|---|---|---|
/// | `ids` | I64 | [k] | counted ids, ascending |
/// | `counts` | I64 | [k] | their counts (> 0) |
/// | `first_keys` | I64 | [k] | their first-occurrence keys (`OccurrenceKey`, global over the directory) |
///
/// `__metadata__`: `format` = `eagleprep-vocab-counts`, `version` = `1`, `target_vocab_size`, `count` (mode),
/// `tokens_manifest_sha256`, `tokenizer_sha256`, `mask_mode` (empty when not recorded), `shard_count` (shards in
/// the directory), `first_shard`, `end_shard` (the range counted), `samples`, `tokens`. Files of one directory
/// whose ranges tile `0..<shard_count` merge into exactly the counts of a single run.
public struct PartialCounts: Sendable, Equatable {
    public static let format = "eagleprep-vocab-counts"
    public static let version = 1

    public var counts: TokenCounts
    public var mode: CountMode
    public var source: CountSource
    public var shards: Range<Int>

    public init(counts: TokenCounts, mode: CountMode, source: CountSource, shards: Range<Int>) {
        self.counts = counts
        self.mode = mode
        self.source = source
        self.shards = shards
    }

    public func write(path: String) throws {
        var ids: [Int64] = [], counted: [Int64] = [], keys: [Int64] = []
        for v in 0..<counts.targetVocabSize where counts.counts[v] > 0 {
            ids.append(Int64(v))
            counted.append(Int64(counts.counts[v]))
            keys.append(Int64(counts.firstKeys[v]))
        }
        var w = SafeTensorsWriter(metadata: [
            ("format", Self.format), ("version", String(Self.version)),
            ("target_vocab_size", String(counts.targetVocabSize)), ("count", mode.rawValue),
            ("tokens_manifest_sha256", source.tokensManifestSHA256), ("tokenizer_sha256", source.tokenizerSHA256 ?? ""),
            ("mask_mode", source.maskMode ?? ""), ("shard_count", String(source.shardCount)),
            ("first_shard", String(shards.lowerBound)), ("end_shard", String(shards.upperBound)),
            ("samples", String(counts.samples)), ("tokens", String(counts.tokens)),
        ])
        try w.add("ids", int64s: ids)
        try w.add("counts", int64s: counted)
        try w.add("first_keys", int64s: keys)
        try w.write(path: path)
    }

    /// Reads and validates a counts file: metadata fields present and well-formed, ids ascending and inside the
    /// target vocabulary, counts positive, keys valid.
    public init(path: String) throws {
        let file = try SafeTensorsFile(path: path)
        func fail(_ message: String) -> VocabularyError { .countsFile(path: path, message: message) }
        func field(_ key: String) throws(VocabularyError) -> String {
            guard let v = file.metadata[key] else { throw fail("__metadata__.\(key) is missing (not an eagleprep counts file?)") }
            return v
        }
        func integer(_ key: String, _ range: ClosedRange<Int>) throws(VocabularyError) -> Int {
            let s = try field(key)
            guard let v = Int(s), range.contains(v) else { throw fail("__metadata__.\(key) is '\(s)', expected an integer in \(range)") }
            return v
        }
        let format = try field("format")
        guard format == Self.format else { throw fail("__metadata__.format is '\(format)', expected '\(Self.format)'") }
        let version = try field("version"), count = try field("count")
        guard version == String(Self.version) else { throw fail("__metadata__.version '\(version)' is not supported (this build reads \(Self.version))") }
        let vocab = try integer("target_vocab_size", 1...Int(Int32.max))
        guard let mode = CountMode(rawValue: count) else { throw fail("__metadata__.count is '\(count)', expected supervised or all") }
        let shardCount = try integer("shard_count", 0...Int.max)
        let firstShard = try integer("first_shard", 0...shardCount)
        let endShard = try integer("end_shard", firstShard...shardCount)
        let tokenizer = try field("tokenizer_sha256"), maskMode = try field("mask_mode")
        source = CountSource(tokensManifestSHA256: try field("tokens_manifest_sha256"), tokenizerSHA256: tokenizer.isEmpty ? nil : tokenizer,
                             maskMode: maskMode.isEmpty ? nil : maskMode, shardCount: shardCount)
        self.mode = mode
        shards = firstShard..<endShard

        let ids = try file.int64s("ids")
        let counted = try file.int64s("counts", shape: [ids.count])
        let keys = try file.int64s("first_keys", shape: [ids.count])
        var c = TokenCounts(targetVocabSize: vocab)
        var previous: Int64 = -1
        for i in ids.indices {
            guard ids[i] > previous, ids[i] < Int64(vocab) else {
                throw fail("ids[\(i)] = \(ids[i]) is not ascending inside 0..<\(vocab)")
            }
            guard counted[i] > 0 else { throw fail("counts[\(i)] = \(counted[i]) for id \(ids[i]), expected > 0") }
            guard keys[i] >= 0 else { throw fail("first_keys[\(i)] = \(keys[i]) is negative") }
            c.counts[Int(ids[i])] = UInt64(counted[i])
            c.firstKeys[Int(ids[i])] = UInt64(keys[i])
            previous = ids[i]
        }
        c.samples = try integer("samples", 0...Int.max)
        c.tokens = try integer("tokens", 0...Int.max)
        counts = c
    }

    /// Merges partial counts of one token directory. All files must agree on the source (manifest, tokenizer,
    /// mask mode, shard count), the target vocabulary size and the count mode, and their shard ranges must tile
    /// the whole directory; errors name the file and the field that differs, or the shards missing or counted twice.
    public static func merge(paths: [String]) throws -> PartialCounts {
        guard !paths.isEmpty else { throw VocabularyError.mergeCoverage("no counts files given") }
        let parts = try paths.map { try PartialCounts(path: $0) }
        let first = parts[0]
        for (p, path) in zip(parts, paths).dropFirst() {
            let checks: [(String, String, String)] = [
                ("target_vocab_size", String(first.counts.targetVocabSize), String(p.counts.targetVocabSize)),
                ("count", first.mode.rawValue, p.mode.rawValue),
                ("tokens_manifest_sha256", first.source.tokensManifestSHA256, p.source.tokensManifestSHA256),
                ("tokenizer_sha256", first.source.tokenizerSHA256 ?? "", p.source.tokenizerSHA256 ?? ""),
                ("mask_mode", first.source.maskMode ?? "", p.source.maskMode ?? ""),
                ("shard_count", String(first.source.shardCount), String(p.source.shardCount)),
            ]
            for (name, expected, found) in checks where expected != found {
                throw VocabularyError.mergeMismatch(path: path, field: name, expected: expected, found: found)
            }
        }
        let order = parts.indices.sorted { (parts[$0].shards.lowerBound, parts[$0].shards.upperBound) < (parts[$1].shards.lowerBound, parts[$1].shards.upperBound) }
        var next = 0
        for i in order where !parts[i].shards.isEmpty || parts[i].source.shardCount == 0 {
            let r = parts[i].shards
            if r.lowerBound < next {
                throw VocabularyError.mergeCoverage("\(paths[i]) counts shards \(r.lowerBound)..<\(r.upperBound), but shards from \(r.lowerBound) to \(next - 1) are already counted by another file")
            }
            if r.lowerBound > next {
                throw VocabularyError.mergeCoverage("shards \(next)..<\(r.lowerBound) of \(first.source.shardCount) are in no counts file")
            }
            next = r.upperBound
        }
        guard next == first.source.shardCount else {
            throw VocabularyError.mergeCoverage("shards \(next)..<\(first.source.shardCount) of \(first.source.shardCount) are in no counts file")
        }
        var total = TokenCounts(targetVocabSize: first.counts.targetVocabSize)
        for p in parts { total.merge(p.counts) }
        return PartialCounts(counts: total, mode: first.mode, source: first.source, shards: 0..<first.source.shardCount)
    }
}

/// Where counts came from: the identity of the token data, recorded in counts files and `vocab.json`.
public struct CountSource: Sendable, Equatable {
    public var tokensManifestSHA256: String
    public var tokenizerSHA256: String?
    public var maskMode: String?
    public var shardCount: Int

    public init(tokensManifestSHA256: String, tokenizerSHA256: String?, maskMode: String?, shardCount: Int) {
        self.tokensManifestSHA256 = tokensManifestSHA256
        self.tokenizerSHA256 = tokenizerSHA256
        self.maskMode = maskMode
        self.shardCount = shardCount
    }

    public init(_ directory: TokenDirectory) {
        self.init(tokensManifestSHA256: directory.manifestSHA256, tokenizerSHA256: directory.tokenizerSHA256,
                  maskMode: directory.maskMode, shardCount: directory.shards.count)
    }
}

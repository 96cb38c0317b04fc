import EagleCore

/// A dump dataset: a `manifest.json` (written by `dump`, or by `merge-manifests` joining `dump --worker i/n`
/// outputs) and the shards it lists, as one sequence of samples (docs/shard-format.md, "Manifest").
///
/// **Shard paths.** Each entry of `shards` names its file by a path RELATIVE TO THE MANIFEST'S DIRECTORY:
/// `"dump-00000.epdump"` in a directory written by `dump`, `"../w0/dump-00000.epdump"` in a merged manifest.
/// Absolute paths are refused (a dataset must stay valid when its directory tree is moved). Readers resolve an
/// entry as `manifestDirectory + "/" + file`.
///
/// Global sample `k` is sample `k − firstSample` of the shard whose range holds it, shards in manifest order.
public struct DumpDataset: Sendable {
    public struct Shard: Sendable, Equatable {
        /// The entry as written in the manifest (relative to the manifest's directory).
        public var file: String
        /// `file` resolved against the manifest's directory.
        public var path: String
        public var samples: Int
        /// Global index of the shard's first sample.
        public var firstSample: Int
    }

    public static let format = "eagleprep-dump"

    public let manifestPath: String
    public let manifestDirectory: String
    public let manifest: JSONValue
    /// The dump settings (identity, layers, dtypes, signal…): equal in every shard of the dataset.
    public let settings: JSONObject
    public let layout: DumpLayout
    public let shards: [Shard]
    public let sampleCount: Int

    /// Opens a dump directory (reads `DIR/manifest.json`) or a manifest file. Requires a complete manifest of
    /// format `eagleprep-dump`; shards are not opened here (see `openShards()`).
    public init(path: String) throws {
        let manifestPath = FileIO.isDirectory(path) ? path + "/manifest.json" : path
        guard FileIO.exists(manifestPath) else {
            throw FileError(path: path, message: "no manifest.json: not a finished dump output (run `eagleprep dump` or `merge-manifests`)")
        }
        let m = try JSONParser.parse(bytes: FileIO.readAll(path: manifestPath, limit: 1 << 28))
        func bad(_ field: String, _ message: String) -> BinaryFormatError {
            BinaryFormatError(source: manifestPath, field: field, offset: 0, message: message)
        }
        guard m["format"]?.stringValue == Self.format else {
            throw bad("format", "is \(m["format"].map(JSONWriter.string) ?? "absent"), expected \"\(Self.format)\"")
        }
        guard m["version"]?.intValue == 1 else { throw bad("version", "is \(m["version"].map(JSONWriter.string) ?? "absent"), this build reads 1") }
        guard m["complete"] == .bool(true) else { throw bad("complete", "the dump is not complete (re-run the same command to finish it)") }
        guard let settings = m["settings"]?.objectValue else { throw bad("settings", "missing or not an object") }
        let layout = try DumpLayout(json: m["layout"], source: manifestPath)
        guard let entries = m["shards"]?.arrayValue else { throw bad("shards", "missing or not an array") }
        let directory = FileIO.parentDirectory(of: manifestPath)
        var shards: [Shard] = []
        var first = 0
        for (i, e) in entries.enumerated() {
            guard let file = e["file"]?.stringValue, !file.isEmpty else { throw bad("shards[\(i)].file", "missing or empty") }
            guard !file.hasPrefix("/") else {
                throw bad("shards[\(i)].file", "is the absolute path \"\(file)\"; shard paths are relative to the manifest's directory")
            }
            guard let n = e["samples"]?.intValue, n >= 0 else { throw bad("shards[\(i)].samples", "missing or negative") }
            shards.append(Shard(file: file, path: directory + "/" + file, samples: n, firstSample: first))
            first = try CheckedArithmetic.add(first, n, field: "shards[\(i)].samples", source: manifestPath)
        }
        self.manifestPath = manifestPath
        self.manifestDirectory = directory
        self.manifest = m
        self.settings = settings
        self.layout = layout
        self.shards = shards
        sampleCount = first
    }

    /// Total tokens recorded in the manifest's counts (not re-counted from the shards).
    public var tokenCount: Int { manifest["counts"]?["tokens"]?.intValue ?? 0 }

    /// The shard index and the index inside it of global sample `k`, or nil when `k` is outside `0..<sampleCount`.
    public func locate(_ k: Int) -> (shard: Int, index: Int)? {
        guard k >= 0, k < sampleCount else { return nil }
        var lo = 0, hi = shards.count - 1
        while lo < hi {  // last shard with firstSample ≤ k and samples > 0
            let mid = (lo + hi + 1) / 2
            if shards[mid].firstSample <= k { lo = mid } else { hi = mid - 1 }
        }
        while shards[lo].samples == 0 || k >= shards[lo].firstSample + shards[lo].samples { lo -= 1 }
        return (lo, k - shards[lo].firstSample)
    }

    /// Opens one shard and checks that its sample count and layout match the manifest.
    public func openShard(_ i: Int) throws -> DumpShardReader {
        let s = shards[i]
        let r = try DumpShardReader(path: s.path)
        guard r.count == s.samples else {
            throw BinaryFormatError(source: s.path, field: "count", offset: 0,
                                    message: "holds \(r.count) samples, \(manifestPath) says \(s.samples)")
        }
        guard r.layout == layout else {
            throw BinaryFormatError(source: s.path, field: "metadata.layout", offset: 0,
                                    message: "\(JSONWriter.string(r.layout.json)) differs from the manifest's \(JSONWriter.string(layout.json))")
        }
        return r
    }

    /// Opens every shard (memory mappings: cheap), each checked as in `openShard`.
    public func openShards() throws -> [DumpShardReader] {
        try shards.indices.map { try openShard($0) }
    }
}

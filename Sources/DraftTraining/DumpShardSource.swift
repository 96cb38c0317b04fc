import EagleCore
import Shards
import Synchronization

/// Training samples read from one or more dump data sets (`eagleprep dump` or `merge-manifests` output: a manifest
/// and its shards, `DumpDataset`), in the order given. Aux hidden states stored as bf16/f16/f32 and the target
/// signal are converted to fp32 exactly (every bf16/f16 value is an fp32 value); draft-logit rows the dump did not
/// store (no loss term reads them) are zero.
///
/// Opening reads every shard's footer, metadata and seek table (no record is decompressed) and checks them against
/// the manifest (sample counts, byte sizes, layout) and against each other (the identity keys `target.*`,
/// `vocab.*`, `layers.*`); per-sample token counts come from the seek tables, so batching by a token budget decodes
/// nothing. `sample(_:)` decodes one record (checksum verified) through a least-recently-used cache of open shard
/// readers, so memory stays bounded whatever the number of shards.
public struct DumpShardSource: TrainingSampleSource {
    public let datasets: [DumpDataset]
    public let layout: DumpLayout
    public let count: Int
    /// "dump:" + the manifest's SHA-256 (one data set), or of the concatenated manifest hashes (several).
    public let identity: String
    /// SHA-256 of each manifest file.
    public let manifestSHA256: [String]
    /// The first data set's manifest settings (identity: `target.*`, `vocab.sha256`, `layers.*`, dtypes, signal).
    public let metadata: JSONObject
    /// Sample `i`'s shard (index into `shardPaths`) and index inside it.
    private let location: [(shard: Int32, index: Int32)]
    private let lengths: [Int32]
    private let shardPaths: [String]
    private let shardCounts: [Int]
    private let readers: ShardReaderCache

    /// Metadata key prefixes that identify what produced the data; they must agree across shards and data sets.
    public static let identityPrefixes = ["target.", "vocab.", "layers."]

    /// Keys under `identityPrefixes`, except file locations (`….path`), which may differ between machines.
    public static func isIdentityKey(_ key: String) -> Bool {
        identityPrefixes.contains { key.hasPrefix($0) } && !key.hasSuffix(".path")
    }

    /// Data sets must share the layout and the identity keys (same target, vocabulary and aux layers).
    /// `openReaders`: shard readers (memory maps) kept open at most.
    public init(_ datasets: [DumpDataset], openReaders: Int = 8) throws {
        guard let first = datasets.first else { throw DraftTrainingError.options("no dump data set given") }
        var identityValues = JSONObject()
        var identitySource = ""
        func checkIdentity(_ meta: JSONObject, _ source: String) throws {
            for (key, value) in meta where Self.isIdentityKey(key) {
                if let known = identityValues[key] {
                    guard known == value else {
                        throw DraftTrainingError.input(name: source, message: "\(key) is \(JSONWriter.string(value)); \(identitySource) has \(JSONWriter.string(known)) (data of different targets or vocabularies)")
                    }
                } else {
                    identityValues[key] = value
                    if identitySource.isEmpty { identitySource = source }
                }
            }
        }
        var location: [(shard: Int32, index: Int32)] = []
        var lengths: [Int32] = []
        var paths: [String] = [], counts: [Int] = []
        var hashes: [String] = []
        for d in datasets {
            guard d.layout == first.layout else {
                throw DraftTrainingError.input(name: d.manifestPath, message: "layout \(JSONWriter.string(d.layout.json)) differs from \(first.manifestPath)'s \(JSONWriter.string(first.layout.json))")
            }
            try checkIdentity(d.settings, d.manifestPath)
            hashes.append(try MappedFile(path: d.manifestPath).withBytes { SHA256.hexDigest($0) })
            let entries = d.manifest["shards"]?.arrayValue ?? []
            for (k, shard) in d.shards.enumerated() {
                guard FileIO.exists(shard.path) else {
                    throw FileError(path: shard.path, message: "does not exist (listed in \(d.manifestPath))")
                }
                let r = try d.openShard(k)  // sample count and layout checked against the manifest
                if let bytes = entries[k]["bytes"]?.intValue, bytes != r.fileSize {
                    throw BinaryFormatError(source: shard.path, field: "size", offset: 0, message: "is \(r.fileSize) bytes, \(d.manifestPath) says \(bytes)")
                }
                if let meta = r.metadata.objectValue { try checkIdentity(meta, shard.path) }
                let s = Int32(paths.count)
                paths.append(shard.path)
                counts.append(r.count)
                for i in 0..<r.count {
                    location.append((s, Int32(i)))
                    lengths.append(Int32(r.length(of: i)))
                }
            }
        }
        self.datasets = datasets
        layout = first.layout
        metadata = first.settings
        manifestSHA256 = hashes
        self.location = location
        self.lengths = lengths
        shardPaths = paths
        shardCounts = counts
        count = lengths.count
        readers = ShardReaderCache(capacity: max(1, openReaders))
        identity = hashes.count == 1 ? "dump:" + hashes[0] : "dump:" + SHA256.hexDigest(Array(hashes.joined(separator: ",").utf8))
    }

    /// Opens each path (a dump directory or manifest file) as a `DumpDataset`.
    public init(paths: [String], openReaders: Int = 8) throws {
        try self.init(try paths.map { try DumpDataset(path: $0) }, openReaders: openReaders)
    }

    public var tokenCount: Int { lengths.reduce(0) { $0 + Int($1) } }
    /// Paths of all shards, in sample order.
    public var shards: [String] { shardPaths }
    /// Shard readers currently open (at most `openReaders`).
    public var openReaderCount: Int { readers.count }

    public func length(of index: Int) throws -> Int { Int(lengths[index]) }

    public func sample(_ index: Int) throws -> TrainingSample {
        guard index >= 0, index < count else { throw DraftTrainingError.options("sample \(index) is outside 0..<\(count)") }
        let (k, i) = (Int(location[index].shard), Int(location[index].index))
        let reader = try readers.reader(k) {
            let r = try DumpShardReader(path: shardPaths[k])
            guard r.count == shardCounts[k], r.layout == layout else {
                throw BinaryFormatError(source: shardPaths[k], field: "file", offset: 0,
                                        message: "changed after it was opened (\(r.count) samples, layout \(JSONWriter.string(r.layout.json)))")
            }
            return r
        }
        let s = try reader.sample(i)
        guard s.ids.count == lengths[index] else {
            throw BinaryFormatError(source: shardPaths[k], field: "sample[\(i)]", offset: 0,
                                    message: "has \(s.ids.count) tokens, the seek table said \(lengths[index]) (file changed)")
        }
        return Self.trainingSample(s)
    }

    /// The fp32 training sample of a dumped one (values unchanged: the reader already widened them to fp32).
    public static func trainingSample(_ s: DumpSample) -> TrainingSample {
        let target: TrainingSample.TargetSignal = switch s.signal {
        case .logits(let draft, let argmax): .logits(draft: draft, argmax: argmax)
        case .hidden(let h): .hidden(h)
        }
        return TrainingSample(ids: s.ids, lossMask: s.lossMask, auxHidden: s.auxHidden, target: target)
    }

    /// Refuses a vocabulary whose `vocab.safetensors` hash differs from the one the shards record, or whose size
    /// differs from the shards' draft vocabulary (logits signal). Returns false when the shards record no hash
    /// (nothing to compare; the caller may warn).
    @discardableResult
    public func checkVocabulary(sha256: String, draftVocabSize: Int, path: String) throws(DraftTrainingError) -> Bool {
        if layout.signal == .logits, draftVocabSize != layout.draftVocabSize {
            throw .input(name: path, message: "has \(draftVocabSize) draft ids; the shards hold logits of \(layout.draftVocabSize) draft columns")
        }
        guard let recorded = metadata["vocab.sha256"]?.stringValue else { return false }
        guard recorded == sha256 else {
            throw .input(name: path, message: "is not the vocabulary the shards were dumped with: its vocab.safetensors has sha256 \(sha256), the shards record \(recorded)")
        }
        return true
    }

    /// What a target model must agree on with the shards; nil fields are not compared.
    public struct TargetIdentity: Sendable {
        public var architecture: String?
        public var hiddenSize: Int
        public var vocabSize: Int
        public var layerCount: Int?
        public var modelSHA256: String?

        public init(architecture: String?, hiddenSize: Int, vocabSize: Int, layerCount: Int?, modelSHA256: String?) {
            self.architecture = architecture
            self.hiddenSize = hiddenSize
            self.vocabSize = vocabSize
            self.layerCount = layerCount
            self.modelSHA256 = modelSHA256
        }
    }

    /// Refuses a target whose hidden size differs from the shards' layout, or whose recorded identity
    /// (`target.hidden_size`, `target.vocab_size`, `target.num_layers`, `target.architecture`,
    /// `target.model_sha256`) differs from what the shards record. The error names both values.
    public func checkTarget(_ t: TargetIdentity, path: String) throws(DraftTrainingError) {
        func fail(_ what: String, _ model: String, _ shards: String) -> DraftTrainingError {
            .input(name: path, message: "is not the target the shards were dumped with: \(what) is \(model) for this model, \(shards) in the shards")
        }
        guard t.hiddenSize == layout.hiddenSize else { throw fail("hidden size", "\(t.hiddenSize)", "\(layout.hiddenSize)") }
        func compare(_ key: String, _ value: JSONValue?) throws(DraftTrainingError) {
            guard let value, let recorded = metadata[key], recorded != value else { return }
            throw fail(key, JSONWriter.string(value), JSONWriter.string(recorded))
        }
        try compare("target.hidden_size", .int(t.hiddenSize))
        try compare("target.vocab_size", .int(t.vocabSize))
        try compare("target.num_layers", t.layerCount.map { .int($0) })
        try compare("target.architecture", t.architecture.map { .string($0) })
        try compare("target.model_sha256", t.modelSHA256.map { .string($0) })
    }

    /// Refuses a drafter configuration that does not fit the shards (H, aux layers, Vd for logits).
    public func checkConfiguration(_ c: DrafterConfiguration) throws(DraftTrainingError) {
        guard c.hiddenSize == layout.hiddenSize else {
            throw .configuration(key: "hidden_size", message: "\(c.hiddenSize); the shards hold hidden size \(layout.hiddenSize)")
        }
        guard c.auxLayers == layout.auxLayers else {
            throw .configuration(key: "aux_layers", message: "\(c.auxLayers); the shards hold \(layout.auxLayers) aux layers per token")
        }
        if layout.signal == .logits, c.draftVocabSize != layout.draftVocabSize {
            throw .configuration(key: "draft_vocab_size", message: "\(c.draftVocabSize); the shards hold \(layout.draftVocabSize) draft columns")
        }
    }
}

/// Least-recently-used open shard readers (most recent last), shared by copies of a `DumpShardSource`.
final class ShardReaderCache: Sendable {
    private let state: Mutex<[(shard: Int, reader: DumpShardReader)]>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        state = Mutex([])
    }

    var count: Int { state.withLock { $0.count } }

    /// Shard `k`'s reader, from the cache or from `open` (outside the lock).
    func reader(_ k: Int, open: () throws -> DumpShardReader) throws -> DumpShardReader {
        let cached: DumpShardReader? = state.withLock { entries in
            guard let i = entries.firstIndex(where: { $0.shard == k }) else { return nil }
            let e = entries.remove(at: i)
            entries.append(e)
            return e.reader
        }
        if let cached { return cached }
        let r = try open()
        state.withLock { entries in
            entries.removeAll { $0.shard == k }
            if entries.count >= capacity { entries.removeFirst() }
            entries.append((k, r))
        }
        return r
    }
}

import EagleCore
import Shards

/// Random access to the samples of a token shard of either version (docs/token-shards.md), every structure and
/// checksum validated: version 2 (columns, `ColumnarShardReader`) or version 1 (one zstd frame per sample in the
/// shared `RecordContainerReader`, each record's raw size `24 + 5·L`). Errors name the file, the field and the values.
public struct TokenShardReader: Sendable {
    private enum Backend: Sendable {
        case v1(RecordContainerReader)
        case v2(ColumnarShardReader)
    }

    private let backend: Backend
    public let path: String
    /// The file's format version (1 or 2).
    public let version: UInt32

    public init(path: String) throws {
        self.path = path
        let file = try MappedFile(path: path)
        let v: UInt32 = try file.withBytes { bytes throws(BinaryFormatError) in
            var r = BinaryReader(bytes: bytes, source: path)
            guard bytes.count >= TokenShardFormat.headerSize else {
                throw r.error("header", "file of \(bytes.count) bytes is too short for a token shard (file truncated)")
            }
            guard Array(try r.slice(8, "header.magic")) == TokenShardFormat.magic else {
                throw r.error("header.magic", "not an eagleprep token shard", at: 0)
            }
            return try r.u32("header.version")
        }
        version = v
        switch v {
        case 1:
            backend = .v1(try RecordContainerReader(path: path, magic: TokenShardFormat.magic, version: 1,
                                                    kind: "token shard") { (e, i) throws(BinaryFormatError) in
                guard e.length <= TokenShardFormat.maxSequenceLength, e.rawSize == TokenShardFormat.recordPrefixSize + 5 * e.length else {
                    throw BinaryFormatError(source: path, field: "index[\(i)].raw_size", offset: 0,
                                            message: "is \(e.rawSize) for length \(e.length), expected \(TokenShardFormat.recordPrefixSize + 5 * e.length)")
                }
            })
        case 2:
            backend = .v2(try ColumnarShardReader(path: path, file: file))
        default:
            throw BinaryFormatError(source: path, field: "header.version", offset: 8, message: "unsupported version \(v) (this build reads 1 and 2)")
        }
    }

    public var metadata: JSONValue {
        switch backend {
        case .v1(let c): c.metadata
        case .v2(let c): c.metadata
        }
    }

    public var count: Int {
        switch backend {
        case .v1(let c): c.count
        case .v2(let c): c.count
        }
    }

    /// Token count of sample `k` without reading it.
    public func length(of k: Int) -> Int {
        switch backend {
        case .v1(let c): c.entries[k].length
        case .v2(let c): c.entries[k].length
        }
    }

    public func sample(_ k: Int) throws -> TokenSample {
        switch backend {
        case .v1(let c): try Self.decodeV1(c, k, path: path)
        case .v2(let c): try c.sample(k)
        }
    }

    /// Calls `body(k, columns)` for the samples `range` in order, verified as `withColumns`. Version 2 reads each
    /// column of the whole range with one positional read into `buffer` (reused by the caller across calls): for
    /// reading shards through once, as `vocab` does, this costs less than mapping every page. The buffers are valid
    /// only inside `body`.
    public func forEachSample(in range: Range<Int>, _ part: TokenColumns.Part, buffer: inout [UInt8],
                              _ body: (Int, TokenColumns) throws -> Void) throws {
        switch backend {
        case .v2(let c): try c.forEachSample(in: range, part, buffer: &buffer, body)
        case .v1: for k in range { try withColumns(k, part) { try body(k, $0) } }
        }
    }

    /// Calls `body` with sample `k`'s columns, verified: without copying for version 2 (the bytes of the mapped
    /// file; `.supervised` does not read the context column), decoded for version 1. The buffers are valid only
    /// inside `body`.
    public func withColumns<R>(_ k: Int, _ part: TokenColumns.Part = .all, _ body: (TokenColumns) throws -> R) throws -> R {
        switch backend {
        case .v2(let c):
            return try c.withColumns(k, part, body)
        case .v1(let c):
            let s = try Self.decodeV1(c, k, path: path)
            let (supervised, all) = TokenColumns.split(ids: s.ids, mask: s.lossMask)
            let context = part == .all ? all : []
            let spans = TokenColumns.spans(of: s.lossMask)
            return try supervised.withUnsafeBufferPointer { sup in
                try context.withUnsafeBufferPointer { ctx in
                    try spans.withUnsafeBufferPointer {
                        try body(TokenColumns(length: s.ids.count, supervised: sup, context: ctx, spans: $0, part: part))
                    }
                }
            }
        }
    }

    private static func decodeV1(_ container: RecordContainerReader, _ k: Int, path: String) throws -> TokenSample {
        let raw = try container.record(k)
        let length = container.entries[k].length
        return try raw.withUnsafeBytes { b in
            var r = BinaryReader(bytes: b, source: "\(path) sample[\(k)]")
            let n = Int(try r.u32("length"))
            guard n == length else { throw r.error("length", "is \(n), index says \(length)") }
            let file = try r.u32("source_file")
            let line = try r.u64("source_line")
            let record = try r.u64("record_index")
            let ids = try r.i32Array(n, "ids")
            let mask = Array(try r.slice(n, "loss_mask"))
            if let bad = mask.firstIndex(where: { $0 > 1 }) { throw r.error("loss_mask[\(bad)]", "is \(mask[bad]), expected 0 or 1") }
            return TokenSample(ids: ids, lossMask: mask, sourceFile: file, sourceLine: line, recordIndex: record)
        }
    }
}

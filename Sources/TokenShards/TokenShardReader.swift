import EagleCore
import Shards

/// Random access to the samples of a token shard, every structure and checksum validated (`RecordContainerReader`);
/// each record's raw size must be `24 + 5·L`. Errors name the file, the field and the values.
public struct TokenShardReader: Sendable {
    private let container: RecordContainerReader
    public var path: String { container.path }
    public var metadata: JSONValue { container.metadata }
    public var count: Int { container.count }

    public init(path: String) throws {
        container = try RecordContainerReader(path: path, magic: TokenShardFormat.magic, version: TokenShardFormat.version,
                                              kind: "token shard") { (e, i) throws(BinaryFormatError) in
            guard e.length <= TokenShardFormat.maxSequenceLength, e.rawSize == TokenShardFormat.recordPrefixSize + 5 * e.length else {
                throw BinaryFormatError(source: path, field: "index[\(i)].raw_size", offset: 0,
                                        message: "is \(e.rawSize) for length \(e.length), expected \(TokenShardFormat.recordPrefixSize + 5 * e.length)")
            }
        }
    }

    /// Token count of sample `k` without decompressing it.
    public func length(of k: Int) -> Int { container.entries[k].length }

    public func sample(_ k: Int) throws -> TokenSample {
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

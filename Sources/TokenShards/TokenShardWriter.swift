import EagleCore
import Shards

/// Writes one token shard (docs/token-shards.md): one record per sample in the shared record container.
/// Crash-safe as `RecordContainerWriter`: nothing appears at `path` before `finish(metadata:)`.
public final class TokenShardWriter {
    private let container: RecordContainerWriter
    public var path: String { container.path }
    public var sampleCount: Int { container.recordCount }

    public init(path: String, compressionLevel: Int32 = 3) throws {
        container = try RecordContainerWriter(path: path, magic: TokenShardFormat.magic, version: TokenShardFormat.version,
                                              compressionLevel: compressionLevel)
    }

    public func append(_ s: TokenSample) throws {
        var r = BinaryWriter()
        r.u32(UInt32(s.ids.count))
        r.u32(s.sourceFile)
        r.u64(s.sourceLine)
        r.u64(s.recordIndex)
        for id in s.ids { r.i32(id) }
        r.raw(s.lossMask)
        try container.append(raw: r.bytes, length: s.ids.count)
    }

    /// Writes metadata, index and footer, makes the file durable and moves it into place.
    public func finish(metadata: JSONValue) throws { try container.finish(metadata: metadata) }
}

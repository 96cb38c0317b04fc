import EagleCore
import Shards

/// Writes one token shard (docs/token-shards.md): version 2 (columns; the default) or version 1 (one zstd frame
/// per sample, kept for compatibility tests). Crash-safe: nothing appears at `path` before `finish(metadata:)`,
/// and a writer dropped unfinished removes its partial file.
public final class TokenShardWriter {
    private enum Backend {
        case v1(RecordContainerWriter)
        case v2(ColumnarShardWriter)
    }

    private let backend: Backend
    public let path: String
    public let version: UInt32

    /// `compressionLevel` applies to version 1 only (version 2 stores ids uncompressed: see docs/token-shards.md).
    public init(path: String, version: UInt32 = TokenShardFormat.version, compressionLevel: Int32 = 3) throws {
        self.path = path
        self.version = version
        switch version {
        case 1: backend = .v1(try RecordContainerWriter(path: path, magic: TokenShardFormat.magic, version: 1, compressionLevel: compressionLevel))
        case 2: backend = .v2(try ColumnarShardWriter(path: path))
        default: throw FileError(path: path, message: "token shard version \(version) cannot be written (this build writes 1 and 2)")
        }
    }

    public var sampleCount: Int {
        switch backend {
        case .v1(let c): c.recordCount
        case .v2(let c): c.count
        }
    }

    public func append(_ s: TokenSample) throws {
        switch backend {
        case .v2(let c): try c.append(s)
        case .v1(let c):
            var r = BinaryWriter()
            r.u32(UInt32(s.ids.count))
            r.u32(s.sourceFile)
            r.u64(s.sourceLine)
            r.u64(s.recordIndex)
            for id in s.ids { r.i32(id) }
            r.raw(s.lossMask)
            try c.append(raw: r.bytes, length: s.ids.count)
        }
    }

    /// Writes the trailing sections, makes the file durable and moves it into place.
    public func finish(metadata: JSONValue) throws {
        switch backend {
        case .v1(let c): try c.finish(metadata: metadata)
        case .v2(let c): try c.finish(metadata: metadata)
        }
    }
}

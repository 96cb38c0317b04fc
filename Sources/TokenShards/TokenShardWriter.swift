import EagleCore
import ZstdCompression
#if canImport(Glibc)
import Glibc
#endif

/// Writes one token shard (docs/token-shards.md): header, one zstd frame per sample, metadata, index, footer.
/// Data goes to `PATH.partial`; `finish(metadata:)` appends metadata, index and footer, fsyncs and renames to
/// `PATH`, so a crash never leaves a file at `PATH` that is not complete. Metadata is written last, so it can
/// describe what the shard turned out to hold.
public final class TokenShardWriter {
    public let path: String
    private let partialPath: String
    private let fd: Int32
    private var offset: Int
    private var index = BinaryWriter()
    private var count = 0
    private let level: Int32
    private var finished = false

    public init(path: String, compressionLevel: Int32 = 3) throws {
        self.path = path
        partialPath = path + ".partial"
        level = compressionLevel
        fd = open(partialPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(path: partialPath, operation: "open", errno: errno) }
        var h = BinaryWriter()
        h.raw(TokenShardFormat.magic)
        h.u32(TokenShardFormat.version)
        h.u32(0)
        try FileIO.writeFully(fd: fd, bytes: h.bytes, path: partialPath)
        offset = h.bytes.count
    }

    deinit {
        if !finished {
            close(fd)
            unlink(partialPath)
        }
    }

    public var sampleCount: Int { count }

    public func append(_ s: TokenSample) throws {
        var r = BinaryWriter()
        r.u32(UInt32(s.ids.count))
        r.u32(s.sourceFile)
        r.u64(s.sourceLine)
        r.u64(s.recordIndex)
        for id in s.ids { r.i32(id) }
        r.raw(s.lossMask)
        let frame = try Zstd.compress(r.bytes, level: level)
        try FileIO.writeFully(fd: fd, bytes: frame, path: partialPath)
        index.u64(UInt64(offset))
        index.u32(UInt32(frame.count))
        index.u32(UInt32(r.bytes.count))
        index.u32(UInt32(s.ids.count))
        index.u32(CRC32.checksum(frame))
        offset += frame.count
        count += 1
    }

    /// Writes metadata, index and footer, makes the file durable and moves it into place.
    public func finish(metadata: JSONValue) throws {
        let meta = Array(JSONWriter.string(metadata).utf8)
        var tail = BinaryWriter()
        tail.raw(meta)
        tail.raw(index.bytes)
        tail.u64(UInt64(offset))
        tail.u64(UInt64(meta.count))
        tail.u64(UInt64(offset + meta.count))
        tail.u64(UInt64(count))
        tail.raw(TokenShardFormat.magic)
        try FileIO.writeFully(fd: fd, bytes: tail.bytes, path: partialPath)
        guard fsync(fd) == 0 else { throw FileError(path: partialPath, operation: "fsync", errno: errno) }
        close(fd)
        finished = true
        guard rename(partialPath, path) == 0 else { throw FileError(path: path, operation: "rename", errno: errno) }
        FileIO.syncDirectory(of: path)
    }
}

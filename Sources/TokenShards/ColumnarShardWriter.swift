import EagleCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a version-2 token shard (docs/token-shards.md): the samples' ids go to `PATH.partial` as they come; the
/// supervised spans and the per-sample table are kept in memory (8 bytes per span, 40 per sample) and written by
/// `finish(metadata:)` with the metadata and footer, then the file is fsynced and renamed. Dropped unfinished, the
/// partial file is removed: nothing half-written appears at `PATH`.
final class ColumnarShardWriter {
    let path: String
    private let partialPath: String
    private let fd: Int32
    private var pendingIds: [UInt8] = []
    private var spans = BinaryWriter()
    private var table = BinaryWriter()
    private(set) var count = 0
    private var tokens = 0
    private var spanCount = 0
    private var finished = false
    private static let flushBytes = 1 << 20

    init(path: String) throws {
        self.path = path
        partialPath = path + ".partial"
        fd = open(partialPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(path: partialPath, operation: "open", errno: errno) }
        var h = BinaryWriter()
        h.raw(TokenShardFormat.magic)
        h.u32(2)
        h.u32(0)
        pendingIds = h.bytes
        pendingIds.reserveCapacity(Self.flushBytes + (1 << 16))
    }

    deinit {
        if !finished {
            close(fd)
            unlink(partialPath)
        }
    }

    func append(_ s: TokenSample) throws {
        guard s.ids.count <= TokenShardFormat.maxSequenceLength else {
            throw FileError(path: path, message: "sample of \(s.ids.count) tokens exceeds the token shard limit of \(TokenShardFormat.maxSequenceLength)")
        }
        // The supervised positions as maximal runs [start, end) of loss_mask = 1.
        var own = BinaryWriter()
        var n = 0
        let mask = s.lossMask
        var t = 0
        while t < mask.count {
            switch mask[t] {
            case 0: t += 1
            case 1:
                let start = t
                while t < mask.count, mask[t] == 1 { t += 1 }
                own.u32(UInt32(start))
                own.u32(UInt32(t))
                n += 1
            default:
                throw FileError(path: path, message: "loss_mask[\(t)] of sample \(count) is \(mask[t]), expected 0 or 1")
            }
        }
        let checksum = s.ids.withUnsafeBytes { ids in
            XXHash64.hash(Self.littleEndian(ids), seed: XXHash64.hash(own.bytes))
        }
        table.u32(UInt32(s.ids.count))
        table.u32(UInt32(n))
        table.u32(s.sourceFile)
        table.u32(0)
        table.u64(s.sourceLine)
        table.u64(s.recordIndex)
        table.u64(checksum)
        spans.raw(own.bytes)
        s.ids.withUnsafeBytes { pendingIds.append(contentsOf: Self.littleEndian($0)) }
        if pendingIds.count >= Self.flushBytes { try flush() }
        count += 1
        tokens += s.ids.count
        spanCount += n
    }

    /// Writes spans, table, metadata and footer, makes the file durable and moves it into place.
    func finish(metadata: JSONValue) throws {
        try flush()
        let meta = Array(JSONWriter.string(metadata).utf8)
        guard meta.count <= TokenShardFormat.maxMetadataBytes else {
            throw FileError(path: path, message: "metadata of \(meta.count) bytes exceeds the limit of \(TokenShardFormat.maxMetadataBytes)")
        }
        var tail = BinaryWriter()
        tail.raw(spans.bytes)
        tail.raw(table.bytes)
        tail.raw(meta)
        tail.u64(UInt64(tokens))
        tail.u64(UInt64(spanCount))
        tail.u64(UInt64(count))
        tail.u64(UInt64(meta.count))
        tail.u64(XXHash64.hash(table.bytes))
        tail.u64(XXHash64.hash(meta))
        tail.raw(TokenShardFormat.magic)
        try FileIO.writeFully(fd: fd, bytes: tail.bytes, path: partialPath)
        guard fsync(fd) == 0 else { throw FileError(path: partialPath, operation: "fsync", errno: errno) }
        close(fd)
        finished = true
        guard rename(partialPath, path) == 0 else {
            let e = FileError(path: path, operation: "rename", errno: errno)
            unlink(partialPath)
            throw e
        }
        FileIO.syncDirectory(of: path)
    }

    private func flush() throws {
        guard !pendingIds.isEmpty else { return }
        try FileIO.writeFully(fd: fd, bytes: pendingIds, path: partialPath)
        pendingIds.removeAll(keepingCapacity: true)
    }

    /// The bytes of an `Int32` buffer in little-endian order (the host order on every platform this builds for).
    private static func littleEndian(_ b: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        #if _endian(big)
        #error("token shard version 2 stores ids little-endian; big-endian hosts are not supported")
        #endif
        return b
    }
}

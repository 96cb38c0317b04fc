import EagleCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a version-2 token shard (docs/token-shards.md). The ids at supervised positions are written to
/// `PATH.partial` as samples come; the ids at the other positions (the context column), the spans and the table
/// are kept in memory (about 4 bytes per unsupervised token) and written by `finish(metadata:)` with the metadata and
/// footer; then the file is fsynced and renamed. Dropped unfinished, the partial file is removed: nothing
/// half-written appears at `PATH`.
final class ColumnarShardWriter {
    let path: String
    private let partialPath: String
    private let fd: Int32
    private var pendingSupervised: [UInt8] = []
    private var context: [UInt8] = []
    private var spans = BinaryWriter()
    private var table = BinaryWriter()
    private(set) var count = 0
    private var tokens = 0
    private var supervisedTokens = 0
    private var spanCount = 0
    private var finished = false
    private static let flushBytes = 1 << 20

    init(path: String) throws {
        #if _endian(big)
        #error("token shard version 2 stores ids little-endian; big-endian hosts are not supported")
        #endif
        self.path = path
        partialPath = path + ".partial"
        fd = open(partialPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(path: partialPath, operation: "open", errno: errno) }
        var h = BinaryWriter()
        h.raw(TokenShardFormat.magic)
        h.u32(2)
        h.u32(0)
        pendingSupervised = h.bytes
        pendingSupervised.reserveCapacity(Self.flushBytes + (1 << 16))
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
        if let bad = s.lossMask.firstIndex(where: { $0 > 1 }) {
            throw FileError(path: path, message: "loss_mask[\(bad)] of sample \(count) is \(s.lossMask[bad]), expected 0 or 1")
        }
        let spanList = TokenColumns.spans(of: s.lossMask)
        var own = BinaryWriter()
        for v in spanList { own.u32(v) }
        let columns = TokenColumns.split(ids: s.ids, mask: s.lossMask)
        var supervised = BinaryWriter(), other = BinaryWriter()
        for id in columns.supervised { supervised.i32(id) }
        for id in columns.context { other.i32(id) }
        table.u32(UInt32(s.ids.count))
        table.u32(UInt32(supervised.bytes.count / 4))
        table.u32(UInt32(spanList.count / 2))
        table.u32(s.sourceFile)
        table.u64(s.sourceLine)
        table.u64(s.recordIndex)
        table.u64(XXHash64.hash(supervised.bytes, seed: XXHash64.hash(own.bytes)))
        table.u64(XXHash64.hash(other.bytes))
        spans.raw(own.bytes)
        context.append(contentsOf: other.bytes)
        pendingSupervised.append(contentsOf: supervised.bytes)
        if pendingSupervised.count >= Self.flushBytes { try flush() }
        count += 1
        tokens += s.ids.count
        supervisedTokens += supervised.bytes.count / 4
        spanCount += spanList.count / 2
    }

    /// Writes the context column, spans, table, metadata and footer, makes the file durable and moves it into place.
    func finish(metadata: JSONValue) throws {
        try flush()
        let meta = Array(JSONWriter.string(metadata).utf8)
        guard meta.count <= TokenShardFormat.maxMetadataBytes else {
            throw FileError(path: path, message: "metadata of \(meta.count) bytes exceeds the limit of \(TokenShardFormat.maxMetadataBytes)")
        }
        try FileIO.writeFully(fd: fd, bytes: context, path: partialPath)
        var tail = BinaryWriter()
        tail.raw(spans.bytes)
        tail.raw(table.bytes)
        tail.raw(meta)
        tail.u64(UInt64(tokens))
        tail.u64(UInt64(supervisedTokens))
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
        try FileIO.moveIntoPlace(partialPath, path)
    }

    private func flush() throws {
        guard !pendingSupervised.isEmpty else { return }
        try FileIO.writeFully(fd: fd, bytes: pendingSupervised, path: partialPath)
        pendingSupervised.removeAll(keepingCapacity: true)
    }
}

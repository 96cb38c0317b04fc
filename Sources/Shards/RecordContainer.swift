import EagleCore
import ZstdCompression
#if canImport(Glibc)
import Glibc
#endif

/// The container of dump shards and of version-1 token shards (docs/shard-format.md, docs/token-shards.md):
///
///     header   magic[8] version:u32 flags:u32
///     records  one zstd frame per record, back to back from byte 16
///     metadata UTF-8 JSON object
///     index    count × {offset:u64 compressed_size:u32 raw_size:u32 length:u32 crc32:u32}
///     footer   metadata_offset:u64 metadata_length:u64 index_offset:u64 count:u64 magic[8]
///
/// All integers little-endian. `length` is a per-record count the format defines (tokens per sample).
public enum RecordContainer {
    public static let headerSize = 16
    public static let indexEntrySize = 24
    public static let footerSize = 40
    public static let maxMetadataBytes = 16 << 20
}

/// Writes a container to `PATH.partial`; `finish(metadata:)` appends metadata, index and footer, fsyncs and
/// renames to `PATH`. Dropped unfinished, it removes the partial file: nothing half-written is left at `PATH`.
public final class RecordContainerWriter {
    public let path: String
    private let partialPath: String
    private let magic: [UInt8]
    private let fd: Int32
    private var offset: Int
    private var index = BinaryWriter()
    private var count = 0
    private let level: Int32
    private var finished = false

    public init(path: String, magic: [UInt8], version: UInt32, compressionLevel: Int32 = 3) throws {
        precondition(magic.count == 8, "container magic is 8 bytes")
        self.path = path
        self.magic = magic
        partialPath = path + ".partial"
        level = compressionLevel
        fd = open(partialPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(path: partialPath, operation: "open", errno: errno) }
        var h = BinaryWriter()
        h.raw(magic)
        h.u32(version)
        h.u32(0)
        do { try FileIO.writeFully(fd: fd, bytes: h.bytes, path: partialPath) } catch {
            close(fd)
            unlink(partialPath)
            throw error
        }
        offset = h.bytes.count
    }

    deinit {
        if !finished {
            close(fd)
            unlink(partialPath)
        }
    }

    public var recordCount: Int { count }
    /// Bytes written so far (header and frames).
    public var bytesWritten: Int { offset }

    /// Compresses `raw` into one frame and appends it. Returns the compressed size.
    @discardableResult
    public func append(raw: [UInt8], length: Int) throws -> Int {
        guard raw.count <= Int(UInt32.max), length <= Int(UInt32.max) else {
            throw FileError(path: path, message: "record of \(raw.count) bytes is too large for the container")
        }
        let frame = try Zstd.compress(raw, level: level)
        try FileIO.writeFully(fd: fd, bytes: frame, path: partialPath)
        index.u64(UInt64(offset))
        index.u32(UInt32(frame.count))
        index.u32(UInt32(raw.count))
        index.u32(UInt32(length))
        index.u32(CRC32.checksum(frame))
        offset += frame.count
        count += 1
        return frame.count
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
        tail.raw(magic)
        try FileIO.writeFully(fd: fd, bytes: tail.bytes, path: partialPath)
        guard fsync(fd) == 0 else { throw FileError(path: partialPath, operation: "fsync", errno: errno) }
        close(fd)
        finished = true
        try FileIO.moveIntoPlace(partialPath, path)
    }
}

/// Random access to a container's records. Opening validates the whole structure (both magics, the version,
/// every index entry: contiguous frames, metadata and index ending exactly at the footer); `record(k)` verifies
/// the checksum and decompressed size. Errors name the file, the field and the values.
public struct RecordContainerReader: Sendable {
    public struct Entry: Sendable, Equatable {
        public var offset: Int
        public var compressedSize: Int
        public var rawSize: Int
        public var length: Int
        public var checksum: UInt32
    }

    public let path: String
    public let metadata: JSONValue
    public let entries: [Entry]
    public let fileSize: Int
    private let file: MappedFile

    public var count: Int { entries.count }

    /// `validate(entry, k)` lets the format check each index entry (e.g. raw size against length) at open.
    public init(path: String, magic: [UInt8], version: UInt32, kind: String,
                validate: (Entry, Int) throws(BinaryFormatError) -> Void = { _, _ in }) throws {
        self.path = path
        file = try MappedFile(path: path)
        fileSize = file.count
        var r = BinaryReader(bytes: file.bytes, source: path)
        guard file.count >= RecordContainer.headerSize + RecordContainer.footerSize else {
            throw r.error("header", "file of \(file.count) bytes is too short for a \(kind) (file truncated)")
        }
        guard Array(try r.slice(8, "header.magic")) == magic else { throw r.error("header.magic", "not an eagleprep \(kind)", at: 0) }
        let v = try r.u32("header.version")
        guard v == version else { throw r.error("header.version", "unsupported version \(v) (this build reads \(version))", at: 8) }
        _ = try r.u32("header.flags")
        let dataStart = r.offset
        let footerAt = file.count - RecordContainer.footerSize
        guard Array(file.bytes[(file.count - 8)...]) == magic else {
            throw r.error("footer.magic", "missing: the file is truncated or was not finished", at: file.count - 8)
        }
        var f = BinaryReader(bytes: file.bytes, source: path, offset: footerAt)
        let metaOffset = try f.count("footer.metadata_offset", limit: footerAt)
        let metaLength = try f.count("footer.metadata_length", limit: RecordContainer.maxMetadataBytes)
        let indexOffset = try f.count("footer.index_offset", limit: footerAt)
        let n = try f.count("footer.record_count", limit: footerAt / RecordContainer.indexEntrySize)
        let indexEnd = try CheckedArithmetic.add(
            indexOffset, try CheckedArithmetic.multiply([n, RecordContainer.indexEntrySize], field: "index size", source: path),
            field: "index end", source: path)
        guard metaOffset >= dataStart, try CheckedArithmetic.add(metaOffset, metaLength, field: "metadata end", source: path) == indexOffset,
              indexEnd == footerAt else {
            throw f.error("footer", "metadata at \(metaOffset)+\(metaLength) and index of \(n) entries at \(indexOffset) do not end at the footer (\(footerAt))", at: footerAt)
        }
        var mr = BinaryReader(bytes: file.bytes, source: path, offset: metaOffset)
        let metaBytes = try mr.slice(metaLength, "metadata")
        do { metadata = try JSONParser.parse(utf8: metaBytes.bindMemory(to: UInt8.self)) } catch {
            throw mr.error("metadata", "invalid JSON: \(error)", at: metaOffset)
        }
        var ir = BinaryReader(bytes: file.bytes, source: path, offset: indexOffset)
        var list: [Entry] = []
        list.reserveCapacity(n)
        var next = dataStart
        for i in 0..<n {
            let field = "index[\(i)]"
            let e = Entry(offset: try ir.count("\(field).offset", limit: file.count),
                          compressedSize: Int(try ir.u32("\(field).compressed_size")),
                          rawSize: Int(try ir.u32("\(field).raw_size")),
                          length: Int(try ir.u32("\(field).length")),
                          checksum: try ir.u32("\(field).crc32"))
            guard e.offset == next else { throw ir.error("\(field).offset", "is \(e.offset), expected \(next) (records must be contiguous)") }
            try validate(e, i)
            next = try CheckedArithmetic.add(next, e.compressedSize, field: "\(field).compressed_size", source: path)
            list.append(e)
        }
        guard next == metaOffset else { throw ir.error("index", "records end at \(next) but the metadata starts at \(metaOffset)") }
        entries = list
    }

    /// The raw (decompressed) bytes of record `k`, checksum and size verified.
    public func record(_ k: Int) throws -> [UInt8] {
        guard k >= 0, k < count else {
            throw BinaryFormatError(source: path, field: "record", offset: 0, message: "index \(k) out of range 0..<\(count)")
        }
        let e = entries[k]
        let frame = UnsafeRawBufferPointer(rebasing: file.bytes[e.offset..<(e.offset + e.compressedSize)])
        let crc = CRC32.checksum(frame)
        guard crc == e.checksum else {
            throw BinaryFormatError(source: path, field: "record[\(k)]", offset: e.offset,
                                    message: "checksum mismatch: stored \(e.checksum), computed \(crc) (corrupted file)")
        }
        let raw: [UInt8]
        do { raw = try Zstd.decompress(frame, maxSize: e.rawSize) } catch {
            throw BinaryFormatError(source: path, field: "record[\(k)]", offset: e.offset, message: "\(error)")
        }
        guard raw.count == e.rawSize else {
            throw BinaryFormatError(source: path, field: "record[\(k)]", offset: e.offset,
                                    message: "decompressed to \(raw.count) bytes, expected \(e.rawSize)")
        }
        return raw
    }
}

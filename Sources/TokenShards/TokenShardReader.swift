import EagleCore
import ZstdCompression

/// Random access to the samples of a token shard. Opening validates the whole structure (both magics, the
/// version, every index entry: contiguous offsets, sizes that add up to the file length); reading a sample
/// verifies its checksum and decompressed size. Errors name the file, the field and the values.
public struct TokenShardReader: Sendable {
    public let path: String
    public let metadata: JSONValue
    public let count: Int
    private let file: MappedFile
    private let entries: [Entry]

    struct Entry: Sendable {
        var offset: Int
        var compressedSize: Int
        var decompressedSize: Int
        var length: Int
        var checksum: UInt32
    }

    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        var r = BinaryReader(bytes: file.bytes, source: path)
        let magic = try r.slice(8, "header.magic")
        guard Array(magic) == TokenShardFormat.magic else { throw r.error("header.magic", "not an eagleprep token shard", at: 0) }
        let version = try r.u32("header.version")
        guard version == TokenShardFormat.version else {
            throw r.error("header.version", "unsupported version \(version) (this build reads \(TokenShardFormat.version))", at: 8)
        }
        _ = try r.u32("header.flags")
        let dataStart = r.offset
        guard file.count >= dataStart + TokenShardFormat.footerSize else { throw r.error("footer", "file truncated") }
        let footerAt = file.count - TokenShardFormat.footerSize
        var f = BinaryReader(bytes: file.bytes, source: path, offset: footerAt)
        guard Array(file.bytes[(file.count - 8)...]) == TokenShardFormat.magic else {
            throw f.error("footer.magic", "missing: the file is truncated or was not finished", at: file.count - 8)
        }
        let metaOffset = try f.count("footer.metadata_offset", limit: footerAt)
        let metaLength = try f.count("footer.metadata_length", limit: TokenShardFormat.maxMetadataBytes)
        let indexOffset = try f.count("footer.index_offset", limit: footerAt)
        let n = try f.count("footer.sample_count", limit: footerAt / TokenShardFormat.indexEntrySize)
        let indexEnd = try CheckedArithmetic.add(
            indexOffset, try CheckedArithmetic.multiply([n, TokenShardFormat.indexEntrySize], field: "index size", source: path),
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
                          decompressedSize: Int(try ir.u32("\(field).decompressed_size")),
                          length: Int(try ir.u32("\(field).length")),
                          checksum: try ir.u32("\(field).crc32"))
            guard e.offset == next else { throw ir.error("\(field).offset", "is \(e.offset), expected \(next) (records must be contiguous)") }
            guard e.length <= TokenShardFormat.maxSequenceLength,
                  e.decompressedSize == TokenShardFormat.recordPrefixSize + 5 * e.length else {
                throw ir.error("\(field).decompressed_size", "is \(e.decompressedSize) for length \(e.length), expected \(TokenShardFormat.recordPrefixSize + 5 * e.length)")
            }
            next = try CheckedArithmetic.add(next, e.compressedSize, field: "\(field).compressed_size", source: path)
            list.append(e)
        }
        guard next == metaOffset else { throw ir.error("index", "records end at \(next) but the metadata starts at \(metaOffset)") }
        entries = list
        count = n
    }

    /// Token count of sample `k` without decompressing it.
    public func length(of k: Int) -> Int { entries[k].length }

    public func sample(_ k: Int) throws -> TokenSample {
        guard k >= 0, k < count else {
            throw BinaryFormatError(source: path, field: "sample", offset: 0, message: "index \(k) out of range 0..<\(count)")
        }
        let e = entries[k]
        let frame = UnsafeRawBufferPointer(rebasing: file.bytes[e.offset..<(e.offset + e.compressedSize)])
        let crc = CRC32.checksum(frame)
        guard crc == e.checksum else {
            throw BinaryFormatError(source: path, field: "sample[\(k)]", offset: e.offset,
                                    message: "checksum mismatch: stored \(e.checksum), computed \(crc) (corrupted file)")
        }
        let raw = try Zstd.decompress(frame, maxSize: e.decompressedSize)
        guard raw.count == e.decompressedSize else {
            throw BinaryFormatError(source: path, field: "sample[\(k)]", offset: e.offset,
                                    message: "decompressed to \(raw.count) bytes, expected \(e.decompressedSize)")
        }
        return try raw.withUnsafeBytes { b in
            var r = BinaryReader(bytes: b, source: "\(path) sample[\(k)]")
            let length = Int(try r.u32("length"))
            guard length == e.length else { throw r.error("length", "is \(length), index says \(e.length)") }
            let file = try r.u32("source_file")
            let line = try r.u64("source_line")
            let record = try r.u64("record_index")
            var ids = [Int32](repeating: 0, count: length)
            for i in 0..<length { ids[i] = try r.i32("ids[\(i)]") }
            let mask = Array(try r.slice(length, "loss_mask"))
            if let bad = mask.firstIndex(where: { $0 > 1 }) { throw r.error("loss_mask[\(bad)]", "is \(mask[bad]), expected 0 or 1") }
            return TokenSample(ids: ids, lossMask: mask, sourceFile: file, sourceLine: line, recordIndex: record)
        }
    }
}

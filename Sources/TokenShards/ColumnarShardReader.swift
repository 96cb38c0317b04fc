import EagleCore

/// Random access to a version-2 token shard (docs/token-shards.md), straight from the memory-mapped file.
///
/// Opening validates the footer (magic, counts bounded by the file, sections that tile the file exactly), the
/// table's and the metadata's XXH64 checksums, the metadata JSON and every table entry (lengths and span counts that
/// add up to the footer's totals, reserved field zero). Reading sample `k` verifies its checksum (XXH64 of its ids
/// seeded with that of its spans) and that its spans are sorted, non-empty, non-adjacent and inside the sample.
/// Errors name the file, the field and the values.
struct ColumnarShardReader: Sendable {
    struct Entry: Sendable {
        var tokenStart: Int
        var spanStart: Int
        var length: Int
        var spanCount: Int
        var sourceFile: UInt32
        var sourceLine: UInt64
        var recordIndex: UInt64
        var checksum: UInt64
    }

    let path: String
    let metadata: JSONValue
    let entries: [Entry]
    private let file: MappedFile
    private let spansOffset: Int

    var count: Int { entries.count }

    init(path: String, file: MappedFile) throws(BinaryFormatError) {
        self.path = path
        self.file = file
        let size = file.count
        let F = TokenShardFormat.self
        var r = BinaryReader(bytes: file.bytes, source: path)
        guard size >= F.headerSize + F.footerSize else {
            throw r.error("footer", "file of \(size) bytes is too short for a version-2 token shard (file truncated)")
        }
        try r.seek(to: 12, "header.flags")
        let flags = try r.u32("header.flags")
        guard flags == 0 else { throw r.error("header.flags", "is \(flags), expected 0", at: 12) }
        guard Array(file.bytes[(size - 8)...]) == F.magic else {
            throw r.error("footer.magic", "missing: the file is truncated or was not finished", at: size - 8)
        }
        let footerAt = size - F.footerSize
        var f = BinaryReader(bytes: file.bytes, source: path, offset: footerAt)
        let tokens = try f.count("footer.token_count", limit: footerAt / 4)
        let spanCount = try f.count("footer.span_count", limit: footerAt / F.spanSize)
        let n = try f.count("footer.sample_count", limit: footerAt / F.tableEntrySize)
        let metaLength = try f.count("footer.metadata_length", limit: F.maxMetadataBytes)
        let tableSum = try f.u64("footer.table_checksum")
        let metaSum = try f.u64("footer.metadata_checksum")
        let spansAt = F.headerSize + 4 * tokens  // bounded: tokens ≤ size / 4
        let tableAt = spansAt + F.spanSize * spanCount
        let metaAt = tableAt + F.tableEntrySize * n
        guard metaAt + metaLength == footerAt else {
            throw f.error("footer", "\(tokens) tokens, \(spanCount) spans, \(n) samples and \(metaLength) metadata bytes need \(metaAt + metaLength + F.footerSize) bytes, the file has \(size)", at: footerAt)
        }
        let tableBytes = UnsafeRawBufferPointer(rebasing: file.bytes[tableAt..<metaAt])
        let metaBytes = UnsafeRawBufferPointer(rebasing: file.bytes[metaAt..<footerAt])
        guard XXHash64.hash(tableBytes) == tableSum else {
            throw f.error("table", "checksum mismatch: footer says \(tableSum), computed \(XXHash64.hash(tableBytes)) (corrupted file)", at: tableAt)
        }
        guard XXHash64.hash(metaBytes) == metaSum else {
            throw f.error("metadata", "checksum mismatch: footer says \(metaSum), computed \(XXHash64.hash(metaBytes)) (corrupted file)", at: metaAt)
        }
        do { metadata = try JSONParser.parse(utf8: metaBytes.bindMemory(to: UInt8.self)) } catch {
            throw f.error("metadata", "invalid JSON: \(error)", at: metaAt)
        }
        // Field names are built only for an error: the table has one entry per sample.
        var list: [Entry] = []
        list.reserveCapacity(n)
        var nextToken = 0, nextSpan = 0
        let table = file.bytes.baseAddress! + tableAt
        func fail(_ k: Int, _ field: String, _ message: String) -> BinaryFormatError {
            BinaryFormatError(source: path, field: field.isEmpty ? "table[\(k)]" : "table[\(k)].\(field)", offset: tableAt + F.tableEntrySize * k,
                              message: message)
        }
        for k in 0..<n {
            let e = table + F.tableEntrySize * k
            let length = Int(UInt32(littleEndian: e.loadUnaligned(as: UInt32.self)))
            let spans = Int(UInt32(littleEndian: e.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
            let reserved = UInt32(littleEndian: e.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
            guard length <= F.maxSequenceLength else { throw fail(k, "length", "is \(length), over the limit of \(F.maxSequenceLength) tokens") }
            guard reserved == 0 else { throw fail(k, "reserved", "is \(reserved), expected 0") }
            guard 2 * spans <= length + 1 else {
                throw fail(k, "span_count", "is \(spans): a sample of \(length) tokens has at most \((length + 1) / 2) separate supervised spans")
            }
            list.append(Entry(tokenStart: nextToken, spanStart: nextSpan, length: length, spanCount: spans,
                              sourceFile: UInt32(littleEndian: e.loadUnaligned(fromByteOffset: 8, as: UInt32.self)),
                              sourceLine: UInt64(littleEndian: e.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
                              recordIndex: UInt64(littleEndian: e.loadUnaligned(fromByteOffset: 24, as: UInt64.self)),
                              checksum: UInt64(littleEndian: e.loadUnaligned(fromByteOffset: 32, as: UInt64.self))))
            nextToken += length
            nextSpan += spans
            guard nextToken <= tokens, nextSpan <= spanCount else {
                throw fail(k, "", "samples 0…\(k) hold \(nextToken) tokens and \(nextSpan) spans, more than the footer's \(tokens) and \(spanCount)")
            }
        }
        guard nextToken == tokens, nextSpan == spanCount else {
            throw BinaryFormatError(source: path, field: "table", offset: tableAt,
                                    message: "the samples hold \(nextToken) tokens and \(nextSpan) spans, the footer says \(tokens) and \(spanCount)")
        }
        entries = list
        spansOffset = spansAt
    }

    /// Calls `body` with sample `k`'s ids and its supervised spans (`start0, end0, start1, end1, …`) in the mapped
    /// file, after verifying the checksum and the spans.
    func withColumns<R>(_ k: Int, _ body: (TokenColumns) throws -> R) throws -> R {
        guard k >= 0, k < count else {
            throw BinaryFormatError(source: path, field: "sample", offset: 0, message: "index \(k) out of range 0..<\(count)")
        }
        let e = entries[k]
        return try file.withBytes { bytes in
            let idsAt = TokenShardFormat.headerSize + 4 * e.tokenStart
            let spansAt = spansOffset + TokenShardFormat.spanSize * e.spanStart
            let idBytes = UnsafeRawBufferPointer(rebasing: bytes[idsAt..<(idsAt + 4 * e.length)])
            let spanBytes = UnsafeRawBufferPointer(rebasing: bytes[spansAt..<(spansAt + TokenShardFormat.spanSize * e.spanCount)])
            let sum = XXHash64.hash(idBytes, seed: XXHash64.hash(spanBytes))
            guard sum == e.checksum else {
                throw BinaryFormatError(source: path, field: "sample[\(k)]", offset: idsAt,
                                        message: "checksum mismatch: table says \(e.checksum), computed \(sum) (corrupted file)")
            }
            // 4-byte alignment: the mapping is page-aligned, ids start at byte 16 and spans at 16 + 4·T.
            let ids = idBytes.bindMemory(to: Int32.self)
            let spans = spanBytes.bindMemory(to: UInt32.self)
            var previousEnd = -1
            for j in 0..<e.spanCount {
                let start = Int(UInt32(littleEndian: spans[2 * j])), end = Int(UInt32(littleEndian: spans[2 * j + 1]))
                guard start > previousEnd, start < end, end <= e.length else {
                    throw BinaryFormatError(source: path, field: "sample[\(k)].spans[\(j)]", offset: spansAt + 8 * j,
                                            message: "is [\(start), \(end)) after a span ending at \(max(previousEnd, 0)) in a sample of \(e.length) tokens; spans must be non-empty, sorted, separated and inside the sample")
                }
                previousEnd = end
            }
            return try body(TokenColumns(ids: ids, spans: spans))
        }
    }

    func sample(_ k: Int) throws -> TokenSample {
        let e = entries.indices.contains(k) ? entries[k] : nil
        return try withColumns(k) { c in
            var mask = [UInt8](repeating: 0, count: c.ids.count)
            c.forEachSpan { start, end in for t in start..<end { mask[t] = 1 } }
            return TokenSample(ids: Array(c.ids), lossMask: mask, sourceFile: e!.sourceFile, sourceLine: e!.sourceLine,
                               recordIndex: e!.recordIndex)
        }
    }
}

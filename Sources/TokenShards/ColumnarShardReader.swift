import EagleCore

/// Random access to a version-2 token shard (docs/token-shards.md), straight from the memory-mapped file.
///
/// Opening validates the footer (magic, counts bounded by the file, sections that tile the file exactly), the
/// table's and the metadata's XXH64 checksums, the metadata JSON and every table entry (counts that fit the sample
/// and add up to the footer's totals). Reading sample `k` verifies the checksum of each column it hands out and that
/// the spans are sorted, non-empty, separated, inside the sample and cover exactly its supervised count. Errors
/// name the file, the field, the byte offset and the values.
struct ColumnarShardReader: Sendable {
    struct Entry: Sendable {
        var supervisedStart: Int
        var contextStart: Int
        var spanStart: Int
        var length: Int
        var supervised: Int
        var spanCount: Int
        var sourceFile: UInt32
        var sourceLine: UInt64
        var recordIndex: UInt64
        var supervisedChecksum: UInt64
        var contextChecksum: UInt64
    }

    let path: String
    let metadata: JSONValue
    let entries: [Entry]
    private let file: MappedFile
    private let contextOffset: Int
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
        let supervisedTokens = try f.count("footer.supervised_count", limit: tokens)
        let spanCount = try f.count("footer.span_count", limit: footerAt / F.spanSize)
        let n = try f.count("footer.sample_count", limit: footerAt / F.tableEntrySize)
        let metaLength = try f.count("footer.metadata_length", limit: F.maxMetadataBytes)
        let tableSum = try f.u64("footer.table_checksum")
        let metaSum = try f.u64("footer.metadata_checksum")
        // Each term is bounded by the file size, so none of these sums overflows.
        let contextAt = F.headerSize + 4 * supervisedTokens
        let spansAt = F.headerSize + 4 * tokens
        let tableAt = spansAt + F.spanSize * spanCount
        let metaAt = tableAt + F.tableEntrySize * n
        guard metaAt + metaLength == footerAt else {
            throw f.error("footer", "\(tokens) tokens, \(spanCount) spans, \(n) samples and \(metaLength) metadata bytes need \(metaAt + metaLength + F.footerSize) bytes, the file has \(size)", at: footerAt)
        }
        let tableBytes = UnsafeRawBufferPointer(rebasing: file.bytes[tableAt..<metaAt])
        let metaBytes = UnsafeRawBufferPointer(rebasing: file.bytes[metaAt..<footerAt])
        let tableHash = XXHash64.hash(tableBytes), metaHash = XXHash64.hash(metaBytes)
        guard tableHash == tableSum else {
            throw f.error("table", "checksum mismatch: footer says \(tableSum), computed \(tableHash) (corrupted file)", at: tableAt)
        }
        guard metaHash == metaSum else {
            throw f.error("metadata", "checksum mismatch: footer says \(metaSum), computed \(metaHash) (corrupted file)", at: metaAt)
        }
        do { metadata = try JSONParser.parse(utf8: metaBytes.bindMemory(to: UInt8.self)) } catch {
            throw f.error("metadata", "invalid JSON: \(error)", at: metaAt)
        }
        // Field names are built only for an error: the table has one entry per sample.
        var list: [Entry] = []
        list.reserveCapacity(n)
        var nextSupervised = 0, nextContext = 0, nextSpan = 0
        let table = file.bytes.baseAddress! + tableAt
        func fail(_ k: Int, _ field: String, _ message: String) -> BinaryFormatError {
            BinaryFormatError(source: path, field: field.isEmpty ? "table[\(k)]" : "table[\(k)].\(field)", offset: tableAt + F.tableEntrySize * k,
                              message: message)
        }
        for k in 0..<n {
            let e = table + F.tableEntrySize * k
            func u32(_ at: Int) -> Int { Int(UInt32(littleEndian: e.loadUnaligned(fromByteOffset: at, as: UInt32.self))) }
            func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: e.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
            let length = u32(0), supervised = u32(4), spans = u32(8)
            guard length <= F.maxSequenceLength else { throw fail(k, "length", "is \(length), over the limit of \(F.maxSequenceLength) tokens") }
            guard supervised <= length else { throw fail(k, "supervised", "is \(supervised), more than the sample's \(length) tokens") }
            guard spans <= supervised, 2 * spans <= length + 1, (spans == 0) == (supervised == 0) else {
                throw fail(k, "span_count", "is \(spans) for \(supervised) supervised of \(length) tokens (each span holds at least one supervised token and spans are separated)")
            }
            list.append(Entry(supervisedStart: nextSupervised, contextStart: nextContext, spanStart: nextSpan, length: length,
                              supervised: supervised, spanCount: spans, sourceFile: UInt32(u32(12)), sourceLine: u64(16),
                              recordIndex: u64(24), supervisedChecksum: u64(32), contextChecksum: u64(40)))
            nextSupervised += supervised
            nextContext += length - supervised
            nextSpan += spans
            guard nextSupervised <= supervisedTokens, nextContext <= tokens - supervisedTokens, nextSpan <= spanCount else {
                throw fail(k, "", "samples 0…\(k) hold \(nextSupervised + nextContext) tokens (\(nextSupervised) supervised) and \(nextSpan) spans, more than the footer's \(tokens) (\(supervisedTokens)) and \(spanCount)")
            }
        }
        guard nextSupervised == supervisedTokens, nextContext == tokens - supervisedTokens, nextSpan == spanCount else {
            throw BinaryFormatError(source: path, field: "table", offset: tableAt,
                                    message: "the samples hold \(nextSupervised + nextContext) tokens (\(nextSupervised) supervised) and \(nextSpan) spans, the footer says \(tokens) (\(supervisedTokens)) and \(spanCount)")
        }
        entries = list
        contextOffset = contextAt
        spansOffset = spansAt
    }

    /// Calls `body` with sample `k`'s columns in the mapped file, after verifying them (`verified`).
    /// `.supervised` leaves the context column out (empty) and does not read it.
    func withColumns<R>(_ k: Int, _ part: TokenColumns.Part, _ body: (TokenColumns) throws -> R) throws -> R {
        guard k >= 0, k < count else {
            throw BinaryFormatError(source: path, field: "sample", offset: 0, message: "index \(k) out of range 0..<\(count)")
        }
        let e = entries[k]
        return try file.withBytes { bytes in
            let (supervisedAt, contextAt, spansAt) = offsets(e)
            let supervised = UnsafeRawBufferPointer(rebasing: bytes[supervisedAt..<(supervisedAt + 4 * e.supervised)])
            let spans = UnsafeRawBufferPointer(rebasing: bytes[spansAt..<(spansAt + TokenShardFormat.spanSize * e.spanCount)])
            let context = part == .all ? UnsafeRawBufferPointer(rebasing: bytes[contextAt..<(contextAt + 4 * (e.length - e.supervised))])
                                       : UnsafeRawBufferPointer(start: nil, count: 0)
            return try body(try verified(k, e, supervised: supervised, context: context, spans: spans, part: part))
        }
    }

    /// Calls `body(k, columns)` for the samples `range` in order, reading their columns with one positional read
    /// each (the supervised ids, the spans, with `.all` the context ids: each contiguous for consecutive samples)
    /// into `buffer`, reused across calls. For reading a shard through once, this avoids mapping every page.
    func forEachSample(in range: Range<Int>, _ part: TokenColumns.Part, buffer: inout [UInt8],
                       _ body: (Int, TokenColumns) throws -> Void) throws {
        guard !range.isEmpty else { return }
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw BinaryFormatError(source: path, field: "sample", offset: 0, message: "range \(range) outside 0..<\(count)")
        }
        let first = entries[range.lowerBound], last = entries[range.upperBound - 1]
        let (supervisedFrom, contextFrom, spansFrom) = offsets(first)
        let supervisedBytes = 4 * (last.supervisedStart + last.supervised - first.supervisedStart)
        let spanBytes = TokenShardFormat.spanSize * (last.spanStart + last.spanCount - first.spanStart)
        let contextBytes = part == .all ? 4 * (last.contextStart + last.length - last.supervised - first.contextStart) : 0
        // Buffer layout: supervised ids, spans, context ids; each part a multiple of 4 bytes, so every column stays
        // 4-byte aligned in the array's storage. The descriptor is opened per call, not kept: a directory of
        // thousands of shards must not hold thousands of open files.
        let positional = try PositionalFile(path: path)
        try positional.read(supervisedBytes, at: supervisedFrom, into: &buffer)
        try positional.read(spanBytes, at: spansFrom, into: &buffer, at: supervisedBytes)
        if contextBytes > 0 { try positional.read(contextBytes, at: contextFrom, into: &buffer, at: supervisedBytes + spanBytes) }
        try buffer.withUnsafeBytes { b in
            for k in range {
                let e = entries[k]
                let s = 4 * (e.supervisedStart - first.supervisedStart)
                let p = supervisedBytes + TokenShardFormat.spanSize * (e.spanStart - first.spanStart)
                let c = supervisedBytes + spanBytes + 4 * (e.contextStart - first.contextStart)
                let supervised = UnsafeRawBufferPointer(rebasing: b[s..<(s + 4 * e.supervised)])
                let spans = UnsafeRawBufferPointer(rebasing: b[p..<(p + TokenShardFormat.spanSize * e.spanCount)])
                let context = part == .all ? UnsafeRawBufferPointer(rebasing: b[c..<(c + 4 * (e.length - e.supervised))])
                                           : UnsafeRawBufferPointer(start: nil, count: 0)
                try body(k, try verified(k, e, supervised: supervised, context: context, spans: spans, part: part))
            }
        }
    }

    /// Byte offsets in the file of sample `e`'s supervised ids, context ids and spans.
    private func offsets(_ e: Entry) -> (supervised: Int, context: Int, spans: Int) {
        (TokenShardFormat.headerSize + 4 * e.supervisedStart, contextOffset + 4 * e.contextStart,
         spansOffset + TokenShardFormat.spanSize * e.spanStart)
    }

    /// Sample `k`'s columns after checking the checksum of each column handed out (the context only with `.all`)
    /// and that the spans are non-empty, sorted, separated, inside the sample and cover its supervised count.
    private func verified(_ k: Int, _ e: Entry, supervised: UnsafeRawBufferPointer, context: UnsafeRawBufferPointer,
                          spans spanBytes: UnsafeRawBufferPointer, part: TokenColumns.Part) throws(BinaryFormatError) -> TokenColumns {
        let (supervisedAt, contextAt, spansAt) = offsets(e)
        let sum = XXHash64.hash(supervised, seed: XXHash64.hash(spanBytes))
        guard sum == e.supervisedChecksum else {
            throw BinaryFormatError(source: path, field: "sample[\(k)].supervised", offset: supervisedAt,
                                    message: "checksum mismatch: table says \(e.supervisedChecksum), computed \(sum) (corrupted file)")
        }
        if part == .all {
            let sum = XXHash64.hash(context)
            guard sum == e.contextChecksum else {
                throw BinaryFormatError(source: path, field: "sample[\(k)].context", offset: contextAt,
                                        message: "checksum mismatch: table says \(e.contextChecksum), computed \(sum) (corrupted file)")
            }
        }
        // 4-byte alignment: columns start at 16 + a multiple of 4 in the page-aligned mapping, or at a multiple of 4
        // in a buffer's storage.
        let spans = spanBytes.bindMemory(to: UInt32.self)
        var previousEnd = -1, covered = 0
        for j in 0..<e.spanCount {
            let start = Int(UInt32(littleEndian: spans[2 * j])), end = Int(UInt32(littleEndian: spans[2 * j + 1]))
            guard start > previousEnd, start < end, end <= e.length else {
                throw BinaryFormatError(source: path, field: "sample[\(k)].spans[\(j)]", offset: spansAt + 8 * j,
                                        message: "is [\(start), \(end)) in a sample of \(e.length) tokens\(j > 0 ? " after a span ending at \(previousEnd)" : ""); spans must be non-empty, sorted, separated and inside the sample")
            }
            previousEnd = end
            covered += end - start
        }
        guard covered == e.supervised else {
            throw BinaryFormatError(source: path, field: "sample[\(k)].spans", offset: spansAt,
                                    message: "cover \(covered) positions, the table says \(e.supervised) supervised")
        }
        return TokenColumns(length: e.length, supervised: supervised.bindMemory(to: Int32.self), context: context.bindMemory(to: Int32.self),
                            spans: spans, part: part)
    }

    func sample(_ k: Int) throws -> TokenSample {
        try withColumns(k, .all) { c in
            let e = entries[k]
            let (ids, mask) = c.merged()
            return TokenSample(ids: ids, lossMask: mask, sourceFile: e.sourceFile, sourceLine: e.sourceLine, recordIndex: e.recordIndex)
        }
    }
}

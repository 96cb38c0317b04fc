import EagleCore

/// Dump shards (`dump-NNNNN.epdump`, docs/shard-format.md): one record per sample in the shared record container.
///
/// Record (before compression): `L:u32 source_file:u32 source_line:u64 rows:u32`, ids `L×i32`, loss mask `L×u8`,
/// aux hidden `L×A·H` in the aux dtype, byte-shuffled; then for the logits signal the `rows` used logit rows
/// (`rows×Vd` f32, byte-shuffled) and the argmax `L×i32`, or for the hidden signal `L×H` in the hidden dtype,
/// byte-shuffled.
public enum DumpShardFormat {
    public static let magic: [UInt8] = Array("EPDUMPSH".utf8)
    public static let version: UInt32 = 1
    public static let prefixSize = 20
    public static let maxSequenceLength = 1 << 20
    /// Most logits a sample expands to when read (`L × Vd` f32 values, 4 GiB); 8,192 tokens × 128,256 fit.
    public static let maxDenseLogits = 1 << 30

    /// Raw record size for `length` tokens and `rows` stored logit rows, or nil on overflow.
    public static func rawSize(length: Int, rows: Int, layout: DumpLayout) -> Int? {
        var total = prefixSize
        func add(_ parts: Int...) -> Bool {
            var p = 1
            for x in parts { let (m, o) = p.multipliedReportingOverflow(by: x); if o { return false }; p = m }
            let (s, o) = total.addingReportingOverflow(p)
            if o { return false }
            total = s
            return true
        }
        guard add(length, 5), add(length, layout.auxWidth, layout.auxDType.byteSize) else { return nil }
        switch layout.signal {
        case .logits: guard add(rows, layout.draftVocabSize, 4), add(length, 4) else { return nil }
        case .hidden: guard add(length, layout.hiddenSize, layout.hiddenDType.byteSize) else { return nil }
        }
        return total
    }
}

public final class DumpShardWriter {
    private let container: RecordContainerWriter
    public let layout: DumpLayout
    public var path: String { container.path }
    public var sampleCount: Int { container.recordCount }
    public var bytesWritten: Int { container.bytesWritten }
    /// Raw (uncompressed) bytes of the records appended so far.
    public private(set) var rawBytes = 0

    public init(path: String, layout: DumpLayout, compressionLevel: Int32 = 1) throws {
        self.layout = layout
        container = try RecordContainerWriter(path: path, magic: DumpShardFormat.magic, version: DumpShardFormat.version,
                                              compressionLevel: compressionLevel)
    }

    /// Appends a sample. Shapes must match the layout (a programmer error otherwise: the dump stage builds them).
    public func append(_ s: DumpSample) throws {
        let L = s.ids.count
        precondition(s.lossMask.count == L && s.auxHidden.count == L * layout.auxWidth, "sample shape does not match the layout")
        let rows = DumpSample.usedLogitRows(s.lossMask)
        var out = BinaryWriter()
        out.u32(UInt32(L))
        out.u32(s.sourceFile)
        out.u64(s.sourceLine)
        out.u32(layout.signal == .logits ? UInt32(rows.count) : 0)
        for id in s.ids { out.i32(id) }
        out.raw(s.lossMask)
        var raw = out.bytes
        raw.reserveCapacity(DumpShardFormat.rawSize(length: L, rows: rows.count, layout: layout) ?? 0)
        Self.appendShuffled(s.auxHidden, dtype: layout.auxDType, to: &raw)
        switch s.signal {
        case .logits(let draft, let argmax):
            precondition(layout.signal == .logits && draft.count == L * layout.draftVocabSize && argmax.count == L)
            let vd = layout.draftVocabSize
            var used = [Float]()
            used.reserveCapacity(rows.count * vd)
            for u in rows { used.append(contentsOf: draft[(u * vd)..<((u + 1) * vd)]) }
            Self.appendShuffled(used, dtype: .f32, to: &raw)
            var a = BinaryWriter()
            for v in argmax { a.i32(v) }
            raw += a.bytes
        case .hidden(let h):
            precondition(layout.signal == .hidden && h.count == L * layout.hiddenSize)
            Self.appendShuffled(h, dtype: layout.hiddenDType, to: &raw)
        }
        rawBytes += raw.count
        try container.append(raw: raw, length: L)
    }

    public func finish(metadata: JSONObject) throws {
        var m = metadata
        m["layout"] = layout.json
        try container.finish(metadata: .object(m))
    }

    /// Encodes `values` in `dtype` straight into byte planes appended to `raw` (one pass, no intermediate arrays):
    /// byte `b` of element `i` goes to `b·n + i`, as `ByteShuffle.shuffle` of the little-endian encoding.
    static func appendShuffled(_ values: [Float], dtype: StorageDType, to raw: inout [UInt8]) {
        let n = values.count
        let start = raw.count
        raw.append(contentsOf: repeatElement(0, count: n * dtype.byteSize))
        raw.withUnsafeMutableBufferPointer { out in
            values.withUnsafeBufferPointer { v in
                let o = out.baseAddress! + start
                switch dtype {
                case .f32:
                    for i in 0..<n {
                        let b = v[i].bitPattern
                        o[i] = UInt8(truncatingIfNeeded: b)
                        o[n + i] = UInt8(truncatingIfNeeded: b >> 8)
                        o[2 * n + i] = UInt8(truncatingIfNeeded: b >> 16)
                        o[3 * n + i] = UInt8(truncatingIfNeeded: b >> 24)
                    }
                case .bf16, .f16:
                    for i in 0..<n {
                        let h = dtype == .bf16 ? HalfPrecision.bf16(v[i]) : HalfPrecision.f16(v[i])
                        o[i] = UInt8(truncatingIfNeeded: h)
                        o[n + i] = UInt8(truncatingIfNeeded: h >> 8)
                    }
                }
            }
        }
    }
}

/// Random access to dump shard samples, every structure, size and checksum validated.
public struct DumpShardReader: Sendable {
    private let container: RecordContainerReader
    public let layout: DumpLayout
    public var path: String { container.path }
    public var metadata: JSONValue { container.metadata }
    public var count: Int { container.count }
    public var fileSize: Int { container.fileSize }

    public init(path: String) throws {
        let c = try RecordContainerReader(path: path, magic: DumpShardFormat.magic, version: DumpShardFormat.version, kind: "dump shard")
        let layout = try DumpLayout(json: c.metadata["layout"], source: path)
        // Raw sizes depend on the stored row count inside the record; check the bound the length allows.
        for (i, e) in c.entries.enumerated() {
            guard e.length <= DumpShardFormat.maxSequenceLength,
                  let lo = DumpShardFormat.rawSize(length: e.length, rows: 0, layout: layout),
                  let hi = DumpShardFormat.rawSize(length: e.length, rows: max(e.length - 1, 0), layout: layout),
                  (lo...hi).contains(e.rawSize) else {
                throw BinaryFormatError(source: path, field: "index[\(i)].raw_size", offset: 0,
                                        message: "is \(e.rawSize), outside what \(e.length) tokens can take with this layout")
            }
        }
        container = c
        self.layout = layout
    }

    /// Logits are stored for the supervised rows only and expanded to `[L, Vd]` on reading; a record with few or no
    /// such rows is tiny on disk, so the expansion is bounded by `DumpShardFormat.maxDenseLogits` (issue 10: a
    /// 295-byte shard declaring L = 2,000 and Vd = 4,194,304 made `verify` allocate 33.5 GB).
    func checkDenseLogits(length L: Int, sample k: Int) throws {
        guard layout.signal == .logits else { return }
        let (n, overflow) = L.multipliedReportingOverflow(by: layout.draftVocabSize)
        guard !overflow, n <= DumpShardFormat.maxDenseLogits else {
            throw BinaryFormatError(source: path, field: "sample[\(k)]", offset: 0,
                                    message: "\(L) tokens × draft_vocab_size \(layout.draftVocabSize) exceeds the limit of \(DumpShardFormat.maxDenseLogits) dense logits")
        }
    }

    public func length(of k: Int) -> Int { container.entries[k].length }
    /// The container's index entries (frame offsets, sizes, lengths, checksums).
    public var containerEntries: [RecordContainerReader.Entry] { container.entries }

    /// The decompressed record of sample `k` (checksum and size verified) and its validated field ranges.
    public func record(_ k: Int) throws -> (raw: [UInt8], parts: DumpRecordParts) {
        let raw = try container.record(k)
        let parts = try raw.withUnsafeBytes { b in
            try DumpRecordParts(record: b, length: container.entries[k].length, layout: layout, source: "\(path) sample[\(k)]")
        }
        return (raw, parts)
    }

    public func sample(_ k: Int) throws -> DumpSample {
        let (raw, p) = try record(k)
        let L = p.length
        try checkDenseLogits(length: L, sample: k)
        return raw.withUnsafeBytes { b -> DumpSample in
            func slice(_ r: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: b[r]) }
            func floats(_ r: Range<Int>, _ dtype: StorageDType) -> [Float] {
                ByteShuffle.unshuffle(slice(r), width: dtype.byteSize).withUnsafeBytes { dtype.decode($0, count: r.count / dtype.byteSize) }
            }
            func ints(_ r: Range<Int>) -> [Int32] { (0..<(r.count / 4)).map { Int32(littleEndian: b.loadUnaligned(fromByteOffset: r.lowerBound + 4 * $0, as: Int32.self)) } }
            let aux = floats(p.auxHidden, layout.auxDType)
            let signal: DumpSample.Signal
            switch layout.signal {
            case .logits:
                let vd = layout.draftVocabSize
                let stored = floats(p.draftLogits!, .f32)
                var draft = [Float](repeating: 0, count: L * vd)
                for (j, u) in p.usedRows.enumerated() { draft.replaceSubrange((u * vd)..<((u + 1) * vd), with: stored[(j * vd)..<((j + 1) * vd)]) }
                signal = .logits(draft: draft, argmax: ints(p.targetArgmax!))
            case .hidden:
                signal = .hidden(floats(p.finalHidden!, layout.hiddenDType))
            }
            return DumpSample(ids: ints(p.ids), lossMask: Array(slice(p.lossMask)), auxHidden: aux, signal: signal,
                              sourceFile: p.sourceFile, sourceLine: p.sourceLine)
        }
    }

    /// Sample `k`'s arrays in their stored dtypes, little-endian, unshuffled: `ids` i32 `[L]`, `loss_mask` u8 `[L]`,
    /// `aux_hidden` `[L, A·H]` in the aux dtype, then `draft_logits` f32 `[L, Vd]` (unused rows zero) and
    /// `target_argmax` i32 `[L]`, or `final_hidden` `[L, H]` in the hidden dtype. What `inspect --out` exports.
    public func storedArrays(_ k: Int) throws -> [StoredArray] {
        let (raw, p) = try record(k)
        let L = p.length
        try checkDenseLogits(length: L, sample: k)
        return raw.withUnsafeBytes { b -> [StoredArray] in
            func bytes(_ r: Range<Int>) -> [UInt8] { Array(b[r]) }
            func planes(_ r: Range<Int>, _ w: Int) -> [UInt8] { ByteShuffle.unshuffle(UnsafeRawBufferPointer(rebasing: b[r]), width: w) }
            var out = [
                StoredArray(name: "ids", dtype: "i32", shape: [L], bytes: bytes(p.ids)),
                StoredArray(name: "loss_mask", dtype: "u8", shape: [L], bytes: bytes(p.lossMask)),
                StoredArray(name: "aux_hidden", dtype: layout.auxDType.rawValue, shape: [L, layout.auxWidth],
                            bytes: planes(p.auxHidden, layout.auxDType.byteSize)),
            ]
            switch layout.signal {
            case .logits:
                let rowBytes = layout.draftVocabSize * 4
                let stored = planes(p.draftLogits!, 4)
                var full = [UInt8](repeating: 0, count: L * rowBytes)
                for (j, u) in p.usedRows.enumerated() {
                    full.replaceSubrange((u * rowBytes)..<((u + 1) * rowBytes), with: stored[(j * rowBytes)..<((j + 1) * rowBytes)])
                }
                out.append(StoredArray(name: "draft_logits", dtype: "f32", shape: [L, layout.draftVocabSize], bytes: full))
                out.append(StoredArray(name: "target_argmax", dtype: "i32", shape: [L], bytes: bytes(p.targetArgmax!)))
            case .hidden:
                out.append(StoredArray(name: "final_hidden", dtype: layout.hiddenDType.rawValue, shape: [L, layout.hiddenSize],
                                       bytes: planes(p.finalHidden!, layout.hiddenDType.byteSize)))
            }
            return out
        }
    }
}

/// One array of a dump sample in its stored dtype (`i32`, `u8`, `bf16`, `f16`, `f32`), little-endian bytes.
public struct StoredArray: Sendable, Equatable {
    public var name: String
    public var dtype: String
    public var shape: [Int]
    public var bytes: [UInt8]
}

/// The validated byte ranges of one decompressed dump record (docs/shard-format.md, "Dump record").
/// Shuffled ranges (`auxHidden`, `draftLogits`, `finalHidden`) hold byte planes.
public struct DumpRecordParts: Sendable, Equatable {
    public var length: Int
    public var sourceFile: UInt32
    public var sourceLine: UInt64
    /// Rows `u` whose logits are stored, ascending (logits signal); empty for the hidden signal.
    public var usedRows: [Int]
    public var prefix: Range<Int>
    public var ids: Range<Int>
    public var lossMask: Range<Int>
    public var auxHidden: Range<Int>
    public var draftLogits: Range<Int>?
    public var targetArgmax: Range<Int>?
    public var finalHidden: Range<Int>?

    /// Parses and checks a record: its length against the index, loss-mask values, the stored row count against
    /// the mask, and the exact total size.
    public init(record b: UnsafeRawBufferPointer, length L: Int, layout: DumpLayout, source: String) throws(BinaryFormatError) {
        var r = BinaryReader(bytes: b, source: source)
        let n = Int(try r.u32("length"))
        guard n == L else { throw r.error("length", "is \(n), index says \(L)") }
        sourceFile = try r.u32("source_file")
        sourceLine = try r.u64("source_line")
        let rows = Int(try r.u32("logit_rows"))
        let expected = DumpShardFormat.rawSize(length: L, rows: rows, layout: layout)
        guard let expected, expected == b.count else {
            throw r.error("record", "is \(b.count) bytes, expected \(expected ?? -1) for \(L) tokens and \(rows) logit rows")
        }
        length = L
        prefix = 0..<DumpShardFormat.prefixSize
        var at = DumpShardFormat.prefixSize  // the total size is checked above, so every range below is inside the record
        func take(_ count: Int) -> Range<Int> {
            defer { at += count }
            return at..<(at + count)
        }
        ids = take(4 * L)
        lossMask = take(L)
        let mask = UnsafeRawBufferPointer(rebasing: b[lossMask])
        if let bad = mask.firstIndex(where: { $0 > 1 }) { throw r.error("loss_mask[\(bad)]", "is \(mask[bad]), expected 0 or 1", at: lossMask.lowerBound + bad) }
        auxHidden = take(L * layout.auxWidth * layout.auxDType.byteSize)
        switch layout.signal {
        case .logits:
            usedRows = DumpSample.usedLogitRows(Array(mask))
            guard usedRows.count == rows else { throw r.error("logit_rows", "is \(rows), the loss mask implies \(usedRows.count)", at: 16) }
            draftLogits = take(rows * layout.draftVocabSize * 4)
            targetArgmax = take(4 * L)
            finalHidden = nil
        case .hidden:
            guard rows == 0 else { throw r.error("logit_rows", "is \(rows), expected 0 for the hidden signal", at: 16) }
            usedRows = []
            draftLogits = nil
            targetArgmax = nil
            finalHidden = take(L * layout.hiddenSize * layout.hiddenDType.byteSize)
        }
    }
}

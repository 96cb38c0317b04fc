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

    static func appendShuffled(_ values: [Float], dtype: StorageDType, to raw: inout [UInt8]) {
        var encoded: [UInt8] = []
        values.withUnsafeBufferPointer { dtype.encode($0, into: &encoded) }
        encoded.withUnsafeBytes { ByteShuffle.shuffle($0, width: dtype.byteSize, into: &raw) }
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

    public func length(of k: Int) -> Int { container.entries[k].length }

    public func sample(_ k: Int) throws -> DumpSample {
        let raw = try container.record(k)
        let L = container.entries[k].length
        let where_ = "\(path) sample[\(k)]"
        return try raw.withUnsafeBytes { b throws -> DumpSample in
            var r = BinaryReader(bytes: b, source: where_)
            let n = Int(try r.u32("length"))
            guard n == L else { throw r.error("length", "is \(n), index says \(L)") }
            let file = try r.u32("source_file")
            let line = try r.u64("source_line")
            let rows = Int(try r.u32("logit_rows"))
            let ids = try r.i32Array(L, "ids")
            let mask = Array(try r.slice(L, "loss_mask"))
            if let bad = mask.firstIndex(where: { $0 > 1 }) { throw r.error("loss_mask[\(bad)]", "is \(mask[bad]), expected 0 or 1") }
            guard let expected = DumpShardFormat.rawSize(length: L, rows: rows, layout: layout), expected == b.count else {
                throw r.error("record", "is \(b.count) bytes, expected \(DumpShardFormat.rawSize(length: L, rows: rows, layout: layout) ?? -1) for \(L) tokens and \(rows) logit rows")
            }
            let aux = try Self.unshuffle(&r, count: L * layout.auxWidth, dtype: layout.auxDType, field: "aux_hidden")
            let signal: DumpSample.Signal
            switch layout.signal {
            case .logits:
                let used = DumpSample.usedLogitRows(mask)
                guard used.count == rows else { throw r.error("logit_rows", "is \(rows), the loss mask implies \(used.count)") }
                let vd = layout.draftVocabSize
                let stored = try Self.unshuffle(&r, count: rows * vd, dtype: .f32, field: "draft_logits")
                var draft = [Float](repeating: 0, count: L * vd)
                for (j, u) in used.enumerated() { draft.replaceSubrange((u * vd)..<((u + 1) * vd), with: stored[(j * vd)..<((j + 1) * vd)]) }
                let argmax = try r.i32Array(L, "target_argmax")
                signal = .logits(draft: draft, argmax: argmax)
            case .hidden:
                signal = .hidden(try Self.unshuffle(&r, count: L * layout.hiddenSize, dtype: layout.hiddenDType, field: "final_hidden"))
            }
            return DumpSample(ids: ids, lossMask: mask, auxHidden: aux, signal: signal, sourceFile: file, sourceLine: line)
        }
    }

    static func unshuffle(_ r: inout BinaryReader, count: Int, dtype: StorageDType, field: String) throws -> [Float] {
        let planes = try r.slice(count * dtype.byteSize, field)
        let bytes = ByteShuffle.unshuffle(planes, width: dtype.byteSize)
        return bytes.withUnsafeBytes { dtype.decode($0, count: count) }
    }
}

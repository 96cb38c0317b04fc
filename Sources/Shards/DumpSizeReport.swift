import EagleCore
import ZstdCompression

/// Where the bytes of a dump go, per component. Records are compressed as one zstd frame each, so the stored size
/// of a single component is not in the file: it is estimated by compressing each component's stored bytes (byte
/// planes where the format shuffles) as its own frame at the dump's level, over a set of samples. Raw sizes and the
/// stored size of whole records are exact.
public struct DumpSizeReport: Sendable {
    public struct Component: Sendable, Equatable {
        /// `prefix+ids+loss_mask`, `aux_hidden`, `draft_logits`, `target_argmax` or `final_hidden`.
        public var name: String
        public var rawBytes: Int
        /// Sum of the component's separately compressed sizes (an estimate of its share of the stored records).
        public var compressedBytes: Int
    }

    public var samples = 0
    public var tokens = 0
    /// Exact: decompressed record bytes and compressed frame bytes of the measured samples.
    public var recordRawBytes = 0
    public var recordStoredBytes = 0
    public var components: [Component] = []

    public init() {}

    /// Adds sample `k` of `reader`, compressing each component at `level`.
    public mutating func add(_ reader: DumpShardReader, sample k: Int, level: Int32) throws {
        let (raw, p) = try reader.record(k)
        let ranges: [(String, Range<Int>?)] = [
            ("prefix+ids+loss_mask", p.prefix.lowerBound..<p.lossMask.upperBound), ("aux_hidden", p.auxHidden),
            ("draft_logits", p.draftLogits), ("target_argmax", p.targetArgmax), ("final_hidden", p.finalHidden),
        ]
        var list: [Component] = []
        try raw.withUnsafeBytes { b in
            for case let (name, r?) in ranges {
                let c = try Zstd.compress(UnsafeRawBufferPointer(rebasing: b[r]), level: level).count
                list.append(Component(name: name, rawBytes: r.count, compressedBytes: c))
            }
        }
        if components.isEmpty { components = list } else {
            for i in components.indices {
                components[i].rawBytes += list[i].rawBytes
                components[i].compressedBytes += list[i].compressedBytes
            }
        }
        samples += 1
        tokens += p.length
        recordRawBytes += raw.count
        recordStoredBytes += reader.compressedSize(of: k)
    }
}

extension DumpShardReader {
    /// Size of sample `k`'s zstd frame in the file.
    public func compressedSize(of k: Int) -> Int { containerEntries[k].compressedSize }
}

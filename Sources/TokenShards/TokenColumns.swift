/// One sample's token ids and supervised spans, borrowed for the duration of a `TokenShardReader.withColumns` call:
/// in the mapped file for version-2 shards, decoded for version 1.
public struct TokenColumns {
    public let ids: UnsafeBufferPointer<Int32>
    /// The positions with `loss_mask = 1` as maximal runs: `start0, end0, start1, end1, …` (half-open, sorted,
    /// separated by at least one unsupervised position).
    public let spans: UnsafeBufferPointer<UInt32>

    public init(ids: UnsafeBufferPointer<Int32>, spans: UnsafeBufferPointer<UInt32>) {
        self.ids = ids
        self.spans = spans
    }

    public var spanCount: Int { spans.count / 2 }

    @inline(__always)
    public func forEachSpan(_ body: (Int, Int) throws -> Void) rethrows {
        var j = 0
        while j + 1 < spans.count {
            try body(Int(spans[j]), Int(spans[j + 1]))
            j += 2
        }
    }

    /// The maximal runs of 1 in a 0/1 mask, as `start, end` pairs.
    public static func spans(of mask: [UInt8]) -> [UInt32] {
        var out: [UInt32] = []
        var t = 0
        while t < mask.count {
            if mask[t] == 0 { t += 1; continue }
            let start = t
            while t < mask.count, mask[t] != 0 { t += 1 }
            out.append(UInt32(start))
            out.append(UInt32(t))
        }
        return out
    }
}

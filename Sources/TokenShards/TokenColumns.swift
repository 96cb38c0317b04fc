/// One sample's tokens as columns, borrowed for the duration of a `TokenShardReader.withColumns` call (in the
/// mapped file for version-2 shards, decoded for version 1): the ids at supervised positions, the ids at the other
/// positions, and the supervised spans that say how they interleave.
public struct TokenColumns {
    /// What a reader needs: the supervised ids only (the context column is then empty and not read), or all.
    public enum Part: Sendable, Equatable {
        case supervised
        case all
    }

    /// The sample's token count.
    public let length: Int
    /// The ids at positions with `loss_mask = 1`, in position order.
    public let supervised: UnsafeBufferPointer<Int32>
    /// The ids at the other positions, in position order; empty when only `.supervised` was asked for.
    public let context: UnsafeBufferPointer<Int32>
    /// The supervised positions as maximal runs: `start0, end0, start1, end1, …` (half-open, sorted, separated by at
    /// least one unsupervised position).
    public let spans: UnsafeBufferPointer<UInt32>
    public let part: Part

    public init(length: Int, supervised: UnsafeBufferPointer<Int32>, context: UnsafeBufferPointer<Int32>,
                spans: UnsafeBufferPointer<UInt32>, part: Part) {
        self.length = length
        self.supervised = supervised
        self.context = context
        self.spans = spans
        self.part = part
    }

    public var spanCount: Int { spans.count / 2 }

    /// Calls `body(start, end)` for each supervised span.
    @inline(__always)
    public func forEachSpan(_ body: (Int, Int) throws -> Void) rethrows {
        var j = 0
        while j + 1 < spans.count {
            try body(Int(spans[j]), Int(spans[j + 1]))
            j += 2
        }
    }

    /// The sample's ids in position order and its loss mask (needs `.all`).
    public func merged() -> (ids: [Int32], mask: [UInt8]) {
        precondition(part == .all, "merged() needs the context column")
        var ids = [Int32](), mask = [UInt8](repeating: 0, count: length)
        ids.reserveCapacity(length)
        var s = 0, c = 0, t = 0
        forEachSpan { start, end in
            ids.append(contentsOf: context[c..<(c + start - t)])
            c += start - t
            ids.append(contentsOf: supervised[s..<(s + end - start)])
            s += end - start
            for i in start..<end { mask[i] = 1 }
            t = end
        }
        ids.append(contentsOf: context[c...])
        return (ids, mask)
    }

    /// The ids at positions with a non-zero mask and at the others, each in position order: the two id columns of
    /// token shard version 2.
    public static func split(ids: [Int32], mask: [UInt8]) -> (supervised: [Int32], context: [Int32]) {
        var supervised: [Int32] = [], context: [Int32] = []
        for (id, m) in zip(ids, mask) {
            if m != 0 { supervised.append(id) } else { context.append(id) }
        }
        return (supervised, context)
    }

    /// The maximal runs of non-zero values in a mask, as `start, end` pairs.
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

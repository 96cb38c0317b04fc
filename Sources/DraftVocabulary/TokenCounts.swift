/// The position of a token in the dataset as one comparable 64-bit integer:
/// `key = globalSample << 24 | position`, where `globalSample` is the sample's index in dataset order (shards in
/// manifest order, samples in shard order) and `position` its index in the sample. Keys order occurrences
/// exactly as the reference scans them (SPEC §4: records in file order, positions ascending), whichever worker or
/// machine counted them, so merging partial counts is a `min`.
public enum OccurrenceKey {
    /// Bits for the position: the token shard format's longest sample (`TokenShardFormat.maxSequenceLength`).
    public static let positionBits = 24
    /// Samples are limited so that every key is a non-negative `Int64` (counts files store I64).
    public static let maxSamples = 1 << (63 - positionBits)
    /// "Never seen".
    public static let none = UInt64.max

    @inline(__always) public static func make(sample: Int, position: Int) -> UInt64 {
        UInt64(sample) << UInt64(positionBits) | UInt64(position)
    }

    public static func sample(of key: UInt64) -> Int { Int(key >> UInt64(positionBits)) }
    public static func position(of key: UInt64) -> Int { Int(key & ((1 << UInt64(positionBits)) - 1)) }
}

/// Which positions are counted.
public enum CountMode: String, Sendable, CaseIterable {
    /// Positions with `loss_mask = 1`, the token at that position (SPEC §4, the reference).
    case supervised
    /// Every position of every sample (Model-Optimizer's choice; not the reference's).
    case all
}

/// Dense per-id token counts and first-occurrence keys over the target vocabulary. Memory: 16 bytes per target
/// id (2 MB for Llama-3's 128,256), whatever the data size.
public struct TokenCounts: Sendable, Equatable {
    public let targetVocabSize: Int
    /// `counts[v]`: how many counted positions hold `v`.
    public internal(set) var counts: [UInt64]
    /// `firstKeys[v]`: `OccurrenceKey` of the first counted position holding `v`, `OccurrenceKey.none` if none.
    public internal(set) var firstKeys: [UInt64]
    /// Samples read.
    public internal(set) var samples: Int = 0
    /// Tokens read (all positions).
    public internal(set) var tokens: Int = 0

    public init(targetVocabSize: Int) {
        self.targetVocabSize = targetVocabSize
        counts = [UInt64](repeating: 0, count: targetVocabSize)
        firstKeys = [UInt64](repeating: OccurrenceKey.none, count: targetVocabSize)
    }

    /// Sum of all counts.
    public var countedTokens: UInt64 { counts.reduce(0, &+) }
    /// Ids counted at least once.
    public var distinct: Int { counts.reduce(0) { $0 + ($1 > 0 ? 1 : 0) } }

    /// Adds another part's counts: counts add, first occurrences take the minimum. Commutative and associative,
    /// so the result does not depend on how the data was split or in which order parts are merged.
    public mutating func merge(_ other: TokenCounts) {
        precondition(other.targetVocabSize == targetVocabSize, "merging counts over different vocabularies")
        counts.withUnsafeMutableBufferPointer { c in
            firstKeys.withUnsafeMutableBufferPointer { f in
                for v in 0..<targetVocabSize where other.counts[v] > 0 {
                    c[v] &+= other.counts[v]
                    f[v] = min(f[v], other.firstKeys[v])
                }
            }
        }
        samples += other.samples
        tokens += other.tokens
    }

    /// Adds a worker's 32-bit running counts (`TokenCounter`).
    mutating func add(_ part: [UInt32]) {
        precondition(part.count == targetVocabSize, "adding counts over a different vocabulary")
        counts.withUnsafeMutableBufferPointer { c in
            for v in 0..<targetVocabSize { c[v] &+= UInt64(part[v]) }
        }
    }

    /// Counted ids in the reference's `most_common` order: count descending, then first occurrence ascending
    /// (distinct ids never share a first occurrence, so the order is total).
    public func ranked() -> [Int32] {
        // Sort (count, first key, id) records rather than ids with a comparator that looks both up: the records
        // are contiguous, so the sort does not chase two arrays per comparison.
        struct Rank { var count: UInt64; var first: UInt64; var id: Int32 }
        var ranks: [Rank] = []
        ranks.reserveCapacity(distinct)
        counts.withUnsafeBufferPointer { c in
            firstKeys.withUnsafeBufferPointer { f in
                for v in 0..<targetVocabSize where c[v] > 0 { ranks.append(Rank(count: c[v], first: f[v], id: Int32(v))) }
            }
        }
        ranks.sort { a, b in a.count != b.count ? a.count > b.count : a.first < b.first }
        return ranks.map(\.id)
    }
}

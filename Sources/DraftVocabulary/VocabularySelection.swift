/// The draft vocabulary chosen from counts (SPEC §4): pinned ids first, then the most frequent ids in the
/// reference's order (count descending, first occurrence ascending) until `size` ids are chosen; with `pad`, the
/// lowest unused ids fill any remaining slots. The chosen ids sorted ascending give the maps:
/// `d2t[i] = σ_i − i` (target id = i + d2t[i]) and `t2d[v] = v ∈ {σ}`.
public struct VocabularySelection: Sendable, Equatable {
    public let size: Int
    public let targetVocabSize: Int
    /// Counted ids in `most_common` order.
    public let ranked: [Int32]
    /// The chosen ids, ascending (σ).
    public let chosen: [Int32]
    /// Pinned ids (ascending, deduplicated), all in `chosen`.
    public let pinned: [Int32]
    /// Ids added by padding (ascending).
    public let padded: [Int32]

    /// - Throws: `VocabularyError.tooFewDistinctTokens` when counted and pinned ids together are fewer than
    ///   `size` and `pad` is off; `.pins` for a pin outside the target vocabulary or more pins than `size`;
    ///   `.emptyInput` when nothing was counted and nothing pinned.
    public init(counts: TokenCounts, size: Int, pinned pins: [Int] = [], pad: Bool = false) throws(VocabularyError) {
        let vocab = counts.targetVocabSize
        guard size >= 1, size <= vocab else {
            throw .targetVocabularySize("the draft vocabulary size \(size) must be in 1...\(vocab) (the target vocabulary size)")
        }
        if let bad = pins.first(where: { $0 < 0 || $0 >= vocab }) {
            throw .pins("id \(bad) is outside the target vocabulary 0..<\(vocab)")
        }
        let pinSet = Set(pins)
        guard pinSet.count <= size else { throw .pins("\(pinSet.count) distinct pinned ids do not fit in a draft vocabulary of \(size)") }
        let ranked = counts.ranked()
        if ranked.isEmpty && pinSet.isEmpty {
            throw .emptyInput("\(counts.samples) samples, \(counts.tokens) tokens, and no position was counted")
        }
        var isChosen = [Bool](repeating: false, count: vocab)
        for p in pinSet { isChosen[p] = true }
        var n = pinSet.count
        for id in ranked where n < size && !isChosen[Int(id)] {
            isChosen[Int(id)] = true
            n += 1
        }
        var padded: [Int32] = []
        if n < size {
            guard pad else {
                throw .tooFewDistinctTokens(distinct: ranked.count, pinnedUncounted: pinSet.filter { counts.counts[$0] == 0 }.count, requested: size)
            }
            var v = 0
            while n < size {
                if !isChosen[v] {
                    isChosen[v] = true
                    padded.append(Int32(v))
                    n += 1
                }
                v += 1
            }
        }
        self.size = size
        targetVocabSize = vocab
        self.ranked = ranked
        chosen = (0..<vocab).filter { isChosen[$0] }.map { Int32($0) }
        pinned = pinSet.sorted().map { Int32($0) }
        self.padded = padded
    }

    /// `d2t[i] = σ_i − i`: int64 offsets, non-decreasing and ≥ 0.
    public var d2t: [Int64] { chosen.enumerated().map { Int64($1) - Int64($0) } }

    /// `t2d[v]`: whether target id `v` is in the draft vocabulary; length = the target vocabulary size.
    public var t2d: [Bool] {
        var t = [Bool](repeating: false, count: targetVocabSize)
        for v in chosen { t[Int(v)] = true }
        return t
    }

    /// Fraction of counted tokens whose id is among the `n` most frequent (the ceiling on per-token acceptance
    /// of a pure top-`n` draft vocabulary); 1 when `n` covers every counted id, 0 when nothing was counted.
    public func coverage(top n: Int, counts: TokenCounts) -> Double {
        let total = counts.countedTokens
        guard total > 0 else { return 0 }
        var covered: UInt64 = 0
        for id in ranked.prefix(n) { covered += counts.counts[Int(id)] }
        return Double(covered) / Double(total)
    }

    /// Fraction of counted tokens whose id is in this selection (pins and padding included).
    public func coverage(counts: TokenCounts) -> Double {
        let total = counts.countedTokens
        guard total > 0 else { return 0 }
        return Double(chosen.reduce(UInt64(0)) { $0 + counts.counts[Int($1)] }) / Double(total)
    }

    /// The run of equal counts the cut falls into, when the last id chosen by count and the first one left out
    /// have the same count: that count, how many ids share it, and how many of those were chosen (by first
    /// occurrence). Nil when the cut is between different counts or every counted id was chosen.
    public func tieAtCut(counts: TokenCounts) -> (count: UInt64, ids: Int, chosen: Int)? {
        let isChosen = Set(chosen)
        guard let out = ranked.firstIndex(where: { !isChosen.contains($0) }), out > 0 else { return nil }
        let c = counts.counts[Int(ranked[out])]
        guard counts.counts[Int(ranked[out - 1])] == c else { return nil }
        let run = ranked.filter { counts.counts[Int($0)] == c }
        return (c, run.count, run.filter { isChosen.contains($0) }.count)
    }
}

import EagleCore

/// Exact-duplicate detection for `tokenize --drop-duplicates`: a sample is a duplicate when its token ids and loss
/// mask equal an earlier sample's. Keyed by the first 128 bits of SHA-256 over the length, the ids (in memory
/// order) and the mask (an accidental collision needs ~2⁶⁴ samples); each key remembers where its first sample
/// came from (≈ 32 bytes per kept sample plus the dictionary's overhead).
struct DuplicateFilter {
    private var first: [SIMD2<UInt64>: (file: UInt32, line: UInt64)] = [:]

    static func key(ids: [Int32], mask: [UInt8]) -> SIMD2<UInt64> {
        var h = SHA256()
        h.update(UInt64(ids.count).littleEndianBytes)
        ids.withUnsafeBytes { h.update($0) }
        mask.withUnsafeBytes { h.update($0) }
        let d = h.finalize()
        func word(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 << 8 | UInt64(d[at + $1]) } }
        return SIMD2(word(0), word(8))
    }

    /// Records the sample; returns the location (input index, line) of the earlier equal sample, if any.
    mutating func insert(ids: [Int32], mask: [UInt8], file: UInt32, line: UInt64) -> (file: UInt32, line: UInt64)? {
        let k = Self.key(ids: ids, mask: mask)
        if let earlier = first[k] { return earlier }
        first[k] = (file, line)
        return nil
    }
}

private extension UInt64 {
    var littleEndianBytes: [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: self >> (8 * $0)) } }
}

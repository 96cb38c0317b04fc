/// SplitMix64 (Steele, Lea, Flood 2014): a small, fast, well-mixed generator, fixed by its seed on every platform.
/// Used wherever results must be reproducible from a seed: weight init, data order, sampling, benchmarks.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    @usableFromInline var current: UInt64
    /// The generator's state (checkpoints record it).
    public var state: UInt64 { current }

    public init(seed: UInt64) { current = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        current &+= 0x9E37_79B9_7F4A_7C15
        var z = current
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in 0..<n (n > 0), without modulo bias (Lemire's method).
    @inlinable
    public mutating func next(below n: Int) -> Int {
        precondition(n > 0, "next(below:) needs a positive bound")
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }
}

/// Vectorised `exp` for softmax, SiLU and cross-entropy kernels (the target's forward pass and the trainer).
public enum VectorExp {
    public typealias V8 = SIMD8<Float>

    /// exp on 8 lanes: Cephes `expf` (x = n·ln2 + r with ln 2 split in two constants, degree-6 polynomial in r,
    /// 2ⁿ through the exponent bits), within 2 ulp of the correctly rounded value on [−87.3, 88.3]; inputs are
    /// clamped to it (exp(−87.3) ≈ 1.2e−38: masked or far-below-max terms contribute nothing measurable; above
    /// 88.3, n would reach 128 and the exponent bits overflow). n = round(x·log2 e) by the 1.5·2²³ trick, so every
    /// step is a plain SSE2 lane operation (no floor/convert instructions, which baseline x86-64 lacks and which
    /// make Swift's generic SIMD fall back to scalar code).
    @inlinable @inline(__always)
    public static func exp(_ v: V8) -> V8 {
        let magic = V8(repeating: 12582912)  // 1.5 · 2²³
        let hi = V8(repeating: 88.3), lo = V8(repeating: -87.3)
        var x = v.replacing(with: hi, where: v .> hi)
        x.replace(with: lo, where: x .< lo)
        let shifted = x * 1.44269504088896341 + magic
        let n = shifted - magic
        let r = x - n * 0.693359375 + n * 2.12194440e-4
        let z = r * r
        var y = V8(repeating: 1.9875691500e-4)
        y = y * r + 1.3981999507e-3
        y = y * r + 8.3334519073e-3
        y = y * r + 4.1665795894e-2
        y = y * r + 1.6666665459e-1
        y = y * r + 5.0000001201e-1
        y = y * z + r + 1
        let bits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        return y * unsafeBitCast((bits &+ 127) &<< 23, to: V8.self)
    }

    /// Scalar version of `exp(_: V8)` for loop tails (same formula, so results do not depend on alignment).
    @inlinable @inline(__always)
    public static func exp1(_ x: Float) -> Float { exp(V8(repeating: x))[0] }
}

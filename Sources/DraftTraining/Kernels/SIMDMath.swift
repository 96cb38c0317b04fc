import EagleCore
import LinearAlgebra

/// 8-lane fp32 helpers shared by the kernels.
enum SIMDMath {
    typealias V8 = SIMD8<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }
    @inline(__always)
    static func store(_ v: V8, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self) }

    /// `VectorExp.exp` (EagleCore): Cephes expf on 8 lanes, inputs clamped to [−87.3, 88.3].
    @inline(__always)
    static func exp(_ v: V8) -> V8 { VectorExp.exp(v) }

    /// Scalar tail version with the same formula.
    @inline(__always)
    static func exp1(_ x: Float) -> Float { VectorExp.exp1(x) }

    /// Σ a[i]·b[i], 8 lanes then the tail.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        var acc = V8()
        var j = 0
        while j + 8 <= n { acc += load(a + j) * load(b + j); j += 8 }
        var s = acc.sum()
        while j < n { s += a[j] * b[j]; j += 1 }
        return s
    }

    /// y[i] += a·x[i].
    @inline(__always)
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        let av = V8(repeating: a)
        var j = 0
        while j + 8 <= n { store(load(y + j) + av * load(x + j), y + j); j += 8 }
        while j < n { y[j] += a * x[j]; j += 1 }
    }

    /// x[j] = exp(x[j] − m) for j < n; returns Σ x[j] (8 lanes, then the tail with the same formula).
    @inline(__always)
    static func expShifted(_ x: UnsafeMutablePointer<Float>, count n: Int, by m: Float) -> Float {
        let mv = SIMDMath.V8(repeating: m)
        var acc = SIMDMath.V8()
        var j = 0
        while j + 8 <= n {
            let e = SIMDMath.exp(SIMDMath.load(x + j) - mv)
            SIMDMath.store(e, x + j)
            acc += e
            j += 8
        }
        var s = acc.sum()
        while j < n { x[j] = SIMDMath.exp1(x[j] - m); s += x[j]; j += 1 }
        return s
    }

    /// Σ exp(x[j] − m) for j < n without writing x.
    @inline(__always)
    static func expShiftedSum(_ x: UnsafePointer<Float>, count n: Int, by m: Float) -> Float {
        let mv = SIMDMath.V8(repeating: m)
        var acc = SIMDMath.V8()
        var j = 0
        while j + 8 <= n { acc += SIMDMath.exp(SIMDMath.load(x + j) - mv); j += 8 }
        var s = acc.sum()
        while j < n { s += SIMDMath.exp1(x[j] - m); j += 1 }
        return s
    }

    /// dst[i] += src[i].
    @inline(__always)
    static func add(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count n: Int) {
        var j = 0
        while j + 8 <= n { store(load(dst + j) + load(src + j), dst + j); j += 8 }
        while j < n { dst[j] += src[j]; j += 1 }
    }
}

/// Row-major `C[M,N] = alpha · op(A) · op(B) + beta · C` on OpenBLAS through `LinearAlgebra.BLAS`, on raw pointers.
/// The kernels compute every size themselves, so a size mismatch is a programmer error (precondition).
///
/// With `threads > 1` the product is split across Dispatch workers, each calling OpenBLAS single-threaded (the
/// trainer keeps OpenBLAS's own pool at one thread: its idle workers spin in `sched_yield` and steal the cores from
/// the elementwise kernels in between). Without `transA` the rows of C are split (contiguous blocks of A and C);
/// with `transA` and without `transB` (weight gradients, `dW += doutᵀ · inp`) the K dimension is split: worker 0
/// accumulates into C, the others into `scratch`, then the partial products are added in worker order. The split
/// depends only on the sizes and `threads`, so results are reproducible.
func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, transA: Bool = false, b: UnsafePointer<Float>, transB: Bool = false,
          c: UnsafeMutablePointer<Float>, alpha: Float = 1, beta: Float = 0, threads: Int = 1, scratch: ScratchBuffer? = nil) {
    let big = m * n * k >= 1 << 20
    if threads > 1 && big && !transA && m >= 2 * threads {
        parallelFor(threads) { w in
            let m0 = m * w / threads, m1 = m * (w + 1) / threads
            blasGemm(m: m1 - m0, n: n, k: k, a: a + m0 * k, transA: false, b: b, transB: transB, c: c + m0 * n, alpha: alpha, beta: beta)
        }
    } else if threads > 1 && big && transA && !transB && k >= 2 * threads, let scratch {
        let partial = scratch.reserve((threads - 1) * m * n)
        parallelFor(threads) { w in
            let k0 = k * w / threads, k1 = k * (w + 1) / threads
            blasGemm(m: m, n: n, k: k1 - k0, a: a + k0 * m, transA: true, b: b + k0 * n, transB: false,
                     c: w == 0 ? c : partial + (w - 1) * m * n, alpha: alpha, beta: w == 0 ? beta : 0)
        }
        parallelRanges(count: m * n, threads: threads) { _, r in
            for w in 1..<threads { SIMDMath.add(partial + (w - 1) * m * n + r.lowerBound, into: c + r.lowerBound, count: r.count) }
        }
    } else {
        blasGemm(m: m, n: n, k: k, a: a, transA: transA, b: b, transB: transB, c: c, alpha: alpha, beta: beta)
    }
}

/// One OpenBLAS call (single-threaded when the trainer runs).
@inline(__always)
private func blasGemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, transA: Bool, b: UnsafePointer<Float>, transB: Bool,
                      c: UnsafeMutablePointer<Float>, alpha: Float, beta: Float) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        if beta == 0 { c.update(repeating: 0, count: m * n) } else if beta != 1 { for i in 0..<(m * n) { c[i] *= beta } }
        return
    }
    do {
        try BLAS.sgemm(m: m, n: n, k: k, a: UnsafeBufferPointer(start: a, count: m * k), transA: transA,
                       b: UnsafeBufferPointer(start: b, count: k * n), transB: transB,
                       c: UnsafeMutableBufferPointer(start: c, count: m * n), alpha: alpha, beta: beta)
    } catch {
        preconditionFailure("gemm: \(error)")
    }
}

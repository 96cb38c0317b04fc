import Dispatch
import EagleCore
import Foundation
import LinearAlgebra
import TargetModel

/// The drafter's inference kernels over raw fp32 rows (row-major, weights `[out, in]` as in PyTorch).
/// Shapes: `R` rows (tokens), `N` outputs, `K` inputs, `C` columns.
enum InferenceKernels {
    typealias V8 = SIMD8<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }

    /// Rows at which the projections switch from the matrix-vector loop to OpenBLAS sgemm (which packs the whole
    /// weight matrix on every call: slower than streaming it once for a handful of rows).
    static let gemmRows = 8

    /// y[R, N] (+)= x[R, K] · W[N, K]ᵀ. `rowwise`: the matrix-vector loop at any row count, so each row's result
    /// is bit for bit that of a single-row call (the weight matrix is still streamed once for all rows).
    static func linear(rows r: Int, out n: Int, in k: Int, x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                       y: UnsafeMutablePointer<Float>, accumulate: Bool, threads: Int, rowwise: Bool = false) throws {
        if r >= gemmRows && !rowwise {
            try BLAS.sgemm(m: r, n: n, k: k, a: UnsafeBufferPointer(start: x, count: r * k),
                           b: UnsafeBufferPointer(start: w, count: n * k), transB: true,
                           c: UnsafeMutableBufferPointer(start: y, count: r * n), beta: accumulate ? 1 : 0)
            return
        }
        parallelRanges(count: n, threads: n * k * r >= 1 << 16 ? threads : 1) { range in
            for j in range {
                let wj = w + j * k
                for i in 0..<r {
                    let d = dot(x + i * k, wj, count: k)
                    if accumulate { y[i * n + j] += d } else { y[i * n + j] = d }
                }
            }
        }
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        var acc0 = V8(), acc1 = V8()
        var j = 0
        while j + 16 <= n {
            acc0 += load(a + j) * load(b + j)
            acc1 += load(a + j + 8) * load(b + j + 8)
            j += 16
        }
        while j + 8 <= n { acc0 += load(a + j) * load(b + j); j += 8 }
        var s = (acc0 + acc1).sum()
        while j < n { s += a[j] * b[j]; j += 1 }
        return s
    }

    /// out[r, 0..<C] (row stride `outStride`) = w ⊙ x[r] · rsqrt(mean(x[r]²) + ε), fp32 (SPEC §7).
    static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                        outStride: Int, rows: Int, columns c: Int, epsilon: Float) {
        for t in 0..<rows {
            let xr = x + t * c, o = out + t * outStride
            let scale = 1 / (dot(xr, xr, count: c) / Float(c) + epsilon).squareRoot()
            for j in 0..<c { o[j] = weight[j] * (xr[j] * scale) }
        }
    }

    /// act[r, i] = silu(gu[r, i]) · gu[r, I + i] (gate columns first, then up).
    static func swiGLU(_ gu: UnsafePointer<Float>, _ act: UnsafeMutablePointer<Float>, width i: Int, rows: Int) {
        for t in 0..<rows {
            let g = gu + t * 2 * i, u = g + i, o = act + t * i
            for j in 0..<i { o[j] = g[j] / (1 + Foundation.exp(-g[j])) * u[j] }
        }
    }

    /// RoPE, non-interleaved halves (SPEC §7): x'_i = x_i cos − x_{i+hd/2} sin, x'_{i+hd/2} = x_{i+hd/2} cos + x_i sin.
    @inline(__always)
    static func rotate(_ x: UnsafeMutablePointer<Float>, cos cs: UnsafePointer<Float>, sin sn: UnsafePointer<Float>, half: Int) {
        for i in 0..<half {
            let a = x[i], b = x[i + half]
            x[i] = a * cs[i] - b * sn[i]
            x[i + half] = b * cs[i] + a * sn[i]
        }
    }

    /// In-place softmax of x[0..<n] (fp32, max subtracted).
    static func softmax(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        var m = -Float.infinity
        for j in 0..<n where x[j] > m { m = x[j] }
        var s: Float = 0
        for j in 0..<n { x[j] = Foundation.exp(x[j] - m); s += x[j] }
        let inv = 1 / s
        for j in 0..<n { x[j] *= inv }
    }

    /// Index of the largest of x[0..<n], the first on ties (as `torch.argmax`).
    static func argmax(_ x: UnsafePointer<Float>, count n: Int) -> Int {
        var best = 0
        for j in 1..<max(n, 1) where x[j] > x[best] { best = j }
        return best
    }
}

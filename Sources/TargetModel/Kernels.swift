import EagleCore

/// Elementwise and row-wise kernels of the forward pass, over raw fp32 rows. Shapes use `T` (rows, tokens) and
/// `C` (columns); every function processes whole rows so callers can split rows across threads. Inner loops use
/// `SIMD8<Float>`; tails fall back to scalars.
enum Kernels {
    typealias V8 = SIMD8<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }
    @inline(__always)
    static func store(_ v: V8, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self) }

    /// out[t, :] = x[t, :] / sqrt(mean(x[t, :]²) + eps) · weight, for t in rows. x, out: [T, C]; weight: [C].
    /// As transformers' `LlamaRMSNorm` (fp32): the mean of squares, then `x · rsqrt(var + eps)`, then `weight ·`.
    static func rmsNorm(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                        columns c: Int, rows: Range<Int>, epsilon: Float) {
        for t in rows {
            let xr = x + t * c, o = out + t * c
            var acc = V8()
            var j = 0
            while j + 8 <= c { let v = load(xr + j); acc += v * v; j += 8 }
            var sum = acc.sum()
            while j < c { sum += xr[j] * xr[j]; j += 1 }
            let scale = 1 / (sum / Float(c) + epsilon).squareRoot()
            j = 0
            while j + 8 <= c { store(load(weight + j) * (load(xr + j) * scale), o + j); j += 8 }
            while j < c { o[j] = weight[j] * (xr[j] * scale); j += 1 }
        }
    }

    /// act[t, i] = silu(gu[t, i]) · gu[t, I + i] for i < I (gate rows first, then up). gu: [T, 2I]; act: [T, I].
    static func swiGLU(_ gu: UnsafePointer<Float>, _ act: UnsafeMutablePointer<Float>, width i: Int, rows: Range<Int>) {
        for t in rows {
            let g = gu + t * 2 * i, u = g + i, o = act + t * i
            var j = 0
            while j + 8 <= i {
                let gv = load(g + j)
                store(gv / (1 + exp(-gv)) * load(u + j), o + j)
                j += 8
            }
            while j < i {
                let gv = g[j]
                o[j] = gv / (1 + exp1(-gv)) * u[j]
                j += 1
            }
        }
    }

    /// dst[j] += src[j] for j < n.
    static func add(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count n: Int) {
        var j = 0
        while j + 8 <= n { store(load(dst + j) + load(src + j), dst + j); j += 8 }
        while j < n { dst[j] += src[j]; j += 1 }
    }

    /// Index of the largest element, the first on ties (as `torch.argmax` for finite values).
    static func argmax(_ x: UnsafePointer<Float>, count n: Int) -> Int {
        var best = 0
        var bestValue = x[0]
        for j in 1..<max(n, 1) where x[j] > bestValue {
            best = j
            bestValue = x[j]
        }
        return best
    }

    /// In place: x[j] = exp(x[j] − max) / Σ over j < n.
    static func softmax(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        var m = -Float.infinity
        for j in 0..<n { m = max(m, x[j]) }
        let mv = V8(repeating: m)
        var acc = V8()
        var j = 0
        while j + 8 <= n { let e = exp(load(x + j) - mv); store(e, x + j); acc += e; j += 8 }
        var sum = acc.sum()
        while j < n { x[j] = exp1(x[j] - m); sum += x[j]; j += 1 }
        let inv = 1 / sum
        j = 0
        while j + 8 <= n { store(load(x + j) * inv, x + j); j += 8 }
        while j < n { x[j] *= inv; j += 1 }
    }

    /// `VectorExp.exp` (EagleCore): Cephes expf on 8 lanes, inputs clamped to [−87.3, 88.3].
    @inline(__always)
    static func exp(_ v: V8) -> V8 { VectorExp.exp(v) }

    /// Scalar tail version with the same formula.
    @inline(__always)
    static func exp1(_ x: Float) -> Float { VectorExp.exp1(x) }
}

import EagleCore

/// RMSNorm in fp32 (SPEC §7): `out = w ⊙ (x · rstd)`, `rstd = 1/√(mean(x²) + ε)`, per row.
enum RMSNorm {
    /// out[N, C] (row stride `outStride`) = weight[C] ⊙ inp[N, C] · rstd[N]; writes rstd[N] for the backward pass.
    static func forward(out: UnsafeMutablePointer<Float>, outStride: Int, rstd: UnsafeMutablePointer<Float>,
                        inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows N: Int, columns C: Int, eps: Float,
                        threads: Int) {
        parallelRanges(count: N, threads: threads) { _, rows in
            for n in rows {
                let x = inp + n * C, o = out + n * outStride
                let r = 1 / (SIMDMath.dot(x, x, count: C) / Float(C) + eps).squareRoot()
                rstd[n] = r
                for c in 0..<C { o[c] = weight[c] * (x[c] * r) }
            }
        }
    }

    /// Backward of `out = weight ⊙ inp · rstd`:
    /// - dinp[N, C] += rstd·(w⊙dout) − rstd³/C · inp · Σ_c (w⊙dout)·inp   (skipped when nil: frozen input)
    /// - dweight[C] += Σ_n dout ⊙ inp · rstd
    /// dout has row stride `doutStride`. `scratch` holds `threads · C` floats (per-worker dweight partials, summed in
    /// worker order, so the result depends only on the thread count).
    static func backward(dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                         doutStride: Int, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                         rows N: Int, columns C: Int, threads: Int, scratch: ScratchBuffer) {
        let workers = max(1, min(threads, N))
        let partial = scratch.reserve(workers * C)
        partial.update(repeating: 0, count: workers * C)
        parallelRanges(count: N, threads: workers) { w, rows in
            let dw = partial + w * C
            for n in rows {
                let x = inp + n * C, dy = dout + n * doutStride, r = rstd[n]
                var s: Float = 0
                for c in 0..<C {
                    dw[c] += dy[c] * (x[c] * r)
                    s += weight[c] * dy[c] * x[c]
                }
                if let dinp {
                    let dx = dinp + n * C
                    let k = r * r * r * s / Float(C)
                    for c in 0..<C { dx[c] += r * weight[c] * dy[c] - k * x[c] }
                }
            }
        }
        for w in 0..<workers { SIMDMath.add(partial + w * C, into: dweight, count: C) }
    }
}

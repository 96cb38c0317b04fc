import EagleCore

/// The SwiGLU activation of the MLP on the fused gate|up projection (SPEC §7): `silu(g) ⊙ u`, `silu(a) = a·σ(a)`.
enum SwiGLU {
    /// out[N, I] = silu(gu[N, 0..<I]) ⊙ gu[N, I..<2I]
    static func forward(out: UnsafeMutablePointer<Float>, gu: UnsafePointer<Float>, rows N: Int, width I: Int, threads: Int) {
        parallelRanges(count: N, threads: threads) { _, rows in
            for n in rows {
                let g = gu + n * 2 * I, u = g + I, o = out + n * I
                for i in 0..<I { o[i] = g[i] / (1 + SIMDMath.exp1(-g[i])) * u[i] }
            }
        }
    }

    /// Backward of `out = silu(g) ⊙ u`:
    /// - dgu[N, 0..<I] = dout ⊙ u ⊙ σ(g)(1 + g(1 − σ(g)))
    /// - dgu[N, I..<2I] = dout ⊙ silu(g)
    static func backward(dgu: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, gu: UnsafePointer<Float>,
                         rows N: Int, width I: Int, threads: Int) {
        parallelRanges(count: N, threads: threads) { _, rows in
            for n in rows {
                let g = gu + n * 2 * I, u = g + I, dy = dout + n * I, dg = dgu + n * 2 * I, du = dg + I
                for i in 0..<I {
                    let s = 1 / (1 + SIMDMath.exp1(-g[i]))
                    du[i] = dy[i] * g[i] * s
                    dg[i] = dy[i] * u[i] * s * (1 + g[i] * (1 - s))
                }
            }
        }
    }
}

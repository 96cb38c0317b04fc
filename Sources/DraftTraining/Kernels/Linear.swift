/// A bias-free Linear layer, `out = inp · weightᵀ` with PyTorch's `[out, in]` weight layout, on BLAS.
enum Linear {
    /// out[N, O] = inp[N, In] · weight[O, In]ᵀ
    static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        rows N: Int, inFeatures In: Int, outFeatures O: Int, threads: Int = 1) {
        gemm(m: N, n: O, k: In, a: inp, b: weight, transB: true, c: out, threads: threads)
    }

    /// Backward of `out = inp · weightᵀ`:
    /// - dinp[N, In] = dout[N, O] · weight[O, In]   (`+=` when `accumulate`; skipped when nil: frozen input)
    /// - dweight[O, In] += dout[N, O]ᵀ · inp[N, In]
    /// `scratch` holds the split weight-gradient partial products when `threads > 1` (see `gemm`).
    static func backward(dinp: UnsafeMutablePointer<Float>?, accumulate: Bool, dweight: UnsafeMutablePointer<Float>,
                         dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         rows N: Int, inFeatures In: Int, outFeatures O: Int, threads: Int = 1, scratch: ScratchBuffer? = nil) {
        gemm(m: O, n: In, k: N, a: dout, transA: true, b: inp, c: dweight, beta: 1, threads: threads, scratch: scratch)
        if let dinp { gemm(m: N, n: In, k: O, a: dout, b: weight, c: dinp, beta: accumulate ? 1 : 0, threads: threads) }
    }
}

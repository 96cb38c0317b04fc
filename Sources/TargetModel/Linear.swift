import LinearAlgebra

/// `out[M, N] (+)= x[M, K] · W[N, K]ᵀ`, the projection of every layer. Up to `skinnyRows` rows (generation steps,
/// speculative verification passes) use a vectorised matrix-vector kernel that streams each weight row once,
/// parallel over N (`SkinnyLinear`): OpenBLAS 0.3.21's sgemm packs the whole weight matrix on every call, which for
/// a few rows costs more than the arithmetic (measured: 5 tokens/s for SmolLM2 decoding). More rows go to sgemm,
/// which amortises the packing (and keeps debug-build tests fast: this kernel is Swift, unoptimised in debug builds),
/// unless `exactRows` asks for the per-row kernel at any row count (draft-tree verification).
enum Linear {
    static let skinnyRows = SkinnyLinear.maxRows

    static func apply(m: Int, n: Int, k: Int, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                      out: UnsafeMutablePointer<Float>, accumulate: Bool, threads: Int, exactRows: Bool = false) throws {
        if m > skinnyRows && !exactRows {
            try BLAS.sgemm(m: m, n: n, k: k, a: UnsafeBufferPointer(start: x, count: m * k),
                           b: UnsafeBufferPointer(start: weight, count: n * k), transB: true,
                           c: UnsafeMutableBufferPointer(start: out, count: m * n), beta: accumulate ? 1 : 0)
            return
        }
        SkinnyLinear.apply(m: m, n: n, k: k, x: x, weight: weight, out: out, accumulate: accumulate, threads: threads)
    }
}

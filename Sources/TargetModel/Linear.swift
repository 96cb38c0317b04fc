import LinearAlgebra

/// `out[M, N] (+)= x[M, K] · W[N, K]ᵀ`, the projection of every layer. A single row (one sequence's generation
/// step) uses a vectorised matrix-vector kernel that streams each weight row once, parallel over N: OpenBLAS
/// 0.3.21's sgemm packs the whole weight matrix on every call, which for M = 1 costs more than the arithmetic
/// (measured: 5 tokens/s for SmolLM2 decoding). Two or more rows go to sgemm, which amortises the packing (and
/// keeps debug-build tests fast: this kernel is Swift, unoptimised in debug builds).
enum Linear {
    static let skinnyRows = 1

    static func apply(m: Int, n: Int, k: Int, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                      out: UnsafeMutablePointer<Float>, accumulate: Bool, threads: Int) throws {
        if m > skinnyRows {
            try BLAS.sgemm(m: m, n: n, k: k, a: UnsafeBufferPointer(start: x, count: m * k),
                           b: UnsafeBufferPointer(start: weight, count: n * k), transB: true,
                           c: UnsafeMutableBufferPointer(start: out, count: m * n), beta: accumulate ? 1 : 0)
            return
        }
        parallelRanges(count: n, threads: n * k >= 1 << 15 ? threads : 1) { range in
            for j in range {
                let w = weight + j * k
                for i in 0..<m {
                    let d = Attention.dot(x + i * k, w, count: k)
                    if accumulate { out[i * n + j] += d } else { out[i * n + j] = d }
                }
            }
        }
    }
}

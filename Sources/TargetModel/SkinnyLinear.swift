import EagleCore

/// `out[M, N] (+)= x[M, K] · W[N, K]ᵀ` for a few rows (`M ≤ maxRows`: one decoding step, or a speculative
/// verification pass of K + 1 tokens). Each weight row is streamed from memory once and dotted with every input
/// row (the rows stay in cache), four rows at a time with independent accumulators (a tail of 2–3 rows as a group
/// too; a single row alone), parallel over N.
///
/// Every output element is summed in the same order whatever M is and whichever group its row falls in (8 lanes
/// over k in steps of 8, then the lane sum, then the scalar tail: `Attention.dot`'s order), so a row's result does
/// not depend on the rows beside it. A verification pass therefore computes each token bit for bit as a
/// single-token decoding step does, which makes greedy speculative decoding exactly lossless.
enum SkinnyLinear {
    static let maxRows = 8
    typealias V8 = Kernels.V8

    static func apply(m: Int, n: Int, k: Int, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                      out: UnsafeMutablePointer<Float>, accumulate: Bool, threads: Int) {
        let k8 = k & ~7
        parallelRanges(count: n, threads: n * k >= 1 << 15 ? threads : 1) { range in
            for j in range {
                let w = weight + j * k
                var i = 0
                while i + 2 <= m {
                    // Groups of 4 rows; a tail of 2 or 3 rows runs the same loop with its missing rows aliased
                    // to its last row (computed, not stored), which costs less than one pass per row.
                    let r = min(4, m - i)
                    let x0 = x + i * k, x1 = x0 + k, x2 = r > 2 ? x1 + k : x1, x3 = r > 3 ? x2 + k : x2
                    var a0 = V8(), a1 = V8(), a2 = V8(), a3 = V8()
                    var p = 0
                    while p < k8 {
                        let wv = Kernels.load(w + p)
                        a0 += Kernels.load(x0 + p) * wv
                        a1 += Kernels.load(x1 + p) * wv
                        a2 += Kernels.load(x2 + p) * wv
                        a3 += Kernels.load(x3 + p) * wv
                        p += 8
                    }
                    var s0 = a0.sum(), s1 = a1.sum(), s2 = a2.sum(), s3 = a3.sum()
                    while p < k {
                        s0 += x0[p] * w[p]; s1 += x1[p] * w[p]; s2 += x2[p] * w[p]; s3 += x3[p] * w[p]
                        p += 1
                    }
                    store(s0, row: i, column: j, n: n, out: out, accumulate: accumulate)
                    store(s1, row: i + 1, column: j, n: n, out: out, accumulate: accumulate)
                    if r > 2 { store(s2, row: i + 2, column: j, n: n, out: out, accumulate: accumulate) }
                    if r > 3 { store(s3, row: i + 3, column: j, n: n, out: out, accumulate: accumulate) }
                    i += r
                }
                while i < m {
                    let x0 = x + i * k
                    var a0 = V8()
                    var p = 0
                    while p < k8 { a0 += Kernels.load(x0 + p) * Kernels.load(w + p); p += 8 }
                    var s0 = a0.sum()
                    while p < k { s0 += x0[p] * w[p]; p += 1 }
                    store(s0, row: i, column: j, n: n, out: out, accumulate: accumulate)
                    i += 1
                }
            }
        }
    }

    @inline(__always)
    private static func store(_ s: Float, row i: Int, column j: Int, n: Int, out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        if accumulate { out[i * n + j] += s } else { out[i * n + j] = s }
    }
}

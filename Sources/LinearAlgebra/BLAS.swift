import COpenBLAS

/// A matrix shape or buffer size that does not fit the requested operation.
public struct LinearAlgebraError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var message: String
    public var description: String { "\(operation): \(message)" }
}

/// Thin wrappers over OpenBLAS. Row-major throughout; shapes are named as in `C[M,N] = A[M,K] · B[K,N]`.
public enum BLAS {
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }

    /// C[M,N] = alpha · op(A) · op(B) + beta · C, row-major. `transA`: A is stored as [K,M]; `transB`: B as [N,K].
    /// Sizes are checked against the buffers; a mismatch throws, a matching call never reads out of bounds.
    public static func sgemm(
        m: Int, n: Int, k: Int,
        a: UnsafeBufferPointer<Float>, transA: Bool = false,
        b: UnsafeBufferPointer<Float>, transB: Bool = false,
        c: UnsafeMutableBufferPointer<Float>,
        alpha: Float = 1, beta: Float = 0
    ) throws(LinearAlgebraError) {
        guard m >= 0, n >= 0, k >= 0, m <= Int(Int32.max), n <= Int(Int32.max), k <= Int(Int32.max) else {
            throw LinearAlgebraError(operation: "sgemm", message: "dimensions m=\(m) n=\(n) k=\(k) out of range")
        }
        let (mk, mkO) = m.multipliedReportingOverflow(by: k)
        let (kn, knO) = k.multipliedReportingOverflow(by: n)
        let (mn, mnO) = m.multipliedReportingOverflow(by: n)
        guard !mkO, !knO, !mnO, a.count >= mk, b.count >= kn, c.count >= mn else {
            throw LinearAlgebraError(operation: "sgemm",
                message: "buffers A \(a.count), B \(b.count), C \(c.count) too small for m=\(m) n=\(n) k=\(k)")
        }
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a.baseAddress, Int32(transA ? m : k),
                    b.baseAddress, Int32(transB ? k : n),
                    beta, c.baseAddress, Int32(n))
    }

    /// The naive triple loop, for tests and as the definition `sgemm` is checked against.
    public static func naiveGemm(
        m: Int, n: Int, k: Int, a: [Float], transA: Bool = false, b: [Float], transB: Bool = false
    ) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s: Double = 0
                for p in 0..<k {
                    let av = transA ? a[p * m + i] : a[i * k + p]
                    let bv = transB ? b[j * k + p] : b[p * n + j]
                    s += Double(av) * Double(bv)
                }
                c[i * n + j] = Float(s)
            }
        }
        return c
    }
}

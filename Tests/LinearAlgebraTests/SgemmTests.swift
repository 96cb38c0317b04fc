import LinearAlgebra
import TestSupport
import XCTest

final class SgemmTests: XCTestCase {
    func random(_ n: Int, seed: UInt64) -> [Float] {
        var s = seed
        return (0..<n).map { _ in
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: s >> 11) % 2001 - 1000) / 1000
        }
    }

    func testSgemmMatchesNaiveMatmulInAllTransposes() throws {
        let (m, n, k) = (37, 29, 53)
        for transA in [false, true] {
            for transB in [false, true] {
                let a = random(m * k, seed: 1), b = random(k * n, seed: 2)
                var c = [Float](repeating: 0, count: m * n)
                try a.withUnsafeBufferPointer { pa in
                    try b.withUnsafeBufferPointer { pb in
                        try c.withUnsafeMutableBufferPointer { pc in
                            try BLAS.sgemm(m: m, n: n, k: k, a: pa, transA: transA, b: pb, transB: transB, c: pc)
                        }
                    }
                }
                let expected = BLAS.naiveGemm(m: m, n: n, k: k, a: a, transA: transA, b: b, transB: transB)
                // fp32 accumulation order differs from the fp64 naive sum: |err| ≲ k·eps·Σ|a||b| ≈ 53·6e-8·53.
                assertClose(c, expected, atol: 1e-4, rtol: 1e-5, "transA=\(transA) transB=\(transB)")
            }
        }
    }

    func testShapeMismatchThrows() {
        let a = [Float](repeating: 1, count: 6)
        var c = [Float](repeating: 0, count: 4)
        XCTAssertThrowsError(try a.withUnsafeBufferPointer { p in
            try c.withUnsafeMutableBufferPointer { pc in try BLAS.sgemm(m: 2, n: 2, k: 4, a: p, b: p, c: pc) }
        }) { XCTAssertTrue("\($0)".contains("too small"), "\($0)") }
    }
}

import EagleCore
@testable import DraftTraining
import LinearAlgebra
import TestSupport
import XCTest

/// Finite-difference checks of every kernel's backward pass on tiny shapes (llm.c style). The objective is
/// f = Σ r ⊙ output for a fixed random r (or the loss itself for the draft head), accumulated in double; central
/// differences with eps = 1e-2 in fp32. Pass: NMSE = Σ(analytic − numeric)² / Σ numeric² ≤ 1e-4 (fp32 rounding of
/// f over eps = 1e-2 leaves ~1e-6 relative noise; a wrong term gives NMSE ≳ 1e-2).
final class KernelGradientTests: XCTestCase {
    static let eps: Float = 1e-2
    static let maxNMSE = 1e-4

    struct Rng {
        var g = SplitMix64(seed: 1234)
        mutating func values(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in (Float(g.nextUnit()) * 2 - 1) * scale } }
    }

    /// Central differences of `f` with respect to every element of `x`, compared with `analytic`.
    func check(_ name: String, _ x: [Float], analytic: [Float], file: StaticString = #filePath, line: UInt = #line, _ f: ([Float]) -> Double) {
        var numeric = [Float](repeating: 0, count: x.count)
        var xp = x
        for i in x.indices {
            xp[i] = x[i] + Self.eps
            let fp = f(xp)
            xp[i] = x[i] - Self.eps
            let fm = f(xp)
            xp[i] = x[i]
            numeric[i] = Float((fp - fm) / Double(2 * Self.eps))
        }
        var err = 0.0, ref = 0.0
        for i in x.indices {
            err += Double(analytic[i] - numeric[i]) * Double(analytic[i] - numeric[i])
            ref += Double(numeric[i]) * Double(numeric[i])
        }
        let nmse = err / max(ref, 1e-30)
        XCTAssertGreaterThan(ref, 0, "\(name): zero gradient (the check would be vacuous)", file: file, line: line)
        XCTAssertLessThanOrEqual(nmse, Self.maxNMSE, "\(name): NMSE \(nmse)", file: file, line: line)
    }

    static func weighted(_ out: [Float], _ r: [Float]) -> Double { zip(out, r).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

    func testRMSNorm() {
        var rng = Rng()
        let N = 3, C = 8
        let x = rng.values(N * C), w = rng.values(C, scale: 2), r = rng.values(N * C)
        func forward(_ x: [Float], _ w: [Float]) -> ([Float], [Float]) {
            var out = [Float](repeating: 0, count: N * C), rstd = [Float](repeating: 0, count: N)
            RMSNorm.forward(out: &out, outStride: C, rstd: &rstd, inp: x, weight: w, rows: N, columns: C, eps: 1e-5, threads: 2)
            return (out, rstd)
        }
        let (_, rstd) = forward(x, w)
        var dx = [Float](repeating: 0, count: N * C), dw = [Float](repeating: 0, count: C)
        RMSNorm.backward(dinp: &dx, dweight: &dw, dout: r, doutStride: C, inp: x, weight: w, rstd: rstd, rows: N, columns: C,
                         threads: 2, scratch: ScratchBuffer())
        check("RMSNorm ∂x", x, analytic: dx) { Self.weighted(forward($0, w).0, r) }
        check("RMSNorm ∂w", w, analytic: dw) { Self.weighted(forward(x, $0).0, r) }
    }

    func testRoPE() {
        var rng = Rng()
        let N = 4, heads = 2, hd = 8, offset = 3
        let table = RoPETable(headDim: hd, base: 10000)
        table.ensure(positions: N + offset)
        let x = rng.values(N * heads * hd), r = rng.values(N * heads * hd)
        func forward(_ x: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: x.count)
            RoPE.forward(out: &out, inp: x, stride: heads * hd, column: 0, heads: heads, rows: N, headDim: hd,
                         positionOffset: offset, table: table, threads: 2)
            return out
        }
        var dx = [Float](repeating: 0, count: x.count)
        RoPE.backward(dinp: &dx, stride: heads * hd, column: 0, dout: r, heads: heads, rows: N, headDim: hd,
                      positionOffset: offset, table: table, threads: 2)
        check("RoPE ∂x", x, analytic: dx) { Self.weighted(forward($0), r) }
    }

    func testSwiGLU() {
        var rng = Rng()
        let N = 3, I = 6
        let gu = rng.values(N * 2 * I, scale: 3), r = rng.values(N * I)
        func forward(_ gu: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: N * I)
            SwiGLU.forward(out: &out, gu: gu, rows: N, width: I, threads: 2)
            return out
        }
        var dgu = [Float](repeating: 0, count: gu.count)
        SwiGLU.backward(dgu: &dgu, dout: r, gu: gu, rows: N, width: I, threads: 2)
        check("SwiGLU ∂gate|up", gu, analytic: dgu) { Self.weighted(forward($0), r) }
    }

    func testLinearAsFc() {
        var rng = Rng()
        let N = 4, In = 6, O = 5
        let x = rng.values(N * In), w = rng.values(O * In), r = rng.values(N * O)
        func forward(_ x: [Float], _ w: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: N * O)
            Linear.forward(out: &out, inp: x, weight: w, rows: N, inFeatures: In, outFeatures: O)
            return out
        }
        // BLAS against the naive triple loop: same products, other summation order (~1e-6 relative).
        assertClose(forward(x, w), BLAS.naiveGemm(m: N, n: O, k: In, a: x, b: w, transB: true), atol: 1e-6, rtol: 1e-5, "BLAS vs naive")
        var dx = [Float](repeating: 0, count: x.count), dw = [Float](repeating: 0, count: w.count)
        Linear.backward(dinp: &dx, accumulate: false, dweight: &dw, dout: r, inp: x, weight: w, rows: N, inFeatures: In, outFeatures: O)
        check("Linear ∂x", x, analytic: dx) { Self.weighted(forward($0, w), r) }
        check("Linear ∂W", w, analytic: dw) { Self.weighted(forward(x, $0), r) }
    }

    /// The split matmuls (rows of C without transA; K with transA and a scratch buffer) against the naive triple
    /// loop: same products, other summation order (1e-5 relative).
    func testParallelGemmSplits() {
        var rng = Rng()
        let m = 96, n = 80, k = 200
        let a = rng.values(m * k), at = rng.values(k * m), b = rng.values(k * n), bt = rng.values(n * k), c0 = rng.values(m * n)
        for threads in [2, 3] {
            var c = [Float](repeating: 0, count: m * n)
            gemm(m: m, n: n, k: k, a: a, b: bt, transB: true, c: &c, threads: threads)
            assertClose(c, BLAS.naiveGemm(m: m, n: n, k: k, a: a, b: bt, transB: true), atol: 1e-5, rtol: 1e-5, "rows split, threads \(threads)")
            c = c0  // accumulate (beta 1), as the weight gradients do
            gemm(m: m, n: n, k: k, a: at, transA: true, b: b, c: &c, beta: 1, threads: threads, scratch: ScratchBuffer())
            let expected = zip(BLAS.naiveGemm(m: m, n: n, k: k, a: at, transA: true, b: b), c0).map { $0 + $1 }
            assertClose(c, expected, atol: 1e-5, rtol: 1e-5, "K split, threads \(threads)")
        }
    }

    func testTTTAttention() {
        // (name, causal shift, query positions at step k = 2 (nil: all 6), positions of step 1 (nil: all 6))
        let cases: [(String, Int, [Int32]?, [Int32]?)] = [
            ("main", 0, nil, nil), ("first-upload", 2, nil, nil), ("compacted rows", 0, [2, 3, 5], [0, 2, 3, 5]),
        ]
        for (variant, shift, queryPositions, step1Positions) in cases {
            var rng = Rng()
            let L = 6, nh = 4, nkv = 2, hd = 4, k = 2, group = nh / nkv
            let n = queryPositions?.count ?? L, n1 = step1Positions?.count ?? L
            let rowsPerStep = [L, n1, n]
            let q = rng.values(nh * n * hd), r = rng.values(n * nh * hd)
            let keys = (0...k).map { rng.values(nkv * rowsPerStep[$0] * hd) }, values = (0...k).map { rng.values(nkv * rowsPerStep[$0] * hd) }
            let diagonal1: [Int32]? = queryPositions.map { qp in qp.map { Int32(step1Positions!.firstIndex(of: $0)!) } }
            func withGeometry<R>(_ body: (TTTAttention.Geometry) -> R) -> R {
                withPointers([queryPositions ?? [], diagonal1 ?? []]) { p in
                    body(TTTAttention.Geometry(rows: n, keyRows: L, heads: nh, groupSize: group, headDim: hd, causalShift: shift,
                                               queryPositions: queryPositions == nil ? nil : p[0],
                                               diagonalRows: [diagonal1 == nil ? nil : p[1], nil]))
                }
            }
            func pointers(_ arrays: [[Float]]) -> [UnsafeMutablePointer<Float>] {
                arrays.map { a in let p = UnsafeMutablePointer<Float>.allocate(capacity: a.count); p.initialize(from: a, count: a.count); return p }
            }
            func forward(_ q: [Float], _ keys: [[Float]], _ values: [[Float]]) -> ([Float], [Float], [Float]) {
                var out = [Float](repeating: 0, count: n * nh * hd)
                var mx = [Float](repeating: 0, count: nh * n), sum = mx
                let kp = pointers(keys), vp = pointers(values)
                defer { (kp + vp).forEach { $0.deallocate() } }
                withGeometry { g in
                    TTTAttention.forward(out: &out, q: q, keys: kp.map { UnsafePointer($0) }, values: vp.map { UnsafePointer($0) },
                                         keyRowsPerStep: rowsPerStep, rowMax: &mx, rowSum: &sum, geometry: g, threads: 2)
                }
                return (out, mx, sum)
            }
            let (out, mx, sum) = forward(q, keys, values)
            var dq = [Float](repeating: 0, count: q.count)
            let dK = (0...k).map { UnsafeMutablePointer<Float>.allocate(capacity: nh * rowsPerStep[$0] * hd) }
            let dV = (0...k).map { UnsafeMutablePointer<Float>.allocate(capacity: nh * rowsPerStep[$0] * hd) }
            let kp = pointers(keys), vp = pointers(values)
            defer { (dK + dV + kp + vp).forEach { $0.deallocate() } }
            for j in 0...k {
                dK[j].initialize(repeating: 0, count: nh * rowsPerStep[j] * hd)
                dV[j].initialize(repeating: 0, count: nh * rowsPerStep[j] * hd)
            }
            withGeometry { g in
                TTTAttention.backward(dq: &dq, dKeys: dK, dValues: dV, dout: r, out: out, q: q, keys: kp.map { UnsafePointer($0) },
                                      values: vp.map { UnsafePointer($0) }, keyRowsPerStep: rowsPerStep, rowMax: mx, rowSum: sum,
                                      geometry: g, threads: 2)
            }
            check("attention (\(variant)) ∂q", q, analytic: dq) { Self.weighted(forward($0, keys, values).0, r) }
            for j in 0...k {
                // Per-query-head gradients reduced onto the KV heads, as the engine does.
                let rows = rowsPerStep[j]
                var dKj = [Float](repeating: 0, count: nkv * rows * hd), dVj = dKj
                HeadLayout.mergeGroups(out: &dKj, headStride: rows * hd, rowStride: hd, inp: dK[j], heads: nh, groupSize: group,
                                       rows: rows, headDim: hd, threads: 1)
                HeadLayout.mergeGroups(out: &dVj, headStride: rows * hd, rowStride: hd, inp: dV[j], heads: nh, groupSize: group,
                                       rows: rows, headDim: hd, threads: 1)
                check("attention (\(variant)) ∂K_\(j)", keys[j], analytic: dKj) { kj in
                    var ks = keys; ks[j] = kj
                    return Self.weighted(forward(q, ks, values).0, r)
                }
                check("attention (\(variant)) ∂V_\(j)", values[j], analytic: dVj) { vj in
                    var vs = values; vs[j] = vj
                    return Self.weighted(forward(q, keys, vs).0, r)
                }
            }
        }
    }

    func testDraftHeadWithSoftLabelCrossEntropy() {
        var rng = Rng()
        let N = 5, H = 6, Vd = 7
        let x = rng.values(N * H), w = rng.values(Vd * H)
        // Target rows: softmax of random logits (row N uniform), a mix of weights 1 and a masked position.
        var probs = [Float](repeating: 0, count: (N + 1) * Vd), sums = [Float](repeating: 0, count: N + 1)
        var argmaxP = [Int32](repeating: 0, count: N + 1)
        for u in 0...N {
            let z = u == N ? [Float](repeating: 0, count: Vd) : rng.values(Vd, scale: 3)
            let e = z.map { Foundation.exp($0 - z.max()!) }, s = e.reduce(0, +)
            for i in 0..<Vd { probs[u * Vd + i] = e[i] / s }
            sums[u] = probs[(u * Vd)..<((u + 1) * Vd)].reduce(0, +)
            argmaxP[u] = Int32(probs[(u * Vd)..<((u + 1) * Vd)].indices.max { probs[$0] < probs[$1] }! - u * Vd)
        }
        let active = [ActivePosition(position: 0, targetRow: 1, weight: 1), ActivePosition(position: 2, targetRow: 3, weight: 1),
                      ActivePosition(position: 4, targetRow: 5, weight: 1)]
        let chunk = DraftHeadLoss.chunkRows(draftVocabSize: Vd)
        func run(_ x: [Float], _ w: [Float], grad: Bool) -> (Double, [Float], [Float]) {
            var dx = [Float](repeating: 0, count: N * H), dw = [Float](repeating: 0, count: Vd * H)
            var gathered = [Float](repeating: 0, count: chunk * H), logits = [Float](repeating: 0, count: chunk * Vd), dg = gathered
            var losses = [Double](repeating: 0, count: chunk), hits = losses
            let result = DraftHeadLoss.run(active: active, x: x, weight: w, probs: probs, probSums: sums, probArgmax: argmaxP,
                                           hiddenSize: H, draftVocabSize: Vd, gradScale: grad ? 1 : nil, dx: &dx, dweight: &dw,
                                           gathered: &gathered, logits: &logits, dgathered: &dg, rowLosses: &losses, rowHits: &hits,
                                           threads: 2)
            return (result.loss, dx, dw)
        }
        let (_, dx, dw) = run(x, w, grad: true)
        check("draft head + soft CE ∂x", x, analytic: dx) { run($0, w, grad: false).0 }
        check("draft head + soft CE ∂W_lm", w, analytic: dw) { run(x, $0, grad: false).0 }
    }
}

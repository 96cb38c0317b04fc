import EagleCore

/// Training-time-test attention of one step k (SPEC §8), per query head n (KV head g = n / groupSize), query at
/// position t:
///
///     s0[t'] = q[n,t] · K_0[g,t'] / √hd   for t' ≤ t − shift   (shift = k for the first-upload variant, else 0)
///     s_j    = q[n,t] · K_j[g,t]  / √hd   for j = 1…k          (same position t, unmasked)
///     p      = one softmax over all of them
///     out[t, n·hd …] = Σ_{t'} p0[t'] V_0[g,t'] + Σ_j p_j V_j[g,t]
///
/// Masked scores are left out of the softmax (the reference adds fp32 min, whose exp is exactly 0). Steps k ≥ 1 may
/// be compacted to the positions some later loss depends on: query row r is at position `queryPositions[r]`
/// (ascending; nil = r), and step j's keys and values are rows `diagonalRows[j−1][r]` of that step's own compacted
/// tensors (nil = r). Step-0 keys and values always hold all `keyRows` positions.
///
/// The causal block goes through single-threaded BLAS per (head, block of `blockRows` queries), computing only the
/// keys up to the block's last query; the k diagonal terms are dot products. The backward pass recomputes the
/// probabilities from the saved row max and sum (flash-attention style), so no N×N matrix is kept between passes.
enum TTTAttention {
    static let blockRows = 128

    /// The query/key geometry of one step.
    struct Geometry {
        /// Query rows (n_k).
        var rows: Int
        /// Step-0 key rows (L).
        var keyRows: Int
        var heads: Int
        var groupSize: Int
        var headDim: Int
        var causalShift: Int
        var queryPositions: UnsafePointer<Int32>?
        /// Per diagonal step j = 1…k: row of position t in step j's tensors (nil: the same row).
        var diagonalRows: [UnsafePointer<Int32>?]

        @inline(__always) func position(_ r: Int) -> Int { queryPositions.map { Int($0[r]) } ?? r }
        @inline(__always) func diagonalRow(_ j: Int, _ r: Int) -> Int { diagonalRows[j - 1].map { Int($0[r]) } ?? r }
        /// Step-0 keys visible to query row r: 0..<count.
        @inline(__always) func visibleKeys(_ r: Int) -> Int { max(0, min(keyRows, position(r) - causalShift + 1)) }
    }

    /// Shapes: q [nh, n, hd] (after RoPE); keys[0], values[0] [nkv, L, hd]; keys[j], values[j] [nkv, n_j, hd]
    /// (keys after RoPE); out [n, nh·hd] token-major; rowMax, rowSum [nh, n] (saved for backward).
    static func forward(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, keys: [UnsafePointer<Float>],
                        values: [UnsafePointer<Float>], keyRowsPerStep: [Int], rowMax: UnsafeMutablePointer<Float>,
                        rowSum: UnsafeMutablePointer<Float>, geometry G: Geometry, threads: Int) {
        let k = keys.count - 1, N = G.rows, L = G.keyRows, nh = G.heads, hd = G.headDim
        let blocks = (N + blockRows - 1) / blockRows
        let scale = Float(Double(hd).squareRoot())
        let stride = nh * hd
        ComputeThreads.withSingleThreadedBLAS {
            parallelFor(threads <= 1 ? 1 : nh * blocks) { task in
                let range = threads <= 1 ? 0..<(nh * blocks) : task..<(task + 1)
                let scores = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * max(L, 1))
                let diag = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * max(k, 1))
                let block = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * hd)
                defer { scores.deallocate(); diag.deallocate(); block.deallocate() }
                for task in range {
                    let n = task / blocks, r0 = (task % blocks) * blockRows, g = n / G.groupSize
                    let R = min(blockRows, N - r0)
                    let hi = G.visibleKeys(r0 + R - 1)
                    let qb = q + (n * N + r0) * hd
                    gemm(m: R, n: hi, k: hd, a: qb, b: keys[0] + g * L * hd, transB: true, c: scores)
                    for r in 0..<R {
                        let c = min(hi, G.visibleKeys(r0 + r))
                        let row = scores + r * hi, d = diag + r * k
                        for j in 0..<c { row[j] = row[j] / scale }
                        var mx = -Float.infinity
                        for j in 0..<c { mx = max(mx, row[j]) }
                        for j in 0..<k {
                            let kt = keys[j + 1] + (g * keyRowsPerStep[j + 1] + G.diagonalRow(j + 1, r0 + r)) * hd
                            d[j] = SIMDMath.dot(q + (n * N + r0 + r) * hd, kt, count: hd) / scale
                            mx = max(mx, d[j])
                        }
                        var sum = SIMDMath.expShifted(row, count: c, by: mx)
                        for j in 0..<k { d[j] = SIMDMath.exp1(d[j] - mx); sum += d[j] }
                        for j in 0..<c { row[j] = row[j] / sum }
                        for j in c..<hi { row[j] = 0 }
                        for j in 0..<k { d[j] = d[j] / sum }
                        rowMax[n * N + r0 + r] = mx
                        rowSum[n * N + r0 + r] = sum
                    }
                    gemm(m: R, n: hd, k: hi, a: scores, b: values[0] + g * L * hd, c: block)
                    for r in 0..<R {
                        let o = block + r * hd
                        for j in 0..<k {
                            let vt = values[j + 1] + (g * keyRowsPerStep[j + 1] + G.diagonalRow(j + 1, r0 + r)) * hd
                            SIMDMath.axpy(diag[r * k + j], vt, o, count: hd)
                        }
                        (out + (r0 + r) * stride + n * hd).update(from: o, count: hd)
                    }
                }
            }
        }
    }

    /// Backward of `forward` (same shapes), with D[r] = Σ dout[r]·out[r] per head:
    ///     dS0 = P0 ⊙ (dout·V_0ᵀ − D),  ds_j = p_j (dout·V_j[t] − D)
    ///     dq[n,r]        = (Σ_{t'} dS0[t'] K_0[g,t'] + Σ_j ds_j K_j[g,t]) / √hd      (overwrites dq [nh, n, hd])
    ///     dKeys[0][n,t'] += Σ_r dS0[r,t'] q[n,r] / √hd;   dKeys[j][n,t] += ds_j q[n,r] / √hd
    ///     dValues[0][n,t'] += Σ_r P0[r,t'] dout[r];       dValues[j][n,t] += p_j dout[r]
    /// dKeys[j], dValues[j] are per query head ([nh, rows of step j, hd], accumulated; reduce onto KV heads
    /// afterwards), so heads run in parallel without sharing an output.
    static func backward(dq: UnsafeMutablePointer<Float>, dKeys: [UnsafeMutablePointer<Float>], dValues: [UnsafeMutablePointer<Float>],
                         dout: UnsafePointer<Float>, out: UnsafePointer<Float>, q: UnsafePointer<Float>,
                         keys: [UnsafePointer<Float>], values: [UnsafePointer<Float>], keyRowsPerStep: [Int],
                         rowMax: UnsafePointer<Float>, rowSum: UnsafePointer<Float>, geometry G: Geometry, threads: Int) {
        let k = keys.count - 1, N = G.rows, L = G.keyRows, nh = G.heads, hd = G.headDim
        let scale = Float(Double(hd).squareRoot())
        let stride = nh * hd
        ComputeThreads.withSingleThreadedBLAS {
            parallelFor(threads <= 1 ? 1 : nh) { task in
                let heads = threads <= 1 ? 0..<nh : task..<(task + 1)
                let probs = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * max(L, 1))
                let dprobs = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * max(L, 1))
                let dob = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * hd)
                let dsum = UnsafeMutablePointer<Float>.allocate(capacity: blockRows)
                defer { probs.deallocate(); dprobs.deallocate(); dob.deallocate(); dsum.deallocate() }
                for n in heads {
                    let g = n / G.groupSize
                    let k0 = keys[0] + g * L * hd, v0 = values[0] + g * L * hd
                    var r0 = 0
                    while r0 < N {
                        let R = min(blockRows, N - r0)
                        let hi = G.visibleKeys(r0 + R - 1)
                        let qb = q + (n * N + r0) * hd
                        for r in 0..<R {
                            (dob + r * hd).update(from: dout + (r0 + r) * stride + n * hd, count: hd)
                            dsum[r] = SIMDMath.dot(dob + r * hd, out + (r0 + r) * stride + n * hd, count: hd)
                        }
                        // Recompute P0 exactly as the forward pass did.
                        gemm(m: R, n: hi, k: hd, a: qb, b: k0, transB: true, c: probs)
                        for r in 0..<R {
                            let c = min(hi, G.visibleKeys(r0 + r))
                            let row = probs + r * hi
                            let mx = rowMax[n * N + r0 + r], sum = rowSum[n * N + r0 + r]
                            for j in 0..<c { row[j] = row[j] / scale }
                            _ = SIMDMath.expShifted(row, count: c, by: mx)
                            for j in 0..<c { row[j] = row[j] / sum }
                            for j in c..<hi { row[j] = 0 }
                        }
                        // dV_0 += P0ᵀ · dout;  dP0 = dout · V_0ᵀ;  dS0 = P0 ⊙ (dP0 − D)
                        gemm(m: hi, n: hd, k: R, a: probs, transA: true, b: dob, c: dValues[0] + n * L * hd, beta: 1)
                        gemm(m: R, n: hi, k: hd, a: dob, b: v0, transB: true, c: dprobs)
                        for r in 0..<R {
                            let p = probs + r * hi, ds = dprobs + r * hi, dd = dsum[r]
                            for j in 0..<hi { ds[j] = p[j] * (ds[j] - dd) }
                        }
                        // dq = dS0 · K_0 / √hd;  dK_0 += dS0ᵀ · q / √hd
                        gemm(m: R, n: hd, k: hi, a: dprobs, b: k0, c: dq + (n * N + r0) * hd, alpha: 1 / scale)
                        gemm(m: hi, n: hd, k: R, a: dprobs, transA: true, b: qb, c: dKeys[0] + n * L * hd, alpha: 1 / scale, beta: 1)
                        // The k diagonal terms.
                        for r in 0..<R where k > 0 {
                            let qt = q + (n * N + r0 + r) * hd, dqt = dq + (n * N + r0 + r) * hd, dot = dob + r * hd
                            let mx = rowMax[n * N + r0 + r], sum = rowSum[n * N + r0 + r]
                            for j in 1...k {
                                let row = G.diagonalRow(j, r0 + r), rowsJ = keyRowsPerStep[j]
                                let kt = keys[j] + (g * rowsJ + row) * hd, vt = values[j] + (g * rowsJ + row) * hd
                                let s = SIMDMath.dot(qt, kt, count: hd) / scale
                                let p = SIMDMath.exp1(s - mx) / sum
                                let ds = p * (SIMDMath.dot(dot, vt, count: hd) - dsum[r])
                                SIMDMath.axpy(ds / scale, kt, dqt, count: hd)
                                SIMDMath.axpy(ds / scale, qt, dKeys[j] + (n * rowsJ + row) * hd, count: hd)
                                SIMDMath.axpy(p, dot, dValues[j] + (n * rowsJ + row) * hd, count: hd)
                            }
                        }
                        r0 += R
                    }
                }
            }
        }
    }
}

/// Training-time-test attention of one step k (SPEC §8), per query head n (KV head g = n / groupSize), query t:
///
///     s0[t'] = q[n,t] · K_0[g,t'] / √hd   for t' ≤ t − shift   (shift = k for the first-upload variant, else 0)
///     s_j    = q[n,t] · K_j[g,t]  / √hd   for j = 1…k          (same position t, unmasked)
///     p      = one softmax over all of them
///     out[t, n·hd …] = Σ_{t'} p0[t'] V_0[g,t'] + Σ_j p_j V_j[g,t]
///
/// Masked scores are left out of the softmax (the reference adds fp32 min, whose exp is exactly 0). The causal
/// block goes through single-threaded BLAS per (head, block of `blockRows` queries), computing only the keys up to
/// the block's last query; the k diagonal terms are dot products. The backward pass recomputes the probabilities
/// from the saved row max and sum (flash-attention style), so no N×N matrix is kept between passes.
enum TTTAttention {
    static let blockRows = 128

    /// Shapes: q [nh, N, hd] (after RoPE); keys[j], values[j] [nkv, N, hd] for j = 0…k (keys after RoPE);
    /// out [N, nh·hd] token-major; rowMax, rowSum [nh, N] (saved for backward).
    static func forward(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, keys: [UnsafePointer<Float>],
                        values: [UnsafePointer<Float>], rowMax: UnsafeMutablePointer<Float>, rowSum: UnsafeMutablePointer<Float>,
                        rows N: Int, heads nh: Int, groupSize: Int, headDim hd: Int, causalShift shift: Int, threads: Int) {
        let k = keys.count - 1
        let blocks = (N + blockRows - 1) / blockRows
        let scale = Float(Double(hd).squareRoot())
        let stride = nh * hd
        ComputeThreads.withSingleThreadedBLAS {
            parallelFor(threads <= 1 ? 1 : nh * blocks) { task in
                let range = threads <= 1 ? 0..<(nh * blocks) : task..<(task + 1)
                let scores = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * N)
                let diag = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * max(k, 1))
                let block = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * hd)
                defer { scores.deallocate(); diag.deallocate(); block.deallocate() }
                for task in range {
                    let n = task / blocks, r0 = (task % blocks) * blockRows, g = n / groupSize
                    let R = min(blockRows, N - r0)
                    let hi = max(0, min(N, r0 + R - shift))
                    let qb = q + (n * N + r0) * hd
                    gemm(m: R, n: hi, k: hd, a: qb, b: keys[0] + g * N * hd, transB: true, c: scores)
                    for r in 0..<R {
                        let t = r0 + r
                        let c = max(0, min(hi, t - shift + 1))
                        let row = scores + r * hi, d = diag + r * k
                        for j in 0..<c { row[j] = row[j] / scale }
                        var mx = -Float.infinity
                        for j in 0..<c { mx = max(mx, row[j]) }
                        for j in 0..<k {
                            d[j] = SIMDMath.dot(q + (n * N + t) * hd, keys[j + 1] + (g * N + t) * hd, count: hd) / scale
                            mx = max(mx, d[j])
                        }
                        var sum = SIMDMath.expShifted(row, count: c, by: mx)
                        for j in 0..<k { d[j] = SIMDMath.exp1(d[j] - mx); sum += d[j] }
                        for j in 0..<c { row[j] = row[j] / sum }
                        for j in c..<hi { row[j] = 0 }
                        for j in 0..<k { d[j] = d[j] / sum }
                        rowMax[n * N + t] = mx
                        rowSum[n * N + t] = sum
                    }
                    gemm(m: R, n: hd, k: hi, a: scores, b: values[0] + g * N * hd, c: block)
                    for r in 0..<R {
                        let t = r0 + r, o = block + r * hd
                        for j in 0..<k { SIMDMath.axpy(diag[r * k + j], values[j + 1] + (g * N + t) * hd, o, count: hd) }
                        (out + t * stride + n * hd).update(from: o, count: hd)
                    }
                }
            }
        }
    }

    /// Backward of `forward` (same shapes), with D[t] = Σ dout[t]·out[t] per head:
    ///     dS0 = P0 ⊙ (dout·V_0ᵀ − D),  ds_j = p_j (dout·V_j[t] − D)
    ///     dq[n,t]        = (Σ_{t'} dS0[t'] K_0[g,t'] + Σ_j ds_j K_j[g,t]) / √hd      (overwrites dq [nh, N, hd])
    ///     dKeys[0][n,t'] += Σ_t dS0[t,t'] q[n,t] / √hd;   dKeys[j][n,t] += ds_j q[n,t] / √hd
    ///     dValues[0][n,t'] += Σ_t P0[t,t'] dout[t];       dValues[j][n,t] += p_j dout[t]
    /// dKeys[j], dValues[j] are per query head ([nh, N, hd], accumulated; reduce onto KV heads afterwards), so heads
    /// run in parallel without sharing an output.
    static func backward(dq: UnsafeMutablePointer<Float>, dKeys: [UnsafeMutablePointer<Float>], dValues: [UnsafeMutablePointer<Float>],
                         dout: UnsafePointer<Float>, out: UnsafePointer<Float>, q: UnsafePointer<Float>,
                         keys: [UnsafePointer<Float>], values: [UnsafePointer<Float>],
                         rowMax: UnsafePointer<Float>, rowSum: UnsafePointer<Float>,
                         rows N: Int, heads nh: Int, groupSize: Int, headDim hd: Int, causalShift shift: Int, threads: Int) {
        let k = keys.count - 1
        let scale = Float(Double(hd).squareRoot())
        let stride = nh * hd
        ComputeThreads.withSingleThreadedBLAS {
            parallelFor(threads <= 1 ? 1 : nh) { task in
                let heads = threads <= 1 ? 0..<nh : task..<(task + 1)
                let probs = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * N)
                let dprobs = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * N)
                let dob = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * hd)
                let dsum = UnsafeMutablePointer<Float>.allocate(capacity: blockRows)
                defer { probs.deallocate(); dprobs.deallocate(); dob.deallocate(); dsum.deallocate() }
                for n in heads {
                    let g = n / groupSize
                    let k0 = keys[0] + g * N * hd, v0 = values[0] + g * N * hd
                    var r0 = 0
                    while r0 < N {
                        let R = min(blockRows, N - r0)
                        let hi = max(0, min(N, r0 + R - shift))
                        let qb = q + (n * N + r0) * hd
                        for r in 0..<R {
                            let t = r0 + r
                            (dob + r * hd).update(from: dout + t * stride + n * hd, count: hd)
                            dsum[r] = SIMDMath.dot(dob + r * hd, out + t * stride + n * hd, count: hd)
                        }
                        // Recompute P0 exactly as the forward pass did.
                        gemm(m: R, n: hi, k: hd, a: qb, b: k0, transB: true, c: probs)
                        for r in 0..<R {
                            let t = r0 + r
                            let c = max(0, min(hi, t - shift + 1))
                            let row = probs + r * hi
                            let mx = rowMax[n * N + t], sum = rowSum[n * N + t]
                            for j in 0..<c { row[j] = row[j] / scale }
                            _ = SIMDMath.expShifted(row, count: c, by: mx)
                            for j in 0..<c { row[j] = row[j] / sum }
                            for j in c..<hi { row[j] = 0 }
                        }
                        // dV_0 += P0ᵀ · dout;  dP0 = dout · V_0ᵀ;  dS0 = P0 ⊙ (dP0 − D)
                        gemm(m: hi, n: hd, k: R, a: probs, transA: true, b: dob, c: dValues[0] + n * N * hd, beta: 1)
                        gemm(m: R, n: hi, k: hd, a: dob, b: v0, transB: true, c: dprobs)
                        for r in 0..<R {
                            let p = probs + r * hi, ds = dprobs + r * hi, dd = dsum[r]
                            for j in 0..<hi { ds[j] = p[j] * (ds[j] - dd) }
                        }
                        // dq = dS0 · K_0 / √hd;  dK_0 += dS0ᵀ · q / √hd
                        gemm(m: R, n: hd, k: hi, a: dprobs, b: k0, c: dq + (n * N + r0) * hd, alpha: 1 / scale)
                        gemm(m: hi, n: hd, k: R, a: dprobs, transA: true, b: qb, c: dKeys[0] + n * N * hd, alpha: 1 / scale, beta: 1)
                        // The k diagonal terms.
                        for r in 0..<R where k > 0 {
                            let t = r0 + r
                            let qt = q + (n * N + t) * hd, dqt = dq + (n * N + t) * hd, dot = dob + r * hd
                            let mx = rowMax[n * N + t], sum = rowSum[n * N + t]
                            for j in 1...k {
                                let kt = keys[j] + (g * N + t) * hd, vt = values[j] + (g * N + t) * hd
                                let s = SIMDMath.dot(qt, kt, count: hd) / scale
                                let p = SIMDMath.exp1(s - mx) / sum
                                let ds = p * (SIMDMath.dot(dot, vt, count: hd) - dsum[r])
                                SIMDMath.axpy(ds / scale, kt, dqt, count: hd)
                                SIMDMath.axpy(ds / scale, qt, dKeys[j] + (n * N + t) * hd, count: hd)
                                SIMDMath.axpy(p, dot, dValues[j] + (n * N + t) * hd, count: hd)
                            }
                        }
                        r0 += R
                    }
                }
            }
        }
    }
}

import EagleCore
import Foundation

/// One position of a TTT step with a non-zero loss weight: hidden row `position`, target distribution row
/// `targetRow`, weight `m = loss_mask[t+k] · flag` (SPEC §9).
struct ActivePosition {
    var position: Int32
    var targetRow: Int32
    var weight: Float
}

/// The draft head and its soft-label cross-entropy, fused (as llm.c's fused classifier): `logits = x · W_lmᵀ` over
/// the `Vd` draft columns, then per active position
///
///     loss   += m · (−Σ_i p_i log softmax(logits)_i)
///     hit    += m · [argmax logits == argmax p]             (first index on ties)
///     dlogits = g·m · (softmax(logits) · Σp − p)             (Σp kept, as autograd does; g = gradient scale)
///     dW_lm  += dlogitsᵀ · x[rows];   dx[rows] = dlogits · W_lm
///
/// The gradient is formed right after the logits, so a step's logits are never stored: positions go through in
/// chunks of `chunkRows`. Positions with m = 0 contribute exactly zero to loss, gradient and accuracy, so only the
/// active ones are computed (the reference computes all of them and multiplies by 0).
enum DraftHeadLoss {
    struct Result {
        var loss: Double = 0
        var hits: Double = 0
    }

    static func chunkRows(draftVocabSize Vd: Int) -> Int { max(32, min(1024, (1 << 23) / max(Vd, 1))) }

    /// Shapes: x [N, H] (the normed drafter output), weight [Vd, H], target probabilities `probs` [rows, Vd] with
    /// `probSums`, `probArgmax` per row; dx [N, H] receives rows of active positions (others untouched);
    /// dweight [Vd, H] accumulates. `gradScale` nil = evaluation only (no gradient work).
    /// Scratch: `gathered` ≥ chunk·H, `logits` ≥ chunk·Vd, `dgathered` ≥ chunk·H floats.
    static func run(active: [ActivePosition], x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                    probs: UnsafePointer<Float>, probSums: UnsafePointer<Float>, probArgmax: UnsafePointer<Int32>,
                    hiddenSize H: Int, draftVocabSize Vd: Int, gradScale: Float?,
                    dx: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>?,
                    gathered: UnsafeMutablePointer<Float>, logits: UnsafeMutablePointer<Float>,
                    dgathered: UnsafeMutablePointer<Float>, rowLosses: UnsafeMutablePointer<Double>,
                    rowHits: UnsafeMutablePointer<Double>, threads: Int, scratch: ScratchBuffer? = nil) -> Result {
        var result = Result()
        let chunk = chunkRows(draftVocabSize: Vd)
        var c0 = 0
        while c0 < active.count {
            let R = min(chunk, active.count - c0)
            for r in 0..<R { (gathered + r * H).update(from: x + Int(active[c0 + r].position) * H, count: H) }
            gemm(m: R, n: Vd, k: H, a: gathered, b: weight, transB: true, c: logits, threads: threads)
            parallelRanges(count: R, threads: threads) { _, rows in
                for r in rows {
                    let a = active[c0 + r]
                    let row = logits + r * Vd
                    let u = Int(a.targetRow)
                    let p = probs + u * Vd
                    let (mx, best) = maxAndArgmax(row, count: Vd)
                    let lse = mx + Foundation.log(SIMDMath.expShiftedSum(row, count: Vd, by: mx))
                    let sp = probSums[u]
                    rowLosses[r] = Double(a.weight) * Double(lse * sp - SIMDMath.dot(p, row, count: Vd))
                    rowHits[r] = best == Int(probArgmax[u]) ? Double(a.weight) : 0
                    if let gradScale { softLabelGradient(row, p: p, sumP: sp, lse: lse, scale: gradScale * a.weight, count: Vd) }
                }
            }
            for r in 0..<R {
                result.loss += rowLosses[r]
                result.hits += rowHits[r]
            }
            if gradScale != nil, let dx, let dweight {
                gemm(m: Vd, n: H, k: R, a: logits, transA: true, b: gathered, c: dweight, beta: 1, threads: threads, scratch: scratch)
                gemm(m: R, n: H, k: Vd, a: logits, b: weight, c: dgathered, threads: threads)
                for r in 0..<R { (dx + Int(active[c0 + r].position) * H).update(from: dgathered + r * H, count: H) }
            }
            c0 += R
        }
        return result
    }

    /// The largest value and the first index holding it.
    @inline(__always)
    static func maxAndArgmax(_ x: UnsafePointer<Float>, count n: Int) -> (Float, Int) {
        var mv = SIMDMath.V8(repeating: -.infinity)
        var j = 0
        while j + 8 <= n { mv = pointwiseMax(mv, SIMDMath.load(x + j)); j += 8 }
        var m = mv.max()
        while j < n { m = max(m, x[j]); j += 1 }
        var i = 0
        while i < n && x[i] != m { i += 1 }
        return (m, min(i, n - 1))
    }

    /// row[i] ← scale · (exp(row[i] − lse) · Σp − p[i]): ∂(−Σ p log softmax(row))/∂row, times scale.
    @inline(__always)
    static func softLabelGradient(_ row: UnsafeMutablePointer<Float>, p: UnsafePointer<Float>, sumP: Float, lse: Float,
                                  scale: Float, count n: Int) {
        let lv = SIMDMath.V8(repeating: lse), sv = SIMDMath.V8(repeating: sumP), gv = SIMDMath.V8(repeating: scale)
        var j = 0
        while j + 8 <= n {
            let q = SIMDMath.exp(SIMDMath.load(row + j) - lv)
            SIMDMath.store(gv * (q * sv - SIMDMath.load(p + j)), row + j)
            j += 8
        }
        while j < n { row[j] = scale * (SIMDMath.exp1(row[j] - lse) * sumP - p[j]); j += 1 }
    }
}

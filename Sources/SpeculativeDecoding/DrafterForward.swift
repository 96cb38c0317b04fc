import EagleCore
import Foundation
import TargetModel

extension DrafterModel {
    /// `h = fc(aux)`: the step-0 hidden input from the target's fused aux features. aux: `[R, 3H]` → `[R, H]`.
    public func fuse(aux: UnsafePointer<Float>, rows r: Int, threads: Int) throws -> FloatBuffer {
        let c = configuration
        let out = FloatBuffer(count: r * c.hiddenSize)
        try InferenceKernels.linear(rows: r, out: c.hiddenSize, in: c.auxWidth, x: aux, weight: fc.pointer, y: out.pointer,
                                    accumulate: false, threads: threads)
        return out
    }

    /// The drafter's decoder layer over `R` consecutive positions starting at `cache.length` (SPEC §7), appending
    /// their keys and values to `cache`. Row r has hidden input `hidden[r]` (`[R, H]`: `fc(aux)` for real
    /// positions, the previous step's output for a drafted one) and token `tokens[r]` (the token *after* the
    /// position whose features it carries). Query r attends to cache positions `0...start + r`.
    /// Returns `out` `[R, H]` (pre-norm: the next step's hidden input).
    public func forward(hidden: FloatBuffer, tokens: [Int32], cache: DrafterCache, threads: Int) throws -> FloatBuffer {
        let c = configuration
        let r = tokens.count, h = c.hiddenSize, hd = c.headDim, half = hd / 2
        let start = cache.length
        guard hidden.count >= r * h else { throw SpeculativeDecodingError.invalidRequest("drafter: \(hidden.count) hidden values for \(r) rows") }
        guard start + r <= cache.capacity else {
            throw SpeculativeDecodingError.invalidRequest("drafter cache holds \(cache.capacity) positions, \(start + r) needed")
        }
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= c.targetVocabSize }) {
            throw SpeculativeDecodingError.invalidRequest("drafter: token \(bad) outside the vocabulary 0..<\(c.targetVocabSize)")
        }
        // u = [RMSNorm_in(e) ; RMSNorm_hidden(h)], the embedding first.
        let u = FloatBuffer(count: r * 2 * h)
        for (i, id) in tokens.enumerated() {
            InferenceKernels.rmsNorm(embedding.pointer + Int(id) * h, weight: inputNorm.pointer, out: u.pointer + i * 2 * h,
                                     outStride: 2 * h, rows: 1, columns: h, epsilon: c.rmsNormEps)
        }
        InferenceKernels.rmsNorm(hidden.pointer, weight: hiddenNorm.pointer, out: u.pointer + h, outStride: 2 * h, rows: r,
                                 columns: h, epsilon: c.rmsNormEps)
        let width = c.qDim + 2 * c.kvDim
        let qkvOut = FloatBuffer(count: r * width)
        try InferenceKernels.linear(rows: r, out: width, in: 2 * h, x: u.pointer, weight: qkv.pointer, y: qkvOut.pointer,
                                    accumulate: false, threads: threads)
        // RoPE on q and k at positions start + i; k and v into the cache.
        var cs = [Float](repeating: 0, count: half), sn = [Float](repeating: 0, count: half)
        for i in 0..<r {
            let p = Float(start + i)
            for j in 0..<half {
                let angle = p * inverseFrequencies[j]
                cs[j] = Foundation.cos(angle)
                sn[j] = Foundation.sin(angle)
            }
            let row = qkvOut.pointer + i * width
            for head in 0..<(c.headCount + c.kvHeadCount) { InferenceKernels.rotate(row + head * hd, cos: cs, sin: sn, half: half) }
            for g in 0..<c.kvHeadCount {
                (cache.keyBase(head: g) + (start + i) * hd).update(from: row + c.qDim + g * hd, count: hd)
                (cache.valueBase(head: g) + (start + i) * hd).update(from: row + c.qDim + c.kvDim + g * hd, count: hd)
            }
        }
        cache.advance(to: start + r)

        // Causal attention per (row, head): softmax(q·kᵀ/√hd) over positions 0...start+i, then ·v.
        let attention = FloatBuffer(count: r * c.qDim)
        let scale = 1 / Float(hd).squareRoot()
        let keysMax = start + r
        parallelRanges(count: r * c.headCount, threads: r * c.headCount * keysMax * hd >= 1 << 16 ? threads : 1) { range in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: keysMax)
            defer { scores.deallocate() }
            for task in range {
                let i = task / c.headCount, head = task % c.headCount, g = head / c.groupSize
                let q = qkvOut.pointer + i * width + head * hd
                let keys = cache.keyBase(head: g), values = cache.valueBase(head: g)
                let n = start + i + 1
                for j in 0..<n { scores[j] = InferenceKernels.dot(q, keys + j * hd, count: hd) * scale }
                InferenceKernels.softmax(scores, count: n)
                let o = attention.pointer + i * c.qDim + head * hd
                o.update(repeating: 0, count: hd)
                for j in 0..<n {
                    let p = scores[j], v = values + j * hd
                    for d in 0..<hd { o[d] += p * v[d] }
                }
            }
        }
        // h1 = h + W_o·attn; out = h1 + W_down(silu(W_gate y) ⊙ W_up y), y = RMSNorm_post(h1).
        let out = FloatBuffer(count: r * h)
        out.pointer.update(from: hidden.pointer, count: r * h)
        try InferenceKernels.linear(rows: r, out: h, in: c.qDim, x: attention.pointer, weight: oProj.pointer, y: out.pointer,
                                    accumulate: true, threads: threads)
        let y = FloatBuffer(count: r * h)
        InferenceKernels.rmsNorm(out.pointer, weight: postNorm.pointer, out: y.pointer, outStride: h, rows: r, columns: h,
                                 epsilon: c.rmsNormEps)
        let inter = c.intermediateSize
        let gu = FloatBuffer(count: r * 2 * inter), act = FloatBuffer(count: r * inter)
        try InferenceKernels.linear(rows: r, out: 2 * inter, in: h, x: y.pointer, weight: gateUp.pointer, y: gu.pointer,
                                    accumulate: false, threads: threads)
        InferenceKernels.swiGLU(gu.pointer, act.pointer, width: inter, rows: r)
        try InferenceKernels.linear(rows: r, out: h, in: inter, x: act.pointer, weight: down.pointer, y: out.pointer,
                                    accumulate: true, threads: threads)
        return out
    }

    /// The drafter's greedy proposal from one output row (`[H]`, pre-norm): argmax of `lm_head(norm(out))` over the
    /// draft vocabulary (first index on ties), as a target id, with the top-1 − top-2 logit gap.
    public func propose(output: UnsafePointer<Float>, threads: Int) throws -> (token: Int32, draftIndex: Int, margin: Float) {
        let c = configuration
        let normed = FloatBuffer(count: c.hiddenSize)
        InferenceKernels.rmsNorm(output, weight: norm.pointer, out: normed.pointer, outStride: c.hiddenSize, rows: 1,
                                 columns: c.hiddenSize, epsilon: c.rmsNormEps)
        let logits = FloatBuffer(count: c.draftVocabSize)
        try InferenceKernels.linear(rows: 1, out: c.draftVocabSize, in: c.hiddenSize, x: normed.pointer, weight: lmHead.pointer,
                                    y: logits.pointer, accumulate: false, threads: threads)
        let best = InferenceKernels.argmax(logits.pointer, count: c.draftVocabSize)
        var second = -Float.infinity
        for j in 0..<c.draftVocabSize where j != best && logits.pointer[j] > second { second = logits.pointer[j] }
        return (draftToTarget[best], best, logits.pointer[best] - second)
    }
}

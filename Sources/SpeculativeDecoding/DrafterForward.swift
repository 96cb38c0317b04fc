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

    /// The drafter's decoder layer over `R` rows (SPEC §7), appending their keys and values to `cache` at entries
    /// `start = cache.length …`. Row r has hidden input `hidden[r]` (`[R, H]`: `fc(aux)` for real positions, the
    /// previous step's output for a drafted one) and token `tokens[r]` (the token *after* the position whose
    /// features it carries). Without `tree` the rows are consecutive positions `start + r`, query r attending to
    /// entries `0...start + r`; with it they are draft-tree nodes (see `DraftTreeRows`).
    /// Returns `out` `[R, H]` (pre-norm: the next step's hidden input).
    public func forward(hidden: FloatBuffer, tokens: [Int32], cache: DrafterCache, threads: Int,
                        tree: DraftTreeRows? = nil) throws -> FloatBuffer {
        let c = configuration
        let r = tokens.count, h = c.hiddenSize, hd = c.headDim, half = hd / 2
        let start = cache.length
        guard hidden.count >= r * h else { throw SpeculativeDecodingError.invalidRequest("drafter: \(hidden.count) hidden values for \(r) rows") }
        guard start + r <= cache.capacity else {
            throw SpeculativeDecodingError.invalidRequest("drafter cache holds \(cache.capacity) positions, \(start + r) needed")
        }
        if let tree {
            guard tree.positions.count == r, tree.ancestors.count == r, tree.prefix <= start,
                  tree.ancestors.allSatisfy({ $0.allSatisfy { $0 >= tree.prefix && $0 < start } }) else {
                throw SpeculativeDecodingError.invalidRequest("drafter: tree rows do not match \(r) rows after \(start) cache entries")
            }
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
        // RoPE on q and k at each row's position; k and v into the cache at entries start + i.
        var cs = [Float](repeating: 0, count: half), sn = [Float](repeating: 0, count: half)
        for i in 0..<r {
            let p = Float(tree?.positions[i] ?? start + i)
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

        // Attention per (row, head): softmax(q·kᵀ/√hd) over the row's cache entries, in order, then ·v.
        let attention = FloatBuffer(count: r * c.qDim)
        let scale = 1 / Float(hd).squareRoot()
        let keysMax = start + r
        let entries: [[Int]]? = tree.map { t in (0..<r).map { Array(0..<t.prefix) + t.ancestors[$0] + [start + $0] } }
        parallelRanges(count: r * c.headCount, threads: r * c.headCount * keysMax * hd >= 1 << 16 ? threads : 1) { range in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: keysMax)
            defer { scores.deallocate() }
            for task in range {
                let i = task / c.headCount, head = task % c.headCount, g = head / c.groupSize
                let q = qkvOut.pointer + i * width + head * hd
                let o = attention.pointer + i * c.qDim + head * hd
                if let entries {
                    attend(q, keys: cache.keyBase(head: g), values: cache.valueBase(head: g), entries: entries[i], headDim: hd,
                           scale: scale, scores: scores, out: o)
                } else {
                    attend(q, keys: cache.keyBase(head: g), values: cache.valueBase(head: g), entries: 0..<(start + i + 1),
                           headDim: hd, scale: scale, scores: scores, out: o)
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

    /// One query against cache entries `entries`, in that order (the order of every sum).
    @inline(__always)
    private func attend<Entries: Collection<Int>>(_ q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                                                  entries: Entries, headDim hd: Int, scale: Float,
                                                  scores: UnsafeMutablePointer<Float>, out o: UnsafeMutablePointer<Float>) {
        for (j, e) in entries.enumerated() { scores[j] = InferenceKernels.dot(q, keys + e * hd, count: hd) * scale }
        InferenceKernels.softmax(scores, count: entries.count)
        o.update(repeating: 0, count: hd)
        for (j, e) in entries.enumerated() {
            let p = scores[j], v = values + e * hd
            for d in 0..<hd { o[d] += p * v[d] }
        }
    }

    /// `lm_head(norm(out))` of `rows` output rows (`[R, H]`, pre-norm): `[R, Vd]` logits over the draft vocabulary,
    /// the LM head streamed once for all rows and each row computed exactly as it would be alone.
    private func draftLogits(outputs: UnsafePointer<Float>, rows r: Int, threads: Int) throws -> FloatBuffer {
        let c = configuration
        let normed = FloatBuffer(count: r * c.hiddenSize)
        InferenceKernels.rmsNorm(outputs, weight: norm.pointer, out: normed.pointer, outStride: c.hiddenSize, rows: r,
                                 columns: c.hiddenSize, epsilon: c.rmsNormEps)
        let logits = FloatBuffer(count: r * c.draftVocabSize)
        try InferenceKernels.linear(rows: r, out: c.draftVocabSize, in: c.hiddenSize, x: normed.pointer, weight: lmHead.pointer,
                                    y: logits.pointer, accumulate: false, threads: threads, rowwise: true)
        return logits
    }

    /// The `k` most likely draft columns of one output row (`[H]`, pre-norm) under the drafter's softmax, most
    /// likely first (lower column first on ties, so `k = 1` is `propose`'s argmax), as target ids with their
    /// log-probabilities.
    public func candidates(output: UnsafePointer<Float>, count k: Int, threads: Int) throws -> [(token: Int32, logProbability: Float)] {
        try candidates(outputs: output, rows: 1, count: k, threads: threads)[0]
    }

    /// `candidates(output:count:)` of each of `rows` output rows (`[R, H]`), with one pass over the LM head for all
    /// of them (a draft-tree level); each row's result equals that of its own call.
    public func candidates(outputs: UnsafePointer<Float>, rows r: Int, count k: Int, threads: Int) throws -> [[(token: Int32, logProbability: Float)]] {
        let c = configuration
        let logits = try draftLogits(outputs: outputs, rows: r, threads: threads)
        return (0..<r).map { row in
            let v = UnsafeBufferPointer(start: logits.pointer + row * c.draftVocabSize, count: c.draftVocabSize)
            let m = v.max() ?? 0
            var total: Double = 0
            for x in v { total += Foundation.exp(Double(x - m)) }
            let logZ = m + Float(Foundation.log(total))
            // Partial selection: keep the best k (value descending, column ascending) in a small sorted list.
            var best: [Int] = []
            best.reserveCapacity(k + 1)
            for j in 0..<v.count {
                if best.count == k, let worst = best.last, !(v[j] > v[worst]) { continue }
                var at = best.count
                while at > 0 && v[j] > v[best[at - 1]] { at -= 1 }
                best.insert(j, at: at)
                if best.count > k { best.removeLast() }
            }
            return best.map { (draftToTarget[$0], v[$0] - logZ) }
        }
    }

    /// The drafter's greedy proposal from one output row (`[H]`, pre-norm): argmax of `lm_head(norm(out))` over the
    /// draft vocabulary (first index on ties), as a target id, with the top-1 − top-2 logit gap.
    public func propose(output: UnsafePointer<Float>, threads: Int) throws -> (token: Int32, draftIndex: Int, margin: Float) {
        let c = configuration
        let logits = try draftLogits(outputs: output, rows: 1, threads: threads)
        let best = InferenceKernels.argmax(logits.pointer, count: c.draftVocabSize)
        var second = -Float.infinity
        for j in 0..<c.draftVocabSize where j != best && logits.pointer[j] > second { second = logits.pointer[j] }
        return (draftToTarget[best], best, logits.pointer[best] - second)
    }
}

/// Rows of a drafter pass that are nodes of a draft tree: row r sits at RoPE position `positions[r]` and attends
/// to the committed cache entries `0 ..< prefix`, then to `ancestors[r]` (the cache entries of its drafted
/// ancestors, root first, each at least `prefix`), then to itself.
public struct DraftTreeRows: Sendable, Equatable {
    public var prefix: Int
    public var positions: [Int]
    public var ancestors: [[Int]]

    public init(prefix: Int, positions: [Int], ancestors: [[Int]]) {
        self.prefix = prefix
        self.positions = positions
        self.ancestors = ancestors
    }
}

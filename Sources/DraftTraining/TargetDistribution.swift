import EagleCore
import Foundation

/// The per-row target of one sample (SPEC §6): for each target row u that a loss term can read,
/// `p = softmax(z[u][draft columns])` (renormalized over the draft columns), `Σp`, `argmax p` and the in-vocab
/// flag `t2d[argmax_v z[u]]`. Row `L` is the synthetic zero row: uniform p, flag `t2d[0]`, argmax 0. Rows no
/// mask reaches (u = 0, or loss_mask[u−1] = 0) are not computed and are never read.
final class TargetDistribution {
    let draftVocabSize: Int
    private let probBuffer = ScratchBuffer(), sumBuffer = ScratchBuffer()
    private let headScratch = ScratchBuffer(), normScratch = ScratchBuffer(), rstdScratch = ScratchBuffer()
    private(set) var argmax: [Int32] = []
    private(set) var inVocab: [Bool] = []

    init(draftVocabSize: Int) { self.draftVocabSize = draftVocabSize }

    var probs: UnsafePointer<Float> { UnsafePointer(probBuffer.base) }
    var sums: UnsafePointer<Float> { UnsafePointer(sumBuffer.base) }

    /// Rows u ≥ 1 with mask[u−1] ≠ 0, in ascending order (u = L included).
    static func usedRows(mask: [Float]) -> [Int] { mask.indices.compactMap { mask[$0] != 0 ? $0 + 1 : nil } }

    /// Fills the rows for `sample` with effective loss mask `mask` (after the #317 switch).
    func prepare(sample: TrainingSample, index: Int, mask: [Float], inputs: TargetInputs, configuration c: DrafterConfiguration,
                 threads: Int) throws(DraftTrainingError) {
        let L = sample.length, Vd = draftVocabSize
        let P = probBuffer.reserve((L + 1) * Vd), S = sumBuffer.reserve(L + 1)
        argmax = [Int32](repeating: 0, count: L + 1)
        inVocab = [Bool](repeating: false, count: L + 1)
        let rows = Self.usedRows(mask: mask).filter { $0 < L }
        switch sample.target {
        case .logits(let draft, let fullArgmax):
            draft.withUnsafeBufferPointer { d in
                for u in rows { (P + u * Vd).update(from: d.baseAddress! + u * Vd, count: Vd) }
            }
            for u in rows { inVocab[u] = inputs.t2d[Int(fullArgmax[u])] }
        case .hidden(let hidden):
            guard let head = inputs.head else {
                throw .input(name: "target head", message: "sample \(index) holds final hidden states; the target's lm_head (and final norm) are needed")
            }
            try logitsFromHidden(hidden, rows: rows, head: head, inputs: inputs, configuration: c, into: P, threads: threads)
        }
        // Softmax over the draft columns, in fp32 (as the reference: exp(z − max) / Σ), Σp and argmax p.
        let argmaxOut = UnsafeMutablePointer<Int32>.allocate(capacity: L + 1)
        defer { argmaxOut.deallocate() }
        parallelRanges(count: rows.count, threads: threads) { _, range in
            for r in range {
                let u = rows[r], p = P + u * Vd
                let (mx, _) = DraftHeadLoss.maxAndArgmax(p, count: Vd)
                if !mx.isFinite { S[u] = .nan; continue }  // reported below, after the workers
                let sum = SIMDMath.expShifted(p, count: Vd, by: mx)
                var total: Float = 0
                for i in 0..<Vd { p[i] = p[i] / sum; total += p[i] }
                S[u] = total
                argmaxOut[u] = Int32(DraftHeadLoss.maxAndArgmax(p, count: Vd).1)
            }
        }
        if let bad = rows.first(where: { S[$0].isNaN }) {
            throw .sample(index: index, field: "target logits", message: "row \(bad) has no finite maximum")
        }
        for u in rows { argmax[u] = argmaxOut[u] }
        // The zero row past the end: softmax of zeros is uniform; its full-vocabulary argmax is id 0.
        let zero = P + L * Vd
        zero.update(repeating: 1 / Float(Vd), count: Vd)
        var total: Float = 0
        for i in 0..<Vd { total += zero[i] }
        S[L] = total
        argmax[L] = 0
        inVocab[L] = inputs.t2d[0]
    }

    /// Target logits from final hidden states: `z = lm_head(norm(h))` over the full vocabulary for the used rows,
    /// the full argmax (first index) and the draft columns copied to `P`.
    private func logitsFromHidden(_ hidden: [Float], rows: [Int], head: TargetHead, inputs: TargetInputs,
                                  configuration c: DrafterConfiguration, into P: UnsafeMutablePointer<Float>,
                                  threads: Int) throws(DraftTrainingError) {
        let H = c.hiddenSize, V = c.targetVocabSize, Vd = draftVocabSize
        let chunk = max(16, min(512, (1 << 23) / V))
        let x = normScratch.reserve(chunk * H), z = headScratch.reserve(chunk * V), rstd = rstdScratch.reserve(chunk)
        let draftIds = inputs.draftIds
        var r0 = 0
        while r0 < rows.count {
            let R = min(chunk, rows.count - r0)
            hidden.withUnsafeBufferPointer { h in
                for r in 0..<R { (x + r * H).update(from: h.baseAddress! + rows[r0 + r] * H, count: H) }
            }
            if let norm = head.normWeight {
                norm.withUnsafeBufferPointer { w in
                    RMSNorm.forward(out: x, outStride: H, rstd: rstd, inp: x, weight: w.baseAddress!, rows: R, columns: H,
                                    eps: head.normEps, threads: threads)
                }
            }
            head.weight.withUnsafeBufferPointer { w in gemm(m: R, n: V, k: H, a: x, b: w.baseAddress!, transB: true, c: z, threads: threads) }
            for r in 0..<R {
                let u = rows[r0 + r], row = z + r * V
                let best = DraftHeadLoss.maxAndArgmax(row, count: V).1
                inVocab[u] = inputs.t2d[best]
                let p = P + u * Vd
                for i in 0..<Vd { p[i] = row[draftIds[i]] }
            }
            r0 += R
        }
    }
}

import EagleCore
import Foundation
import LinearAlgebra

/// The drafter's training-time test on one sequence (SPEC §7–§9): forward through `fc` and the TTT steps, the fused
/// draft-head loss, and backward through every step in reverse order, over flat parameter and gradient arenas.
///
/// Arenas: `parameters` and `gradients` hold the 13 tensors contiguously in `ParameterLayout` order; activations
/// live in `TTTActivations`, sized for the longest sequence seen. Gradients accumulate across calls until
/// `zeroGradients()`. Not thread-safe: one engine per trainer; it uses `threads` Dispatch workers and OpenBLAS's
/// own threads inside each call.
public final class DrafterEngine {
    public let configuration: DrafterConfiguration
    public let tttOptions: TTTOptions
    public let inputs: TargetInputs
    public let threads: Int
    public let layout: ParameterLayout
    let parameters: FloatBuffer
    let gradients: FloatBuffer
    private let acts: TTTActivations
    private let target: TargetDistribution
    private let rope: RoPETable
    private let normScratch = ScratchBuffer()
    private let gemmScratch = ScratchBuffer()

    public init(configuration: DrafterConfiguration, tttOptions: TTTOptions = TTTOptions(), inputs: TargetInputs,
                weights: DrafterWeights, threads: Int = System.coreCount) throws(DraftTrainingError) {
        try configuration.validate()
        try tttOptions.validate()
        try inputs.validate(configuration)
        guard weights.configuration == configuration else {
            throw .input(name: "weights", message: "made for another drafter configuration")
        }
        self.configuration = configuration
        self.tttOptions = tttOptions
        self.inputs = inputs
        self.threads = max(1, threads)
        layout = ParameterLayout(configuration)
        parameters = FloatBuffer(weights.values)
        gradients = FloatBuffer(count: layout.totalCount)
        acts = TTTActivations(configuration: configuration, steps: tttOptions.steps)
        target = TargetDistribution(draftVocabSize: configuration.draftVocabSize)
        rope = RoPETable(headDim: configuration.headDim, base: configuration.ropeTheta)
    }

    /// The current weights (a copy).
    public var weights: DrafterWeights { DrafterWeights(layout: layout, checkedValues: parameters.array) }

    public func setWeights(_ w: DrafterWeights) throws(DraftTrainingError) {
        guard w.configuration == configuration else { throw .input(name: "weights", message: "made for another drafter configuration") }
        parameters.copy(from: w.values)
    }

    /// The accumulated gradients, in `ParameterLayout` order (a copy).
    public var gradientValues: [Float] { gradients.array }

    public func zeroGradients() { gradients.zero() }

    /// Forward and backward of one sequence; gradients of `gradScale · Σ_k w^k loss_k` are added to the arena.
    @discardableResult
    public func forwardBackward(_ sample: TrainingSample, index: Int = 0, gradScale: Float = 1) throws(DraftTrainingError) -> SampleMetrics {
        try run(sample, index: index, gradScale: gradScale)
    }

    /// Forward only: losses and accuracies, no gradient work.
    public func evaluate(_ sample: TrainingSample, index: Int = 0) throws(DraftTrainingError) -> SampleMetrics {
        try run(sample, index: index, gradScale: nil)
    }

    // MARK: - The pass

    private func p(_ t: DrafterTensor) -> UnsafeMutablePointer<Float> { parameters.base + layout.offset(t) }
    private func g(_ t: DrafterTensor) -> UnsafeMutablePointer<Float> { gradients.base + layout.offset(t) }

    /// Rows of each TTT step. Step 0 holds every position (its keys and values are attended by all later
    /// queries). Step k ≥ 1 holds the positions t where some loss at a step j ≥ k is active (m_j[t] ≠ 0): a position
    /// of step k reaches the losses only through its own loss, out_k[t] (step k+1, same t) and K_k[t], V_k[t] (later
    /// queries at the same t), so dropping the others changes no loss and no gradient. The sets shrink with k.
    struct StepRows {
        /// Positions, ascending (nil at step 0: all).
        var positions: [[Int32]]
        /// Per step: position → row, −1 when absent.
        var rowOf: [[Int32]]
        /// Per step k ≥ 1: row of each of its positions in step k − 1.
        var previousRow: [[Int32]]

        func count(_ k: Int, all: Int) -> Int { k == 0 ? all : positions[k].count }
    }

    private func stepRows(mask: [Float], steps S: Int, rows N: Int) -> StepRows {
        var needed = [Bool](repeating: false, count: N)
        var positions = [[Int32]](repeating: [], count: S)
        for k in stride(from: S - 1, through: 1, by: -1) {
            for t in 0..<(N - k) where mask[t + k] != 0 && target.inVocab[t + 1 + k] { needed[t] = true }
            positions[k] = needed.indices.compactMap { needed[$0] ? Int32($0) : nil }
        }
        var rowOf = [[Int32]](repeating: [], count: S)
        rowOf[0] = (0..<N).map { Int32($0) }
        var previous = [[Int32]](repeating: [], count: S)
        for k in 1..<max(S, 1) {
            var m = [Int32](repeating: -1, count: N)
            for (r, t) in positions[k].enumerated() { m[Int(t)] = Int32(r) }
            rowOf[k] = m
            previous[k] = positions[k].map { rowOf[k - 1][Int($0)] }
        }
        return StepRows(positions: positions, rowOf: rowOf, previousRow: previous)
    }

    private func run(_ sample: TrainingSample, index: Int, gradScale: Float?) throws(DraftTrainingError) -> SampleMetrics {
        let c = configuration
        try sample.validate(index: index, configuration: c)
        // Matmuls are split across this engine's Dispatch workers (see `gemm`), each calling OpenBLAS single-threaded.
        if BLAS.threadCount != 1 { BLAS.threadCount = 1 }
        let L = sample.length, H = c.hiddenSize, S = tttOptions.steps
        let nh = c.headCount, nkv = c.kvHeadCount, hd = c.headDim, Dq = c.qDim, Dkv = c.kvDim, I = c.intermediateSize
        let qkvWidth = Dq + 2 * Dkv
        var mask = sample.lossMask.map { Float($0) }
        if tttOptions.zeroLastPosition { mask[L - 1] = 0 }
        try target.prepare(sample: sample, index: index, mask: mask, inputs: inputs, configuration: c, threads: threads)
        rope.ensure(positions: L + tttOptions.positionOffset(step: S - 1))
        acts.reserve(rows: L, training: gradScale != nil)
        let a = acts
        let rows = stepRows(mask: mask, steps: S, rows: L)
        lastStepRows = (0..<S).map { rows.count($0, all: L) }
        var metrics = SampleMetrics(steps: S, tokens: L)

        sample.auxHidden.withUnsafeBufferPointer { a.aux.update(from: $0.baseAddress!, count: L * c.auxWidth) }
        Linear.forward(out: a.h0, inp: a.aux, weight: p(.fc), rows: L, inFeatures: c.auxWidth, outFeatures: H, threads: threads)

        for k in 0..<S {
            let st = a.step[k]
            let N = rows.count(k, all: L)
            var maskCount = 0.0
            for t in 0..<(L - k) { maskCount += Double(mask[t + k]) }
            metrics.maskCounts[k] = maskCount
            if N == 0 { continue }  // no loss from here on (the sets shrink with k)
            let positions: [Int32] = k == 0 ? rows.rowOf[0] : rows.positions[k]
            // The hidden input: h_0 = fc(aux), or out_{k−1} at this step's positions.
            let hk: UnsafeMutablePointer<Float>
            if k == 0 {
                hk = a.h0
            } else {
                let prev = a.step[k - 1].out!
                for (r, pr) in rows.previousRow[k].enumerated() { (st.hin + r * H).update(from: prev + Int(pr) * H, count: H) }
                hk = st.hin
            }
            // Input token x[t+1+k] (id 0 past the end), its frozen embedding, and u = [norm_in(e) ; norm_hidden(h)].
            inputs.embedding.withUnsafeBufferPointer { e in
                for (r, t) in positions.enumerated() {
                    let u = Int(t) + 1 + k
                    let id = u < L ? Int(sample.ids[u]) : 0
                    (st.emb + r * H).update(from: e.baseAddress! + id * H, count: H)
                }
            }
            RMSNorm.forward(out: st.u, outStride: 2 * H, rstd: st.rstdIn, inp: st.emb, weight: p(.inputNorm), rows: N, columns: H,
                            eps: c.rmsNormEps, threads: threads)
            RMSNorm.forward(out: st.u + H, outStride: 2 * H, rstd: st.rstdHidden, inp: hk, weight: p(.hiddenNorm), rows: N,
                            columns: H, eps: c.rmsNormEps, threads: threads)
            // q | k | v in one matmul (the three weights are adjacent in the arena), RoPE at positions t + k.
            Linear.forward(out: a.qkv, inp: st.u, weight: p(.qProj), rows: N, inFeatures: 2 * H, outFeatures: qkvWidth, threads: threads)
            let offset = tttOptions.positionOffset(step: k)
            positions.withUnsafeBufferPointer { pos in
                let pp = k == 0 ? nil : pos.baseAddress
                RoPE.forward(out: st.q, inp: a.qkv, stride: qkvWidth, column: 0, heads: nh, rows: N, headDim: hd, positions: pp,
                             positionOffset: offset, table: rope, threads: threads)
                RoPE.forward(out: st.k, inp: a.qkv, stride: qkvWidth, column: Dq, heads: nkv, rows: N, headDim: hd, positions: pp,
                             positionOffset: offset, table: rope, threads: threads)
            }
            HeadLayout.split(out: st.v, inp: a.qkv, stride: qkvWidth, column: Dq + Dkv, heads: nkv, rows: N, headDim: hd,
                             threads: threads)
            withAttentionGeometry(rows: rows, step: k, all: L) { geometry in
                TTTAttention.forward(out: st.o, q: st.q, keys: (0...k).map { UnsafePointer(a.step[$0].k) },
                                     values: (0...k).map { UnsafePointer(a.step[$0].v) },
                                     keyRowsPerStep: (0...k).map { rows.count($0, all: L) }, rowMax: st.rowMax, rowSum: st.rowSum,
                                     geometry: geometry, threads: threads)
            }
            // h1 = h + o · W_oᵀ (the residual is the raw hidden input).
            Linear.forward(out: st.h1, inp: st.o, weight: p(.oProj), rows: N, inFeatures: Dq, outFeatures: H, threads: threads)
            Elementwise.add(hk, into: st.h1, count: N * H, threads: threads)
            // out = h1 + W_down(silu(W_gate y) ⊙ W_up y), y = norm_post(h1).
            RMSNorm.forward(out: st.y, outStride: H, rstd: st.rstdPost, inp: st.h1, weight: p(.postAttentionNorm), rows: N,
                            columns: H, eps: c.rmsNormEps, threads: threads)
            Linear.forward(out: st.gu, inp: st.y, weight: p(.gateProj), rows: N, inFeatures: H, outFeatures: 2 * I, threads: threads)
            SwiGLU.forward(out: a.act, gu: st.gu, rows: N, width: I, threads: threads)
            Linear.forward(out: st.out, inp: a.act, weight: p(.downProj), rows: N, inFeatures: I, outFeatures: H, threads: threads)
            Elementwise.add(st.h1, into: st.out, count: N * H, threads: threads)
            // Draft head and loss on norm(out), fused with its backward (dn_k); logits are not kept.
            RMSNorm.forward(out: a.normed, outStride: H, rstd: st.rstdFinal, inp: st.out, weight: p(.norm), rows: N, columns: H,
                            eps: c.rmsNormEps, threads: threads)
            var active: [ActivePosition] = []
            for (r, t32) in positions.enumerated() {
                let t = Int(t32)
                guard t + k < L else { continue }
                let u = t + 1 + k  // ≤ L: row L is the zero row
                let m = mask[t + k] * (target.inVocab[u] ? 1 : 0)
                if m != 0 { active.append(ActivePosition(position: Int32(r), targetRow: Int32(u), weight: m)) }
            }
            let scale = gradScale.map { $0 * Float(pow(tttOptions.stepWeight, Double(k))) / Float(L) }
            if gradScale != nil { st.dn.update(repeating: 0, count: N * H) }
            let result = DraftHeadLoss.run(
                active: active, x: a.normed, weight: p(.lmHead), probs: target.probs, probSums: target.sums,
                probArgmax: target.argmax, hiddenSize: H, draftVocabSize: c.draftVocabSize, gradScale: scale,
                dx: gradScale == nil ? nil : st.dn, dweight: gradScale == nil ? nil : g(.lmHead),
                gathered: a.headIn, logits: a.logits, dgathered: a.headDIn, rowLosses: a.rowLosses, rowHits: a.rowHits,
                threads: threads, scratch: gemmScratch)
            metrics.losses[k] = result.loss / Double(L)
            metrics.hits[k] = result.hits
            metrics.activePositions[k] = active.count
        }
        if gradScale != nil { backward(rows: rows, length: L) }
        return metrics
    }

    /// Rows per step of the last sequence (diagnostics: how much the compaction saved).
    public private(set) var lastStepRows: [Int] = []

    private func withAttentionGeometry<R>(rows: StepRows, step k: Int, all L: Int, _ body: (TTTAttention.Geometry) -> R) -> R {
        let c = configuration
        // Row of each query position in every earlier step j ≥ 1 (the diagonal keys), as Int32 arrays.
        let positions = k == 0 ? [] : rows.positions[k]
        let diagonal: [[Int32]] = (0..<k).map { i in
            let j = i + 1
            return j == k ? [] : positions.map { rows.rowOf[j][Int($0)] }
        }
        return positions.withUnsafeBufferPointer { pos in
            withPointers(diagonal) { pointers in
                body(TTTAttention.Geometry(rows: rows.count(k, all: L), keyRows: L, heads: c.headCount, groupSize: c.groupSize,
                                           headDim: c.headDim, causalShift: tttOptions.causalShift(step: k),
                                           queryPositions: k == 0 ? nil : pos.baseAddress,
                                           diagonalRows: (0..<k).map { $0 + 1 == k ? nil : pointers[$0] }))
            }
        }
    }

    /// Backward through the TTT steps in exact reverse order, then `fc`. `dOut` carries ∂loss/∂out_k (the next
    /// step's hidden input, at step k's rows) from step k+1 down to k; ∂K_j, ∂V_j accumulate over every step k ≥ j
    /// and are complete when step j's attention backward has run.
    private func backward(rows: StepRows, length L: Int) {
        let c = configuration, a = acts, S = tttOptions.steps
        let H = c.hiddenSize, nh = c.headCount, nkv = c.kvHeadCount, hd = c.headDim, Dq = c.qDim, Dkv = c.kvDim
        let I = c.intermediateSize, qkvWidth = Dq + 2 * Dkv
        for j in 0..<S {
            let n = rows.count(j, all: L)
            a.dKeys[j].update(repeating: 0, count: nh * n * hd)
            a.dValues[j].update(repeating: 0, count: nh * n * hd)
        }
        a.dOut.update(repeating: 0, count: rows.count(S - 1, all: L) * H)
        for k in stride(from: S - 1, through: 0, by: -1) {
            let st = a.step[k]
            let N = rows.count(k, all: L)
            if N == 0 {
                if k > 0 { a.dOut.update(repeating: 0, count: rows.count(k - 1, all: L) * H) }
                continue
            }
            let hk: UnsafeMutablePointer<Float> = k == 0 ? a.h0 : st.hin
            // normed = norm(out_k)
            RMSNorm.backward(dinp: a.dOut, dweight: g(.norm), dout: st.dn, doutStride: H, inp: st.out, weight: p(.norm),
                             rstd: st.rstdFinal, rows: N, columns: H, threads: threads, scratch: normScratch)
            // out = h1 + act · W_downᵀ,  act = SwiGLU(gu)  (act recomputed)
            SwiGLU.forward(out: a.act, gu: st.gu, rows: N, width: I, threads: threads)
            Linear.backward(dinp: a.dAct, accumulate: false, dweight: g(.downProj), dout: a.dOut, inp: a.act,
                            weight: p(.downProj), rows: N, inFeatures: I, outFeatures: H, threads: threads, scratch: gemmScratch)
            SwiGLU.backward(dgu: a.dGU, dout: a.dAct, gu: st.gu, rows: N, width: I, threads: threads)
            // gu = y · [W_gate; W_up]ᵀ
            Linear.backward(dinp: a.dY, accumulate: false, dweight: g(.gateProj), dout: a.dGU, inp: st.y, weight: p(.gateProj),
                            rows: N, inFeatures: H, outFeatures: 2 * I, threads: threads, scratch: gemmScratch)
            // y = norm_post(h1);  out = h1 + …
            a.dH1.update(from: a.dOut, count: N * H)
            RMSNorm.backward(dinp: a.dH1, dweight: g(.postAttentionNorm), dout: a.dY, doutStride: H, inp: st.h1,
                             weight: p(.postAttentionNorm), rstd: st.rstdPost, rows: N, columns: H, threads: threads, scratch: normScratch)
            // h1 = h + o · W_oᵀ
            Linear.backward(dinp: a.dO, accumulate: false, dweight: g(.oProj), dout: a.dH1, inp: st.o, weight: p(.oProj),
                            rows: N, inFeatures: Dq, outFeatures: H, threads: threads, scratch: gemmScratch)
            a.dH.update(from: a.dH1, count: N * H)
            // o = TTTAttention(q_k; K_0…K_k, V_0…V_k)
            withAttentionGeometry(rows: rows, step: k, all: L) { geometry in
                TTTAttention.backward(dq: a.dQ, dKeys: Array(a.dKeys[0...k]), dValues: Array(a.dValues[0...k]), dout: a.dO,
                                      out: st.o, q: st.q, keys: (0...k).map { UnsafePointer(a.step[$0].k) },
                                      values: (0...k).map { UnsafePointer(a.step[$0].v) },
                                      keyRowsPerStep: (0...k).map { rows.count($0, all: L) }, rowMax: st.rowMax, rowSum: st.rowSum,
                                      geometry: geometry, threads: threads)
            }
            // K_k, V_k are complete: reduce onto KV heads, undo RoPE, assemble ∂[q | k | v].
            let offset = tttOptions.positionOffset(step: k)
            HeadLayout.mergeGroups(out: a.dKV, headStride: N * hd, rowStride: hd, inp: a.dKeys[k], heads: nh,
                                   groupSize: c.groupSize, rows: N, headDim: hd, threads: threads)
            HeadLayout.mergeGroups(out: a.dQKV + Dq + Dkv, headStride: hd, rowStride: qkvWidth, inp: a.dValues[k], heads: nh,
                                   groupSize: c.groupSize, rows: N, headDim: hd, threads: threads)
            rows.positions[k].withUnsafeBufferPointer { pos in
                let pp = k == 0 ? nil : pos.baseAddress
                RoPE.backward(dinp: a.dQKV, stride: qkvWidth, column: Dq, dout: a.dKV, heads: nkv, rows: N, headDim: hd,
                              positions: pp, positionOffset: offset, table: rope, threads: threads)
                RoPE.backward(dinp: a.dQKV, stride: qkvWidth, column: 0, dout: a.dQ, heads: nh, rows: N, headDim: hd,
                              positions: pp, positionOffset: offset, table: rope, threads: threads)
            }
            // qkv = u · [W_q; W_k; W_v]ᵀ
            Linear.backward(dinp: a.dU, accumulate: false, dweight: g(.qProj), dout: a.dQKV, inp: st.u, weight: p(.qProj),
                            rows: N, inFeatures: 2 * H, outFeatures: qkvWidth, threads: threads, scratch: gemmScratch)
            // u = [norm_in(e) ; norm_hidden(h)]: the embedding is frozen, h gets the second half.
            RMSNorm.backward(dinp: nil, dweight: g(.inputNorm), dout: a.dU, doutStride: 2 * H, inp: st.emb, weight: p(.inputNorm),
                             rstd: st.rstdIn, rows: N, columns: H, threads: threads, scratch: normScratch)
            RMSNorm.backward(dinp: a.dH, dweight: g(.hiddenNorm), dout: a.dU + H, doutStride: 2 * H, inp: hk,
                             weight: p(.hiddenNorm), rstd: st.rstdHidden, rows: N, columns: H, threads: threads, scratch: normScratch)
            if k > 0 {
                // h_k = out_{k−1} at this step's positions: scatter into step k−1's rows (the others get nothing).
                a.dOut.update(repeating: 0, count: rows.count(k - 1, all: L) * H)
                for (r, pr) in rows.previousRow[k].enumerated() { (a.dOut + Int(pr) * H).update(from: a.dH + r * H, count: H) }
            }
        }
        // h_0 = aux · W_fcᵀ (aux is a constant).
        Linear.backward(dinp: nil, accumulate: false, dweight: g(.fc), dout: a.dH, inp: a.aux, weight: p(.fc), rows: L,
                        inFeatures: c.auxWidth, outFeatures: H, threads: threads, scratch: gemmScratch)
    }
}

/// Calls `body` with a stable pointer to a copy of each array (for kernels that take index tables).
func withPointers<R>(_ arrays: [[Int32]], _ body: ([UnsafePointer<Int32>]) -> R) -> R {
    let copies = arrays.map { a -> UnsafeMutablePointer<Int32> in
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: max(a.count, 1))
        p.initialize(from: a, count: a.count)
        return p
    }
    defer { for p in copies { p.deallocate() } }
    return body(copies.map { UnsafePointer($0) })
}

/// Elementwise helpers over whole arrays.
enum Elementwise {
    /// dst[i] += src[i] for i < count, split across threads.
    static func add(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int, threads: Int) {
        parallelRanges(count: count, threads: threads) { _, r in
            SIMDMath.add(src + r.lowerBound, into: dst + r.lowerBound, count: r.count)
        }
    }
}

import EagleCore
import Foundation

/// A Llama-family decoder in fp32 on the CPU: configuration plus weights, immutable and shareable.
///
/// The forward pass runs over *packed* batches: the tokens of many sequences (or of many sequences' next
/// segments) concatenated into `T` rows, with no padding. Matmuls are one sgemm per projection over all `T` rows
/// (weights `[out, in]`, `transB`); attention keeps each sequence to its own keys (see `Attention`).
///
/// One forward pass at a time per process: a pass uses all cores, and attention lowers OpenBLAS's global thread
/// count to 1 while its per-head tasks run (restoring it after), which a concurrent pass would observe.
public struct TargetModel: Sendable {
    public let configuration: ModelConfiguration
    public let weights: ModelWeights
    /// RoPE inverse frequencies, `[hd / 2]`.
    public let inverseFrequencies: [Float]

    public init(configuration: ModelConfiguration, weights: ModelWeights) {
        self.configuration = configuration
        self.weights = weights
        inverseFrequencies = configuration.rope.inverseFrequencies(headDim: configuration.headDim)
    }

    /// Model FLOPs per token for a forward pass with `context` keys per query on average (2 per multiply-add):
    /// projections, attention scores and weighted sum, and the LM head.
    public func flopsPerToken(averageContext context: Double, logits: Bool = true) -> Double {
        let c = configuration
        let h = Double(c.hiddenSize), proj = Double(c.qDim + 2 * c.kvDim) * h + Double(c.qDim) * h
        let mlp = 3 * h * Double(c.intermediateSize)
        let attention = 2 * context * Double(c.qDim)
        return 2 * (Double(c.layerCount) * (proj + mlp + attention) + (logits ? h * Double(c.vocabularySize) : 0))
    }
}

/// A debug hook: called with each named intermediate of the forward pass, `[rows, columns]` row-major, valid only
/// during the call. Names: `embeddings`, then per layer `layers.{i}.` + `attention_norm`, `qkv` (after bias; q
/// columns, then k, then v), `attention` (before o_proj), `attention_residual`, `mlp_norm`, `mlp_activation`
/// (silu(gate)·up), `output`; finally `final_norm`.
public typealias IntermediateObserver = (_ name: String, _ values: UnsafeBufferPointer<Float>, _ shape: [Int]) -> Void

/// What a forward pass returns besides updating the KV cache.
public struct ForwardOptions {
    /// Hugging Face `hidden_states` indices to capture: 0 = embeddings, k = the input of layer k (the output of
    /// layer k − 1, before any norm), N = after the final norm.
    public var hiddenStates: [Int]
    /// Rows whose final-norm hidden state is returned (for the LM head).
    public var finalRows: FinalRows
    /// Threads for the elementwise and attention work (BLAS uses its own setting, `BLAS.threadCount`).
    public var threads: Int
    public var observer: IntermediateObserver?
    /// Compute every row's projections with the per-row kernel whatever the row count, so each row's result is
    /// bit for bit that of a single-token step (passes of up to `SkinnyLinear.maxRows` rows always are). For
    /// verification passes longer than that, e.g. a draft tree; slower than sgemm for many rows.
    public var exactRows: Bool

    public enum FinalRows: Sendable { case none, all, lastOfEachSegment }

    public init(hiddenStates: [Int] = [], finalRows: FinalRows = .none, threads: Int = System.coreCount,
                observer: IntermediateObserver? = nil, exactRows: Bool = false) {
        self.hiddenStates = hiddenStates
        self.finalRows = finalRows
        self.threads = threads
        self.observer = observer
        self.exactRows = exactRows
    }
}

public struct ForwardOutput {
    /// Captured hidden states by index, each `[T, H]` over the packed rows.
    public var hiddenStates: [Int: FloatBuffer] = [:]
    /// Final-norm hidden states of `finalRowIndices`, `[R, H]`.
    public var finalHidden: FloatBuffer?
    public var finalRowIndices: [Int] = []
}

/// Input a forward pass cannot run on.
public enum ForwardError: Error, Sendable, Equatable, CustomStringConvertible {
    case tokenOutOfRange(row: Int, id: Int32, vocabularySize: Int)
    case invalidHiddenStateIndex(Int, layerCount: Int)
    case invalidSegments(String)
    case cacheFull(slot: Int, capacity: Int, needed: Int)

    public var description: String {
        switch self {
        case .tokenOutOfRange(let row, let id, let v): "token \(id) at packed row \(row) is outside the vocabulary 0..<\(v)"
        case .invalidHiddenStateIndex(let i, let n): "hidden state index \(i) is outside 0...\(n)"
        case .invalidSegments(let m): "invalid segments: \(m)"
        case .cacheFull(let slot, let cap, let needed): "KV cache slot \(slot) holds \(cap) tokens, \(needed) needed"
        }
    }
}

extension TargetModel {
    /// Runs packed `sequences` from position 0 with a temporary cache (one layer's keys at a time).
    public func forward(sequences: [[Int32]], options: ForwardOptions) throws -> ForwardOutput {
        var tokens: [Int32] = []
        var segments: [Segment] = []
        for (s, seq) in sequences.enumerated() {
            segments.append(Segment(slot: s, firstRow: tokens.count, count: seq.count, startPosition: 0))
            tokens += seq
        }
        let cache = KVCache(configuration: configuration, capacities: sequences.map(\.count), sharedAcrossLayers: true)
        return try forward(tokens: tokens, segments: segments, cache: cache, options: options)
    }

    /// The forward pass over packed `tokens`, split into `segments` (in row order, tiling `0..<T`). Each segment's
    /// keys and values are appended to its cache slot, whose length must equal the segment's start position.
    public func forward(tokens: [Int32], segments: [Segment], cache: KVCache, options: ForwardOptions) throws -> ForwardOutput {
        let c = configuration
        let t = tokens.count, h = c.hiddenSize, n = c.layerCount
        try validate(tokens: tokens, segments: segments, cache: cache, options: options)
        let threads = max(1, options.threads)
        let observe = options.observer
        let capture = Set(options.hiddenStates)
        var output = ForwardOutput()

        // Row → (segment, index within it), RoPE tables per row, head-major q offsets per segment.
        var rowSegment = [Int](repeating: 0, count: t)
        var qOffsets: [Int] = []
        for (s, seg) in segments.enumerated() {
            for r in seg.firstRow..<(seg.firstRow + seg.count) { rowSegment[r] = s }
            qOffsets.append(seg.firstRow * c.qDim)
        }
        let half = c.headDim / 2
        let cosTable = FloatBuffer(count: t * half), sinTable = FloatBuffer(count: t * half)
        let segmentDepths = segments.map { $0.parents == nil ? nil : $0.depths }
        for r in 0..<t {
            let seg = segments[rowSegment[r]]
            let i = r - seg.firstRow
            let p = Float(seg.startPosition + (segmentDepths[rowSegment[r]]?[i] ?? i))
            for i in 0..<half {
                let angle = p * inverseFrequencies[i]
                cosTable.pointer[r * half + i] = cos(angle)
                sinTable.pointer[r * half + i] = sin(angle)
            }
        }

        let qkvWidth = c.qDim + 2 * c.kvDim, inter = c.intermediateSize
        let x = FloatBuffer(count: t * h), normed = FloatBuffer(count: t * h)
        let qkv = FloatBuffer(count: t * qkvWidth), qHeads = FloatBuffer(count: t * c.qDim), attention = FloatBuffer(count: t * c.qDim)
        let gateUp = FloatBuffer(count: t * 2 * inter), activation = FloatBuffer(count: t * inter)
        func emit(_ name: String, _ b: FloatBuffer, _ columns: Int) {
            observe?(name, UnsafeBufferPointer(start: b.pointer, count: t * columns), [t, columns])
        }
        func rows(_ body: (Range<Int>) -> Void) { parallelRanges(count: t, threads: t * h >= 1 << 13 ? threads : 1, body) }

        let embedding = weights.embedding.pointer
        rows { range in
            for r in range { (x.pointer + r * h).update(from: embedding + Int(tokens[r]) * h, count: h) }
        }
        emit("embeddings", x, h)

        for l in 0..<n {
            let w = weights.layers[l]
            if capture.contains(l) { output.hiddenStates[l] = copy(x) }
            let name = "layers.\(l)."
            rows { Kernels.rmsNorm(x.pointer, w.attentionNorm.pointer, normed.pointer, columns: h, rows: $0, epsilon: c.rmsNormEpsilon) }
            emit(name + "attention_norm", normed, h)
            try Linear.apply(m: t, n: qkvWidth, k: h, x: normed.pointer, weight: w.qkv.pointer, out: qkv.pointer, accumulate: false,
                             threads: threads, exactRows: options.exactRows)
            if let bias = w.qkvBias {
                rows { range in for r in range { Kernels.add(bias.pointer, into: qkv.pointer + r * qkvWidth, count: qkvWidth) } }
            }
            emit(name + "qkv", qkv, qkvWidth)
            rows { range in
                for r in range {
                    let seg = segments[rowSegment[r]]
                    let i = r - seg.firstRow, p = seg.startPosition + i
                    let row = qkv.pointer + r * qkvWidth
                    if let qn = w.queryNorm, let kn = w.keyNorm {
                        Kernels.rmsNorm(row, qn.pointer, row, columns: c.headDim, rows: 0..<c.headCount, epsilon: c.rmsNormEpsilon)
                        let k = row + c.qDim
                        Kernels.rmsNorm(k, kn.pointer, k, columns: c.headDim, rows: 0..<c.keyValueHeadCount, epsilon: c.rmsNormEpsilon)
                    }
                    let cs = cosTable.pointer + r * half, sn = sinTable.pointer + r * half
                    for hq in 0..<c.headCount {
                        rotate(row + hq * c.headDim, into: qHeads.pointer + qOffsets[rowSegment[r]] + (hq * seg.count + i) * c.headDim,
                               cos: cs, sin: sn, half: half)
                    }
                    for g in 0..<c.keyValueHeadCount {
                        rotate(row + c.qDim + g * c.headDim, into: cache.keyBase(layer: l, slot: seg.slot, head: g) + p * c.headDim,
                               cos: cs, sin: sn, half: half)
                        (cache.valueBase(layer: l, slot: seg.slot, head: g) + p * c.headDim)
                            .update(from: row + c.qDim + c.kvDim + g * c.headDim, count: c.headDim)
                    }
                }
            }
            try Attention.run(segments: segments, q: qHeads.pointer, qOffsets: qOffsets, cache: cache, layer: l,
                              configuration: c, out: attention.pointer, threads: threads)
            emit(name + "attention", attention, c.qDim)
            try Linear.apply(m: t, n: h, k: c.qDim, x: attention.pointer, weight: w.attentionOutput.pointer, out: x.pointer,
                             accumulate: true, threads: threads, exactRows: options.exactRows)
            emit(name + "attention_residual", x, h)
            rows { Kernels.rmsNorm(x.pointer, w.mlpNorm.pointer, normed.pointer, columns: h, rows: $0, epsilon: c.rmsNormEpsilon) }
            emit(name + "mlp_norm", normed, h)
            try Linear.apply(m: t, n: 2 * inter, k: h, x: normed.pointer, weight: w.gateUp.pointer, out: gateUp.pointer,
                             accumulate: false, threads: threads, exactRows: options.exactRows)
            rows { Kernels.swiGLU(gateUp.pointer, activation.pointer, width: inter, rows: $0) }
            emit(name + "mlp_activation", activation, inter)
            try Linear.apply(m: t, n: h, k: inter, x: activation.pointer, weight: w.down.pointer, out: x.pointer, accumulate: true, threads: threads,
                             exactRows: options.exactRows)
            emit(name + "output", x, h)
        }
        for seg in segments { cache.lengths[seg.slot] = seg.startPosition + seg.count }

        // Final norm: all rows when hidden state N is captured, else only the rows the LM head needs.
        switch options.finalRows {
        case .none: output.finalRowIndices = []
        case .all: output.finalRowIndices = Array(0..<t)
        case .lastOfEachSegment: output.finalRowIndices = segments.map { $0.firstRow + $0.count - 1 }
        }
        if capture.contains(n) || observe != nil {
            rows { Kernels.rmsNorm(x.pointer, weights.finalNorm.pointer, normed.pointer, columns: h, rows: $0, epsilon: c.rmsNormEpsilon) }
            emit("final_norm", normed, h)
            if capture.contains(n) { output.hiddenStates[n] = copy(normed) }
            if !output.finalRowIndices.isEmpty { output.finalHidden = gather(normed, rows: output.finalRowIndices, columns: h) }
        } else if !output.finalRowIndices.isEmpty {
            let selected = gather(x, rows: output.finalRowIndices, columns: h)
            let count = output.finalRowIndices.count
            parallelRanges(count: count, threads: count * h >= 1 << 13 ? threads : 1) {
                Kernels.rmsNorm(selected.pointer, weights.finalNorm.pointer, selected.pointer, columns: h, rows: $0, epsilon: c.rmsNormEpsilon)
            }
            output.finalHidden = selected
        }
        return output
    }

    private func validate(tokens: [Int32], segments: [Segment], cache: KVCache, options: ForwardOptions) throws {
        let c = configuration
        for (r, id) in tokens.enumerated() where id < 0 || Int(id) >= c.vocabularySize {
            throw ForwardError.tokenOutOfRange(row: r, id: id, vocabularySize: c.vocabularySize)
        }
        for i in options.hiddenStates where i < 0 || i > c.layerCount {
            throw ForwardError.invalidHiddenStateIndex(i, layerCount: c.layerCount)
        }
        var next = 0
        var seen = Set<Int>()
        for seg in segments {
            guard seg.firstRow == next, seg.count >= 0 else {
                throw ForwardError.invalidSegments("segment of slot \(seg.slot) starts at row \(seg.firstRow), expected \(next)")
            }
            guard seg.slot >= 0, seg.slot < cache.capacities.count, seen.insert(seg.slot).inserted else {
                throw ForwardError.invalidSegments("slot \(seg.slot) is outside the cache or used twice")
            }
            guard cache.lengths[seg.slot] == seg.startPosition else {
                throw ForwardError.invalidSegments("slot \(seg.slot) holds \(cache.lengths[seg.slot]) tokens but the segment starts at position \(seg.startPosition)")
            }
            if let parents = seg.parents {
                guard parents.count == seg.count else {
                    throw ForwardError.invalidSegments("slot \(seg.slot): \(parents.count) tree parents for \(seg.count) rows")
                }
                for (i, p) in parents.enumerated() where p < -1 || p >= i {
                    throw ForwardError.invalidSegments("slot \(seg.slot): tree row \(i) has parent \(p), expected −1 or an earlier row")
                }
            }
            guard seg.startPosition + seg.count <= cache.capacities[seg.slot] else {
                throw ForwardError.cacheFull(slot: seg.slot, capacity: cache.capacities[seg.slot], needed: seg.startPosition + seg.count)
            }
            next += seg.count
        }
        guard next == tokens.count else { throw ForwardError.invalidSegments("segments cover \(next) rows of \(tokens.count)") }
    }

    /// RoPE on one head (transformers `q·cos + rotate_half(q)·sin`, halves [0, hd/2) and [hd/2, hd)).
    @inline(__always)
    private func rotate(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>,
                        cos cs: UnsafePointer<Float>, sin sn: UnsafePointer<Float>, half: Int) {
        for i in 0..<half {
            let a = src[i], b = src[i + half]
            dst[i] = a * cs[i] - b * sn[i]
            dst[i + half] = b * cs[i] + a * sn[i]
        }
    }

    private func copy(_ b: FloatBuffer) -> FloatBuffer {
        let out = FloatBuffer(count: b.count)
        out.pointer.update(from: b.pointer, count: b.count)
        return out
    }

    private func gather(_ b: FloatBuffer, rows: [Int], columns: Int) -> FloatBuffer {
        let out = FloatBuffer(count: rows.count * columns)
        for (i, r) in rows.enumerated() { (out.pointer + i * columns).update(from: b.pointer + r * columns, count: columns) }
        return out
    }
}

import EagleCore

/// One chunk of LM-head output: `rows` of the final hidden states it was computed from, the requested columns
/// (`[rows.count, columnCount]`, valid only during the callback) and each row's full-vocabulary argmax.
public struct LogitsChunk {
    public let rows: Range<Int>
    public let columnCount: Int
    public let values: UnsafeBufferPointer<Float>
    /// argmax over all V columns (first index on ties), whatever columns were requested.
    public let argmax: [Int32]
}

extension TargetModel {
    /// `logits = final · lm_headᵀ` for the `[R, H]` final-norm hidden states, `rowsPerChunk` rows at a time, so
    /// full-vocabulary logits of a long batch are never all held at once. With `columns`, each chunk carries only
    /// those columns (e.g. a draft vocabulary), in the order given; the argmax is always over the full vocabulary.
    /// `exactRows`: every row computed as a single-row pass would be, bit for bit (`ForwardOptions.exactRows`).
    public func logits(final: FloatBuffer, rowCount r: Int, columns: [Int32]? = nil, rowsPerChunk: Int = 256,
                       threads: Int = System.coreCount, exactRows: Bool = false, _ body: (LogitsChunk) throws -> Void) throws {
        let c = configuration
        let h = c.hiddenSize, v = c.vocabularySize
        precondition(final.count >= r * h, "final hidden states hold fewer than \(r) rows")
        if let columns, let bad = columns.first(where: { $0 < 0 || Int($0) >= v }) {
            throw ForwardError.tokenOutOfRange(row: -1, id: bad, vocabularySize: v)
        }
        let chunk = max(1, min(rowsPerChunk, r))
        let full = FloatBuffer(count: chunk * v)
        let selected = columns.map { FloatBuffer(count: chunk * $0.count) }
        var start = 0
        while start < r {
            let n = min(chunk, r - start)
            try Linear.apply(m: n, n: v, k: h, x: final.pointer + start * h, weight: weights.lmHead.pointer, out: full.pointer,
                             accumulate: false, threads: threads, exactRows: exactRows)
            var argmax = [Int32](repeating: 0, count: n)
            argmax.withUnsafeMutableBufferPointer { am in
                let out = am.baseAddress!
                parallelRanges(count: n, threads: n * v >= 1 << 16 ? threads : 1) { range in
                    for i in range {
                        out[i] = Int32(Kernels.argmax(full.pointer + i * v, count: v))
                        if let columns, let selected {
                            let src = full.pointer + i * v, dst = selected.pointer + i * columns.count
                            for (j, col) in columns.enumerated() { dst[j] = src[Int(col)] }
                        }
                    }
                }
            }
            let width = columns?.count ?? v
            try body(LogitsChunk(rows: start..<(start + n), columnCount: width,
                                 values: UnsafeBufferPointer(start: (selected ?? full).pointer, count: n * width), argmax: argmax))
            start += n
        }
    }

    /// All hidden states 0...N and the full `[T, V]` logits of one sequence (tests and `eagleprep forward`).
    public func referenceOutputs(sequence: [Int32], threads: Int = System.coreCount) throws -> (hiddenStates: [[Float]], logits: [Float]) {
        let n = configuration.layerCount
        let out = try forward(sequences: [sequence], options: ForwardOptions(hiddenStates: Array(0...n), finalRows: .all, threads: threads))
        var logits: [Float] = []
        logits.reserveCapacity(sequence.count * configuration.vocabularySize)
        try self.logits(final: out.finalHidden!, rowCount: sequence.count, threads: threads) { logits += $0.values }
        return ((0...n).map { out.hiddenStates[$0]!.array }, logits)
    }
}

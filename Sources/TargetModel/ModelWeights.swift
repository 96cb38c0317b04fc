/// An fp32 array with a stable, 64-byte aligned address, for weights and activations handed to BLAS.
///
/// Weights are written once while loading, before the buffer is shared, and only read afterwards; activation
/// scratch buffers are owned by one forward pass at a time. That discipline (not a lock) is what makes sharing safe.
public final class FloatBuffer: @unchecked Sendable {
    // @unchecked: the pointer is written only by the code that allocated it, before it is published.
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        precondition(count >= 0, "negative buffer size")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }

    public var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: pointer, count: count) }
    public var mutableBuffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
    public var array: [Float] { Array(buffer) }
}

/// One decoder layer's weights in fp32, row-major `[out, in]` as in PyTorch. Projections that read the same input
/// are fused so each is one GEMM: `qkv` holds the q rows, then k, then v; `gateUp` the gate rows, then up.
public struct LayerWeights: Sendable {
    public let attentionNorm: FloatBuffer   // [H]
    public let qkv: FloatBuffer             // [(nh + 2·nkv)·hd, H]
    public let qkvBias: FloatBuffer?        // [(nh + 2·nkv)·hd]
    public let queryNorm: FloatBuffer?      // [hd] (Qwen3)
    public let keyNorm: FloatBuffer?        // [hd] (Qwen3)
    public let attentionOutput: FloatBuffer // [H, nh·hd]
    public let mlpNorm: FloatBuffer         // [H]
    public let gateUp: FloatBuffer          // [2·I, H]
    public let down: FloatBuffer            // [H, I]
}

/// All weights of a model, dequantized to fp32 once.
public struct ModelWeights: Sendable {
    public let embedding: FloatBuffer       // [V, H]
    public let layers: [LayerWeights]
    public let finalNorm: FloatBuffer       // [H]
    /// [V, H]; the same buffer as `embedding` when the embeddings are tied.
    public let lmHead: FloatBuffer

    /// Allocates zeroed buffers for `config`.
    init(allocatingFor c: ModelConfiguration) {
        let h = c.hiddenSize, qkvRows = c.qDim + 2 * c.kvDim
        embedding = FloatBuffer(count: c.vocabularySize * h)
        layers = (0..<c.layerCount).map { _ in
            LayerWeights(attentionNorm: FloatBuffer(count: h), qkv: FloatBuffer(count: qkvRows * h),
                         qkvBias: c.attentionBias ? FloatBuffer(count: qkvRows) : nil,
                         queryNorm: c.queryKeyNorm ? FloatBuffer(count: c.headDim) : nil,
                         keyNorm: c.queryKeyNorm ? FloatBuffer(count: c.headDim) : nil,
                         attentionOutput: FloatBuffer(count: h * c.qDim), mlpNorm: FloatBuffer(count: h),
                         gateUp: FloatBuffer(count: 2 * c.intermediateSize * h), down: FloatBuffer(count: h * c.intermediateSize))
        }
        finalNorm = FloatBuffer(count: h)
        lmHead = c.tieWordEmbeddings ? embedding : FloatBuffer(count: c.vocabularySize * h)
    }

    /// Where a weight lives: its buffer and the offset of its first element (fused weights share a buffer).
    func location(of role: WeightRole, config c: ModelConfiguration) -> (buffer: FloatBuffer, offset: Int) {
        let h = c.hiddenSize
        switch role {
        case .embedding: return (embedding, 0)
        case .finalNorm: return (finalNorm, 0)
        case .lmHead: return (lmHead, 0)
        case .layer(let i, let w):
            let l = layers[i]
            switch w {
            case .attentionNorm: return (l.attentionNorm, 0)
            case .query: return (l.qkv, 0)
            case .key: return (l.qkv, c.qDim * h)
            case .value: return (l.qkv, (c.qDim + c.kvDim) * h)
            case .queryBias: return (l.qkvBias!, 0)
            case .keyBias: return (l.qkvBias!, c.qDim)
            case .valueBias: return (l.qkvBias!, c.qDim + c.kvDim)
            case .queryNorm: return (l.queryNorm!, 0)
            case .keyNorm: return (l.keyNorm!, 0)
            case .attentionOutput: return (l.attentionOutput, 0)
            case .mlpNorm: return (l.mlpNorm, 0)
            case .gate: return (l.gateUp, 0)
            case .up: return (l.gateUp, c.intermediateSize * h)
            case .down: return (l.down, 0)
            }
        }
    }
}

import GGUF

/// Reads a `ModelConfiguration` from GGUF metadata (llama.cpp key names, `{arch}.block_count`, …). Tied embeddings
/// are the absence of `output.weight`; q/k/v biases the presence of `blk.0.attn_q.bias`; llama3 RoPE scaling the
/// `rope_freqs.weight` tensor llama.cpp's converter writes.
public enum GGUFConfig {
    public static func parse(_ file: GGUFFile) throws -> ModelConfiguration {
        let source = file.path
        guard let archName = try file.string("general.architecture") else {
            throw ModelConfigurationError(source: source, key: "general.architecture", message: "missing")
        }
        let architecture = try ArchitectureRegistry.gguf(name: archName, source: source)
        let a = archName + "."
        func required(_ key: String) throws -> Int {
            guard let v = try file.integer(a + key) else { throw ModelConfigurationError(source: source, key: a + key, message: "missing") }
            return v
        }
        let hidden = try required("embedding_length")
        let heads = try required("attention.head_count")
        let kvHeads = try file.integer(a + "attention.head_count_kv") ?? heads
        let headDim = try file.integer(a + "attention.key_length") ?? (heads > 0 ? hidden / heads : 0)
        if let ropeDims = try file.integer(a + "rope.dimension_count"), ropeDims != headDim {
            throw ModelConfigurationError(source: source, key: a + "rope.dimension_count",
                                          message: "\(ropeDims) differs from the head size \(headDim); partial RoPE is not supported")
        }
        guard let embedding = file.tensor(named: "token_embd.weight") else {
            throw ModelLoadError.missingTensor(source: source, tensor: "token_embd.weight", expectedShape: [-1, hidden])
        }
        let vocabulary = try file.integer(a + "vocab_size") ?? embedding.dimensions.last ?? 0

        var rope = RoPEConfiguration(theta: try file.float(a + "rope.freq_base") ?? architecture.defaultRopeTheta)
        let scalingType = try file.string(a + "rope.scaling.type") ?? "none"
        switch scalingType {
        case "none": break
        case "linear":
            guard let f = try file.float(a + "rope.scaling.factor") ?? file.float(a + "rope.scale_linear") else {
                throw ModelConfigurationError(source: source, key: a + "rope.scaling.factor", message: "missing for linear scaling")
            }
            rope.scaling = .linear(factor: Float(f))
        default:
            throw ModelConfigurationError(source: source, key: a + "rope.scaling.type",
                                          message: "'\(scalingType)' is not supported (supported: none, linear)")
        }
        if let freqs = file.tensor(named: "rope_freqs.weight") {
            guard freqs.type == .f32, freqs.dimensions == [headDim / 2] else {
                throw ModelLoadError.wrongShape(source: source, tensor: "rope_freqs.weight", expected: "F32 [\(headDim / 2)]",
                                                actual: "\(freqs.type) \(freqs.dimensions)")
            }
            let raw = file.data(of: freqs)
            rope.frequencyFactors = (0..<(headDim / 2)).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
            }
        }
        let eps = try file.float(a + "attention.layer_norm_rms_epsilon") ?? architecture.defaultRMSNormEpsilon
        let contextLength = try file.integer(a + "context_length") ?? 2048
        let config = ModelConfiguration(
            architecture: architecture, hiddenSize: hidden, intermediateSize: try required("feed_forward_length"),
            layerCount: try required("block_count"), headCount: heads, keyValueHeadCount: kvHeads, headDim: headDim,
            vocabularySize: vocabulary, rmsNormEpsilon: Float(eps), rope: rope,
            tieWordEmbeddings: file.tensor(named: "output.weight") == nil,
            attentionBias: architecture.alwaysQKVBias || file.tensor(named: "blk.0.attn_q.bias") != nil,
            queryKeyNorm: architecture.queryKeyNorm, slidingWindow: nil, maxPositionEmbeddings: contextLength,
            bosTokenId: try file.integer("tokenizer.ggml.bos_token_id"),
            eosTokenIds: (try file.integer("tokenizer.ggml.eos_token_id")).map { [$0] } ?? [])
        try config.validate(source: source)
        return config
    }
}

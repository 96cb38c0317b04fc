/// The weights of one decoder layer, by role.
public enum LayerWeight: String, Sendable, CaseIterable {
    case attentionNorm, query, key, value, attentionOutput, queryBias, keyBias, valueBias, queryNorm, keyNorm
    case mlpNorm, gate, up, down

    /// The Hugging Face key below `model.layers.{i}.`.
    var huggingFaceSuffix: String {
        switch self {
        case .attentionNorm: "input_layernorm.weight"
        case .query: "self_attn.q_proj.weight"
        case .key: "self_attn.k_proj.weight"
        case .value: "self_attn.v_proj.weight"
        case .attentionOutput: "self_attn.o_proj.weight"
        case .queryBias: "self_attn.q_proj.bias"
        case .keyBias: "self_attn.k_proj.bias"
        case .valueBias: "self_attn.v_proj.bias"
        case .queryNorm: "self_attn.q_norm.weight"
        case .keyNorm: "self_attn.k_norm.weight"
        case .mlpNorm: "post_attention_layernorm.weight"
        case .gate: "mlp.gate_proj.weight"
        case .up: "mlp.up_proj.weight"
        case .down: "mlp.down_proj.weight"
        }
    }

    /// The GGUF name below `blk.{i}.` (llama.cpp `gguf-py/gguf/constants.py` tensor names).
    var ggufSuffix: String {
        switch self {
        case .attentionNorm: "attn_norm.weight"
        case .query: "attn_q.weight"
        case .key: "attn_k.weight"
        case .value: "attn_v.weight"
        case .attentionOutput: "attn_output.weight"
        case .queryBias: "attn_q.bias"
        case .keyBias: "attn_k.bias"
        case .valueBias: "attn_v.bias"
        case .queryNorm: "attn_q_norm.weight"
        case .keyNorm: "attn_k_norm.weight"
        case .mlpNorm: "ffn_norm.weight"
        case .gate: "ffn_gate.weight"
        case .up: "ffn_up.weight"
        case .down: "ffn_down.weight"
        }
    }
}

/// A weight's role in the model.
public enum WeightRole: Sendable, Hashable, CustomStringConvertible {
    case embedding, finalNorm, lmHead
    case layer(Int, LayerWeight)

    public var description: String {
        switch self {
        case .embedding: "embedding"
        case .finalNorm: "final norm"
        case .lmHead: "lm head"
        case .layer(let i, let w): "layer \(i) \(w.rawValue)"
        }
    }
}

/// One weight the model needs: its role, its names in both formats, and its PyTorch-order shape `[out, in]`.
public struct WeightSpec: Sendable, Equatable {
    public var role: WeightRole
    public var huggingFaceName: String
    public var ggufName: String
    public var shape: [Int]
    /// Heads whose rows llama.cpp's converter interleaved for RoPE (q: nh, k: nkv); nil when not permuted.
    public var ggufPermutedHeads: Int?

    /// The complete list of weights for `config`, in load order.
    public static func table(for config: ModelConfiguration) -> [WeightSpec] {
        let h = config.hiddenSize, hd = config.headDim
        var specs = [WeightSpec(role: .embedding, huggingFaceName: "model.embed_tokens.weight", ggufName: "token_embd.weight",
                                shape: [config.vocabularySize, h])]
        let permute = config.architecture.ggufPermutesQueryKey
        for i in 0..<config.layerCount {
            func add(_ w: LayerWeight, _ shape: [Int], permutedHeads: Int? = nil) {
                specs.append(WeightSpec(role: .layer(i, w), huggingFaceName: "model.layers.\(i).\(w.huggingFaceSuffix)",
                                        ggufName: "blk.\(i).\(w.ggufSuffix)", shape: shape, ggufPermutedHeads: permutedHeads))
            }
            add(.attentionNorm, [h])
            add(.query, [config.qDim, h], permutedHeads: permute ? config.headCount : nil)
            add(.key, [config.kvDim, h], permutedHeads: permute ? config.keyValueHeadCount : nil)
            add(.value, [config.kvDim, h])
            if config.attentionBias {
                add(.queryBias, [config.qDim], permutedHeads: permute ? config.headCount : nil)
                add(.keyBias, [config.kvDim], permutedHeads: permute ? config.keyValueHeadCount : nil)
                add(.valueBias, [config.kvDim])
            }
            if config.queryKeyNorm {
                add(.queryNorm, [hd])
                add(.keyNorm, [hd])
            }
            add(.attentionOutput, [h, config.qDim])
            add(.mlpNorm, [h])
            add(.gate, [config.intermediateSize, h])
            add(.up, [config.intermediateSize, h])
            add(.down, [h, config.intermediateSize])
        }
        specs.append(WeightSpec(role: .finalNorm, huggingFaceName: "model.norm.weight", ggufName: "output_norm.weight", shape: [h]))
        if !config.tieWordEmbeddings {
            specs.append(WeightSpec(role: .lmHead, huggingFaceName: "lm_head.weight", ggufName: "output.weight",
                                    shape: [config.vocabularySize, h]))
        }
        return specs
    }

    /// GGUF q/k rows are stored as interleaved RoPE pairs per head (llama.cpp `LlamaModel.permute`:
    /// `reshape(n_head, 2, hd/2, …).swapaxes(1, 2)`). Row `r` of the file is Hugging Face row `huggingFaceRow(r)`;
    /// transformers' GGUF loader undoes the same permutation (`_reverse_permute_weights`).
    static func huggingFaceRow(ofGGUFRow r: Int, rowsPerHead: Int) -> Int {
        let head = r / rowsPerHead, within = r % rowsPerHead
        let half = rowsPerHead / 2
        return head * rowsPerHead + (within % 2) * half + within / 2
    }
}

/// Tensors a file may hold that the model does not use, each with the reason it is dropped.
enum DroppedTensors {
    /// Hugging Face: the rotary buffer some older checkpoints saved; a duplicate LM head when embeddings are tied.
    static func huggingFace(_ name: String, config: ModelConfiguration) -> Bool {
        if name.hasSuffix(".self_attn.rotary_emb.inv_freq") { return true }
        if name == "lm_head.weight" && config.tieWordEmbeddings { return true }
        return false
    }

    /// GGUF: `rope_freqs.weight` is read into the configuration (llama3 scaling factors).
    static func gguf(_ name: String) -> Bool { name == "rope_freqs.weight" }
}

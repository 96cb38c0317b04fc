/// One supported decoder family: its Hugging Face class name, `model_type`, GGUF `general.architecture`, and
/// what distinguishes it from plain Llama. Defaults are transformers 5.24's `*Config.__init__` defaults.
public struct Architecture: Sendable, Equatable, CustomStringConvertible {
    /// `architectures[0]` in `config.json`, e.g. `LlamaForCausalLM`.
    public var name: String
    /// `model_type` in `config.json`.
    public var modelType: String
    /// `general.architecture` in GGUF metadata (also the prefix of its keys, `llama.block_count`).
    public var ggufName: String
    /// q/k/v projections always carry a bias (Qwen2); otherwise `attention_bias` decides.
    public var alwaysQKVBias: Bool
    /// RMSNorm over each q and k head before RoPE (Qwen3's `q_norm`/`k_norm`).
    public var queryKeyNorm: Bool
    /// llama.cpp's converter permutes q/k rows into interleaved RoPE pairs for this family (`LlamaModel.permute`);
    /// Qwen models use NeoX-style RoPE in llama.cpp and are stored unpermuted.
    public var ggufPermutesQueryKey: Bool
    /// Honours `sliding_window` from the configuration (Mistral).
    public var usesSlidingWindow: Bool
    public var defaultRMSNormEpsilon: Double = 1e-6
    public var defaultRopeTheta: Double = 10000
    /// Qwen3 defaults `head_dim` to 128 rather than hidden_size / num_attention_heads.
    public var defaultHeadDim: Int? = nil

    public var description: String { name }

    public static let llama = Architecture(name: "LlamaForCausalLM", modelType: "llama", ggufName: "llama",
                                           alwaysQKVBias: false, queryKeyNorm: false, ggufPermutesQueryKey: true,
                                           usesSlidingWindow: false)
    public static let mistral = Architecture(name: "MistralForCausalLM", modelType: "mistral", ggufName: "llama",
                                             alwaysQKVBias: false, queryKeyNorm: false, ggufPermutesQueryKey: true,
                                             usesSlidingWindow: true)
    public static let qwen2 = Architecture(name: "Qwen2ForCausalLM", modelType: "qwen2", ggufName: "qwen2",
                                           alwaysQKVBias: true, queryKeyNorm: false, ggufPermutesQueryKey: false,
                                           usesSlidingWindow: false)
    public static let qwen3 = Architecture(name: "Qwen3ForCausalLM", modelType: "qwen3", ggufName: "qwen3",
                                           alwaysQKVBias: false, queryKeyNorm: true, ggufPermutesQueryKey: false,
                                           usesSlidingWindow: false, defaultHeadDim: 128)
}

/// The architectures eagleprep can run; anything else is an error naming it and listing these.
public enum ArchitectureRegistry {
    public static let all: [Architecture] = [.llama, .mistral, .qwen2, .qwen3]

    /// By Hugging Face class name (`architectures[0]`), falling back to `model_type` when the list is absent.
    public static func huggingFace(name: String?, modelType: String?, source: String) throws(ModelConfigurationError) -> Architecture {
        if let name {
            if let a = all.first(where: { $0.name == name }) { return a }
            throw ModelConfigurationError(source: source, key: "architectures",
                                          message: "unsupported architecture '\(name)' (supported: \(all.map(\.name).joined(separator: ", ")))")
        }
        if let modelType, let a = all.first(where: { $0.modelType == modelType }) { return a }
        throw ModelConfigurationError(source: source, key: modelType == nil ? "architectures" : "model_type",
                                      message: "unsupported or missing model type '\(modelType ?? "")' (supported: \(all.map(\.modelType).joined(separator: ", ")))")
    }

    /// By GGUF `general.architecture`. GGUF files of Mistral models say `llama`, and run as Llama.
    public static func gguf(name: String, source: String) throws(ModelConfigurationError) -> Architecture {
        if let a = all.first(where: { $0.ggufName == name }) { return a }
        throw ModelConfigurationError(source: source, key: "general.architecture",
                                      message: "unsupported architecture '\(name)' (supported: llama, qwen2, qwen3)")
    }
}

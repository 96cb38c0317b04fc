import EagleCore
import Foundation

/// The shape and hyper-parameters of a Llama-family decoder, named as in Hugging Face `config.json`
/// (`hidden_size`, `num_key_value_heads`, …). Defaults live in one place: `HuggingFaceConfig.parse`.
public struct ModelConfiguration: Sendable, Equatable {
    public var architecture: Architecture
    /// `hidden_size` (H).
    public var hiddenSize: Int
    /// `intermediate_size` (I), the SwiGLU width.
    public var intermediateSize: Int
    /// `num_hidden_layers` (N).
    public var layerCount: Int
    /// `num_attention_heads` (nh).
    public var headCount: Int
    /// `num_key_value_heads` (nkv; default nh). nh must be a multiple of nkv (grouped-query attention).
    public var keyValueHeadCount: Int
    /// `head_dim` (hd; default H / nh).
    public var headDim: Int
    /// `vocab_size` (V).
    public var vocabularySize: Int
    /// `rms_norm_eps`.
    public var rmsNormEpsilon: Float
    public var rope: RoPEConfiguration
    /// `tie_word_embeddings`: the LM head is the embedding matrix.
    public var tieWordEmbeddings: Bool
    /// Bias on the q/k/v projections (`attention_bias`; always on for Qwen2).
    public var attentionBias: Bool
    /// RMSNorm over each head of q and k before RoPE (Qwen3).
    public var queryKeyNorm: Bool
    /// `sliding_window` (Mistral): a query at position p sees keys at positions > p − window. nil: unlimited.
    public var slidingWindow: Int?
    /// `max_position_embeddings` (informational; positions beyond it are computed all the same).
    public var maxPositionEmbeddings: Int
    public var bosTokenId: Int?
    /// `eos_token_id` (one id or a list).
    public var eosTokenIds: [Int]

    public var qDim: Int { headCount * headDim }
    public var kvDim: Int { keyValueHeadCount * headDim }
    /// Query heads per key/value head.
    public var groupSize: Int { headCount / keyValueHeadCount }

    /// Checks the relations between the fields; the error names the key.
    public func validate(source: String) throws(ModelConfigurationError) {
        func fail(_ key: String, _ message: String) -> ModelConfigurationError {
            ModelConfigurationError(source: source, key: key, message: message)
        }
        for (key, value) in [("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                             ("num_hidden_layers", layerCount), ("num_attention_heads", headCount),
                             ("num_key_value_heads", keyValueHeadCount), ("head_dim", headDim), ("vocab_size", vocabularySize)] {
            guard value > 0, value <= 1 << 24 else { throw fail(key, "is \(value), expected 1...\(1 << 24)") }
        }
        guard headCount % keyValueHeadCount == 0 else {
            throw fail("num_key_value_heads", "\(keyValueHeadCount) does not divide num_attention_heads \(headCount)")
        }
        guard headDim % 2 == 0 else { throw fail("head_dim", "\(headDim) is odd; RoPE rotates pairs") }
        guard rmsNormEpsilon >= 0, rmsNormEpsilon.isFinite else { throw fail("rms_norm_eps", "is \(rmsNormEpsilon)") }
        guard rope.theta > 0, rope.theta.isFinite else { throw fail("rope_theta", "is \(rope.theta), expected > 0") }
        if let w = slidingWindow, w <= 0 { throw fail("sliding_window", "is \(w), expected > 0") }
        if let f = rope.frequencyFactors, f.count != headDim / 2 {
            throw fail("rope_freqs", "has \(f.count) factors, expected head_dim / 2 = \(headDim / 2)")
        }
    }
}

/// Rotary position embedding: `inv_freq[i] = 1 / theta^(2i/hd)`, then scaled.
public struct RoPEConfiguration: Sendable, Equatable {
    public enum Scaling: Sendable, Equatable {
        case none
        /// `rope_type: linear`: every frequency divided by `factor`.
        case linear(factor: Float)
        /// `rope_type: llama3` (transformers `_compute_llama3_parameters`).
        case llama3(factor: Float, lowFrequencyFactor: Float, highFrequencyFactor: Float, originalMaxPositionEmbeddings: Int)
    }

    /// `rope_theta`.
    public var theta: Double
    public var scaling: Scaling
    /// GGUF `rope_freqs.weight`: per-frequency divisors that llama.cpp's converter writes for llama3 scaling
    /// (`theta_i = p · inv_freq_i / factor_i`). Used instead of `scaling` when present.
    public var frequencyFactors: [Float]?

    public init(theta: Double, scaling: Scaling = .none, frequencyFactors: [Float]? = nil) {
        self.theta = theta
        self.scaling = scaling
        self.frequencyFactors = frequencyFactors
    }

    /// The `hd / 2` inverse frequencies in fp32, computed in the same order of float32 operations as transformers
    /// 5.24 (`modeling_rope_utils.py`), so that cos/sin tables agree with PyTorch to the last bit or two.
    public func inverseFrequencies(headDim: Int) -> [Float] {
        let base = Float(theta)
        var inv = (0..<(headDim / 2)).map { i -> Float in 1 / powf(base, Float(2 * i) / Float(headDim)) }
        if let factors = frequencyFactors {
            for i in inv.indices { inv[i] /= factors[i] }
            return inv
        }
        switch scaling {
        case .none:
            break
        case .linear(let factor):
            for i in inv.indices { inv[i] /= factor }
        case .llama3(let factor, let low, let high, let original):
            let old = Float(original)
            let lowWavelength = old / low, highWavelength = old / high
            for i in inv.indices {
                let f = inv[i]
                let wavelength = 2 * Float.pi / f
                var scaled = wavelength > lowWavelength ? f / factor : f
                if !(wavelength < highWavelength) && !(wavelength > lowWavelength) {
                    let smooth = (old / wavelength - low) / (high - low)
                    scaled = (1 - smooth) * scaled / factor + smooth * scaled
                }
                inv[i] = scaled
            }
        }
        return inv
    }
}

/// A `config.json` or GGUF metadata problem: which file, which key, what is wrong.
public struct ModelConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var key: String
    public var message: String
    public init(source: String, key: String, message: String) {
        self.source = source
        self.key = key
        self.message = message
    }
    public var description: String { "\(source): \(key): \(message)" }
}

extension ModelConfiguration {
    /// EAGLE-3's auxiliary hidden states (SPEC §5): the inputs of decoder layers 2, ⌊N/2⌋ and N − 3, which are
    /// `hidden_states` indices 2, N/2 and N − 3 in Hugging Face numbering (convention: "input of layer i"). The
    /// three must be distinct, so N ≥ 7 is required (the reference silently captures fewer for N ≤ 6).
    public func eagle3AuxiliaryLayers() throws(ModelConfigurationError) -> [Int] {
        guard layerCount >= 7 else {
            throw ModelConfigurationError(source: architecture.name, key: "num_hidden_layers",
                                          message: "\(layerCount) layers; EAGLE-3's aux layers {2, N/2, N-3} need N >= 7")
        }
        return [2, layerCount / 2, layerCount - 3]
    }
}

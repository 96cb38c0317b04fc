import EagleCore
/// The 13 trainable tensors in SPEC §7 order, with their export names. The flat parameter, gradient and Adam
/// arenas store them contiguously in this order, so `q|k|v` and `gate|up` are each one matrix (fused matmuls) and
/// the optimizer is one loop.
public enum DrafterTensor: Int, Sendable, CaseIterable {
    case fc, inputNorm, hiddenNorm, qProj, kProj, vProj, oProj, postAttentionNorm, gateProj, upProj, downProj, norm, lmHead

    /// The state-dict key (SPEC §7/§11, no prefix).
    public var name: String {
        switch self {
        case .fc: "fc.weight"
        case .inputNorm: "midlayer.input_layernorm.weight"
        case .hiddenNorm: "midlayer.hidden_norm.weight"
        case .qProj: "midlayer.self_attn.q_proj.weight"
        case .kProj: "midlayer.self_attn.k_proj.weight"
        case .vProj: "midlayer.self_attn.v_proj.weight"
        case .oProj: "midlayer.self_attn.o_proj.weight"
        case .postAttentionNorm: "midlayer.post_attention_layernorm.weight"
        case .gateProj: "midlayer.mlp.gate_proj.weight"
        case .upProj: "midlayer.mlp.up_proj.weight"
        case .downProj: "midlayer.mlp.down_proj.weight"
        case .norm: "norm.weight"
        case .lmHead: "lm_head.weight"
        }
    }

    public init?(name: String) {
        guard let t = DrafterTensor.allCases.first(where: { $0.name == name }) else { return nil }
        self = t
    }

    /// `[out, in]` for Linear weights, `[H]` for norms.
    public func shape(_ c: DrafterConfiguration) -> [Int] {
        let h = c.hiddenSize
        switch self {
        case .fc: return [h, c.auxWidth]
        case .inputNorm, .hiddenNorm, .postAttentionNorm, .norm: return [h]
        case .qProj: return [c.qDim, 2 * h]
        case .kProj, .vProj: return [c.kvDim, 2 * h]
        case .oProj: return [h, c.qDim]
        case .gateProj, .upProj: return [c.intermediateSize, h]
        case .downProj: return [h, c.intermediateSize]
        case .lmHead: return [c.draftVocabSize, h]
        }
    }

    public var isNorm: Bool { [.inputNorm, .hiddenNorm, .postAttentionNorm, .norm].contains(self) }
}

/// Offsets of the 13 tensors in a flat arena.
public struct ParameterLayout: Sendable, Equatable {
    public let configuration: DrafterConfiguration
    public let offsets: [Int]
    public let counts: [Int]
    /// Total number of trainable parameters.
    public let totalCount: Int

    public init(_ c: DrafterConfiguration) {
        configuration = c
        var offsets: [Int] = [], counts: [Int] = []
        var next = 0
        for t in DrafterTensor.allCases {
            let n = t.shape(c).reduce(1, *)
            offsets.append(next)
            counts.append(n)
            next += n
        }
        self.offsets = offsets
        self.counts = counts
        totalCount = next
    }

    public func range(_ t: DrafterTensor) -> Range<Int> { offsets[t.rawValue]..<(offsets[t.rawValue] + counts[t.rawValue]) }
    public func offset(_ t: DrafterTensor) -> Int { offsets[t.rawValue] }
}

/// Drafter weights as one flat fp32 array in `ParameterLayout` order: the value type the trainer, checkpoints,
/// `--init`, export and tests exchange.
public struct DrafterWeights: Sendable, Equatable {
    public let layout: ParameterLayout
    public var values: [Float]

    public var configuration: DrafterConfiguration { layout.configuration }

    public init(configuration: DrafterConfiguration, values: [Float]) throws(DraftTrainingError) {
        layout = ParameterLayout(configuration)
        guard values.count == layout.totalCount else {
            throw .input(name: "weights", message: "\(values.count) values, the configuration needs \(layout.totalCount)")
        }
        self.values = values
    }

    /// Values already sized by `layout` (internal: the arenas).
    init(layout: ParameterLayout, checkedValues values: [Float]) {
        precondition(values.count == layout.totalCount, "weights: size mismatch")
        self.layout = layout
        self.values = values
    }

    /// SPEC §7 init: every Linear weight ~ U(−1/√in, +1/√in) (PyTorch's nn.Linear default), RMSNorm weights 1.
    /// The reference's own random stream is not reproducible (construction interleaves loading the target); parity
    /// tests import initial weights instead.
    public init(initializing configuration: DrafterConfiguration, seed: UInt64) {
        layout = ParameterLayout(configuration)
        var values = [Float](repeating: 0, count: layout.totalCount)
        var rng = SplitMix64(seed: seed)
        for t in DrafterTensor.allCases {
            let r = layout.range(t)
            if t.isNorm {
                for i in r { values[i] = 1 }
            } else {
                let fanIn = t.shape(configuration)[1]
                let bound = 1 / Float(fanIn).squareRoot()
                for i in r { values[i] = (Float(rng.nextUnit()) * 2 - 1) * bound }
            }
        }
        self.values = values
    }

    /// One tensor's values.
    public subscript(_ t: DrafterTensor) -> ArraySlice<Float> {
        get { values[layout.range(t)] }
        set {
            precondition(newValue.count == layout.counts[t.rawValue], "tensor \(t.name): size mismatch")
            values.replaceSubrange(layout.range(t), with: newValue)
        }
    }
}

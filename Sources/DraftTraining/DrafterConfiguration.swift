import EagleCore

/// The drafter's shape (SPEC §7): one decoder layer with a 2H attention input plus `fc`, `norm` and `lm_head`.
/// Field names follow the Hugging Face config.json keys the export writes (`hidden_size`, …).
public struct DrafterConfiguration: Sendable, Equatable {
    /// `H`: the target's hidden size (the drafter's too).
    public var hiddenSize: Int
    /// `I`: the MLP width.
    public var intermediateSize: Int
    /// `nh`; `hd = H / nh` (a separate head_dim is unsupported, EAGLE issue #223).
    public var headCount: Int
    /// `nkv`; divides `nh`.
    public var kvHeadCount: Int
    /// `V`: the target's logit width (length of `t2d`, rows of the frozen embedding).
    public var targetVocabSize: Int
    /// `Vd`: the draft vocabulary (rows of `lm_head`).
    public var draftVocabSize: Int
    /// Aux hidden states per token, concatenated low | mid | high: `fc` maps `auxLayers·H → H`.
    public var auxLayers: Int
    /// ε of all four RMSNorms.
    public var rmsNormEps: Float
    /// RoPE base: 10000 regardless of the target's θ (SPEC §7); kept as a field so a test can vary it.
    public var ropeTheta: Float
    /// `max_position_embeddings` written to config.json (positions beyond it are still computed: the table grows).
    public var maxPositionEmbeddings: Int

    public init(hiddenSize: Int, intermediateSize: Int, headCount: Int, kvHeadCount: Int, targetVocabSize: Int,
                draftVocabSize: Int, auxLayers: Int = 3, rmsNormEps: Float = 1e-5, ropeTheta: Float = 10000,
                maxPositionEmbeddings: Int = 2048) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.targetVocabSize = targetVocabSize
        self.draftVocabSize = draftVocabSize
        self.auxLayers = auxLayers
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.maxPositionEmbeddings = maxPositionEmbeddings
    }

    public var headDim: Int { hiddenSize / headCount }
    /// `nh·hd` (= H).
    public var qDim: Int { headCount * headDim }
    /// `nkv·hd`.
    public var kvDim: Int { kvHeadCount * headDim }
    /// Query heads per KV head.
    public var groupSize: Int { headCount / kvHeadCount }
    public var auxWidth: Int { auxLayers * hiddenSize }

    /// Checks every field; the error names the config.json key.
    public func validate() throws(DraftTrainingError) {
        func check(_ ok: Bool, _ key: String, _ message: String) throws(DraftTrainingError) {
            if !ok { throw .configuration(key: key, message: message) }
        }
        try check(hiddenSize >= 1 && hiddenSize <= 1 << 16, "hidden_size", "\(hiddenSize) is outside 1...65536")
        try check(intermediateSize >= 1 && intermediateSize <= 1 << 18, "intermediate_size", "\(intermediateSize) is outside 1...262144")
        try check(headCount >= 1 && hiddenSize % headCount == 0, "num_attention_heads",
                  "\(headCount) does not divide hidden_size \(hiddenSize)")
        try check(headDim % 2 == 0, "num_attention_heads", "head dimension \(headDim) is odd (RoPE rotates halves)")
        try check(kvHeadCount >= 1 && headCount % kvHeadCount == 0, "num_key_value_heads",
                  "\(kvHeadCount) does not divide num_attention_heads \(headCount)")
        try check(targetVocabSize >= 1 && targetVocabSize <= 1 << 24, "vocab_size", "\(targetVocabSize) is outside 1...16777216")
        try check(draftVocabSize >= 1 && draftVocabSize <= targetVocabSize, "draft_vocab_size",
                  "\(draftVocabSize) is outside 1...vocab_size (\(targetVocabSize))")
        try check(auxLayers >= 1 && auxLayers <= 16, "aux_layers", "\(auxLayers) is outside 1...16")
        try check(rmsNormEps > 0 && rmsNormEps.isFinite, "rms_norm_eps", "\(rmsNormEps) is not a positive number")
        try check(ropeTheta > 1 && ropeTheta.isFinite, "rope_theta", "\(ropeTheta) is not a base above 1")
        try check(maxPositionEmbeddings >= 1, "max_position_embeddings", "\(maxPositionEmbeddings) is not positive")
    }

    /// The config.json of an export (SPEC §11): the reference's `eagle/traineagle3/config.json` plus
    /// `architectures`, with the target's vocabulary size and token ids. No `rope_theta`, `rope_scaling` or
    /// `head_dim` (EAGLE's inference code would use a `rope_theta` if present).
    public func exportJSON(bosTokenId: Int?, eosTokenId: Int?) -> JSONValue {
        var o = JSONObject()
        o["architectures"] = .array([.string("LlamaForCausalLMEagle3")])
        o["model_type"] = .string("llama")
        o["hidden_size"] = .int(hiddenSize)
        o["intermediate_size"] = .int(intermediateSize)
        o["num_attention_heads"] = .int(headCount)
        o["num_key_value_heads"] = .int(kvHeadCount)
        o["num_hidden_layers"] = .int(1)
        o["rms_norm_eps"] = .double(Double(rmsNormEps.description) ?? Double(rmsNormEps))  // 1e-05, not 9.99999974e-06
        o["max_position_embeddings"] = .int(maxPositionEmbeddings)
        o["vocab_size"] = .int(targetVocabSize)
        o["draft_vocab_size"] = .int(draftVocabSize)
        o["hidden_act"] = .string("silu")
        o["pad_token_id"] = .int(0)
        o["bos_token_id"] = bosTokenId.map { .int($0) } ?? .null
        o["eos_token_id"] = eosTokenId.map { .int($0) } ?? .null
        o["tie_word_embeddings"] = .bool(false)
        o["torch_dtype"] = .string("float16")
        if auxLayers != 3 { o["num_aux_layers"] = .int(auxLayers) }
        return .object(o)
    }

    /// Reads a drafter config.json (ours or the reference's). Unknown keys are ignored; `rope_theta`, when present,
    /// must be 10000 (the drafter's fixed base) and `head_dim`, when present, must equal `H / nh`.
    public init(json: JSONValue) throws(DraftTrainingError) {
        func int(_ key: String, default d: Int? = nil) throws(DraftTrainingError) -> Int {
            guard let v = json[key] else {
                if let d { return d }
                throw .configuration(key: key, message: "missing")
            }
            guard let i = v.intValue else { throw .configuration(key: key, message: "is \(v.typeName), expected an integer") }
            return i
        }
        let hidden = try int("hidden_size"), heads = try int("num_attention_heads")
        self.init(hiddenSize: hidden, intermediateSize: try int("intermediate_size"), headCount: heads,
                  kvHeadCount: try int("num_key_value_heads", default: heads), targetVocabSize: try int("vocab_size"),
                  draftVocabSize: try int("draft_vocab_size"), auxLayers: try int("num_aux_layers", default: 3),
                  maxPositionEmbeddings: try int("max_position_embeddings", default: 2048))
        if let eps = json["rms_norm_eps"] {
            guard let e = eps.doubleValue else { throw .configuration(key: "rms_norm_eps", message: "is \(eps.typeName), expected a number") }
            rmsNormEps = Float(e)
        }
        if let layers = json["num_hidden_layers"], layers.intValue != 1 {
            throw .configuration(key: "num_hidden_layers", message: "is \(JSONWriter.string(layers)); an EAGLE-3 drafter has 1 layer")
        }
        if let theta = json["rope_theta"], theta.doubleValue != 10000 {
            throw .configuration(key: "rope_theta", message: "is \(JSONWriter.string(theta)); the drafter's RoPE base is 10000")
        }
        if let hd = json["head_dim"], hd.intValue != hidden / max(heads, 1) {
            throw .configuration(key: "head_dim", message: "is \(JSONWriter.string(hd)); only hidden_size / num_attention_heads is supported")
        }
        try validate()
    }
}

/// Which historical attention mask / position rule the training-time test follows (SPEC §8).
public enum AttentionVariant: String, Sendable, CaseIterable {
    /// Current reference (`main` since 09b1628): step k attends to K_0[0..t] and K_1..k[t], positions t + k.
    case main
    /// First upload (9666a81): step k sees only K_0[0..t−k].
    case firstUpload = "first-upload"
    /// 4947382 (reverted the next day): positions t + 2k. The reference code itself fails with an IndexError at
    /// step 1 (its cos/sin cache holds L + k rows); this is SPEC's description of the intent.
    case positionShift = "position-shift"
}

/// How the training-time test is run (SPEC §8–§9). Defaults reproduce the reference.
public struct TTTOptions: Sendable, Equatable {
    /// Number of drafting steps (7 in the reference; the paper says 5).
    public var steps: Int
    /// Step k's loss weight is `stepWeight^k` (0.8).
    public var stepWeight: Double
    public var attention: AttentionVariant
    /// Sets `loss_mask[L−1] = 0` before training (the #317 fix, PR #341). Off = reference.
    public var zeroLastPosition: Bool

    public init(steps: Int = 7, stepWeight: Double = 0.8, attention: AttentionVariant = .main, zeroLastPosition: Bool = false) {
        self.steps = steps
        self.stepWeight = stepWeight
        self.attention = attention
        self.zeroLastPosition = zeroLastPosition
    }

    func validate() throws(DraftTrainingError) {
        guard steps >= 1 && steps <= 64 else { throw .options("TTT steps must be in 1...64, got \(steps)") }
        guard stepWeight > 0 && stepWeight.isFinite else { throw .options("step weight must be positive, got \(stepWeight)") }
    }

    /// RoPE position offset of step k (added to the token position t).
    func positionOffset(step k: Int) -> Int { attention == .positionShift ? 2 * k : k }
    /// Step k's query t sees step-0 keys 0...t − `causalShift(k)`.
    func causalShift(step k: Int) -> Int { attention == .firstUpload ? k : 0 }
}

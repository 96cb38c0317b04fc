import EagleCore

/// Reads a Hugging Face `config.json` into a `ModelConfiguration`. Both RoPE spellings are accepted: transformers 5's
/// `rope_parameters` (`{"rope_type", "rope_theta", …}`) and the older top-level `rope_theta` with `rope_scaling`.
/// Unsupported settings (`mlp_bias`, another `hidden_act`, partial rotary, YaRN/dynamic RoPE, Qwen2's
/// `use_sliding_window`) are errors naming the key rather than silently wrong outputs.
public enum HuggingFaceConfig {
    public static func load(path: String) throws -> ModelConfiguration {
        let text = try FileIO.readString(path: path, limit: 16 << 20)
        let json: JSONValue
        do { json = try JSONParser.parse(bytes: Array(text.utf8)) } catch {
            throw ModelConfigurationError(source: path, key: "(file)", message: "invalid JSON: \(error)")
        }
        return try parse(json, source: path)
    }

    public static func parse(_ json: JSONValue, source: String) throws(ModelConfigurationError) -> ModelConfiguration {
        guard let o = json.objectValue else { throw ModelConfigurationError(source: source, key: "(file)", message: "is \(json.typeName), expected an object") }
        let r = Keys(object: o, source: source)
        let names = try r.stringArray("architectures")
        let architecture = try ArchitectureRegistry.huggingFace(name: names?.first, modelType: try r.string("model_type"), source: source)

        let hidden = try r.requiredInt("hidden_size")
        let heads = try r.requiredInt("num_attention_heads")
        let kvHeads = try r.int("num_key_value_heads") ?? heads
        let headDim = try r.int("head_dim") ?? architecture.defaultHeadDim ?? (heads > 0 ? hidden / heads : 0)
        if let act = try r.string("hidden_act"), act != "silu" {
            throw r.fail("hidden_act", "'\(act)' is not supported (expected silu)")
        }
        if try r.bool("mlp_bias") == true { throw r.fail("mlp_bias", "true is not supported") }
        if try r.bool("use_sliding_window") == true, !architecture.usesSlidingWindow {
            throw r.fail("use_sliding_window", "true is not supported for \(architecture.name)")
        }
        let maxPositions = try r.int("max_position_embeddings") ?? 2048
        let attentionBias = try r.bool("attention_bias") ?? false
        let config = ModelConfiguration(
            architecture: architecture, hiddenSize: hidden, intermediateSize: try r.requiredInt("intermediate_size"),
            layerCount: try r.requiredInt("num_hidden_layers"), headCount: heads, keyValueHeadCount: kvHeads, headDim: headDim,
            vocabularySize: try r.requiredInt("vocab_size"),
            rmsNormEpsilon: Float(try r.double("rms_norm_eps") ?? architecture.defaultRMSNormEpsilon),
            rope: try rope(r, architecture: architecture, maxPositions: maxPositions),
            tieWordEmbeddings: try r.bool("tie_word_embeddings") ?? false,
            attentionBias: architecture.alwaysQKVBias || attentionBias,
            queryKeyNorm: architecture.queryKeyNorm,
            slidingWindow: architecture.usesSlidingWindow ? try r.int("sliding_window") : nil,
            maxPositionEmbeddings: maxPositions, bosTokenId: try r.int("bos_token_id"),
            eosTokenIds: try r.intOrIntArray("eos_token_id") ?? [])
        try config.validate(source: source)
        return config
    }

    private static func rope(_ r: Keys, architecture: Architecture, maxPositions: Int) throws(ModelConfigurationError) -> RoPEConfiguration {
        let topTheta = try r.double("rope_theta")
        var params: Keys?
        var prefix = "rope_parameters"
        if let p = try r.object("rope_parameters") {
            params = Keys(object: p, source: r.source, prefix: "rope_parameters.")
        } else if let p = try r.object("rope_scaling") {
            params = Keys(object: p, source: r.source, prefix: "rope_scaling.")
            prefix = "rope_scaling"
        }
        var theta = topTheta ?? architecture.defaultRopeTheta
        if let t = try params?.double("rope_theta") { theta = t }
        guard let p = params else { return RoPEConfiguration(theta: theta) }
        if let partial = try p.double("partial_rotary_factor"), partial != 1 {
            throw p.fail("partial_rotary_factor", "\(partial) is not supported (only 1.0)")
        }
        var type = "default"
        if let t = try p.string("type") { type = t }
        if let t = try p.string("rope_type") { type = t }
        switch type {
        case "default":
            return RoPEConfiguration(theta: theta)
        case "linear":
            return RoPEConfiguration(theta: theta, scaling: .linear(factor: Float(try p.requiredDouble("factor"))))
        case "llama3":
            return RoPEConfiguration(theta: theta, scaling: .llama3(
                factor: Float(try p.requiredDouble("factor")),
                lowFrequencyFactor: Float(try p.requiredDouble("low_freq_factor")),
                highFrequencyFactor: Float(try p.requiredDouble("high_freq_factor")),
                originalMaxPositionEmbeddings: try p.int("original_max_position_embeddings") ?? maxPositions))
        default:
            throw p.fail("rope_type", "'\(type)' is not supported in \(prefix) (supported: default, linear, llama3)")
        }
    }

    /// Typed access to one JSON object; `null` reads as absent; errors name `prefix + key`.
    struct Keys {
        var object: JSONObject
        var source: String
        var prefix = ""

        func fail(_ key: String, _ message: String) -> ModelConfigurationError {
            ModelConfigurationError(source: source, key: prefix + key, message: message)
        }
        private func value(_ key: String) -> JSONValue? {
            guard let v = object[key], !v.isNull else { return nil }
            return v
        }
        func string(_ key: String) throws(ModelConfigurationError) -> String? {
            guard let v = value(key) else { return nil }
            guard let s = v.stringValue else { throw fail(key, "is \(v.typeName), expected a string") }
            return s
        }
        func int(_ key: String) throws(ModelConfigurationError) -> Int? {
            guard let v = value(key) else { return nil }
            guard let i = v.intValue else { throw fail(key, "is \(v.typeName), expected an integer") }
            return i
        }
        func requiredInt(_ key: String) throws(ModelConfigurationError) -> Int {
            guard let i = try int(key) else { throw fail(key, "missing") }
            return i
        }
        func double(_ key: String) throws(ModelConfigurationError) -> Double? {
            guard let v = value(key) else { return nil }
            guard let d = v.doubleValue else { throw fail(key, "is \(v.typeName), expected a number") }
            return d
        }
        func requiredDouble(_ key: String) throws(ModelConfigurationError) -> Double {
            guard let d = try double(key) else { throw fail(key, "missing") }
            return d
        }
        func bool(_ key: String) throws(ModelConfigurationError) -> Bool? {
            guard let v = value(key) else { return nil }
            guard let b = v.boolValue else { throw fail(key, "is \(v.typeName), expected true or false") }
            return b
        }
        func object(_ key: String) throws(ModelConfigurationError) -> JSONObject? {
            guard let v = value(key) else { return nil }
            guard let o = v.objectValue else { throw fail(key, "is \(v.typeName), expected an object") }
            return o
        }
        func stringArray(_ key: String) throws(ModelConfigurationError) -> [String]? {
            guard let v = value(key) else { return nil }
            guard let a = v.arrayValue else { throw fail(key, "is \(v.typeName), expected an array of strings") }
            var out: [String] = []
            for item in a {
                guard let s = item.stringValue else { throw fail(key, "holds \(item.typeName), expected strings") }
                out.append(s)
            }
            return out
        }
        func intOrIntArray(_ key: String) throws(ModelConfigurationError) -> [Int]? {
            guard let v = value(key) else { return nil }
            if let i = v.intValue { return [i] }
            guard let a = v.arrayValue else { throw fail(key, "is \(v.typeName), expected an integer or a list of integers") }
            var out: [Int] = []
            for item in a {
                guard let i = item.intValue else { throw fail(key, "holds \(item.typeName), expected integers") }
                out.append(i)
            }
            return out
        }
    }
}

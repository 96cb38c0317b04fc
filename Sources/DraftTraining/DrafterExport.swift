import EagleCore
import Foundation
import SafeTensors

/// Element type of exported weights.
public enum ExportDType: String, Sendable, CaseIterable {
    case f16, bf16

    var dtype: DType { self == .f16 ? .f16 : .bf16 }

    /// fp32 → 16 bits, round-to-nearest-even (as PyTorch's `.half()` / `.bfloat16()`).
    func encode(_ x: Float) -> UInt16 { self == .f16 ? HalfPrecision.f16(x) : HalfPrecision.bf16(x) }
    func decode(_ h: UInt16) -> Float { self == .f16 ? HalfPrecision.float(f16: h) : HalfPrecision.float(bf16: h) }
}

/// The serving layout of SPEC §11: `OUT/model.safetensors` with exactly the 13 trainable tensors (no prefix, F16 or
/// BF16), `d2t` (I64 [Vd]) and `t2d` (BOOL [V]), and `OUT/config.json`. Both are validated after writing by
/// reading them back (keys, dtypes, shapes, vocabulary maps, the weights bit for bit, config keys), because wrong
/// names fail silently in SGLang.
public enum DrafterExport {
    public static let modelFile = "model.safetensors"
    public static let configFile = "config.json"

    public static func write(weights: DrafterWeights, d2t: [Int64], t2d: [Bool], bosTokenId: Int?, eosTokenId: Int?,
                             dtype: ExportDType, to directory: String) throws {
        let c = weights.configuration
        let maps = TargetInputs(embedding: [], d2t: d2t, t2d: t2d)
        do { try maps.validateMaps(c) } catch { throw DraftTrainingError.export(path: directory, message: "\(error)") }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var entries: [SafeTensorsStream.Entry] = DrafterTensor.allCases.map { t in
            let values = weights[t]
            return .init(name: t.name, dtype: dtype.dtype, shape: t.shape(c)) { try $0.write(halves: values, dtype.encode) }
        }
        let d2tBytes = d2t.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: v) >> (8 * UInt64($0))) } }
        entries.append(.init(name: "d2t", dtype: .i64, shape: [d2t.count]) { try $0.write(d2tBytes) })
        let t2dBytes = t2d.map { $0 ? UInt8(1) : 0 }
        entries.append(.init(name: "t2d", dtype: .bool, shape: [t2d.count]) { try $0.write(t2dBytes) })
        let modelPath = directory + "/" + modelFile, configPath = directory + "/" + configFile
        try SafeTensorsStream.write(path: modelPath, metadata: [("format", "pt")], entries: entries)
        var config = c.exportJSON(bosTokenId: bosTokenId, eosTokenId: eosTokenId)
        if case .object(var o) = config, dtype == .bf16 {
            o["torch_dtype"] = .string("bfloat16")
            config = .object(o)
        }
        try FileIO.writeAtomically(path: configPath, bytes: Array((JSONWriter.string(config) + "\n").utf8))
        let back = try load(directory: directory)
        guard back.d2t == d2t, back.t2d == t2d else { throw DraftTrainingError.export(path: modelPath, message: "d2t/t2d read back differ") }
        for t in DrafterTensor.allCases {
            let expected = weights[t].map { dtype.decode(dtype.encode($0)) }
            guard zip(back.weights[t], expected).allSatisfy({ $0.bitPattern == $1.bitPattern }) else {
                throw DraftTrainingError.export(path: modelPath, message: "\(t.name) read back differs from what was written")
            }
        }
    }

    /// An export read back: configuration, weights (converted to fp32 exactly), maps, token ids, weight dtype.
    public struct Loaded: Sendable {
        public var weights: DrafterWeights
        public var d2t: [Int64]
        public var t2d: [Bool]
        public var bosTokenId: Int?
        public var eosTokenId: Int?
        public var dtype: ExportDType
    }

    /// Reads and validates an export directory: config.json has the SPEC §11 keys (and none of rope_theta,
    /// rope_scaling, head_dim), model.safetensors exactly the 15 tensors with the right dtypes and shapes, and
    /// d2t/t2d are consistent. Errors name the file and key.
    public static func load(directory: String) throws -> Loaded {
        let configPath = directory + "/" + configFile, modelPath = directory + "/" + modelFile
        let json = try JSONParser.parse(bytes: try FileIO.readAll(path: configPath, limit: 1 << 20))
        func fail(_ path: String, _ m: String) -> DraftTrainingError { .export(path: path, message: m) }
        for key in ["architectures", "model_type", "hidden_size", "intermediate_size", "num_attention_heads", "num_key_value_heads",
                    "num_hidden_layers", "rms_norm_eps", "max_position_embeddings", "vocab_size", "draft_vocab_size", "hidden_act",
                    "pad_token_id", "tie_word_embeddings", "torch_dtype"] where json[key] == nil {
            throw fail(configPath, "missing key \(key)")
        }
        for key in ["rope_theta", "rope_scaling", "head_dim"] where json[key] != nil {
            throw fail(configPath, "has \(key); EAGLE-3 drafter configs must not (EAGLE's inference would use it)")
        }
        guard json["architectures"] == .array([.string("LlamaForCausalLMEagle3")]) else {
            throw fail(configPath, "architectures must be [\"LlamaForCausalLMEagle3\"] (SGLang requires it)")
        }
        let c = try DrafterConfiguration(json: json)
        let file = try SafeTensorsFile(path: modelPath)
        let expectedNames = Set(DrafterTensor.allCases.map(\.name) + ["d2t", "t2d"])
        if let extra = file.names.first(where: { !expectedNames.contains($0) }) { throw fail(modelPath, "unexpected tensor \(extra)") }
        let firstInfo = try file.info(DrafterTensor.fc.name)
        guard let dtype = ExportDType.allCases.first(where: { $0.dtype == firstInfo.dtype }) else {
            throw fail(modelPath, "\(DrafterTensor.fc.name) is \(firstInfo.dtype.rawValue), expected F16 or BF16")
        }
        var values: [Float] = []
        for t in DrafterTensor.allCases {
            let raw = try file.bytes(t.name, dtype: dtype.dtype, shape: t.shape(c))
            for i in 0..<(raw.count / 2) { values.append(dtype.decode(UInt16(raw[2 * i]) | UInt16(raw[2 * i + 1]) << 8)) }
        }
        let d2t = try file.int64s("d2t", shape: [c.draftVocabSize])
        let t2d = try file.bools("t2d", shape: [c.targetVocabSize])
        do { try TargetInputs(embedding: [], d2t: d2t, t2d: t2d).validateMaps(c) } catch { throw fail(modelPath, "\(error)") }
        return Loaded(weights: try DrafterWeights(configuration: c, values: values), d2t: d2t, t2d: t2d,
                      bosTokenId: json["bos_token_id"]?.intValue, eosTokenId: json["eos_token_id"]?.intValue, dtype: dtype)
    }

    /// `--init FILE.safetensors`: weights in the export layout (any float dtype, with or without `d2t`/`t2d`; when
    /// present they must equal the run's). Every one of the 13 tensors must be there with its shape.
    public static func loadInitialWeights(path: String, configuration c: DrafterConfiguration, d2t: [Int64], t2d: [Bool]) throws -> DrafterWeights {
        let file = try SafeTensorsFile(path: path)
        var values: [Float] = []
        values.reserveCapacity(ParameterLayout(c).totalCount)
        for t in DrafterTensor.allCases { values += try file.floats(try file.info(t.name, shape: t.shape(c)).name) }
        let known = Set(DrafterTensor.allCases.map(\.name) + ["d2t", "t2d"])
        if let extra = file.names.first(where: { !known.contains($0) }) {
            throw DraftTrainingError.input(name: path, message: "unexpected tensor \(extra) (expected the export layout of SPEC §11)")
        }
        if file.contains("d2t"), try file.int64s("d2t") != d2t { throw DraftTrainingError.input(name: path, message: "d2t differs from the run's vocabulary") }
        if file.contains("t2d"), try file.bools("t2d") != t2d { throw DraftTrainingError.input(name: path, message: "t2d differs from the run's vocabulary") }
        return try DrafterWeights(configuration: c, values: values)
    }
}

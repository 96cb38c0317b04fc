import EagleCore
import SafeTensors

/// A training checkpoint: one safetensors file, written atomically, holding the fp32 weights (`param.<name>`), the
/// AdamW moments (`adam.m.<name>`, `adam.v.<name>`), the draft vocabulary (`d2t`, `t2d`) and, in `__metadata__`,
/// the drafter config (`config`, config.json JSON) and the training state (`state`: optimizer step count, stream
/// position, epoch accumulators, the options fingerprint and data identities). Enough to resume exactly or export.
public struct DrafterCheckpoint: Sendable {
    public static let format = "eagleprep-drafter-checkpoint"
    public static let version = "1"

    public var weights: DrafterWeights
    public var adamM: [Float]
    public var adamV: [Float]
    /// AdamW's n (bias corrections).
    public var adamStep: Int
    public var d2t: [Int64]
    public var t2d: [Bool]
    public var bosTokenId: Int?
    public var eosTokenId: Int?
    /// The trainer's state, as written by `DrafterTrainer` (opaque to other readers).
    public var state: JSONValue

    public var configuration: DrafterConfiguration { weights.configuration }

    public init(weights: DrafterWeights, adamM: [Float], adamV: [Float], adamStep: Int, d2t: [Int64], t2d: [Bool],
                bosTokenId: Int?, eosTokenId: Int?, state: JSONValue) {
        self.weights = weights
        self.adamM = adamM
        self.adamV = adamV
        self.adamStep = adamStep
        self.d2t = d2t
        self.t2d = t2d
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.state = state
    }

    public func write(path: String) throws {
        let c = configuration
        var w = SafeTensorsWriter(metadata: [
            ("format", Self.format), ("version", Self.version),
            ("config", JSONWriter.string(c.exportJSON(bosTokenId: bosTokenId, eosTokenId: eosTokenId))),
            ("rope_theta", "\(c.ropeTheta)"), ("adam_step", String(adamStep)), ("state", JSONWriter.string(state)),
        ])
        let layout = weights.layout
        for (prefix, values) in [("param.", weights.values), ("adam.m.", adamM), ("adam.v.", adamV)] {
            for t in DrafterTensor.allCases {
                try w.add(prefix + t.name, dtype: .f32, shape: t.shape(c), bytes: Self.littleEndianBytes(values[layout.range(t)]))
            }
        }
        try w.add("d2t", int64s: d2t)
        try w.add("t2d", bools: t2d)
        try w.write(path: path)
    }

    /// fp32 values as little-endian bytes (a bulk copy: 3 × the parameter count per checkpoint).
    static func littleEndianBytes(_ values: ArraySlice<Float>) -> [UInt8] {
        #if _endian(little)
        return values.withUnsafeBytes { Array($0) }
        #else
        var w = BinaryWriter()
        for v in values { w.f32(v) }
        return w.bytes
        #endif
    }

    public static func read(path: String) throws -> DrafterCheckpoint {
        let file = try SafeTensorsFile(path: path)
        func fail(_ m: String) -> DraftTrainingError { .checkpoint(path: path, message: m) }
        guard file.metadata["format"] == format else { throw fail("not an \(format) file (metadata format is \(file.metadata["format"] ?? "missing"))") }
        guard file.metadata["version"] == version else { throw fail("version \(file.metadata["version"] ?? "missing"), this build reads \(version)") }
        guard let configText = file.metadata["config"], let stateText = file.metadata["state"],
              let adamText = file.metadata["adam_step"], let adamStep = Int(adamText) else {
            throw fail("metadata lacks config, state or adam_step")
        }
        let configJSON = try JSONParser.parse(bytes: Array(configText.utf8))
        var config = try DrafterConfiguration(json: configJSON)
        if let theta = file.metadata["rope_theta"].flatMap(Float.init) { config.ropeTheta = theta }
        let layout = ParameterLayout(config)
        func tensors(_ prefix: String) throws -> [Float] {
            var out: [Float] = []
            out.reserveCapacity(layout.totalCount)
            for t in DrafterTensor.allCases {
                let info = try file.info(prefix + t.name, dtype: .f32, shape: t.shape(config))
                out += try file.floats(info.name)
            }
            return out
        }
        let weights = try DrafterWeights(configuration: config, values: try tensors("param."))
        return DrafterCheckpoint(weights: weights, adamM: try tensors("adam.m."), adamV: try tensors("adam.v."), adamStep: adamStep,
                                 d2t: try file.int64s("d2t", shape: [config.draftVocabSize]),
                                 t2d: try file.bools("t2d", shape: [config.targetVocabSize]),
                                 bosTokenId: configJSON["bos_token_id"]?.intValue, eosTokenId: configJSON["eos_token_id"]?.intValue,
                                 state: try JSONParser.parse(bytes: Array(stateText.utf8)))
    }
}

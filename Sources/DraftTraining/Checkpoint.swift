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
        let layout = weights.layout
        var entries: [SafeTensorsStream.Entry] = []
        for (prefix, values) in [("param.", weights.values), ("adam.m.", adamM), ("adam.v.", adamV)] {
            for t in DrafterTensor.allCases {
                let range = layout.range(t)
                entries.append(.init(name: prefix + t.name, dtype: .f32, shape: t.shape(c)) { try $0.write(floats: values[range]) })
            }
        }
        let d2tBytes = d2t.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: v) >> (8 * UInt64($0))) } }
        entries.append(.init(name: "d2t", dtype: .i64, shape: [d2t.count]) { try $0.write(d2tBytes) })
        let t2dBytes = t2d.map { $0 ? UInt8(1) : 0 }
        entries.append(.init(name: "t2d", dtype: .bool, shape: [t2d.count]) { try $0.write(t2dBytes) })
        try SafeTensorsStream.write(path: path, metadata: [
            ("format", Self.format), ("version", Self.version),
            ("config", JSONWriter.string(c.exportJSON(bosTokenId: bosTokenId, eosTokenId: eosTokenId))),
            ("rope_theta", "\(c.ropeTheta)"), ("adam_step", String(adamStep)), ("state", JSONWriter.string(state)),
        ], entries: entries)
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

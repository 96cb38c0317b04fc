import EagleCore
import Foundation
import LinearAlgebra
import SafeTensors

/// Where a run writes: `metrics.jsonl`, `checkpoint.safetensors`, `loss.svg`, `accuracy.svg`.
public struct TrainingOutput: Sendable {
    public static let metricsFile = "metrics.jsonl"
    public static let checkpointFile = "checkpoint.safetensors"

    public var directory: String
    /// `--dump-step`: after the first optimizer step's backward, the per-step losses and accuracies and every
    /// gradient (before clipping) go here.
    public var dumpStepPath: String?
    public var charts: Bool

    public init(directory: String, dumpStepPath: String? = nil, charts: Bool = true) {
        self.directory = directory
        self.dumpStepPath = dumpStepPath
        self.charts = charts
    }

    public var metricsPath: String { directory + "/" + Self.metricsFile }
    public var checkpointPath: String { directory + "/" + Self.checkpointFile }
}

/// Trains the drafter (SPEC §10): steps of `batching` sequences whose gradients are summed with scale
/// 1/(sequences in the step), global-norm clipping, AdamW, the learning-rate schedule; validation, metrics,
/// checkpoints. Deterministic for a given thread count: resuming from a checkpoint continues to exactly the
/// losses and weights of an uninterrupted run.
public final class DrafterTrainer {
    public let configuration: DrafterConfiguration
    public let options: TrainingOptions
    public let engine: DrafterEngine
    let optimizer: AdamW
    let train: any TrainingSampleSource
    let validation: (any TrainingSampleSource)?
    let output: TrainingOutput?
    private var order: DataOrder
    private var lengths: [Int]

    /// Optimizer steps taken.
    public private(set) var step = 0
    /// Sequences of the stream consumed.
    public private(set) var position = 0
    /// Optimizer steps of the whole run (before `maxSteps`).
    public let plannedSteps: Int
    private var epochSums: [Int: MetricSums] = [:]
    private var metrics: MetricsLog?
    public private(set) var lastValidation: ValidationRecord?

    public init(configuration: DrafterConfiguration, inputs: TargetInputs, train: any TrainingSampleSource,
                validation: (any TrainingSampleSource)? = nil, options: TrainingOptions, weights: DrafterWeights,
                output: TrainingOutput? = nil) throws {
        try options.validate(sampleCount: train.count)
        self.configuration = configuration
        self.options = options
        self.train = train
        self.validation = validation
        self.output = output
        engine = try DrafterEngine(configuration: configuration, tttOptions: options.ttt, inputs: inputs, weights: weights,
                                   threads: options.threads)
        optimizer = AdamW(options: options.adam, parameterCount: engine.layout.totalCount)
        lengths = try (0..<train.count).map { try train.length(of: $0) }
        order = DataOrder(sampleCount: train.count, epochs: options.epochs, seed: options.seed, shuffle: options.shuffle,
                          explicit: options.order)
        let lengths = self.lengths
        plannedSteps = order.totalSteps(batching: options.batching) { lengths[$0] }
        if let output {
            try FileManager.default.createDirectory(atPath: output.directory, withIntermediateDirectories: true)
        }
    }

    public var weights: DrafterWeights { engine.weights }

    /// Steps this run will take: the planned steps, capped by `maxSteps`.
    public var totalSteps: Int { min(plannedSteps, options.maxSteps ?? .max) }
    public var isFinished: Bool { step >= totalSteps }

    // MARK: - Checkpoints

    /// The full state after the last completed step.
    public func checkpoint() -> DrafterCheckpoint {
        var state = JSONObject()
        state["step"] = .int(step)
        state["position"] = .int(position)
        state["epochs"] = .object(JSONObject(epochSums.keys.sorted().map { (String($0), epochSums[$0]!.json) }))
        state["options"] = options.fingerprint
        state["train"] = .string(train.identity)
        state["validation"] = validation.map { .string($0.identity) } ?? .null
        state["threads"] = .int(options.threads)
        return DrafterCheckpoint(weights: engine.weights, adamM: optimizer.m.array, adamV: optimizer.v.array,
                                 adamStep: optimizer.stepCount, d2t: engine.inputs.d2t, t2d: engine.inputs.t2d,
                                 bosTokenId: engine.inputs.bosTokenId, eosTokenId: engine.inputs.eosTokenId, state: .object(state))
    }

    /// Continues from `checkpoint`, which must come from a run with the same configuration, math options, data and
    /// vocabulary; each difference is named.
    public func restore(from checkpoint: DrafterCheckpoint, path: String = "checkpoint") throws {
        func fail(_ m: String) -> DraftTrainingError { .checkpoint(path: path, message: m) }
        guard checkpoint.configuration == configuration else { throw fail("drafter configuration differs from this run's") }
        guard checkpoint.d2t == engine.inputs.d2t, checkpoint.t2d == engine.inputs.t2d else {
            throw fail("draft vocabulary (d2t/t2d) differs from this run's")
        }
        let s = checkpoint.state
        var differences: [String] = []
        if let recorded = s["options"]?.objectValue, case .object(let mine) = options.fingerprint {
            for key in mine.keys where recorded[key] != mine[key] {
                differences.append("\(key): checkpoint \(JSONWriter.string(recorded[key] ?? .null)), now \(JSONWriter.string(mine[key]!))")
            }
        } else {
            differences.append("options: missing from the checkpoint")
        }
        if s["train"]?.stringValue != train.identity { differences.append("training data: checkpoint \(s["train"]?.stringValue ?? "?"), now \(train.identity)") }
        let validationIdentity: JSONValue = validation.map { .string($0.identity) } ?? .null
        if (s["validation"] ?? .null) != validationIdentity {
            differences.append("validation data: checkpoint \(JSONWriter.string(s["validation"] ?? .null)), now \(JSONWriter.string(validationIdentity))")
        }
        guard differences.isEmpty else { throw fail("does not belong to this run:\n  " + differences.joined(separator: "\n  ")) }
        guard let st = s["step"]?.intValue, let pos = s["position"]?.intValue, st >= 0, pos >= 0, pos <= order.streamLength,
              let epochs = s["epochs"]?.objectValue else {
            throw fail("malformed training state")
        }
        try engine.setWeights(checkpoint.weights)
        optimizer.restore(m: checkpoint.adamM, v: checkpoint.adamV, stepCount: checkpoint.adamStep)
        step = st
        position = pos
        epochSums = [:]
        for (key, value) in epochs {
            guard let e = Int(key) else { throw fail("malformed epoch key \(key)") }
            epochSums[e] = try MetricSums(json: value, steps: options.ttt.steps)
        }
        if let output { metrics = try MetricsLog(path: output.metricsPath, keepThroughStep: step) }
    }

    public func writeCheckpoint(path: String) throws { try checkpoint().write(path: path) }

    // MARK: - Training

    /// One optimizer step; nil when the run is over.
    @discardableResult
    public func trainStep() throws -> StepRecord? {
        guard !isFinished else { return nil }
        let lengths = self.lengths
        guard let window = order.window(from: position, batching: options.batching, length: { lengths[$0] }) else { return nil }
        if metrics == nil, let output { metrics = try MetricsLog(path: output.metricsPath, keepThroughStep: step == 0 ? nil : step) }
        let start = Date()
        engine.zeroGradients()
        let scale = 1 / Float(window.count)
        var sums = MetricSums(steps: options.ttt.steps)
        for p in window {
            let index = order.sampleIndex(at: p)
            let sample = try train.sample(index)
            let m = try engine.forwardBackward(sample, index: index, gradScale: scale)
            sums.add(m, stepWeight: options.ttt.stepWeight)
            epochSums[order.epoch(at: p), default: MetricSums(steps: options.ttt.steps)].add(m, stepWeight: options.ttt.stepWeight)
        }
        if step == 0, let path = output?.dumpStepPath { try writeStepDump(path: path, sums: sums, sequences: window.count) }
        let lr = options.schedule.rate(step: step + 1)
        let (norm, clip) = optimizer.step(parameters: engine.parameters, gradients: engine.gradients, learningRate: lr,
                                          threads: options.threads)
        step += 1
        position = window.upperBound
        let record = StepRecord(step: step, epoch: Double(position) / Double(order.epochLength), learningRate: lr,
                                gradientNorm: norm, clipCoefficient: clip, sequences: sums.sequences, tokens: sums.tokens,
                                losses: sums.meanLosses, accuracies: sums.meanAccuracies, loss: sums.meanLoss,
                                seconds: Date().timeIntervalSince(start), peakResidentBytes: ProcessMemory.peakResidentBytes())
        try metrics?.write(record.json)
        try afterStep()
        return record
    }

    /// Epoch lines, validation and checkpoints due after the step just taken.
    private func afterStep() throws {
        var epochEnded = false
        for e in epochSums.keys.sorted() where position >= (e + 1) * order.epochLength {
            let s = epochSums.removeValue(forKey: e)!
            epochEnded = true
            try metrics?.write(.object(JSONObject([
                ("type", .string("epoch")), ("step", .int(step)), ("epoch", .int(e)), ("loss", .double(s.meanLoss)),
                ("ploss", .array(s.meanLosses.map { .double($0) })), ("acc", .array(s.meanAccuracies.map { .double($0) })),
                ("sequences", .int(s.sequences)), ("tokens", .int(s.tokens)),
            ])))
        }
        let last = isFinished || order.window(from: position, batching: options.batching, length: { [lengths] in lengths[$0] }) == nil
        if validation != nil && (last || (options.validateEvery > 0 ? step % options.validateEvery == 0 : epochEnded)) {
            _ = try validate()
        }
        if let output, last || (options.checkpointEvery > 0 ? step % options.checkpointEvery == 0 : epochEnded) {
            try writeCheckpoint(path: output.checkpointPath)
        }
        if last, let output, output.charts, FileIO.exists(output.metricsPath) {
            try TrainingCharts.write(metricsPath: output.metricsPath, to: output.directory)
        }
    }

    /// Runs to the end (or `maxSteps`), calling `progress` after every step.
    public func run(progress: (StepRecord) -> Void = { _ in }) throws {
        while let r = try trainStep() { progress(r) }
    }

    /// Mean losses and accuracies over the validation sequences (no gradients); written to the metrics.
    @discardableResult
    public func validate() throws -> ValidationRecord? {
        guard let validation, validation.count > 0 else { return nil }
        let start = Date()
        var sums = MetricSums(steps: options.ttt.steps)
        for i in 0..<validation.count {
            sums.add(try engine.evaluate(try validation.sample(i), index: i), stepWeight: options.ttt.stepWeight)
        }
        let record = ValidationRecord(step: step, sequences: sums.sequences, tokens: sums.tokens, losses: sums.meanLosses,
                                      accuracies: sums.meanAccuracies, loss: sums.meanLoss, seconds: Date().timeIntervalSince(start))
        if metrics == nil, let output { metrics = try MetricsLog(path: output.metricsPath, keepThroughStep: step == 0 ? nil : step) }
        try metrics?.write(record.json)
        lastValidation = record
        return record
    }

    /// `--dump-step`: `losses` F64 [S] and `accuracies` F64 [S] (means over the step's sequences) and each
    /// trainable tensor's gradient under its export name (F32, summed over the step with scale 1/sequences,
    /// before clipping).
    private func writeStepDump(path: String, sums: MetricSums, sequences: Int) throws {
        var w = SafeTensorsWriter(metadata: [("format", "eagleprep-drafter-step-dump"), ("sequences", String(sequences)),
                                             ("gradient_scale", "1/\(sequences)"), ("options", JSONWriter.string(options.fingerprint))])
        var lossBytes = BinaryWriter(), accBytes = BinaryWriter()
        for v in sums.meanLosses { lossBytes.u64(v.bitPattern) }
        for v in sums.meanAccuracies { accBytes.u64(v.bitPattern) }
        try w.add("losses", dtype: .f64, shape: [options.ttt.steps], bytes: lossBytes.bytes)
        try w.add("accuracies", dtype: .f64, shape: [options.ttt.steps], bytes: accBytes.bytes)
        let grads = engine.gradientValues
        for t in DrafterTensor.allCases {
            try w.add(t.name, float32s: Array(grads[engine.layout.range(t)]), shape: t.shape(configuration))
        }
        try w.write(path: path)
    }

    /// A seeded split of `source` into training and validation subsets (`fraction` of the samples, at least one
    /// when fraction > 0, held out).
    public static func split(_ source: any TrainingSampleSource, validationFraction fraction: Double, seed: UInt64)
        -> (train: any TrainingSampleSource, validation: (any TrainingSampleSource)?) {
        guard fraction > 0, source.count > 1 else { return (source, nil) }
        let held = min(source.count - 1, max(1, Int((Double(source.count) * fraction).rounded())))
        let perm = DataOrder.permutation(count: source.count, seed: seed ^ 0x5EED_5EED, epoch: -1, shuffle: true)
        let validation = perm.prefix(held).sorted(), training = perm.dropFirst(held).sorted()
        return (SampleSubset(source, indices: training, label: "train-\(fraction)-\(seed)"),
                SampleSubset(source, indices: validation, label: "valid-\(fraction)-\(seed)"))
    }
}

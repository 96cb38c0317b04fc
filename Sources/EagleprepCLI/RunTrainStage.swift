import DraftTraining
import EagleCore
import Foundation
import PipelineRunner

/// train: the drafter on the dump shards (`eagleprep train --shards OUT/dump --model MODEL --vocab OUT/vocab`), set
/// up and run by the train command's own code (`TrainCommand.prepare`, `TrainCommand.train`: same options, checks
/// and trainer); each step feeds the run's progress display and the crash-test hook. An interrupted run continues
/// from OUT/train/checkpoint.safetensors (`--resume`).
struct TrainRunStage: PipelineStage {
    let name = StageName.train
    let consumes: [StageName] = [.dump, .vocab]
    var usesModel: Bool { true }
    /// Matmuls split across workers sum partial products in a thread-dependent order.
    var dependsOnThreads: Bool { true }
    let outputDigestFiles = ["model.safetensors", "config.json"]

    func isComplete(_ c: StageContext) -> Bool {
        FileIO.exists(c.directory + "/summary.json") && outputDigestFiles.allSatisfy { FileIO.exists(c.directory + "/" + $0) }
    }

    func run(_ c: StageContext) throws {
        let out = c.directory
        let checkpoint = TrainingOutput(directory: out, dumpStepPath: nil).checkpointPath
        var argv = ["--out", out, "--shards", c.directory(of: .dump), "--model", c.definition.model, "--vocab", c.directory(of: .vocab),
                    "--threads", String(c.threads)]
        if FileIO.exists(checkpoint) {
            // Only an interrupted run with the same fingerprint leaves a checkpoint here (others start in an empty folder).
            argv.append("--resume")
        } else {
            // Killed before its first checkpoint: nothing to continue from; start in an empty folder.
            for name in try FileManager.default.contentsOfDirectory(atPath: out) { try FileManager.default.removeItem(atPath: out + "/" + name) }
        }
        argv += c.options.commandArguments()
        let setup = try TrainCommand.prepare(try ParsedArguments(argv, options: TrainCommand.options), say: c.progress.say)
        let total = setup.trainer.totalSteps
        var tokens = 0, seconds = 0.0
        try TrainCommand.train(setup) { r in
            tokens += r.tokens
            seconds += r.seconds
            c.progress.update(done: r.step, total: total, unit: "steps", rate: Double(tokens) / max(seconds, 1e-9), rateUnit: "tokens",
                              extra: String(format: "loss %.4f acc_0 %.3f", r.loss, r.accuracies.first ?? 0), force: r.step == total)
            TestHooks.progress(.train, count: r.step)
        }
        let trainer = setup.trainer, configuration = setup.configuration
        var summary = JSONObject([("steps", .int(trainer.step)), ("training_sequences", .int(setup.source.count)),
                                  ("validation_sequences", .int(setup.validation?.count ?? 0)), ("parameters", .int(ParameterLayout(configuration).totalCount)),
                                  ("hidden_size", .int(configuration.hiddenSize)), ("intermediate_size", .int(configuration.intermediateSize)),
                                  ("heads", .int(configuration.headCount)), ("kv_heads", .int(configuration.kvHeadCount)),
                                  ("draft_vocab_size", .int(configuration.draftVocabSize))])
        if let v = trainer.lastValidation {
            summary["validation_loss"] = .double(Double(v.loss))
            summary["validation_accuracies"] = .array(v.accuracies.map { .double(Double($0)) })
        }
        try FileIO.writeAtomically(path: out + "/summary.json", bytes: Array(JSONWriter.string(.object(summary)).utf8))
    }

    func report(_ c: StageContext) throws -> ReportSection {
        let s = try RunStages.json(c.directory + "/summary.json")
        var rows: [(String, String)] = [
            ("drafter", "H \(s["hidden_size"]?.intValue ?? 0), I \(s["intermediate_size"]?.intValue ?? 0), heads \(s["heads"]?.intValue ?? 0)/\(s["kv_heads"]?.intValue ?? 0), draft vocabulary \(s["draft_vocab_size"]?.intValue ?? 0); \(RunStages.count(s["parameters"]?.intValue ?? 0)) trainable parameters"),
            ("data", "\(s["training_sequences"]?.intValue ?? 0) training, \(s["validation_sequences"]?.intValue ?? 0) validation sequences"),
            ("steps", RunStages.count(s["steps"]?.intValue ?? 0)),
        ]
        if let text = try? FileIO.readString(path: c.directory + "/metrics.jsonl") { rows += Self.metricsRows(text) }
        if let v = s["validation_loss"]?.doubleValue {
            rows.append(("validation", String(format: "loss %.4f; accuracy per TTT position: ", v) + Self.accuracies(s["validation_accuracies"])))
        }
        var r = ReportSection()
        r.table(rows)
        r.add("")
        r.add("![loss](train/loss.svg) ![accuracy](train/accuracy.svg)")
        return r
    }

    /// The report rows drawn from `metrics.jsonl`: the last training step (not a validation record that follows it)
    /// and the run's training throughput (all steps' tokens over all steps' seconds).
    static func metricsRows(_ metrics: String) -> [(String, String)] {
        let steps = metrics.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
            .filter { $0["type"]?.stringValue == "train" }
        guard let last = steps.last else { return [] }
        var rows = [("last step", String(format: "step %d: loss %.4f; accuracy per TTT position: ",
                                         last["step"]?.intValue ?? 0, last["loss"]?.doubleValue ?? .nan) + accuracies(last["acc"]))]
        let tokens = steps.reduce(0) { $0 + ($1["tokens"]?.intValue ?? 0) }
        let seconds = steps.reduce(0.0) { $0 + ($1["seconds"]?.doubleValue ?? 0) }
        if tokens > 0 && seconds > 0 {
            rows.append(("throughput", "\(RunStages.count(tokens)) tokens in \(steps.count) steps, "
                         + String(format: "%.0f tokens/s", Double(tokens) / seconds)))
        }
        return rows
    }

    /// A JSON array of per-position accuracies as "0.303, 0.256, …".
    static func accuracies(_ values: JSONValue?) -> String {
        (values?.arrayValue ?? []).compactMap(\.doubleValue).map { String(format: "%.3f", $0) }.joined(separator: ", ")
    }
}

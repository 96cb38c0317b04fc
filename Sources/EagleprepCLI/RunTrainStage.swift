import DraftTraining
import EagleCore
import Foundation
import LinearAlgebra
import PipelineRunner

/// train: the drafter on the dump shards (`eagleprep train --shards OUT/dump --model MODEL --vocab OUT/vocab`). The
/// options are parsed by the train command's own option table and its shard setup (`TrainCommand.shardInputs`:
/// same checks of shards, vocabulary and target); the loop runs here so that each step feeds the run's progress
/// display and the crash-test hook. An interrupted run continues from OUT/train/checkpoint.safetensors.
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
        if !FileIO.exists(checkpoint) {
            // Killed before its first checkpoint: nothing to continue from; start in an empty folder.
            for name in try FileManager.default.contentsOfDirectory(atPath: out) { try FileManager.default.removeItem(atPath: out + "/" + name) }
        }
        var argv = ["--out", out, "--shards", c.directory(of: .dump), "--model", c.definition.model, "--vocab", c.directory(of: .vocab),
                    "--threads", String(c.threads), "--quiet"]
        argv += c.options.commandArguments()
        let args = try ParsedArguments(argv, options: TrainCommand.options)
        let threads = c.threads
        let seed = UInt64(try args.int("seed", default: 42, range: 0...Int.max)!)
        var (configuration, inputs, source, validation) = try TrainCommand.shardInputs(args, threads: threads, quiet: true)
        if let fraction = try TrainCommand.double(args, "validation-fraction") {
            guard fraction > 0 && fraction < 1 else { throw UsageError("validation_fraction must be in (0, 1)") }
            let split = DrafterTrainer.split(source, validationFraction: fraction, seed: seed)
            source = split.train
            validation = split.validation
        }
        var options = TrainingOptions(seed: seed, threads: threads)
        options.epochs = try args.int("epochs", default: 40, range: 1...1_000_000)!
        options.maxSteps = try args.int("max-steps", range: 1...Int.max)
        if let t = try args.int("batch-tokens", range: 1...Int.max) {
            guard args.string("batch-sequences") == nil else { throw UsageError("give batch_sequences or batch_tokens, not both") }
            options.batching = .tokens(t)
        } else {
            options.batching = .sequences(try args.int("batch-sequences", default: 2, range: 1...1_000_000)!)
        }
        options.shuffle = !args.flag("no-shuffle")
        options.validateEvery = try args.int("validate-every", default: 0, range: 0...Int.max)!
        options.checkpointEvery = try args.int("checkpoint-every", default: 0, range: 0...Int.max)!
        options.ttt.steps = try args.int("ttt-steps", default: 7, range: 1...64)!
        if let clip = try TrainCommand.double(args, "clip") { options.adam.clipNorm = clip > 0 ? clip : nil }
        let peak = try TrainCommand.double(args, "lr") ?? 5e-5
        switch args.string("schedule") ?? "reference" {
        case "reference":
            options.schedule = .reference(peak: peak, warmup: try args.int("warmup", default: 12000, range: 2...Int.max)!,
                                          total: try args.int("total-steps", default: 800_000, range: 3...Int.max)!)
        default:
            options.schedule = .constant(peak)
        }
        let output = TrainingOutput(directory: out, dumpStepPath: nil)
        let weights: DrafterWeights
        if let initPath = args.string("init") {
            weights = try DrafterExport.loadInitialWeights(path: initPath, configuration: configuration, d2t: inputs.d2t, t2d: inputs.t2d)
        } else {
            weights = DrafterWeights(initializing: configuration, seed: seed)
        }
        BLAS.threadCount = threads
        var trainer = try DrafterTrainer(configuration: configuration, inputs: inputs, train: source, validation: validation,
                                         options: options, weights: weights, output: output)
        if args.string("schedule") == "cosine" {
            let total = try args.int("total-steps", default: trainer.totalSteps, range: 1...Int.max)!
            options.schedule = .cosine(peak: peak, warmup: try args.int("warmup", default: max(1, total / 50), range: 0...Int.max)!,
                                       total: total, minimum: try TrainCommand.double(args, "min-lr") ?? 0)
            trainer = try DrafterTrainer(configuration: configuration, inputs: inputs, train: source, validation: validation,
                                         options: options, weights: weights, output: output)
        }
        if FileIO.exists(output.checkpointPath) {
            // Only an interrupted run with the same fingerprint leaves a checkpoint here (others start in an empty folder).
            try trainer.restore(from: try DrafterCheckpoint.read(path: output.checkpointPath), path: output.checkpointPath)
            c.progress.say("resuming at step \(trainer.step) of \(trainer.totalSteps) from \(output.checkpointPath)")
        }
        c.progress.say("drafter H \(configuration.hiddenSize), I \(configuration.intermediateSize), heads \(configuration.headCount)/\(configuration.kvHeadCount), Vd \(configuration.draftVocabSize); \(source.count) training sequences\(validation.map { ", \($0.count) validation" } ?? ""), \(trainer.totalSteps) steps")
        let total = trainer.totalSteps
        var tokens = 0, seconds = 0.0
        try trainer.run { r in
            tokens += r.tokens
            seconds += r.seconds
            c.progress.update(done: r.step, total: total, unit: "steps", rate: Double(tokens) / max(seconds, 1e-9), rateUnit: "tokens",
                              extra: String(format: "loss %.4f acc_0 %.3f", r.loss, r.accuracies.first ?? 0), force: r.step == total)
            TestHooks.progress(.train, count: r.step)
        }
        try DrafterExport.write(weights: trainer.weights, d2t: inputs.d2t, t2d: inputs.t2d, bosTokenId: inputs.bosTokenId,
                                eosTokenId: inputs.eosTokenId, dtype: try TrainCommand.exportType(args), to: out)
        var summary = JSONObject([("steps", .int(trainer.step)), ("training_sequences", .int(source.count)),
                                  ("validation_sequences", .int(validation?.count ?? 0)), ("parameters", .int(ParameterLayout(configuration).totalCount)),
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
        // The last training step's metrics.
        if let text = try? FileIO.readString(path: c.directory + "/metrics.jsonl"),
           let last = text.split(separator: "\n").reversed().lazy.compactMap({ try? JSONParser.parse(String($0)) }).first(where: { $0["loss"] != nil }) {
            let acc = last["acc"]?.arrayValue?.compactMap(\.doubleValue).map { String(format: "%.3f", $0) }.joined(separator: ", ") ?? ""
            rows.append(("last step", String(format: "step %d: loss %.4f, %.0f tokens/s; accuracy per TTT position: ",
                                                 last["step"]?.intValue ?? 0, last["loss"]?.doubleValue ?? .nan,
                                                 last["tokens_per_s"]?.doubleValue ?? .nan) + acc))
        }
        if let v = s["validation_loss"]?.doubleValue {
            let acc = s["validation_accuracies"]?.arrayValue?.compactMap(\.doubleValue).map { String(format: "%.3f", $0) }.joined(separator: ", ") ?? ""
            rows.append(("validation", String(format: "loss %.4f; accuracy per TTT position: ", v) + acc))
        }
        var r = ReportSection()
        r.table(rows)
        r.add("")
        r.add("![loss](train/loss.svg) ![accuracy](train/accuracy.svg)")
        return r
    }
}

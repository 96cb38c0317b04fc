import DraftTraining
import EagleCore
import Foundation
import LinearAlgebra
import SafeTensors

/// Everything `train` has set up before its first step: the data, the frozen target inputs, the drafter shape,
/// and a trainer with its options (restored from the checkpoint with `--resume`). `eagleprep train` and the
/// pipeline runner's train stage both get it from `TrainCommand.prepare` and run it with `TrainCommand.train`.
struct TrainingSetup {
    let out: String
    let threads: Int
    let configuration: DrafterConfiguration
    let inputs: TargetInputs
    let source: any TrainingSampleSource
    let validation: (any TrainingSampleSource)?
    let trainer: DrafterTrainer
    let exportDType: ExportDType
}

extension TrainCommand {
    /// Parses and checks the train options (`options`), loads the data and the frozen inputs, and makes the
    /// trainer; with `--resume` it continues from OUT/checkpoint.safetensors, without it an existing checkpoint is
    /// refused. `say` gets the one-line messages (what is read, what is checked, the drafter's shape).
    static func prepare(_ args: ParsedArguments, say: (String) -> Void) throws -> TrainingSetup {
        let out = try args.required("out")
        let threads = try args.int("threads", default: System.coreCount, range: 1...1024)!
        let seed = UInt64(try args.int("seed", default: 42, range: 0...Int.max)!)

        // Data, configuration, frozen inputs.
        var configuration: DrafterConfiguration
        var inputs: TargetInputs
        var source: any TrainingSampleSource
        var validation: (any TrainingSampleSource)?
        if let spec = args.string("synthetic") {
            (configuration, inputs, source) = try synthetic(spec, seed: seed)
        } else if !args.strings("shards").isEmpty {
            guard args.string("samples") == nil, args.string("validation-samples") == nil else {
                throw UsageError("give --shards or --samples, not both")
            }
            (configuration, inputs, source, validation) = try shardInputs(args, threads: threads, say: say)
        } else {
            guard let samplesPath = args.string("samples") else {
                throw UsageError("give --shards DIR (dump output), --samples FILE or --synthetic SPEC")
            }
            guard args.string("model") == nil, args.strings("validation-shards").isEmpty else {
                throw UsageError("--model and --validation-shards go with --shards")
            }
            let maps = try loadVocabulary(try args.required("vocab"))
            let embeddingPath = try args.required("embedding")
            let embeddingFile = try SafeTensorsFile(path: embeddingPath)
            guard let name = ["embed_tokens.weight", "model.embed_tokens.weight"].first(where: embeddingFile.contains) else {
                throw UsageError("\(embeddingPath) holds neither embed_tokens.weight nor model.embed_tokens.weight")
            }
            let shape = try embeddingFile.info(name).shape
            guard shape.count == 2 else { throw UsageError("\(embeddingPath): \(name) has shape \(shape), expected [V, H]") }
            configuration = try drafterConfiguration(args, hidden: shape[1], vocab: shape[0], draftVocab: maps.d2t.count)
            var head: TargetHead?
            if let headPath = args.string("target-head") {
                let f = try SafeTensorsFile(path: headPath)
                head = TargetHead(weight: try TargetInputs.loadMatrix(path: headPath, names: ["lm_head.weight"], rows: shape[0], columns: shape[1]),
                                  normWeight: f.contains("norm.weight") ? try f.floats("norm.weight") : f.contains("model.norm.weight") ? try f.floats("model.norm.weight") : nil,
                                  normEps: configuration.rmsNormEps)
            }
            inputs = TargetInputs(embedding: try embeddingFile.floats(name), d2t: maps.d2t, t2d: maps.t2d, head: head)
            source = try SampleFileSource(path: samplesPath, t2d: maps.t2d)
            if let v = args.string("validation-samples") { validation = try SampleFileSource(path: v, t2d: maps.t2d) }
        }
        inputs.bosTokenId = try args.int("bos-token-id") ?? inputs.bosTokenId
        inputs.eosTokenId = try args.int("eos-token-id") ?? inputs.eosTokenId
        if let fraction = try double(args, "validation-fraction") {
            guard validation == nil else { throw UsageError("give --validation-fraction or --validation-samples/--validation-shards, not both") }
            guard fraction > 0 && fraction < 1 else { throw UsageError("--validation-fraction must be in (0, 1)") }
            let split = DrafterTrainer.split(source, validationFraction: fraction, seed: seed)
            source = split.train
            validation = split.validation
        }

        // Options.
        var options = TrainingOptions(seed: seed, threads: threads)
        options.epochs = try args.int("epochs", default: 40, range: 1...1_000_000)!
        options.maxSteps = try args.int("max-steps", range: 1...Int.max)
        if let t = try args.int("batch-tokens", range: 1...Int.max) {
            guard args.string("batch-sequences") == nil else { throw UsageError("give --batch-sequences or --batch-tokens, not both") }
            options.batching = .tokens(t)
        } else {
            options.batching = .sequences(try args.int("batch-sequences", default: 2, range: 1...1_000_000)!)
        }
        options.shuffle = !args.flag("no-shuffle")
        options.validateEvery = try args.int("validate-every", default: 0, range: 0...Int.max)!
        options.checkpointEvery = try args.int("checkpoint-every", default: 0, range: 0...Int.max)!
        options.ttt.steps = try args.int("ttt-steps", default: 7, range: 1...64)!
        options.ttt.zeroLastPosition = args.flag("zero-last-position")
        if let a = args.string("attention") {
            guard let v = AttentionVariant(rawValue: a) else { throw UsageError("--attention must be main, first-upload or position-shift") }
            options.ttt.attention = v
        }
        if let clip = try double(args, "clip") { options.adam.clipNorm = clip > 0 ? clip : nil }
        let peak = try double(args, "lr") ?? 5e-5
        switch args.string("schedule") ?? "reference" {
        case "reference":
            options.schedule = .reference(peak: peak, warmup: try args.int("warmup", default: 12000, range: 2...Int.max)!,
                                          total: try args.int("total-steps", default: 800_000, range: 3...Int.max)!)
        case "cosine", "constant":
            options.schedule = .constant(peak)
        default:
            throw UsageError("--schedule must be reference, cosine or constant")
        }
        let exportDType = try exportType(args)
        let output = TrainingOutput(directory: out, dumpStepPath: args.string("dump-step"))

        // Initial weights, trainer, resume.
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
            // The cosine schedule's default length is the run's own.
            let total = try args.int("total-steps", default: trainer.totalSteps, range: 1...Int.max)!
            options.schedule = .cosine(peak: peak, warmup: try args.int("warmup", default: max(1, total / 50), range: 0...Int.max)!,
                                       total: total, minimum: try double(args, "min-lr") ?? 0)
            trainer = try DrafterTrainer(configuration: configuration, inputs: inputs, train: source, validation: validation,
                                         options: options, weights: weights, output: output)
        }
        if args.flag("resume") {
            let checkpoint = try DrafterCheckpoint.read(path: output.checkpointPath)
            try trainer.restore(from: checkpoint, path: output.checkpointPath)
            say("resuming at step \(trainer.step) of \(trainer.totalSteps)")
        } else if FileIO.exists(output.checkpointPath) {
            throw UsageError("\(output.checkpointPath) exists: give --resume to continue that run, or another --out")
        }
        say("drafter H \(configuration.hiddenSize), I \(configuration.intermediateSize), heads \(configuration.headCount)/\(configuration.kvHeadCount), V \(configuration.targetVocabSize), Vd \(configuration.draftVocabSize): \(ParameterLayout(configuration).totalCount) trainable parameters; \(source.count) training sequences\(validation.map { ", \($0.count) validation" } ?? ""), \(trainer.totalSteps) steps, \(threads) threads")
        return TrainingSetup(out: out, threads: threads, configuration: configuration, inputs: inputs, source: source,
                             validation: validation, trainer: trainer, exportDType: exportDType)
    }

    /// Runs the setup's remaining steps, calling `onStep` after each, and writes the export (SPEC §11) to OUT.
    static func train(_ setup: TrainingSetup, onStep: (StepRecord) -> Void) throws {
        try setup.trainer.run(progress: onStep)
        try DrafterExport.write(weights: setup.trainer.weights, d2t: setup.inputs.d2t, t2d: setup.inputs.t2d,
                                bosTokenId: setup.inputs.bosTokenId, eosTokenId: setup.inputs.eosTokenId, dtype: setup.exportDType,
                                to: setup.out)
    }
}

import DraftTraining
import DraftVocabulary
import EagleCore
import Foundation
import LinearAlgebra
import SafeTensors
import Shards
import TargetModel

/// `eagleprep train`: the EAGLE-3 drafter trainer (SPEC §7–§11).
struct TrainCommand: Subcommand {
    static let name = "train"
    static let summary = "Train an EAGLE-3 drafter on dumped target features (fp32, reference-exact by default); export it."
    static let usage = "--out DIR (--shards DIR… [--model PATH] | --samples FILE --embedding FILE | --synthetic SPEC) [--vocab PATH] [options]"
    static let options: [OptionSpec] = [
        .value("out", "DIR", "Output: metrics.jsonl, checkpoint.safetensors, loss.svg, accuracy.svg, model.safetensors + config.json."),
        .value("shards", "DIR", "A dump directory (or manifest.json) from `eagleprep dump`; repeat for several, read in the order given.", repeatable: true),
        .value("validation-shards", "DIR", "Validation data: dump directories (instead of --validation-fraction).", repeatable: true),
        .value("model", "PATH", "The target (HF folder or .gguf) for dump shards: its embedding, its head for hidden shards, BOS/EOS ids, and the default drafter shape (intermediate size, heads). Only those tensors are read."),
        .value("samples", "FILE", "Training samples in one safetensors file (seq.<i>.ids/loss_mask/aux + draft_logits/target_argmax, logits or final_hidden)."),
        .value("validation-samples", "FILE", "Validation samples in the same layout (instead of --validation-fraction)."),
        .value("synthetic", "SPEC", "Random data instead of files, e.g. samples=8,length=1024,hidden=576,intermediate=1536,heads=9,kv-heads=3,vocab=49152,draft-vocab=8192,mask=0.6,seed=1 (benchmarks)."),
        .value("embedding", "FILE", "The target's embedding: safetensors with embed_tokens.weight or model.embed_tokens.weight [V, H]."),
        .value("target-head", "FILE", "For final-hidden samples: safetensors with lm_head.weight [V, H] (and norm.weight if the states are pre-norm)."),
        .value("vocab", "PATH", "Draft vocabulary: a `eagleprep vocab` directory or a safetensors file with d2t and t2d (with --shards: default the path the dump recorded; must be the vocabulary the shards were dumped with)."),
        .value("config", "FILE", "Drafter config.json (hidden_size, intermediate_size, num_attention_heads, num_key_value_heads, …)."),
        .value("intermediate-size", "N", "MLP width I (without --config; default with --model: the target's)."),
        .value("heads", "N", "Attention heads (without --config; default with --model: the target's)."),
        .value("kv-heads", "N", "Key/value heads (without --config; default = heads, or the target's with --model)."),
        .value("init", "FILE", "Initial weights in the export layout (default: PyTorch-style random init, --seed)."),
        .flag("resume", "Continue from OUT/checkpoint.safetensors (same options and data; refused with the differences otherwise)."),
        .value("epochs", "N", "Epochs (default 40, as the reference)."),
        .value("max-steps", "N", "Stop after N optimizer steps."),
        .value("batch-sequences", "N", "Sequences per optimizer step (default 2: the reference's gradient accumulation 2 × micro-batch 1)."),
        .value("batch-tokens", "N", "Instead: consecutive sequences up to N tokens per optimizer step."),
        .value("schedule", "NAME", "reference (default: warmup-log / linear decay, SPEC §10), cosine, or constant."),
        .value("lr", "X", "Peak learning rate (default 5e-5)."),
        .value("warmup", "N", "Warmup steps (default 12000 for reference; 2% of the run for cosine)."),
        .value("total-steps", "N", "Schedule length (default 800000 for reference; the run's steps for cosine)."),
        .value("min-lr", "X", "Cosine floor (default 0)."),
        .value("clip", "X", "Global gradient-norm clip (default 0.5; 0 = off)."),
        .value("seed", "N", "Shuffling and init seed (default 42)."),
        .flag("no-shuffle", "Keep the sample order in every epoch."),
        .value("validation-fraction", "F", "Hold out this fraction of the samples for validation (seeded)."),
        .value("validate-every", "N", "Validate every N steps (default: each epoch end, and at the end)."),
        .value("checkpoint-every", "N", "Checkpoint every N steps (default: each epoch end, and at the end)."),
        .value("ttt-steps", "N", "Training-time-test steps (default 7)."),
        .value("attention", "VARIANT", "main (default), first-upload or position-shift (SPEC §8 mask history)."),
        .flag("zero-last-position", "Set loss_mask[L−1] = 0 (the #317 fix, PR #341); default off = reference."),
        .value("export-dtype", "T", "f16 (default) or bf16 for OUT/model.safetensors."),
        .value("bos-token-id", "N", "The target's BOS id for config.json (default with --model: the model's)."),
        .value("eos-token-id", "N", "The target's EOS id for config.json (default with --model: the model's first)."),
        .value("dump-step", "FILE", "After the first step's backward: 7 losses, accuracies and every gradient (export names)."),
        .flag("charts", "Only redraw OUT/loss.svg and OUT/accuracy.svg from OUT/metrics.jsonl."),
        .value("threads", "N", "Threads for Dispatch and OpenBLAS (default: all cores)."),
        .flag("quiet", "No progress line."),
    ]
    static let discussion = """
    fp32 throughout. Each step sums the gradients of its sequences with scale 1/(sequences) (the reference: 2), clips
    the global norm, and applies AdamW (β 0.9/0.95, ε 1e-8, no weight decay). Steps may straddle epoch ends (the
    reference counts its accumulation boundary globally). Metrics per step and per validation pass go to
    OUT/metrics.jsonl; charts and the export (SPEC §11 layout, validated on write) are written at the end.
    """

    static func run(_ args: ParsedArguments) throws {
        try args.noPositionals()
        let out = try args.required("out")
        if args.flag("charts") {
            try TrainingCharts.write(metricsPath: out + "/" + TrainingOutput.metricsFile, to: out)
            print("train: redrew \(out)/\(TrainingCharts.lossFile) and \(out)/\(TrainingCharts.accuracyFile)")
            return
        }
        let quiet = args.flag("quiet")
        let setup = try prepare(args) { if !quiet { printError("train: " + $0) } }
        let trainer = setup.trainer
        var lastReport = Date.distantPast
        let started = Date()
        var tokens = 0, seconds = 0.0, trainingPeak = 0
        try train(setup) { r in
            tokens += r.tokens
            trainingPeak = max(trainingPeak, r.peakResidentBytes ?? 0)
            seconds += r.seconds
            guard !quiet, Date().timeIntervalSince(lastReport) >= 2 || r.step == trainer.totalSteps else { return }
            lastReport = Date()
            let rate = Double(tokens) / max(seconds, 1e-9)
            let remaining = Double(trainer.totalSteps - r.step) * Date().timeIntervalSince(started) / Double(max(r.step - 0, 1))
            printError(String(format: "train: step %d/%d (epoch %.2f) loss %.4f acc_0 %.3f acc_%d %.3f lr %.3g |g| %.3g %.0f tok/s, ETA %@",
                              r.step, trainer.totalSteps, r.epoch, r.loss, r.accuracies[0], r.accuracies.count - 1,
                              r.accuracies.last ?? 0, r.learningRate, r.gradientNorm, rate, duration(remaining)))
        }
        var summary = "train: \(out): \(trainer.step) steps, \(tokens) tokens in \(duration(seconds)) (\(Int(Double(tokens) / max(seconds, 1e-9))) tok/s)"
        if let v = trainer.lastValidation { summary += String(format: ", validation loss %.4f acc_0 %.3f", v.loss, v.accuracies[0]) }
        if let peakBytes = ProcessMemory.peakResidentBytes() {
            summary += ", peak memory \(trainingPeak >> 20) MiB in training steps, \(peakBytes >> 20) MiB overall"
        }
        print(summary)
    }

    static func exportType(_ args: ParsedArguments) throws -> ExportDType {
        let s = args.string("export-dtype") ?? args.string("dtype") ?? "f16"
        guard let t = ExportDType(rawValue: s) else { throw UsageError("the export dtype must be f16 or bf16, got '\(s)'") }
        return t
    }

    static func double(_ args: ParsedArguments, _ name: String) throws -> Double? {
        guard let s = args.string(name) else { return nil }
        guard let v = Double(s), v.isFinite else { throw UsageError("--\(name) expects a number, got '\(s)'") }
        return v
    }

    static func duration(_ s: Double) -> String {
        guard s.isFinite else { return "?" }
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%dh%02dm", t / 3600, t / 60 % 60) : String(format: "%dm%02ds", t / 60, t % 60)
    }

    static func loadVocabulary(_ path: String) throws -> (d2t: [Int64], t2d: [Bool]) {
        if FileIO.isDirectory(path) { return try VocabularyCheck.loadMaps(directory: path) }
        let f = try SafeTensorsFile(path: path)
        return (try f.int64s("d2t"), try f.bools("t2d"))
    }

    /// `--shards` (and `--validation-shards`): the samples, the vocabulary they were dumped with, the frozen
    /// embedding (and head) from `--model` or `--embedding`/`--target-head`, and the drafter shape, every part
    /// checked against what the shards record.
    static func shardInputs(_ args: ParsedArguments, threads: Int, say: (String) -> Void) throws
        -> (DrafterConfiguration, TargetInputs, any TrainingSampleSource, (any TrainingSampleSource)?) {
        let shards = try DumpShardSource(paths: args.strings("shards"))
        var validation: DumpShardSource?
        if !args.strings("validation-shards").isEmpty {
            let v = try DumpShardSource(paths: args.strings("validation-shards"))
            _ = try DumpShardSource(shards.datasets + v.datasets)  // same layout, target and vocabulary
            validation = v
        }
        let layout = shards.layout

        // The vocabulary: given, or where the dump recorded it; either way the one the shards were dumped with.
        let vocabPath: String
        if let v = args.string("vocab") {
            vocabPath = v
        } else if let recorded = shards.metadata["vocab.path"]?.stringValue {
            vocabPath = recorded.hasPrefix("/") ? recorded : shards.datasets[0].manifestDirectory + "/" + recorded
        } else {
            throw UsageError("give --vocab PATH: the shards do not record where their vocabulary is (they record its sha256 \(shards.metadata["vocab.sha256"]?.stringValue ?? "—"))")
        }
        let maps = try loadVocabulary(vocabPath)
        let mapsFile = FileIO.isDirectory(vocabPath) ? vocabPath + "/" + VocabularyOutput.mapsFile : vocabPath
        let vocabHash = try MappedFile(path: mapsFile).withBytes { SHA256.hexDigest($0) }
        if try !shards.checkVocabulary(sha256: vocabHash, draftVocabSize: maps.d2t.count, path: vocabPath) {
            say("warning: the shards record no vocab.sha256; \(vocabPath) cannot be checked against them")
        }

        // The frozen target inputs.
        var embedding: [Float], vocabSize: Int, head: TargetHead?
        var shape: (intermediate: Int, heads: Int, kvHeads: Int)?
        var bos: Int?, eos: Int?
        if let modelPath = args.string("model") {
            guard args.string("embedding") == nil, args.string("target-head") == nil else {
                throw UsageError("give --model or --embedding/--target-head, not both")
            }
            let mc = try ModelLoader.configuration(path: modelPath)
            var identity = DumpShardSource.TargetIdentity(architecture: mc.architecture.description, hiddenSize: mc.hiddenSize,
                                                          vocabSize: mc.vocabularySize, layerCount: mc.layerCount, modelSHA256: nil)
            try shards.checkTarget(identity, path: modelPath)
            if shards.metadata["target.model_sha256"] != nil {
                say("checking \(modelPath) against the shards' target.model_sha256")
                identity.modelSHA256 = try DumpCommand.modelDigest(modelPath)
                try shards.checkTarget(identity, path: modelPath)
            }
            say("reading the embedding\(layout.signal == .hidden ? " and LM head" : "") of \(modelPath)")
            let frozen = try ModelLoader.frozenTensors(path: modelPath, head: layout.signal == .hidden, threads: threads)
            embedding = frozen.embedding
            vocabSize = mc.vocabularySize
            // Dump shards hold final-norm outputs (docs/shard-format.md): only the head is applied.
            head = frozen.lmHead.map { TargetHead(weight: $0, normWeight: nil, normEps: mc.rmsNormEpsilon) }
            if mc.headDim * mc.headCount == mc.hiddenSize { shape = (mc.intermediateSize, mc.headCount, mc.keyValueHeadCount) }
            bos = mc.bosTokenId
            eos = mc.eosTokenIds.first
        } else {
            guard let embeddingPath = args.string("embedding") else {
                throw UsageError("give --model PATH (the target) or --embedding FILE for the frozen embedding")
            }
            let embeddingFile = try SafeTensorsFile(path: embeddingPath)
            guard let name = ["embed_tokens.weight", "model.embed_tokens.weight"].first(where: embeddingFile.contains) else {
                throw UsageError("\(embeddingPath) holds neither embed_tokens.weight nor model.embed_tokens.weight")
            }
            let s = try embeddingFile.info(name).shape
            guard s.count == 2 else { throw UsageError("\(embeddingPath): \(name) has shape \(s), expected [V, H]") }
            try shards.checkTarget(.init(architecture: nil, hiddenSize: s[1], vocabSize: s[0], layerCount: nil, modelSHA256: nil), path: embeddingPath)
            embedding = try embeddingFile.floats(name)
            vocabSize = s[0]
            if layout.signal == .hidden {
                guard let headPath = args.string("target-head") else {
                    throw UsageError("the shards hold final hidden states: give --model PATH or --target-head FILE (lm_head.weight)")
                }
                head = TargetHead(weight: try TargetInputs.loadMatrix(path: headPath, names: ["lm_head.weight"], rows: s[0], columns: s[1]),
                                  normWeight: nil, normEps: 1e-5)
            }
        }
        let configuration = try drafterConfiguration(args, hidden: layout.hiddenSize, vocab: vocabSize, draftVocab: maps.d2t.count,
                                                     auxLayers: layout.auxLayers, defaults: shape)
        try shards.checkConfiguration(configuration)
        let inputs = TargetInputs(embedding: embedding, d2t: maps.d2t, t2d: maps.t2d, head: head, bosTokenId: bos, eosTokenId: eos)
        let v = validation.map { ", validation \($0.count) samples" } ?? ""
        say("\(shards.count) samples from \(shards.datasets.count) dump(s), signal \(layout.signal.rawValue), aux \(layout.auxDType.rawValue)\(v)")
        return (configuration, inputs, shards, validation)
    }

    static func drafterConfiguration(_ args: ParsedArguments, hidden: Int, vocab: Int, draftVocab: Int, auxLayers: Int = 3,
                                     defaults: (intermediate: Int, heads: Int, kvHeads: Int)? = nil) throws -> DrafterConfiguration {
        if let path = args.string("config") {
            let c = try DrafterConfiguration(json: try JSONParser.parse(bytes: try FileIO.readAll(path: path, limit: 1 << 20)))
            guard c.hiddenSize == hidden, c.targetVocabSize == vocab, c.draftVocabSize == draftVocab else {
                throw UsageError("\(path) says H \(c.hiddenSize), V \(c.targetVocabSize), Vd \(c.draftVocabSize); the embedding and vocabulary give \(hidden), \(vocab), \(draftVocab)")
            }
            return c
        }
        guard let i = try args.int("intermediate-size", default: defaults?.intermediate, range: 1...(1 << 20)),
              let h = try args.int("heads", default: defaults?.heads, range: 1...4096) else {
            throw UsageError("give --config FILE, or --intermediate-size N and --heads N")
        }
        let kvDefault = args.string("heads") == nil ? defaults?.kvHeads ?? h : h
        let c = DrafterConfiguration(hiddenSize: hidden, intermediateSize: i, headCount: h,
                                     kvHeadCount: try args.int("kv-heads", default: kvDefault, range: 1...4096)!, targetVocabSize: vocab,
                                     draftVocabSize: draftVocab, auxLayers: auxLayers)
        try c.validate()
        return c
    }

    /// `--synthetic key=value,…`: configuration, random frozen inputs and samples.
    static func synthetic(_ spec: String, seed: UInt64) throws -> (DrafterConfiguration, TargetInputs, any TrainingSampleSource) {
        var v: [String: String] = [:]
        for part in spec.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw UsageError("--synthetic: '\(part)' is not key=value") }
            v[kv[0]] = kv[1]
        }
        let known: Set = ["samples", "length", "hidden", "intermediate", "heads", "kv-heads", "vocab", "draft-vocab", "mask", "seed"]
        if let bad = v.keys.first(where: { !known.contains($0) }) { throw UsageError("--synthetic: unknown key '\(bad)' (known: \(known.sorted().joined(separator: ", ")))") }
        func int(_ k: String, _ d: Int) throws -> Int {
            guard let s = v[k] else { return d }
            guard let i = Int(s), i > 0 else { throw UsageError("--synthetic: \(k) must be a positive integer") }
            return i
        }
        let hidden = try int("hidden", 576), heads = try int("heads", 9)
        let c = DrafterConfiguration(hiddenSize: hidden, intermediateSize: try int("intermediate", 1536), headCount: heads,
                                     kvHeadCount: try int("kv-heads", 3), targetVocabSize: try int("vocab", 49152),
                                     draftVocabSize: try int("draft-vocab", 8192))
        try c.validate()
        let dataSeed = UInt64(try int("seed", Int(seed)))
        let inputs = SyntheticSampleSource.inputs(configuration: c, seed: dataSeed)
        let source = SyntheticSampleSource(configuration: c, count: try int("samples", 8), sequenceLength: try int("length", 1024),
                                           maskDensity: Double(v["mask"] ?? "0.6") ?? 0.6, seed: dataSeed, draftIds: inputs.draftIds)
        // Up to 2 GiB of samples are generated once and kept, so step times measure training, not the generator.
        let bytes = source.count * source.sequenceLength * (c.auxWidth + c.draftVocabSize + 2) * 4
        guard bytes <= 2 << 30 else { return (c, inputs, source) }
        return (c, inputs, InMemorySampleSource(try (0..<source.count).map(source.sample), identity: source.identity))
    }
}

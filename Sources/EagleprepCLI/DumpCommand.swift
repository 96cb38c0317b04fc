import DraftVocabulary
import EagleCore
import Foundation
import Shards
import TargetDump
import TargetModel

struct DumpCommand: Subcommand {
    static let name = "dump"
    static let summary = "Run the frozen target over token shards: aux hidden states + target signal into dump shards."
    static let usage = "--model PATH --tokens DIR --vocab DIR --out DIR [options]"
    static let options: [OptionSpec] = [
        .value("model", "PATH", "The target: a Hugging Face model folder (safetensors) or a .gguf file."),
        .value("tokens", "DIR", "A tokenize output directory."),
        .value("vocab", "DIR", "A vocab output directory (d2t/t2d), made from the same token shards."),
        .value("out", "DIR", "Output directory: dump-NNNNN.epdump shards and manifest.json."),
        .value("layers", "I,J,K", "Aux layers as HF hidden_states indices = inputs of those decoder layers (default 2,N/2,N-3)."),
        .value("aux-dtype", "T", "bf16 (default), f16 or f32 for the aux hidden states."),
        .value("signal", "S", "logits (default: draft-vocabulary logits + full argmax) or hidden (final-norm hidden state)."),
        .value("hidden-dtype", "T", "bf16 (default), f16 or f32 for --signal hidden."),
        .value("shard-size", "N", "Samples per shard (default 1024)."),
        .value("batch-tokens", "N", "Tokens packed into one forward pass (default 4096)."),
        .value("worker", "I/N", "Dump the samples with index ≡ I mod N only (N machines write disjoint shards); auto[:N]: from Slurm/Kubernetes."),
        .value("threads", "N", "Threads for the forward pass (default: all cores)."),
        .flag("allow-stale-vocab", "Use a vocabulary made from other token shards (the mismatch is still printed)."),
        .flag("quiet", "No progress on stderr."),
    ]
    static let discussion = """
    Per sample the shards hold ids, loss mask, the aux hidden states [L, 3H] and the target signal (docs/shard-format.md).
    Re-running into the same DIR resumes; other settings into the same DIR are refused with the differences.
    """

    static func run(_ args: ParsedArguments) throws {
        try args.noPositionals()
        let modelPath = try args.required("model"), tokensDir = try args.required("tokens")
        let vocabDir = try args.required("vocab"), out = try args.required("out")
        let auxDType = try TokenizeCommand.enumOption(args, "aux-dtype", default: StorageDType.bf16)
        let hiddenDType = try TokenizeCommand.enumOption(args, "hidden-dtype", default: StorageDType.bf16)
        let signal = try TokenizeCommand.enumOption(args, "signal", default: TargetSignalKind.logits)
        let shardSize = try args.int("shard-size", default: 1024, range: 1...(1 << 20))!
        let batchTokens = try args.int("batch-tokens", default: 4096, range: 1...(1 << 24))!
        let threads = try args.int("threads", default: JSONLinesMap.defaultThreads(), range: 1...1024)!
        let (workerIndex, workerCount) = try TokenizeCommand.worker(args.string("worker"))
        let layers: [Int]? = try args.string("layers").map { s throws(UsageError) in
            let v = s.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard v.count == s.split(separator: ",").count, !v.isEmpty else { throw UsageError("--layers expects comma-separated integers, got '\(s)'") }
            return v
        }

        let tokens = try TokenDirectory(path: tokensDir)
        let model = try ModelLoader.load(path: modelPath, threads: threads)
        let c = model.configuration
        let auxLayers = try layers ?? DumpSettings.defaultAuxLayers(layerCount: c.layerCount)
        if let bad = auxLayers.first(where: { $0 < 0 || $0 > c.layerCount }) {
            throw UsageError("--layers: \(bad) is outside 0...\(c.layerCount) for this \(c.layerCount)-layer target")
        }
        switch VocabularyCheck.status(of: vocabDir, expecting: VocabularyExpectation(tokens: tokens, targetVocabSize: c.vocabularySize)) {
        case .current: break
        case .missing(let why): throw FileError(path: vocabDir, message: "no draft vocabulary: \(why)")
        case .stale(let reasons):
            let message = "\(vocabDir) was not made from these token shards / this target:\n  " + reasons.joined(separator: "\n  ")
            if !args.flag("allow-stale-vocab") { throw DumpError.vocabularyMismatch(message + "\n(--allow-stale-vocab to use it anyway)") }
            printError("dump: warning: " + message)
        }
        let (d2t, _) = try VocabularyCheck.loadMaps(directory: vocabDir)
        let draftIds = d2t.enumerated().map { Int32(Int64($0.offset) + $0.element) }

        var identity = JSONObject()
        identity["target.architecture"] = .string(c.architecture.description)
        identity["target.model_sha256"] = .string(try modelDigest(modelPath))
        identity["target.num_layers"] = .int(c.layerCount)
        identity["target.hidden_size"] = .int(c.hiddenSize)
        identity["target.vocab_size"] = .int(c.vocabularySize)
        identity["vocab.sha256"] = .string(SHA256.hexDigest(try FileIO.readAll(path: vocabDir + "/vocab.safetensors")))
        identity["tokens.manifest_sha256"] = .string(tokens.manifestSHA256)
        if let t = tokens.settings["tokenizer_sha256"] { identity["tokenizer.sha256"] = t }
        if let t = tokens.settings["template_sha256"] { identity["template.sha256"] = t }
        var settings = DumpSettings(auxLayers: auxLayers, identity: identity)
        settings.auxDType = auxDType
        settings.signal = signal
        settings.hiddenDType = hiddenDType
        settings.samplesPerShard = shardSize
        settings.tokensPerBatch = batchTokens
        settings.workerIndex = workerIndex
        settings.workerCount = workerCount

        let quiet = args.flag("quiet")
        var last = Date.distantPast
        var final: DumpProgress?
        let counts = try DumpStage(model: model, tokens: tokens, draftIds: draftIds, settings: settings, outputDirectory: out, threads: threads)
            .run { p in
                final = p
                guard !quiet, Date().timeIntervalSince(last) > 2 else { return }
                last = Date()
                let rate = Double(p.tokensThisRun) / max(p.seconds, 1e-9)
                let eta = p.samplesThisRun > 0 ? p.seconds / Double(p.samplesThisRun) * Double(p.samplesTotal - p.samples) : 0
                printError(String(format: "dump: %d/%d samples, %.1f samples/s, %.0f tokens/s, %.1f MB written, ratio %.2f, ETA %.0f s",
                                  p.samples, p.samplesTotal, Double(p.samplesThisRun) / max(p.seconds, 1e-9), rate, Double(p.bytesWritten) / 1e6,
                                  Double(p.rawBytes) / Double(max(p.bytesWritten, 1)), eta))
            }
        print(String(format: "dump: %@: %d samples, %d tokens, %.1f MB stored (%.1f MB raw, ratio %.2f), %.0f bytes/token", out,
                     counts.samples, counts.tokens, Double(counts.storedBytes) / 1e6, Double(counts.rawBytes) / 1e6,
                     Double(counts.rawBytes) / Double(max(counts.storedBytes, 1)), Double(counts.storedBytes) / Double(max(counts.tokens, 1))))
        if let p = final, p.samplesThisRun > 0 {
            // This run's own work (a resumed run counts only what it did).
            print(String(format: "dump: this run: %.1f s, forward %.2f s (%.0f tokens/s), writing %.2f s = %.1f %% of forward (encode, shuffle, zstd, write, fsync)",
                         p.seconds, p.forwardSeconds, Double(p.tokensThisRun) / max(p.forwardSeconds, 1e-9), p.writeSeconds,
                         100 * p.writeSeconds / max(p.forwardSeconds, 1e-9)))
        }
    }

    /// SHA-256 of the model file (a .gguf), or of the folder's config.json and safetensors files in name order.
    static func modelDigest(_ path: String) throws -> String {
        guard FileIO.isDirectory(path) else { return try MappedFile(path: path).withBytes { SHA256.hexDigest($0) } }
        var h = SHA256()
        let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0 == "config.json" || $0.hasSuffix(".safetensors") }.sorted()
        for name in names {
            h.update(name)
            try MappedFile(path: path + "/" + name).withBytes { h.update($0) }
        }
        return SHA256.hex(h.finalize())
    }
}

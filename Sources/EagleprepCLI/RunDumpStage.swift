import DraftVocabulary
import EagleCore
import Foundation
import LinearAlgebra
import PipelineRunner
import Shards
import TargetDump
import TargetModel
import TokenShards

/// dump: the frozen target over the token shards into dump shards, through `DumpStage` (resumable: complete shards
/// are kept). Same settings and identity as `eagleprep dump`; progress per batch feeds the run's display and the
/// crash-test hook.
struct DumpRunStage: PipelineStage {
    let name = StageName.dump
    let consumes: [StageName] = [.tokenize, .vocab]
    var usesModel: Bool { true }
    let outputDigestFiles = ["manifest.json"]

    func isComplete(_ c: StageContext) -> Bool {
        (try? RunStages.json(c.directory + "/manifest.json"))?["complete"] == .bool(true)
    }

    func run(_ c: StageContext) throws {
        let o = c.options
        let tokens = try TokenDirectory(path: c.directory(of: .tokenize))
        let vocabDir = c.directory(of: .vocab)
        BLAS.threadCount = c.threads
        let model = try ModelLoader.load(path: c.definition.model, threads: c.threads)
        let mc = model.configuration
        func choice<T: RawRepresentable>(_ key: String, _ d: T) -> T where T.RawValue == String {
            o.string(key).flatMap(T.init(rawValue:)) ?? d
        }
        let auxLayers: [Int]
        if let s = o.string("layers") {
            let v = s.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard v.count == s.split(separator: ",").count, !v.isEmpty, v.allSatisfy({ (0...mc.layerCount).contains($0) }) else {
                throw UsageError("layers: expected comma-separated layer indices in 0...\(mc.layerCount), got '\(s)'")
            }
            auxLayers = v
        } else {
            auxLayers = try DumpSettings.defaultAuxLayers(layerCount: mc.layerCount)
        }
        switch VocabularyCheck.status(of: vocabDir, expecting: VocabularyExpectation(tokens: tokens, targetVocabSize: mc.vocabularySize)) {
        case .current: break
        case .missing(let why): throw FileError(path: vocabDir, message: "no draft vocabulary: \(why)")
        case .stale(let reasons): throw DumpError.vocabularyMismatch("\(vocabDir) was not made from these token shards / this target:\n  " + reasons.joined(separator: "\n  "))
        }
        let (d2t, _) = try VocabularyCheck.loadMaps(directory: vocabDir)
        let draftIds = d2t.enumerated().map { Int32(Int64($0.offset) + $0.element) }

        var identity = JSONObject()
        identity["target.architecture"] = .string(mc.architecture.description)
        identity["target.model_sha256"] = .string(try DumpCommand.modelDigest(c.definition.model))
        identity["target.num_layers"] = .int(mc.layerCount)
        identity["target.hidden_size"] = .int(mc.hiddenSize)
        identity["target.vocab_size"] = .int(mc.vocabularySize)
        identity["vocab.sha256"] = .string(SHA256.hexDigest(try FileIO.readAll(path: vocabDir + "/vocab.safetensors")))
        identity["tokens.manifest_sha256"] = .string(tokens.manifestSHA256)
        if let t = tokens.settings["tokenizer_sha256"] { identity["tokenizer.sha256"] = t }
        if let t = tokens.settings["template_sha256"] { identity["template.sha256"] = t }
        var settings = DumpSettings(auxLayers: auxLayers, identity: identity)
        settings.auxDType = choice("aux_dtype", StorageDType.bf16)
        settings.signal = choice("signal", TargetSignalKind.logits)
        settings.hiddenDType = choice("hidden_dtype", StorageDType.bf16)
        settings.samplesPerShard = o.int("shard_size") ?? 1024
        settings.tokensPerBatch = o.int("batch_tokens") ?? 4096

        c.progress.say("\(tokens.sampleCount) samples, aux layers \(auxLayers.map(String.init).joined(separator: ",")), \(settings.signal) signal, \(draftIds.count)-token draft vocabulary")
        let stage = DumpStage(model: model, tokens: tokens, draftIds: draftIds, settings: settings, outputDirectory: c.directory, threads: c.threads)
        let counts = try stage.run { p in
            // Rate and ETA from this run's own work (a resumed run starts from the kept shards' counts).
            c.progress.update(done: p.samples, total: p.samplesTotal, unit: "samples", rate: Double(p.tokensThisRun) / max(p.seconds, 1e-9), rateUnit: "tokens",
                              extra: String(format: "%.1f MB written", Double(p.bytesWritten) / 1e6),
                              etaSeconds: p.seconds / Double(max(p.samplesThisRun, 1)) * Double(p.samplesTotal - p.samples), force: p.samples == p.samplesTotal)
            TestHooks.progress(.dump, count: p.samples)
        }
        c.progress.say(String(format: "%d samples, %d tokens, %.1f MB stored, %.0f bytes/token", counts.samples, counts.tokens,
                              Double(counts.storedBytes) / 1e6, Double(counts.storedBytes) / Double(max(counts.tokens, 1))))
    }

    func report(_ c: StageContext) throws -> ReportSection {
        let m = try RunStages.json(c.directory + "/manifest.json")
        let k = m["counts"]
        let samples = k?["samples"]?.intValue ?? 0, tokens = k?["tokens"]?.intValue ?? 0
        let stored = k?["stored_bytes"]?.intValue ?? 0, raw = k?["raw_bytes"]?.intValue ?? 0
        let s = m["settings"]
        var r = ReportSection()
        r.table([
            ("samples", RunStages.count(samples)), ("tokens", RunStages.count(tokens)),
            ("shards", String(m["shards"]?.arrayValue?.count ?? 0)),
            ("stored", String(format: "%.1f MB (%.1f MB raw, compression ratio %.2f)", Double(stored) / 1e6, Double(raw) / 1e6, Double(raw) / Double(max(stored, 1)))),
            ("bytes per token", String(format: "%.0f stored, %.0f raw", Double(stored) / Double(max(tokens, 1)), Double(raw) / Double(max(tokens, 1)))),
            ("aux layers", s?["layers.ids"].map { JSONWriter.string($0) } ?? "?"),
            ("signal", s?["signal"]?.stringValue ?? "?"),
        ])
        return r
    }
}

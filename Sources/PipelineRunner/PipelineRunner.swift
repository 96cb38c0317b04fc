import EagleCore
import Foundation

/// Which stages of a pipeline one `eagleprep run` invocation runs.
public struct StageSelection: Sendable {
    public var from: StageName?
    public var to: StageName?
    /// Stages redone from scratch even when their stamps match.
    public var force: Set<StageName> = []
    public init(from: StageName? = nil, to: StageName? = nil, force: Set<StageName> = []) {
        self.from = from
        self.to = to
        self.force = force
    }
}

/// What happened to a stage in one run.
public enum StageOutcome: Sendable, Equatable {
    /// Up to date: same fingerprint, complete outputs with the recorded digest.
    case skipped
    /// Run from scratch (`reason` says why).
    case ran(reason: String)
    /// An interrupted run with the same fingerprint was continued with the stage's own resume logic.
    case resumed
    /// Outside --from/--to.
    case notSelected
}

/// Runs the stages of a pipeline in order, skipping those whose outputs are up to date, resuming interrupted ones,
/// and redoing the others; then writes `OUT/report.md`.
public struct PipelineRunner: Sendable {
    public let definition: PipelineDefinition
    public let implementations: [StageName: any PipelineStage]
    public let quiet: Bool
    public let version: String
    let layout: PipelineLayout
    let digests = ContentDigests()

    public init(definition: PipelineDefinition, stages: [any PipelineStage], quiet: Bool = false, version: String) {
        self.definition = definition
        self.implementations = Dictionary(uniqueKeysWithValues: stages.map { ($0.name, $0) })
        self.quiet = quiet
        self.version = version
        self.layout = PipelineLayout(root: definition.out)
    }

    public var threads: Int { definition.threads ?? ProcessInfo.processInfo.activeProcessorCount }

    /// Runs the selected stages; returns each stage's outcome in order. The report is written at the end (also when
    /// `--to` stops early: it covers the stages whose outputs are complete).
    @discardableResult
    public func run(_ selection: StageSelection = StageSelection()) throws -> [(StageName, StageOutcome)] {
        let stages = definition.stages
        for s in [selection.from, selection.to].compactMap({ $0 }) + selection.force.sorted() where !stages.contains(s) {
            throw PipelineError.selection("stage \(s) is not in \(definition.file) (it has: \(stages.map(\.rawValue).joined(separator: ", ")))")
        }
        if let f = selection.from, let t = selection.to, t < f { throw PipelineError.selection("--to \(t) comes before --from \(f)") }
        for s in stages where implementations[s] == nil {
            throw PipelineError.definition(file: definition.file, keyPath: "stages.\(s)", message: "this eagleprep cannot run the \(s) stage yet")
        }
        try FileManager.default.createDirectory(atPath: layout.root, withIntermediateDirectories: true)
        let selected = stages.filter { s in (selection.from.map { s >= $0 } ?? true) && (selection.to.map { s <= $0 } ?? true) }
        var outcomes: [(StageName, StageOutcome)] = []
        let started = Date()
        for stage in stages {
            guard let k = selected.firstIndex(of: stage) else {
                outcomes.append((stage, .notSelected))
                continue
            }
            let progress = StageProgress(stage: stage, index: k + 1, count: selected.count, quiet: quiet)
            let outcome = try runStage(stage, progress: progress, force: selection.force.contains(stage))
            outcomes.append((stage, outcome))
        }
        try RunReport(definition: definition, layout: layout, implementations: implementations, threads: threads)
            .write(outcomes: outcomes, seconds: Date().timeIntervalSince(started))
        return outcomes
    }

    func context(_ stage: StageName, _ progress: StageProgress) -> StageContext {
        StageContext(definition: definition, layout: layout, stage: stage, progress: progress, threads: threads)
    }

    /// The fingerprint material: version, options as written, digests of input files and the model, the date,
    /// threads where they matter, and the output digests of the consumed stages.
    func material(_ stage: StageName) throws -> JSONObject {
        let impl = implementations[stage]!
        let options = definition.options[stage]!
        var m = JSONObject()
        m["stage"] = .string(stage.rawValue)
        m["eagleprep"] = .string(version)
        m["options"] = .object(options.written)
        var files = JSONObject()
        for key in options.resolvedPaths.keys.sorted() {
            files[key] = .array(try options.resolvedPaths[key]!.map { path in
                do { return .string(try digests.digest(of: path)) } catch {
                    throw PipelineError.definition(file: definition.file, keyPath: "stages.\(stage).\(key)", message: "\(error)")
                }
            })
        }
        if !files.isEmpty { m["input_sha256"] = .object(files) }
        if impl.usesModel {
            do { m["model_sha256"] = .string(try digests.digest(of: definition.model)) } catch {
                throw PipelineError.definition(file: definition.file, keyPath: "model", message: "\(error)")
            }
        }
        if impl.usesDate { m["date"] = .string(definition.date) }
        if impl.dependsOnThreads { m["threads"] = .int(threads) }
        var upstream = JSONObject()
        for u in impl.consumes where definition.options[u] != nil {
            guard let d = try outputDigest(u) else {
                throw PipelineError.missingEarlierStage(stage: stage, needed: u, reason: "has no complete outputs in \(layout.directory(u))")
            }
            upstream[u.rawValue] = .string(d)
        }
        if !upstream.isEmpty { m["upstream_output_sha256"] = .object(upstream) }
        return m
    }

    /// The digest of a stage's finished outputs, or nil when they are not complete.
    func outputDigest(_ stage: StageName) throws -> String? {
        let impl = implementations[stage]!
        let ctx = context(stage, StageProgress(stage: stage, index: 0, count: 0, quiet: true))
        guard impl.isComplete(ctx) else { return nil }
        var h = SHA256()
        for f in impl.outputDigestFiles {
            let path = layout.directory(stage) + "/" + f
            digests.forget(under: path)
            h.update(f)
            h.update(try digests.digest(of: path))
        }
        return SHA256.hex(h.finalize())
    }

    func runStage(_ stage: StageName, progress: StageProgress, force: Bool) throws -> StageOutcome {
        let impl = implementations[stage]!
        let material = try material(stage)
        let fingerprint = SHA256.hexDigest(Array(JSONWriter.string(.object(material)).utf8))
        let done = StageStamp.read(layout, stage, .done)
        let started = StageStamp.read(layout, stage, .started)
        let directory = layout.directory(stage)

        let outcome: StageOutcome
        if !force, let done, done.fingerprint == fingerprint, let recorded = done.outputDigest, try outputDigest(stage) == recorded {
            progress.say("up to date (same inputs and options; outputs complete), skipped")
            return .skipped
        } else if !force, started?.fingerprint == fingerprint, FileIO.exists(directory) {
            outcome = .resumed
            progress.say("resuming an interrupted run (same inputs and options)")
        } else {
            let reason = force ? "--force" : done == nil && started == nil ? "first run"
                : (done?.fingerprint ?? started?.fingerprint) == fingerprint ? "outputs incomplete or changed" : "inputs or options changed"
            outcome = .ran(reason: reason)
            progress.say("running (\(reason))")
            if FileIO.exists(directory) { try FileManager.default.removeItem(atPath: directory) }
        }
        try StageStamp.remove(layout, stage, .done)
        try StageStamp(stage: stage, fingerprint: fingerprint).write(layout, .started, material: material)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        digests.forget(under: directory)

        let begin = Date()
        let relay = quiet ? nil : StandardErrorRelay(progress: progress)
        do {
            defer { relay?.finish() }
            try impl.run(context(stage, progress))
        } catch {
            throw PipelineError.stageFailed(stage: stage, cause: "\(error)")
        }
        let seconds = Date().timeIntervalSince(begin)
        guard let digest = try outputDigest(stage) else {
            throw PipelineError.stageFailed(stage: stage, cause: "finished without complete outputs in \(directory)")
        }
        let stamp = StageStamp(stage: stage, fingerprint: fingerprint, outputDigest: digest, seconds: seconds,
                               finished: ISO8601DateFormatter().string(from: Date()))
        try stamp.write(layout, .done, material: material)
        try StageStamp.remove(layout, stage, .started)
        progress.say("done in \(StageProgress.duration(seconds))")
        return outcome
    }
}

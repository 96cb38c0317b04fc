import EagleCore
import Foundation
import PipelineRunner

/// `eagleprep run PIPELINE.json`: every stage of a pipeline file in order, each skipped when up to date.
struct RunCommand: Subcommand {
    static let name = "run"
    static let summary = "Run a pipeline file (generate → tokenize → vocab → dump → train → eval), skipping up-to-date stages; OUT/report.md."
    static let usage = "PIPELINE.json [--from STAGE] [--to STAGE] [--force STAGE…] [--quiet]"
    static let options: [OptionSpec] = [
        .value("from", "STAGE", "Start at STAGE; earlier stages are neither checked nor run (their outputs must be complete)."),
        .value("to", "STAGE", "Stop after STAGE."),
        .value("force", "STAGE", "Redo STAGE from scratch even if up to date (repeatable). Later stages redo themselves if its outputs change.", repeatable: true),
        .flag("quiet", "No progress on stderr (errors still appear)."),
    ]
    static let discussion = """
    The pipeline file (docs/pipelines.md) names the target model, an output root "out", the template date, and an
    object per stage with its options; relative paths resolve against the pipeline file. Unknown keys are errors.

    Each stage writes OUT/<stage>/ and stamps OUT/stamps/<stage>.done.json with a fingerprint: SHA-256 of its
    options, the contents of its input files and the model, and the digests of the earlier stages' outputs it
    reads. A stage is skipped when its fingerprint matches and its outputs are complete and unchanged; a stage
    interrupted with the same fingerprint resumes (tokenize, dump: complete shards kept; generate: complete
    records kept; train: from its last checkpoint); any other stage is redone from scratch.

    Progress goes to stderr as one display ([k/n stage] lines with rate and ETA); a failure names the stage and
    the cause and exits 1, leaving complete shards for the next run. At the end OUT/report.md holds every
    stage's figures: counts, drops, vocabulary coverage, bytes per token, training curves, acceptance, timings.
    """

    static func run(_ args: ParsedArguments) throws {
        guard args.positionals.count == 1 else {
            throw UsageError(args.positionals.isEmpty ? "give the pipeline file: eagleprep run PIPELINE.json" : "give one pipeline file, got \(args.positionals.count) arguments")
        }
        func stage(_ option: String, _ value: String) throws -> StageName {
            guard let s = StageName(rawValue: value) else {
                throw UsageError("--\(option) expects one of \(StageName.allCases.map(\.rawValue).joined(separator: ", ")), got '\(value)'")
            }
            return s
        }
        var selection = StageSelection()
        selection.from = try args.string("from").map { try stage("from", $0) }
        selection.to = try args.string("to").map { try stage("to", $0) }
        selection.force = Set(try args.strings("force").map { try stage("force", $0) })
        let quiet = args.flag("quiet")

        let definition = try PipelineDefinition.load(path: args.positionals[0])
        let runner = PipelineRunner(definition: definition, stages: RunStages.all, quiet: quiet, version: EagleprepMain.version)
        let start = Date()
        let outcomes = try runner.run(selection)
        let ran = outcomes.filter { if case .ran = $0.1 { return true }; return $0.1 == .resumed }.count
        let skipped = outcomes.filter { $0.1 == .skipped }.count
        print("run: \(ran) stage(s) run, \(skipped) up to date, in \(StageProgress.duration(Date().timeIntervalSince(start))); report: \(definition.out)/report.md")
    }
}


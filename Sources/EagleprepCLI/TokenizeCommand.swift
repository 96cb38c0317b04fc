import ChatTemplates
import Conversations
import EagleCore
import Foundation
import TrainingData

struct TokenizeCommand: Subcommand {
    static let name = "tokenize"
    static let summary = "Conversations (JSON/JSONL) → token ids + loss masks in token shards, with the model's own chat template."
    static let usage = "--model PATH --input FILE [--input FILE…] --out DIR [options]"
    static let options: [OptionSpec] = ModelAssets.options + [
        .value("input", "FILE", "A JSON array or JSONL file of conversations (repeatable; also accepted as arguments).", repeatable: true),
        .value("out", "DIR", "Output directory: tokens-NNNNN.eptok shards and manifest.json."),
        .value("format", "FMT", "auto (default, per file), messages, sharegpt or alpaca."),
        .value("mask-mode", "MODE", "reference (default: the EAGLE-3 reference's mask) or assistant (SPEC §3)."),
        .value("system-prompt", "WHERE", "reference (default: the reference's fixed prompt), data, or none."),
        .value("max-length", "N", "Longest rendered sequence kept, in tokens (default 2048)."),
        .flag("truncate", "Truncate longer sequences to --max-length instead of dropping them."),
        .flag("any-roles", "Do not require user/assistant alternation (default: required in reference mode)."),
        .flag("ignore-tools", "Do not pass records' tool definitions to the template (the reference ignores them)."),
        .flag("drop-duplicates", "Drop a sample whose token ids and loss mask equal an earlier one's (reported, counted as rejected 'duplicate')."),
        .value("end-of-turn", "TOKEN", "The template's end-of-turn token (default: detected from a probe render)."),
        .value("date", "YYYY-MM-DD", "The date strftime_now returns (default: today; recorded in the manifest)."),
        .value("shard-size", "N", "Samples per shard (default 4096)."),
        .value("worker", "I/N", "Process the records with index ≡ I mod N only, so N machines split a dataset; auto[:N]: I and N from Slurm/Kubernetes (docs/scale-out.md)."),
        .value("threads", "N", "Worker threads (default: all cores); the output does not depend on it."),
        .value("rejects", "FILE", "Also write every skipped record's 'file:line: reason' to FILE."),
        .flag("quiet", "No progress or per-record messages on stderr."),
    ]
    static let discussion = """
    Each record is rendered with the chat template (add_generation_prompt off), tokenized without added special
    tokens, and masked (SPEC §3): assistant spans come from rendering the prefix before each assistant message.
    Bad records are reported as file:line: reason, counted and skipped; the run ends with a summary.
    Re-running into the same DIR resumes: complete shards are kept, the rest redone; a run with other settings
    into the same DIR is refused with the differences.
    """

    static func run(_ args: ParsedArguments) throws {
        let inputs = args.strings("input") + args.positionals
        guard !inputs.isEmpty else { throw UsageError("give at least one --input FILE") }
        let out = try args.required("out")
        let format: ConversationFormat? = try {
            guard let f = args.string("format"), f != "auto" else { return nil }
            guard let v = ConversationFormat(rawValue: f) else { throw UsageError("--format must be auto, messages, sharegpt or alpaca, got '\(f)'") }
            return v
        }()
        let maskMode = try enumOption(args, "mask-mode", default: MaskMode.reference)
        let system = try enumOption(args, "system-prompt", default: SystemPromptPolicy.reference)
        let maxLength = try args.int("max-length", default: 2048, range: 1...(1 << 24))!
        let shardSize = try args.int("shard-size", default: 4096, range: 1...(1 << 24))!
        let threads = try args.int("threads", default: JSONLinesMap.defaultThreads(), range: 1...1024)!
        let (workerIndex, workerCount) = try worker(args.string("worker"))
        let date = try ModelAssets.date(args) ?? TemplateDate.now()
        let quiet = args.flag("quiet")
        for path in inputs where !FileIO.exists(path) { throw FileError(path: path, message: "no such input file") }

        let assets = try ModelAssets.load(args)
        let tokenizer = assets.tokenizer
        let renderer = TemplateRenderer(template: assets.template,
                                        baseOptions: RenderOptions(date: date, variables: assets.specialTokenVariables))
        let encode: @Sendable (String) -> [Int32] = { tokenizer.encode($0, addSpecialTokens: false) }
        let endOfTurn: Int32
        if let token = args.string("end-of-turn") {
            guard let id = tokenizer.id(of: token) else { throw UsageError("--end-of-turn '\(token)' is not a token of the tokenizer") }
            endOfTurn = id
        } else {
            endOfTurn = try SampleBuilder.detectEndOfTurn(renderer: renderer, encode: encode, specialIds: Set(tokenizer.specialTokenIds))
        }
        var options = SampleOptions(maskMode: maskMode, systemPrompt: system, maxLength: maxLength,
                                    overLength: args.flag("truncate") ? .truncate : .drop,
                                    requireAlternation: args.flag("any-roles") ? false : nil)
        options.renderTools = !args.flag("ignore-tools")
        let builder = SampleBuilder(renderer: renderer, encode: encode, endOfTurnId: endOfTurn,
                                    specialTokenStrings: tokenizer.specialTokenIds.compactMap { tokenizer.token(of: $0) }, options: options)
        let identity = JSONObject([
            ("tokenizer_sha256", .string(assets.tokenizerSHA256)), ("template_sha256", .string(assets.templateSHA256)),
            ("vocabulary_size", .int(tokenizer.vocabularySize)), ("end_of_turn_id", .int(Int(endOfTurn))),
            ("date", .string(String(format: "%04d-%02d-%02d", date.year, date.month, date.day))),
        ])
        let settings = TokenizeSettings(inputs: inputs, format: format, options: options, samplesPerShard: shardSize,
                                        workerIndex: workerIndex, workerCount: workerCount, dropDuplicates: args.flag("drop-duplicates"),
                                        identity: identity)
        let rejects: BufferedOutput? = try args.string("rejects").map { path in
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw FileError(path: path, operation: "open", errno: errno) }
            return BufferedOutput(fd: fd, name: path)
        }
        var lastReport = Date.distantPast
        let counts = try TokenizeStage(settings: settings, outputDirectory: out, threads: threads).run(
            builder: builder,
            onRecordProblem: { line in
                if !quiet { printError("tokenize: skipped " + line) }
                try? rejects?.write(line + "\n")
            },
            onProgress: { p in
                guard !quiet, Date().timeIntervalSince(lastReport) > 2 else { return }
                lastReport = Date()
                let rate = Double(p.records) / max(p.seconds, 1e-9)
                printError(String(format: "tokenize: %d records (%.0f/s), %d samples, file %d/%d", p.records, rate, p.samples,
                                  p.inputFilesDone + 1, p.inputFiles))
            })
        try rejects?.flush()
        print("tokenize: \(out): " + counts.summary)
    }

    static func enumOption<T: RawRepresentable & CaseIterable>(_ args: ParsedArguments, _ name: String, default d: T) throws -> T where T.RawValue == String {
        guard let s = args.string(name) else { return d }
        guard let v = T(rawValue: s) else {
            throw UsageError("--\(name) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), got '\(s)'")
        }
        return v
    }

    /// `--worker I/N`, `auto` or `auto:N` (the scheduler's environment; see WorkerSelection).
    static func worker(_ s: String?) throws -> (Int, Int) {
        let w = try WorkerSelection.parse(s, environment: ProcessInfo.processInfo.environment)
        return (w.index, w.count)
    }
}

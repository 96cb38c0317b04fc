import Conversations
import DraftVocabulary
import EagleCore
import Foundation
import PipelineRunner

/// The stage implementations `eagleprep run` knows. Stages run in process: through each command's own run
/// function (same validation, resume and refusal rules as on the command line) or, where the runner needs the
/// stage's progress (dump, train: crash-test hooks, one progress display), through the library the command uses.
enum RunStages {
    static var all: [any PipelineStage] {
        [GenerateRunStage(), TokenizeRunStage(), VocabRunStage(), DumpRunStage(), TrainRunStage(), EvalRunStage()]
    }

    /// Runs a subcommand in process, as `eagleprep NAME args…` would.
    static func invoke<C: Subcommand>(_ command: C.Type, _ args: [String]) throws {
        let parsed = try ParsedArguments(args, options: C.options)
        try C.run(parsed)
    }

    static func json(_ path: String) throws -> JSONValue {
        try JSONParser.parse(bytes: FileIO.readAll(path: path, limit: 256 << 20))
    }

    static func count(_ n: Int) -> String {
        var s = String(n)
        var i = s.count - 3
        while i > 0 { s.insert(",", at: s.index(s.startIndex, offsetBy: i)); i -= 3 }
        return s
    }

    /// "12.3 %", or "—" for a rate with no cases (NaN).
    static func percent(_ x: Double) -> String { x.isFinite ? String(format: "%.1f %%", 100 * x) : "—" }
}

/// generate: the target regenerates the assistant turns (EAGLE-3 trains on the target's own outputs). With
/// `reply_to_last_user` (default), conversations ending with a user turn get an assistant turn to write.
/// Outputs: `prompts.jsonl` (the prepared input), `generated.jsonl`, `summary.json`.
struct GenerateRunStage: PipelineStage {
    let name = StageName.generate
    let consumes: [StageName] = []
    var usesModel: Bool { true }
    var usesDate: Bool { true }
    let outputDigestFiles = ["generated.jsonl"]

    static func output(_ directory: String) -> String { directory + "/generated.jsonl" }

    func isComplete(_ c: StageContext) -> Bool { FileIO.exists(c.directory + "/summary.json") && FileIO.exists(Self.output(c.directory)) }

    func run(_ c: StageContext) throws {
        let o = c.options
        let prompts = c.directory + "/prompts.jsonl"
        let format: ConversationFormat? = o.string("format").flatMap { $0 == "auto" ? nil : ConversationFormat(rawValue: $0) }
        let reply = o.bool("reply_to_last_user") ?? true
        var lines: [String] = []
        var rejected = 0, appended = 0
        for input in o.paths("input") {
          try ConversationReader(path: input, format: format).forEach { result in
            if let limit = o.int("limit"), lines.count >= limit { return }
            switch result {
            case .failure(let rejection):
                rejected += 1
                c.progress.say("skipped \(rejection)")
            case .success(var conversation):
                if reply, conversation.messages.last.map({ $0["role"]?.stringValue == "user" }) == true {
                    conversation.messages.append(JSONObject([("role", .string("assistant")), ("content", .string(""))]))
                    appended += 1
                }
                var record = JSONObject([("messages", .array(conversation.messages.map { .object($0) }))])
                if let tools = conversation.tools { record["tools"] = .array(tools) }
                lines.append(JSONWriter.string(.object(record)))
            }
          }
        }
        // The same input gives the same bytes, so a resumed generate continues the same list.
        try FileIO.writeAtomically(path: prompts, bytes: Array(lines.map { $0 + "\n" }.joined().utf8))
        c.progress.say("\(lines.count) conversations (\(appended) given an assistant turn to write, \(rejected) rejected)")
        // The command counts records but does not know the total: the runner adds the ETA (resumed records count
        // as done at once, so the ETA is pessimistic right after a resume).
        let total = lines.count, progress = c.progress
        progress.annotateLines { Self.annotate($0, total: total) { progress.eta(done: $0, total: total) } }
        var args = ["--model", c.definition.model, "--input", prompts, "--format", "messages", "--out", Self.output(c.directory),
                    "--date", c.definition.date, "--threads", String(c.threads)]
        args += o.commandArguments(skipping: ["input", "format"]) + (c.progress.quiet ? ["--quiet"] : [])
        try RunStages.invoke(GenerateCommand.self, args)
        var written = 0, truncated = 0, characters = 0
        for line in try FileIO.readString(path: Self.output(c.directory), limit: 1 << 32).split(separator: "\n") {
            let r = try JSONParser.parse(String(line))
            written += 1
            truncated += r["truncated_turns"]?.intValue ?? 0
            characters += r["messages"]?.arrayValue?.last?["content"]?.stringValue?.count ?? 0
        }
        let summary = JSONObject([("conversations", .int(lines.count)), ("rejected", .int(rejected)), ("reply_turns_added", .int(appended)),
                                  ("written", .int(written)), ("truncated_turns", .int(truncated)), ("last_turn_characters", .int(characters))])
        try FileIO.writeAtomically(path: c.directory + "/summary.json", bytes: Array(JSONWriter.string(.object(summary)).utf8))
    }

    /// The command's count line `generate: N records, …` with the total and, until the end, an ETA:
    /// `generate: N/TOTAL records, …, ETA 12 s`.
    static func annotate(_ line: String, total: Int, eta: (Int) -> String) -> String {
        guard line.hasPrefix("generate: "), line.contains(" records, "),
              let done = Int(line.dropFirst("generate: ".count).prefix(while: \.isNumber)) else { return line }
        let e = eta(done)  // "" once done
        return line.replacingOccurrences(of: " records, ", with: "/\(total) records, ") + (e.isEmpty ? "" : ", " + e)
    }

    func report(_ c: StageContext) throws -> ReportSection {
        let s = try RunStages.json(c.directory + "/summary.json")
        let written = s["written"]?.intValue ?? 0
        var r = ReportSection()
        r.table([
            ("input conversations", RunStages.count(s["conversations"]?.intValue ?? 0)),
            ("rejected records", RunStages.count(s["rejected"]?.intValue ?? 0)),
            ("reply turns added", RunStages.count(s["reply_turns_added"]?.intValue ?? 0)),
            ("conversations written", RunStages.count(written)),
            ("turns cut at max_new_tokens", RunStages.count(s["truncated_turns"]?.intValue ?? 0)),
            ("mean last reply length", String(format: "%.0f characters", Double(s["last_turn_characters"]?.intValue ?? 0) / Double(max(written, 1)))),
        ])
        return r
    }
}

/// tokenize: conversations → token shards (resumable). Input: the generate stage's output, or `input`.
struct TokenizeRunStage: PipelineStage {
    let name = StageName.tokenize
    let consumes: [StageName] = [.generate]
    var usesModel: Bool { true }
    var usesDate: Bool { true }
    let outputDigestFiles = ["manifest.json"]

    func isComplete(_ c: StageContext) -> Bool {
        (try? RunStages.json(c.directory + "/manifest.json"))?["complete"] == .bool(true)
    }

    func run(_ c: StageContext) throws {
        let o = c.options
        let inputs = o.has("input") ? o.paths("input") : [GenerateRunStage.output(c.directory(of: .generate))]
        var args = ["--model", c.definition.model, "--out", c.directory, "--date", c.definition.date, "--threads", String(c.threads)]
        if c.progress.quiet { args.append("--quiet") }
        for i in inputs { args += ["--input", i] }
        args += o.commandArguments(skipping: ["input"])
        c.progress.say("tokenizing \(inputs.count) file(s)")
        try RunStages.invoke(TokenizeCommand.self, args)
    }

    func report(_ c: StageContext) throws -> ReportSection {
        let m = try RunStages.json(c.directory + "/manifest.json")
        let k = m["counts"]
        func n(_ key: String) -> Int { k?[key]?.intValue ?? 0 }
        func reasons(_ key: String) -> String {
            guard let o = k?[key]?.objectValue, !o.isEmpty else { return "0" }
            return RunStages.count(o.reduce(0) { $0 + ($1.value.intValue ?? 0) }) + " (" + o.map { "\($0.key) \($0.value.intValue ?? 0)" }.joined(separator: ", ") + ")"
        }
        var r = ReportSection()
        r.table([
            ("records read", RunStages.count(n("read"))), ("samples kept", RunStages.count(n("kept"))),
            ("truncated", RunStages.count(n("truncated"))), ("invalid records", reasons("invalid")), ("rejected records", reasons("rejected")),
            ("tokens", RunStages.count(n("tokens"))), ("supervised tokens", RunStages.count(n("supervised_tokens")) + " (" + RunStages.percent(Double(n("supervised_tokens")) / Double(max(n("tokens"), 1))) + ")"),
            ("mean sample length", String(format: "%.1f tokens", Double(n("tokens")) / Double(max(n("kept"), 1)))),
            ("shards", String(m["shards"]?.arrayValue?.count ?? 0)),
        ])
        return r
    }
}

/// vocab: the draft vocabulary (d2t/t2d) from the token shards.
struct VocabRunStage: PipelineStage {
    let name = StageName.vocab
    let consumes: [StageName] = [.tokenize]
    let outputDigestFiles = ["vocab.safetensors", "vocab.json"]

    func isComplete(_ c: StageContext) -> Bool {
        outputDigestFiles.allSatisfy { FileIO.exists(c.directory + "/" + $0) }
    }

    func run(_ c: StageContext) throws {
        var args = ["--tokens", c.directory(of: .tokenize), "--out", c.directory, "--threads", String(c.threads)]
        args += c.options.commandArguments() + (c.progress.quiet ? ["--quiet"] : [])
        try RunStages.invoke(VocabCommand.self, args)
    }

    func report(_ c: StageContext) throws -> ReportSection {
        let v = try RunStages.json(c.directory + "/vocab.json")
        var r = ReportSection()
        let counts = v["counts"]
        var rows: [(String, String)] = [
            ("draft vocabulary", RunStages.count(v["draft_vocab_size"]?.intValue ?? 0) + " of " + RunStages.count(v["target_vocab_size"]?.intValue ?? 0) + " target ids"),
        ]
        if let counts = counts?.objectValue {
            for (key, value) in counts { rows.append((key.replacingOccurrences(of: "_", with: " "), value.intValue.map(RunStages.count) ?? (value.isNull ? "—" : JSONWriter.string(value)))) }
        }
        if let coverage = v["coverage"]?.objectValue {
            for (key, value) in coverage { rows.append(("coverage " + key, value.doubleValue.map(RunStages.percent) ?? JSONWriter.string(value))) }
        }
        r.table(rows)
        r.add("")
        r.add("![coverage](vocab/coverage.svg)")
        return r
    }
}

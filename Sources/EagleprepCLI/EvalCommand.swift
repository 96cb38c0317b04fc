import ChatTemplates
import Conversations
import DraftTraining
import EagleCore
import Foundation
import LinearAlgebra
import SpeculativeDecoding
import TargetModel
import Tokenization
import TrainingData

/// `eagleprep eval`: speculative decoding with the target and a trained EAGLE-3 drafter on a set of prompts,
/// checked token for token against plain greedy decoding, with acceptance lengths and wall-clock speedup.
struct EvalCommand: Subcommand {
    static let name = "eval"
    static let summary = "Speculative decoding with target + drafter: lossless check, acceptance length tau, speedup."
    static let usage = "--model PATH --drafter DIR --input FILE [--depth K] [--tree-nodes N [--top-k K]] [--draft-threshold P|auto] [--max-new-tokens N] [--out FILE.json]"
    static let options: [OptionSpec] = DecodingSetup.options + [
        .value("drafter", "DIR", "Drafter export (config.json + model.safetensors, as 'eagleprep train'/'export' write)."),
        .value("input", "FILE", "Prompts: conversations (JSON array or JSONL) in any format 'tokenize' reads."),
        .value("format", "FMT", "auto (default), messages, sharegpt or alpaca."),
        .value("depth", "K", "Tokens drafted per round, chain of K (default 6, at most \(SpeculativeDecoder.maxDepth)); a tree's depth."),
        .value("tree-nodes", "N", "Draft a dynamic tree (EAGLE-2) of N candidate tokens per round instead of a chain (at most \(DraftTreeShape.maxNodes))."),
        .value("top-k", "K", "Tree branching: the K best nodes of a level are expanded into their K best children (default 4)."),
        .value("draft-threshold", "P", "Stop drafting a branch once its draft probability (product over its tokens) is below P, 0 < P < 1, or auto: chosen each round from what rounds cost (default: off, full depth)."),
        .value("max-new-tokens", "N", "Longest answer per prompt, in tokens (default 256)."),
        .value("limit", "N", "Evaluate only the first N prompts (of those --every selects)."),
        .value("every", "K", "Evaluate conversations 0, K, 2K, … of the input (a spread over a file sorted by category, e.g. MT-bench's 8 × 10)."),
        .value("out", "FILE.json", "Write the full report (settings, per prompt with its output text, overall) as JSON."),
        .flag("quiet", "No progress on stderr."),
    ]
    static let discussion = """
    Each prompt is the conversation up to its last assistant turn (or all of it when it ends with a user turn),
    rendered with the model's chat template and add_generation_prompt. It is decoded twice at temperature 0:
    plain greedy with the target alone (the baseline and the ground truth), then speculatively: per round the
    drafter proposes K tokens in a chain from the target's fused aux features (its own KV cache, each output fed
    back with its token), the target verifies them in one forward pass, the longest prefix equal to the target's
    own choices is kept plus the target's next token, and rejected positions are dropped from both KV caches.
    Decoding stops at the tokenizer's EOS, the template's end-of-turn token or --max-new-tokens.

    With --tree-nodes N the drafter proposes a tree instead (EAGLE-2's dynamic tree): level 1 holds its top-K
    tokens; each next level expands the K nodes of highest cumulative draft probability into their K best
    children, down to --depth; the N best nodes overall are verified in one target pass with a tree attention
    mask, and the longest path of the target's own greedy choices is accepted. The verification pass computes
    every node as a decoding step would, bit for bit, so the output is still plain greedy decoding; on a CPU its
    cost grows with N. --top-k 1 --tree-nodes K is the chain.

    With --draft-threshold P a round drafts only while the drafter is confident: the chain stops before the
    first token that takes the product of its draft probabilities below P, and a tree keeps and expands only
    nodes whose path probability is at least P (a round may then verify no draft: a plain step). Where a
    verification pass costs more the more rows it has (a CPU), this trades a little tau for cheaper rounds.
    --draft-threshold auto chooses per round instead: it times the rounds of each prompt by how many rows they
    verify and keeps a draft when its probability pays for its row at the rate reached so far (the first round
    verifies everything, the second nothing, to measure both ends), so it needs no tuning per drafter or machine.

    Reported per prompt and overall: tau (tokens committed per verification round; 1 = nothing accepted), the
    acceptance rate at each draft position j (accepted / rounds that reached j), wall-clock times and speedup
    (plain / speculative, prefill included in both), and whether the outputs are identical. A divergence is
    reported with the target's logit gap between the two tokens there; the command then exits with status 1.
    A drafter made for another target (hidden size, vocabulary size, d2t/t2d, aux width) is refused.
    """

    static func run(_ args: ParsedArguments) throws {
        try args.noPositionals()
        let modelPath = try args.required("model"), drafterPath = try args.required("drafter"), input = try args.required("input")
        let threads = try args.int("threads", default: System.coreCount, range: 1...1024)!
        let depth = try args.int("depth", default: 6, range: 1...SpeculativeDecoder.maxDepth)!
        let treeNodes = try args.int("tree-nodes", range: 1...DraftTreeShape.maxNodes)
        let topK = try args.int("top-k", range: 1...DraftTreeShape.maxTopK)
        if topK != nil && treeNodes == nil { throw UsageError("--top-k shapes a draft tree: give --tree-nodes too") }
        let tree = treeNodes.map { DraftTreeShape(topK: topK ?? 4, nodes: $0) }
        let threshold: DraftThreshold? = try {
            guard let s = args.string("draft-threshold") else { return nil }
            if s == "auto" { return .adaptive }
            guard let p = Double(s), p > 0 && p < 1 else {
                throw UsageError("--draft-threshold must be auto or a probability strictly between 0 and 1, got '\(s)'")
            }
            return .fixed(p)
        }()
        let maxNew = try args.int("max-new-tokens", default: 256, range: 1...(1 << 20))!
        let limit = try args.int("limit", range: 1...Int.max)
        let every = try args.int("every", default: 1, range: 1...Int.max)!
        let out = args.string("out")
        let quiet = args.flag("quiet")
        let format: ConversationFormat? = try {
            guard let f = args.string("format"), f != "auto" else { return nil }
            guard let v = ConversationFormat(rawValue: f) else { throw UsageError("--format must be auto, messages, sharegpt or alpaca, got '\(f)'") }
            return v
        }()
        guard FileIO.exists(input) else { throw FileError(path: input, message: "no such input file") }
        BLAS.threadCount = threads

        let setup = try DecodingSetup.load(args, modelPath: modelPath, threads: threads)
        let (tokenizer, renderer, model, stops) = (setup.tokenizer, setup.renderer, setup.model, setup.stopTokens)
        let drafter = try DrafterModel.load(directory: drafterPath, target: model)
        let decoder = try SpeculativeDecoder(target: model, drafter: drafter, depth: depth, tree: tree, draftThreshold: threshold, stopTokens: stops, threads: threads)

        // Prompts first (rendering errors surface before any decoding).
        var prompts: [(index: Int, line: Int, ids: [Int32])] = []
        var rejected = 0
        var record = -1
        try ConversationReader(path: input, format: format).forEach { result in
            record += 1
            if let limit, prompts.count >= limit { return }
            if record % every != 0 { return }
            switch result {
            case .failure(let rejection):
                rejected += 1
                if !quiet { printError("eval: skipped \(rejection)") }
            case .success(let c):
                let endsWithAssistant = !c.messages.isEmpty && c.role(at: c.messages.count - 1) == "assistant"
                let upTo = endsWithAssistant ? c.messages.count - 1 : c.messages.count
                let text = try renderer.render(messages: Array(c.messages[..<upTo]), tools: c.tools, addGenerationPrompt: true)
                let ids = tokenizer.encode(text, addSpecialTokens: false)
                guard !ids.isEmpty else { throw FileError(path: input, message: "line \(c.line): the rendered prompt is empty") }
                prompts.append((c.index, c.line, ids))
            }
        }
        guard !prompts.isEmpty else { throw FileError(path: input, message: "no prompts (\(rejected) records rejected)") }

        var settings = JSONObject([
            ("model", .string(modelPath)), ("drafter", .string(drafterPath)), ("input", .string(input)),
            ("depth", .int(depth)), ("max_new_tokens", .int(maxNew)), ("every", .int(every)), ("threads", .int(threads)),
            ("drafter_config", .object(JSONObject([
                ("hidden_size", .int(drafter.configuration.hiddenSize)), ("intermediate_size", .int(drafter.configuration.intermediateSize)),
                ("num_attention_heads", .int(drafter.configuration.headCount)), ("num_key_value_heads", .int(drafter.configuration.kvHeadCount)),
                ("vocab_size", .int(drafter.configuration.targetVocabSize)), ("draft_vocab_size", .int(drafter.configuration.draftVocabSize)),
            ]))),
        ])
        settings["stop_tokens"] = .array(stops.sorted().map { .int(Int($0)) })
        if let tree { settings["tree"] = .object(JSONObject([("top_k", .int(tree.topK)), ("nodes", .int(tree.nodes))])) }
        switch threshold {
        case .fixed(let p): settings["draft_threshold"] = .double(p)
        case .adaptive: settings["draft_threshold"] = .string("auto")
        case nil: break
        }
        var report = EvaluationReport(settings: settings, depth: depth)

        // Warm-up (thread pools, page faults), untimed.
        _ = try decoder.evaluate(prompt: prompts[0].ids, maxNewTokens: min(maxNew, 4))
        let start = Date()
        for (n, p) in prompts.enumerated() {
            let ev = try decoder.evaluate(prompt: p.ids, maxNewTokens: maxNew)
            let output = ev.speculative.stopped ? ev.speculative.tokens.dropLast() : ev.speculative.tokens[...]
            report.entries.append(.init(index: p.index, line: p.line, evaluation: ev, output: try tokenizer.decode(Array(output))))
            if !quiet {
                let elapsed = Date().timeIntervalSince(start)
                let eta = elapsed / Double(n + 1) * Double(prompts.count - n - 1)
                let s = report.overall
                printError(String(format: "eval: %d/%d prompts, %d tokens, tau %.2f (this prompt %.2f), speedup %.2fx, %.1f s elapsed, ETA %.0f s%@",
                                  n + 1, prompts.count, report.newTokens, s.tau ?? 0, ev.statistics.tau ?? 0,
                                  report.plainSeconds / max(report.speculativeSeconds, 1e-12), elapsed, eta,
                                  ev.isLossless ? "" : " — OUTPUT DIFFERS"))
            }
        }
        print(report.table, terminator: "")
        if let out {
            try FileIO.writeAtomically(path: out, bytes: Array((JSONWriter.string(report.json) + "\n").utf8))
            print("eval: report written to \(out)")
        }
        let bad = report.divergent
        if !bad.isEmpty {
            throw FileError(path: input, message: "speculative output differs from plain greedy decoding for \(bad.count) prompt(s): lines "
                            + bad.map { String($0.line) }.joined(separator: ", "))
        }
    }
}

import EagleCore
import Foundation

/// The figures of an evaluation run: per prompt and overall acceptance length τ, per-position acceptance,
/// losslessness and wall-clock speedup; as JSON and as a readable table.
public struct EvaluationReport: Sendable {
    public struct Entry: Sendable {
        /// The record's 0-based index in the input file and its line.
        public var index: Int
        public var line: Int
        public var evaluation: PromptEvaluation
        /// The speculative output as text (stop token excluded), when the caller decoded it.
        public var output: String?
        public init(index: Int, line: Int, evaluation: PromptEvaluation, output: String? = nil) {
            self.index = index
            self.line = line
            self.evaluation = evaluation
            self.output = output
        }
    }

    public var settings: JSONObject
    public var entries: [Entry] = []
    public var depth: Int

    public init(settings: JSONObject, depth: Int) {
        self.settings = settings
        self.depth = depth
    }

    public var overall: AcceptanceStatistics {
        var s = AcceptanceStatistics()
        for e in entries { s.merge(e.evaluation.statistics) }
        return s
    }
    public var plainSeconds: Double { entries.reduce(0) { $0 + $1.evaluation.plainSeconds } }
    public var speculativeSeconds: Double { entries.reduce(0) { $0 + $1.evaluation.speculativeSeconds } }
    public var newTokens: Int { entries.reduce(0) { $0 + $1.evaluation.plainTokens.count } }
    public var divergent: [Entry] { entries.filter { !$0.evaluation.isLossless } }

    static func number(_ x: Double?) -> JSONValue { x.map { .double(($0 * 1e6).rounded() / 1e6) } ?? .null }

    static func positions(_ s: AcceptanceStatistics) -> JSONValue {
        .array(s.drafted.indices.map { j in
            .object(JSONObject([("position", .int(j + 1)), ("drafted", .int(s.drafted[j])), ("reached", .int(s.reached[j])),
                                ("accepted", .int(s.accepted[j])), ("rate", number(s.positionRates[j]))]))
        })
    }

    public var json: JSONValue {
        var prompts: [JSONValue] = []
        for e in entries {
            let ev = e.evaluation, s = ev.statistics
            var o = JSONObject([
                ("index", .int(e.index)), ("line", .int(e.line)), ("prompt_tokens", .int(ev.promptTokens)),
                ("new_tokens", .int(ev.plainTokens.count)), ("stopped", .bool(ev.speculative.stopped)),
                ("lossless", .bool(ev.isLossless)), ("rounds", .int(s.rounds)), ("target_forwards", .int(ev.speculative.targetForwards)),
                ("tau", EvaluationReport.number(s.tau)), ("accepted_tokens", .int(s.acceptedTokens)), ("drafted_tokens", .int(s.draftedTokens)),
                ("positions", EvaluationReport.positions(s)),
                ("accepted_per_round", .array(ev.speculative.rounds.map { .int($0.accepted) })),
                ("plain_seconds", EvaluationReport.number(ev.plainSeconds)),
                ("speculative_seconds", EvaluationReport.number(ev.speculativeSeconds)),
                ("draft_seconds", EvaluationReport.number(ev.speculative.timings.draft)),
                ("verify_seconds", EvaluationReport.number(ev.speculative.timings.verify)),
                ("speedup", EvaluationReport.number(ev.speedup)),
            ])
            if let output = e.output { o["output"] = .string(output) }
            if let d = ev.divergence {
                o["divergence"] = .object(JSONObject([
                    ("index", .int(d.index)), ("plain_token", d.plainToken.map { .int(Int($0)) } ?? .null),
                    ("speculative_token", d.speculativeToken.map { .int(Int($0)) } ?? .null),
                    ("logit_gap", d.logitGap.map { .double(Double($0)) } ?? .null),
                ]))
            }
            prompts.append(.object(o))
        }
        let s = overall
        let overall = JSONObject([
            ("prompts", .int(entries.count)), ("lossless_prompts", .int(entries.count - divergent.count)),
            ("new_tokens", .int(newTokens)), ("rounds", .int(s.rounds)), ("tau", EvaluationReport.number(s.tau)),
            ("draft_acceptance", EvaluationReport.number(s.draftAcceptance)), ("positions", EvaluationReport.positions(s)),
            ("plain_seconds", EvaluationReport.number(plainSeconds)), ("speculative_seconds", EvaluationReport.number(speculativeSeconds)),
            ("plain_tokens_per_s", EvaluationReport.number(Double(newTokens) / max(plainSeconds, 1e-12))),
            ("speculative_tokens_per_s", EvaluationReport.number(Double(newTokens) / max(speculativeSeconds, 1e-12))),
            ("speedup", EvaluationReport.number(plainSeconds / max(speculativeSeconds, 1e-12))),
        ])
        var root = settings
        root["overall"] = .object(overall)
        root["prompts"] = .array(prompts)
        return .object(root)
    }

    /// A fixed-width table: one line per prompt, then the overall line and the per-position rates.
    public var table: String {
        func f(_ x: Double?, _ digits: Int = 2) -> String { x.map { String(format: "%.\(digits)f", $0) } ?? "-" }
        func pad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
        let positions = (1...max(depth, 1)).map { "a\($0)" }
        let header = [pad("prompt", 7), pad("tokens", 7), pad("rounds", 7), pad("tau", 6)] + positions.map { pad($0, 5) }
            + [pad("plain s", 8), pad("spec s", 8), pad("speedup", 8), "  lossless"]
        var lines = [header.joined(separator: " ")]
        func row(_ name: String, _ tokens: Int, _ s: AcceptanceStatistics, _ plain: Double, _ spec: Double, _ lossless: String) -> String {
            let rates = s.positionRates
            let cells = [pad(name, 7), pad(String(tokens), 7), pad(String(s.rounds), 7), pad(f(s.tau), 6)]
                + (0..<max(depth, 1)).map { pad(f($0 < rates.count ? rates[$0] : nil), 5) }
                + [pad(f(plain), 8), pad(f(spec), 8), pad(f(plain / max(spec, 1e-12)) + "x", 8), "  " + lossless]
            return cells.joined(separator: " ")
        }
        for e in entries {
            let ev = e.evaluation
            let lossless = ev.divergence.map { d in "NO at token \(d.index)" + (d.logitGap.map { String(format: " (gap %.2e)", $0) } ?? "") } ?? "yes"
            lines.append(row(String(e.index), ev.plainTokens.count, ev.statistics, ev.plainSeconds, ev.speculativeSeconds, lossless))
        }
        lines.append(row("all", newTokens, overall, plainSeconds, speculativeSeconds, "\(entries.count - divergent.count)/\(entries.count)"))
        lines.append("tau = tokens committed per verification round (target forward); aj = acceptance rate of draft position j given 1..j-1 accepted.")
        return lines.joined(separator: "\n") + "\n"
    }
}

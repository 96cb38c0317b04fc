import EagleCore
import Foundation
import PipelineRunner

/// eval: speculative decoding with the target and the trained drafter on held-out prompts (`eagleprep eval`, in
/// process). Output: `eval.json` (settings, per prompt, overall).
struct EvalRunStage: PipelineStage {
    let name = StageName.eval
    let consumes: [StageName] = [.train]
    var usesModel: Bool { true }
    var usesDate: Bool { true }
    var dependsOnThreads: Bool { true }  // wall-clock speedups depend on them
    let outputDigestFiles = ["eval.json"]

    func isComplete(_ c: StageContext) -> Bool { FileIO.exists(c.directory + "/eval.json") }

    func run(_ c: StageContext) throws {
        var args = ["--model", c.definition.model, "--drafter", c.directory(of: .train), "--out", c.directory + "/eval.json",
                    "--date", c.definition.date, "--threads", String(c.threads)]
        for i in c.options.paths("input") { args += ["--input", i] }
        args += c.options.commandArguments(skipping: ["input"]) + (c.progress.quiet ? ["--quiet"] : [])
        try RunStages.invoke(EvalCommand.self, args)
    }

    func report(_ c: StageContext) throws -> ReportSection {
        let e = try RunStages.json(c.directory + "/eval.json")
        let o = e["overall"]
        func d(_ k: String) -> Double { o?[k]?.doubleValue ?? .nan }
        var r = ReportSection()
        r.table([
            ("prompts", "\(o?["prompts"]?.intValue ?? 0) (\(o?["lossless_prompts"]?.intValue ?? 0) lossless: output equal to plain greedy decoding)"),
            ("new tokens", RunStages.count(o?["new_tokens"]?.intValue ?? 0)),
            ("acceptance length τ", String(format: "%.3f tokens per target forward", d("tau"))),
            ("draft acceptance", RunStages.percent(d("draft_acceptance"))),
            ("plain decoding", String(format: "%.1f tokens/s", d("plain_tokens_per_s"))),
            ("speculative decoding", String(format: "%.1f tokens/s", d("speculative_tokens_per_s"))),
            ("speedup", String(format: "%.2fx", d("speedup"))),
        ])
        if let positions = o?["positions"]?.arrayValue, !positions.isEmpty {
            r.add("")
            r.add("| draft position | reached | accepted | acceptance rate |")
            r.add("|---|---|---|---|")
            for p in positions {
                r.add("| \(p["position"]?.intValue ?? 0) | \(p["reached"]?.intValue ?? 0) | \(p["accepted"]?.intValue ?? 0) | \(RunStages.percent(p["rate"]?.doubleValue ?? .nan)) |")
            }
        }
        return r
    }
}

import EagleCore
import Foundation

/// `OUT/report.md`: the pipeline, a table of stages with their outcome and time, then each complete stage's
/// figures (written by the stage from its outputs; images are linked relative to OUT).
struct RunReport {
    let definition: PipelineDefinition
    let layout: PipelineLayout
    let implementations: [StageName: any PipelineStage]
    let threads: Int

    func write(outcomes: [(StageName, StageOutcome)], seconds: Double) throws {
        var md: [String] = []
        md.append("# eagleprep run: \(URL(fileURLWithPath: definition.file).lastPathComponent)")
        md.append("")
        if let d = definition.description { md.append(d); md.append("") }
        md.append("| | |")
        md.append("|---|---|")
        md.append("| pipeline | `\(definition.file)` |")
        md.append("| model | `\(definition.modelWritten)` |")
        md.append("| threads | \(threads) |")
        md.append("| template date | \(definition.date) |")
        md.append("| this run | \(StageProgress.duration(seconds)) |")
        md.append("")
        md.append("## Stages")
        md.append("")
        md.append("| stage | this run | last run time | finished |")
        md.append("|---|---|---|---|")
        var sections: [(StageName, ReportSection)] = []
        for (stage, outcome) in outcomes {
            let stamp = StageStamp.read(layout, stage, .done)
            let what: String
            switch outcome {
            case .skipped: what = "up to date, skipped"
            case .ran(let reason): what = "ran (\(reason))"
            case .resumed: what = "resumed"
            case .notSelected: what = "not selected"
            }
            md.append("| \(stage) | \(what) | \(stamp?.seconds.map { StageProgress.duration($0) } ?? "–") | \(stamp?.finished ?? "not complete") |")
            guard stamp != nil, let impl = implementations[stage] else { continue }
            let ctx = StageContext(definition: definition, layout: layout, stage: stage,
                                   progress: StageProgress(stage: stage, index: 0, count: 0, quiet: true), threads: threads)
            guard impl.isComplete(ctx) else { continue }
            do {
                sections.append((stage, try impl.report(ctx)))
            } catch {
                sections.append((stage, ReportSection(["(figures unavailable: \(error))"])))
            }
        }
        for (stage, section) in sections {
            md.append("")
            md.append("## \(stage)")
            md.append("")
            md += section.lines
        }
        md.append("")
        try FileIO.writeAtomically(path: layout.reportPath, bytes: Array(md.joined(separator: "\n").utf8))
    }
}

import EagleCore
import Foundation

/// Where a pipeline's outputs live: `OUT/<stage>/` per stage, `OUT/stamps/`, `OUT/report.md`.
public struct PipelineLayout: Sendable {
    public let root: String
    public init(root: String) { self.root = root }
    public func directory(_ stage: StageName) -> String { root + "/" + stage.rawValue }
    public var stampDirectory: String { root + "/stamps" }
    public var reportPath: String { root + "/report.md" }
}

/// What a stage sees while it runs or reports.
public struct StageContext: Sendable {
    public let definition: PipelineDefinition
    public let layout: PipelineLayout
    public let stage: StageName
    public let progress: StageProgress
    /// Threads for the stage (the pipeline's `threads`, else all cores).
    public let threads: Int

    public var options: StageOptions { definition.options[stage]! }
    /// This stage's output folder.
    public var directory: String { layout.directory(stage) }
    public func directory(of other: StageName) -> String { layout.directory(other) }
    public func has(_ other: StageName) -> Bool { definition.options[other] != nil }
}

/// A section of `OUT/report.md`: markdown lines under the stage's heading.
public struct ReportSection: Sendable {
    public var lines: [String]
    public init(_ lines: [String] = []) { self.lines = lines }
    public mutating func add(_ line: String) { lines.append(line) }
    /// A two-column markdown table.
    public mutating func table(_ rows: [(String, String)]) {
        lines.append("| | |")
        lines.append("|---|---|")
        for (k, v) in rows { lines.append("| \(k) | \(v) |") }
    }
}

/// One stage of a pipeline. Implementations run the stage in process (through the library or the command's own
/// run function), resume where their outputs allow, and describe their outputs for the report.
public protocol PipelineStage: Sendable {
    var name: StageName { get }
    /// Earlier stages whose outputs this stage reads; their output digests enter this stage's fingerprint.
    var consumes: [StageName] { get }
    /// Whether the target model's bytes, the pipeline's date or its thread count decide this stage's outputs.
    var usesModel: Bool { get }
    var usesDate: Bool { get }
    var dependsOnThreads: Bool { get }
    /// Files (relative to the stage folder) whose digest stands for the stage's outputs.
    var outputDigestFiles: [String] { get }
    /// Whether the stage folder holds finished outputs.
    func isComplete(_ context: StageContext) -> Bool
    /// Runs (or resumes) the stage into `context.directory`. Throws on failure; the outputs are then not complete.
    func run(_ context: StageContext) throws
    /// The stage's figures for the report, read from its finished outputs.
    func report(_ context: StageContext) throws -> ReportSection
}

extension PipelineStage {
    public var usesModel: Bool { false }
    public var usesDate: Bool { false }
    public var dependsOnThreads: Bool { false }
}

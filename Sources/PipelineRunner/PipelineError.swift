/// Errors of the pipeline runner. Definition errors name the file and the key path (`stages.dump.shard_size`);
/// stage failures name the stage and carry the cause.
public enum PipelineError: Error, Sendable, CustomStringConvertible {
    /// The pipeline file is not valid: `file`, `keyPath` (empty for the whole document), what is wrong.
    case definition(file: String, keyPath: String, message: String)
    /// A stage failed; `cause` is the underlying error's description.
    case stageFailed(stage: StageName, cause: String)
    /// `--from` skipped a stage whose outputs a later stage needs, and they are not there.
    case missingEarlierStage(stage: StageName, needed: StageName, reason: String)
    /// Command-line selection of stages (`--from`, `--to`, `--force`) that does not fit the pipeline.
    case selection(String)

    public var description: String {
        switch self {
        case .definition(let file, let keyPath, let message):
            return keyPath.isEmpty ? "\(file): \(message)" : "\(file): \(keyPath): \(message)"
        case .stageFailed(let stage, let cause):
            return "stage \(stage) failed: \(cause)"
        case .missingEarlierStage(let stage, let needed, let reason):
            return "stage \(stage) needs the outputs of stage \(needed), which \(reason); run without --from, or --from \(needed)"
        case .selection(let message):
            return message
        }
    }
}

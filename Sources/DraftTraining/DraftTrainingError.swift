/// Why training, checkpointing or export could not proceed. Every case names what it is about (key, sample, file)
/// and the values that disagree.
public enum DraftTrainingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A drafter configuration value is missing or invalid (`key` is the config.json name).
    case configuration(key: String, message: String)
    /// A training sample does not fit the configuration (`field`: ids, loss_mask, aux_hidden, draft_logits, …).
    case sample(index: Int, field: String, message: String)
    /// A weight, embedding, vocabulary or head input does not fit the configuration.
    case input(name: String, message: String)
    /// A checkpoint is unreadable or does not belong to this run.
    case checkpoint(path: String, message: String)
    /// An export could not be written or failed its validation.
    case export(path: String, message: String)
    /// Training options that contradict each other or the data.
    case options(String)

    public var description: String {
        switch self {
        case .configuration(let key, let message): "drafter configuration: \(key): \(message)"
        case .sample(let index, let field, let message): "sample \(index): \(field): \(message)"
        case .input(let name, let message): "\(name): \(message)"
        case .checkpoint(let path, let message): "checkpoint \(path): \(message)"
        case .export(let path, let message): "export \(path): \(message)"
        case .options(let message): "training options: \(message)"
        }
    }
}

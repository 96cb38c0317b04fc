/// Why a draft vocabulary could not be built, merged or checked. Every case names the file or option involved
/// and the values that disagree.
public enum VocabularyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A tokenize output directory (or its manifest) is missing, unfinished or malformed.
    case tokens(path: String, message: String)
    /// Fewer distinct tokens (counted plus pinned) than the requested draft vocabulary size.
    case tooFewDistinctTokens(distinct: Int, pinnedUncounted: Int, requested: Int)
    /// Nothing was counted: no samples, or no supervised position in any sample.
    case emptyInput(String)
    /// A token id outside `0..<targetVocabSize`, with where it was read.
    case idOutOfRange(path: String, sample: Int, position: Int, id: Int, targetVocabSize: Int)
    /// A sample too long or a dataset too large for the 64-bit first-occurrence key.
    case keyOverflow(String)
    /// The target vocabulary size is unknown, or the given size conflicts with the data.
    case targetVocabularySize(String)
    /// A pinned id is invalid, or there are more pins than draft slots.
    case pins(String)
    /// A partial counts file is malformed.
    case countsFile(path: String, message: String)
    /// Partial counts files that cannot be merged: a field differs from the first file's.
    case mergeMismatch(path: String, field: String, expected: String, found: String)
    /// Partial counts files whose shard ranges overlap or leave shards out.
    case mergeCoverage(String)
    /// A written vocabulary directory is unreadable or inconsistent.
    case vocabulary(path: String, message: String)

    public var description: String {
        switch self {
        case .tokens(let path, let message): "\(path): \(message)"
        case .tooFewDistinctTokens(let distinct, let pinned, let requested):
            "only \(distinct) distinct tokens were counted" + (pinned > 0 ? " (plus \(pinned) pinned ids never counted)" : "")
                + ", fewer than the draft vocabulary size \(requested); use a smaller size, or --pad to fill with the lowest unused ids"
        case .emptyInput(let message): "empty input: \(message)"
        case .idOutOfRange(let path, let sample, let position, let id, let size):
            "\(path): sample \(sample), position \(position): token id \(id) is outside the target vocabulary 0..<\(size)"
        case .keyOverflow(let message): "first-occurrence key overflow: \(message)"
        case .targetVocabularySize(let message): "target vocabulary size: \(message)"
        case .pins(let message): "pinned ids: \(message)"
        case .countsFile(let path, let message): "\(path): \(message)"
        case .mergeMismatch(let path, let field, let expected, let found):
            "\(path): \(field) is \(found) but the first counts file has \(expected); only counts of the same token directory, vocabulary and options merge"
        case .mergeCoverage(let message): "merge: \(message)"
        case .vocabulary(let path, let message): "\(path): \(message)"
        }
    }
}

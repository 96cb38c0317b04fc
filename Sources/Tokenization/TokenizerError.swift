/// Errors from loading a tokenizer or decoding ids. Every load error names its input (`path`): a file path,
/// or the `source` given to `Tokenizer(json:source:)`.
public enum TokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be read.
    case io(path: String, message: String)
    /// The input is not well-formed JSON, or a section does not have the expected shape.
    case malformed(path: String, message: String)
    /// A required key is missing (`key` is a dotted path such as `model.vocab`).
    case missingKey(path: String, key: String)
    /// A key is present but its value cannot be used.
    case invalidValue(path: String, key: String, message: String)
    /// A pipeline component (`normalizer`, `pre_tokenizer`, `model`, `post_processor`, `decoder`, `truncation`,
    /// `padding`, `tokenizer.ggml.pre`, ...) of a type, or with a setting, that this implementation does not
    /// reproduce exactly. Never silently replaced by something approximate.
    case unsupported(component: String, type: String, path: String)
    /// `decode` was given an id that names no token.
    case unknownTokenId(id: Int32, vocabularySize: Int)

    public var description: String {
        switch self {
        case .io(let path, let message): return "\(path): \(message)"
        case .malformed(let path, let message): return "\(path): malformed tokenizer: \(message)"
        case .missingKey(let path, let key): return "\(path): missing key \(key)"
        case .invalidValue(let path, let key, let message): return "\(path): \(key): \(message)"
        case .unsupported(let component, let type, let path):
            return "\(path): unsupported \(component) type \(type)"
        case .unknownTokenId(let id, let size): return "unknown token id \(id) (vocabulary size \(size))"
        }
    }
}

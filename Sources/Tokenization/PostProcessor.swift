/// The `post_processor` stage for single sequences with `add_special_tokens: true`: ids added before and after
/// the sequence. With `add_special_tokens: false` every supported processor leaves the ids unchanged.
/// Supported: `TemplateProcessing` (a `single` template with `$A` once), `ByteLevel` (offsets only, no ids),
/// `RobertaProcessing` and `BertProcessing` (`cls $A sep`), and `Sequence` of these (applied in order, each
/// wrapping the previous output).
struct PostProcessor: Sendable, Equatable {
    var prefix: [Int32] = []
    var suffix: [Int32] = []
    /// Token names of the first prefix and the last suffix token, when they come from the template (BOS/EOS).
    var prefixTokens: [String] = []
    var suffixTokens: [String] = []

    init(prefix: [Int32] = [], suffix: [Int32] = [], prefixTokens: [String] = [], suffixTokens: [String] = []) {
        self.prefix = prefix
        self.suffix = suffix
        self.prefixTokens = prefixTokens
        self.suffixTokens = suffixTokens
    }

    init(_ configuration: PostProcessorConfiguration?, path: String) throws(TokenizerError) {
        guard let configuration else { return }
        switch configuration {
        case .byteLevel:
            break
        case .sequence(let list):
            for item in list {
                let inner = try PostProcessor(item, path: path)
                prefix = inner.prefix + prefix
                prefixTokens = inner.prefixTokens + prefixTokens
                suffix += inner.suffix
                suffixTokens += inner.suffixTokens
            }
        case .roberta(let sep, let cls), .bert(let sep, let cls):
            prefix = [Int32(bitPattern: cls.id)]
            prefixTokens = [cls.token]
            suffix = [Int32(bitPattern: sep.id)]
            suffixTokens = [sep.token]
        case .template(let single, let specials):
            let sequences = single.indices.filter { if case .sequence = single[$0] { true } else { false } }
            guard sequences.count == 1, case .sequence(let id) = single[sequences[0]], id == "A" else {
                throw .unsupported(component: "post_processor",
                                   type: "TemplateProcessing with a single template not holding $A exactly once",
                                   path: path)
            }
            for (k, piece) in single.enumerated() {
                guard case .specialToken(let name) = piece else { continue }
                guard let special = specials[name] else {
                    throw .invalidValue(path: path, key: "post_processor.special_tokens",
                                        message: "template token \(name.debugDescription) is not defined")
                }
                let ids = special.ids.map { Int32(bitPattern: $0) }
                if k < sequences[0] {
                    prefix += ids
                    prefixTokens += special.tokens
                } else {
                    suffix += ids
                    suffixTokens += special.tokens
                }
            }
        case .other(let type):
            throw .unsupported(component: "post_processor", type: type, path: path)
        }
    }
}

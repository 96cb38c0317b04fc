/// The `post_processor` stage for single sequences with `add_special_tokens: true`: ids added before and after
/// the sequence. With `add_special_tokens: false` every supported processor leaves the ids unchanged.
///
/// Supported: `TemplateProcessing`, `ByteLevel` (offsets only), `RobertaProcessing`, `BertProcessing`, and
/// `Sequence` of these. HF passes a *list* of encodings from one processor to the next
/// (https://github.com/huggingface/tokenizers/blob/3ba8ad0061a885baf052bbb7bbd22857e73e0c4e/tokenizers/src/processors/sequence.rs):
/// a template turns `[A]` into one encoding per template piece, and a following Bert/Roberta processor then
/// treats the second one as a pair (`Sequence[Template(<s> $A), Bert]` gives `[CLS] <s> [SEP] A [SEP]`). This is
/// reproduced by evaluating the processors once, at load time, on a symbolic `[A]`.
struct PostProcessor: Sendable, Equatable {
    /// Ids before the sequence, and after it.
    var prefix: [Int32] = []
    var suffix: [Int32] = []
    /// Token names of the special tokens before / after the sequence (for BOS/EOS).
    var prefixTokens: [String] = []
    var suffixTokens: [String] = []

    /// A piece of an encoding during symbolic evaluation: special ids, or the input sequence.
    private enum Item: Equatable {
        case special(ids: [Int32], tokens: [String])
        case sequence
    }

    private typealias Encoding = [Item]

    init(prefix: [Int32] = [], suffix: [Int32] = [], prefixTokens: [String] = [], suffixTokens: [String] = []) {
        self.prefix = prefix
        self.suffix = suffix
        self.prefixTokens = prefixTokens
        self.suffixTokens = suffixTokens
    }

    init(_ configuration: PostProcessorConfiguration?, path: String) throws(TokenizerError) {
        guard let configuration else { return }
        let items = try Self.apply(configuration, to: [[.sequence]], path: path).flatMap { $0 }
        guard let a = items.firstIndex(of: .sequence), items.lastIndex(of: .sequence) == a else {
            throw .unsupported(component: "post_processor",
                               type: "a processor chain that does not keep the sequence exactly once", path: path)
        }
        for (k, item) in items.enumerated() {
            guard case .special(let ids, let tokens) = item else { continue }
            if k < a {
                prefix += ids
                prefixTokens += tokens
            } else {
                suffix += ids
                suffixTokens += tokens
            }
        }
    }

    /// HF `process_encodings` with `add_special_tokens: true`.
    private static func apply(_ c: PostProcessorConfiguration, to encodings: [Encoding],
                              path: String) throws(TokenizerError) -> [Encoding] {
        switch c {
        case .byteLevel:
            return encodings
        case .sequence(let list):
            var e = encodings
            for p in list { e = try apply(p, to: e, path: path) }
            return e
        case .roberta(let sep, let cls):
            let s = Item.special(ids: [Int32(bitPattern: sep.id)], tokens: [sep.token])
            let c = Item.special(ids: [Int32(bitPattern: cls.id)], tokens: [cls.token])
            return encodings.enumerated().map { i, e in i == 0 ? [c] + e + [s] : [s] + e + [s] }
        case .bert(let sep, let cls):
            let s = Item.special(ids: [Int32(bitPattern: sep.id)], tokens: [sep.token])
            let c = Item.special(ids: [Int32(bitPattern: cls.id)], tokens: [cls.token])
            return encodings.enumerated().map { i, e in i == 0 ? [c] + e + [s] : e + [s] }
        case .template(let single, let pair, let specials):
            let template: [TemplatePiece]
            switch encodings.count {
            case 1: template = single
            case 2: template = pair
            default:
                throw .unsupported(component: "post_processor",
                                   type: "TemplateProcessing after a processor giving \(encodings.count) encodings",
                                   path: path)
            }
            return try template.map { piece throws(TokenizerError) -> Encoding in
                switch piece {
                case .sequence(let id):
                    let i = id == "A" ? 0 : 1
                    guard i < encodings.count else {
                        throw .unsupported(component: "post_processor",
                                           type: "TemplateProcessing with $\(id) in a single-sequence template", path: path)
                    }
                    return encodings[i]
                case .specialToken(let name):
                    guard let special = specials[name] else {
                        throw .invalidValue(path: path, key: "post_processor.special_tokens",
                                            message: "template token \(name.debugDescription) is not defined")
                    }
                    return [.special(ids: special.ids.map { Int32(bitPattern: $0) }, tokens: special.tokens)]
                }
            }
        case .other(let type):
            throw .unsupported(component: "post_processor", type: type, path: path)
        }
    }
}

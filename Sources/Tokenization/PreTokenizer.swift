/// The `pre_tokenizer` stage: a flat list of splitting stages, applied to each piece produced by the previous
/// stage (HF `PreTokenizedString::split` semantics: pieces already matched as added tokens are not touched).
/// Supported: `Sequence`, `ByteLevel`, `Split` (a known regex, behaviour `Isolated`), `Digits`, `Metaspace`.
struct PreTokenizer: Sendable {
    enum PrependScheme: String, Sendable { case first, always, never }

    enum Stage: Sendable, Equatable {
        /// `Split` with one of the known regexes, behaviour `Isolated`, not inverted.
        case split(SplitPattern)
        /// `ByteLevel`: optional prefix space, optional GPT-2 regex split. The byte → character mapping itself is a
        /// no-op here because the vocabulary is keyed by raw bytes.
        case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
        /// `Digits`: numeric scalars (`char::is_numeric`, i.e. N*) isolated one by one, or as runs; the other
        /// scalars between them form pieces of their own.
        /// https://github.com/huggingface/tokenizers/blob/3ba8ad0061a885baf052bbb7bbd22857e73e0c4e/tokenizers/src/pre_tokenizers/digits.rs
        case digits(individual: Bool)
        /// `Metaspace`: spaces → `replacement`, optional prefix, split before each `replacement`.
        /// https://github.com/huggingface/tokenizers/blob/3ba8ad0061a885baf052bbb7bbd22857e73e0c4e/tokenizers/src/pre_tokenizers/metaspace.rs
        case metaspace(replacement: [UInt8], scheme: PrependScheme, split: Bool)
    }

    let stages: [Stage]

    /// Whether a `ByteLevel` stage is present: the model then sees one symbol per byte and its vocabulary is
    /// spelled in GPT-2's byte alphabet.
    var isByteLevel: Bool {
        stages.contains { if case .byteLevel = $0 { return true } else { return false } }
    }

    init(stages: [Stage]) {
        self.stages = stages
    }

    init(_ configuration: PreTokenizerConfiguration?, path: String) throws(TokenizerError) {
        var stages: [Stage] = []
        func add(_ c: PreTokenizerConfiguration) throws(TokenizerError) {
            switch c {
            case .sequence(let list):
                for item in list { try add(item) }
            case .byteLevel(let addPrefixSpace, let useRegex):
                stages.append(.byteLevel(addPrefixSpace: addPrefixSpace, useRegex: useRegex))
            case .split(let pattern, let behavior, let invert):
                guard case .regex(let regex) = pattern, let known = SplitPattern(rawValue: regex) else {
                    throw .unsupported(component: "pre_tokenizer", type: "Split(\(pattern.typeName))", path: path)
                }
                guard behavior == "Isolated", !invert else {
                    throw .unsupported(component: "pre_tokenizer",
                                       type: "Split(behavior: \(behavior), invert: \(invert))", path: path)
                }
                stages.append(.split(known))
            case .digits(let individual):
                stages.append(.digits(individual: individual))
            case .metaspace(let replacement, let scheme, let split):
                guard replacement.unicodeScalars.count == 1 else {
                    throw .invalidValue(path: path, key: "pre_tokenizer.replacement",
                                        message: "expected one character, found \(replacement.debugDescription)")
                }
                guard let s = PrependScheme(rawValue: scheme) else {
                    throw .invalidValue(path: path, key: "pre_tokenizer.prepend_scheme",
                                        message: "expected first, always or never, found \(scheme)")
                }
                stages.append(.metaspace(replacement: Array(replacement.utf8), scheme: s, split: split))
            case .other(let type):
                throw .unsupported(component: "pre_tokenizer", type: type, path: path)
            }
        }
        if let configuration { try add(configuration) }
        self.stages = stages
    }
}

/// `Codable` mirrors of the sections of a Hugging Face `tokenizer.json` (tokenizers ≥ 0.13 layout). Every
/// component type is decoded, known or not: an unknown `type` decodes as `.other(type:)` and `Tokenizer`'s
/// builder rejects it with `TokenizerError.unsupported` naming the component and the file.
///
/// `model.vocab` and `model.merges` are not decoded here (see `ModelJSONScanner`); a GGUF file fills the same
/// structure from its metadata (see `GGUFConfiguration`).
struct TokenizerConfiguration: Decodable, Sendable {
    var addedTokens: [AddedTokenConfiguration] = []
    var normalizer: NormalizerConfiguration?
    var preTokenizer: PreTokenizerConfiguration?
    var model: ModelConfiguration
    var postProcessor: PostProcessorConfiguration?
    var decoder: DecoderConfiguration?
    /// `truncation` / `padding` are set (non-null): they change encodings, and are not supported.
    var hasTruncation = false
    var hasPadding = false

    enum CodingKeys: String, CodingKey {
        case version, truncation, padding
        case addedTokens = "added_tokens"
        case normalizer
        case preTokenizer = "pre_tokenizer"
        case model
        case postProcessor = "post_processor"
        case decoder
    }

    init(model: ModelConfiguration) {
        self.model = model
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        addedTokens = try c.decodeIfPresent([AddedTokenConfiguration].self, forKey: .addedTokens) ?? []
        normalizer = try c.decodeIfPresent(NormalizerConfiguration.self, forKey: .normalizer)
        preTokenizer = try c.decodeIfPresent(PreTokenizerConfiguration.self, forKey: .preTokenizer)
        model = try c.decode(ModelConfiguration.self, forKey: .model)
        postProcessor = try c.decodeIfPresent(PostProcessorConfiguration.self, forKey: .postProcessor)
        self.decoder = try c.decodeIfPresent(DecoderConfiguration.self, forKey: .decoder)
        hasTruncation = try c.contains(.truncation) && !c.decodeNil(forKey: .truncation)
        hasPadding = try c.contains(.padding) && !c.decodeNil(forKey: .padding)
    }
}

/// One entry of `added_tokens` (HF `AddedTokenWithId`).
struct AddedTokenConfiguration: Decodable, Sendable, Equatable {
    var id: UInt32
    var content: String
    var singleWord = false
    var lstrip = false
    var rstrip = false
    var normalized = true
    var special = false

    enum CodingKeys: String, CodingKey {
        case id, content
        case singleWord = "single_word"
        case lstrip, rstrip, normalized, special
    }

    init(id: UInt32, content: String, singleWord: Bool = false, lstrip: Bool = false, rstrip: Bool = false,
         normalized: Bool, special: Bool) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
        self.special = special
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(UInt32.self, forKey: .id)
        content = try c.decode(String.self, forKey: .content)
        singleWord = try c.decodeIfPresent(Bool.self, forKey: .singleWord) ?? false
        lstrip = try c.decodeIfPresent(Bool.self, forKey: .lstrip) ?? false
        rstrip = try c.decodeIfPresent(Bool.self, forKey: .rstrip) ?? false
        special = try c.decodeIfPresent(Bool.self, forKey: .special) ?? false
        normalized = try c.decodeIfPresent(Bool.self, forKey: .normalized) ?? !special
    }
}

/// `{"String": "..."}` or `{"Regex": "..."}` (Split / Replace patterns).
enum PatternConfiguration: Decodable, Sendable, Equatable {
    case string(String)
    case regex(String)

    enum CodingKeys: String, CodingKey {
        case string = "String"
        case regex = "Regex"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let s = try c.decodeIfPresent(String.self, forKey: .string) {
            self = .string(s)
        } else {
            self = .regex(try c.decode(String.self, forKey: .regex))
        }
    }

    var typeName: String {
        switch self {
        case .string(let s): return "String(\(s.debugDescription))"
        case .regex(let r): return "Regex(\(r.debugDescription))"
        }
    }
}

/// The `type` key shared by every component.
private enum TypeKey: String, CodingKey { case type }

private func componentType(_ decoder: any Decoder) throws -> String {
    let c = try decoder.container(keyedBy: TypeKey.self)
    return try c.decodeIfPresent(String.self, forKey: .type) ?? "(no type)"
}

/// `normalizer`
indirect enum NormalizerConfiguration: Decodable, Sendable, Equatable {
    case sequence([NormalizerConfiguration])
    case prepend(String)
    case replace(pattern: PatternConfiguration, content: String)
    case nfc
    case other(type: String)

    enum CodingKeys: String, CodingKey {
        case normalizers, prepend, pattern, content
    }

    init(from decoder: any Decoder) throws {
        let type = try componentType(decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch type {
        case "Sequence": self = .sequence(try c.decode([NormalizerConfiguration].self, forKey: .normalizers))
        case "Prepend": self = .prepend(try c.decode(String.self, forKey: .prepend))
        case "Replace":
            self = .replace(pattern: try c.decode(PatternConfiguration.self, forKey: .pattern),
                            content: try c.decode(String.self, forKey: .content))
        case "NFC": self = .nfc
        default: self = .other(type: type)
        }
    }
}

/// `pre_tokenizer`
indirect enum PreTokenizerConfiguration: Decodable, Sendable, Equatable {
    case sequence([PreTokenizerConfiguration])
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case split(pattern: PatternConfiguration, behavior: String, invert: Bool)
    case digits(individualDigits: Bool)
    case metaspace(replacement: String, prependScheme: String, split: Bool)
    case other(type: String)

    enum CodingKeys: String, CodingKey {
        case pretokenizers
        case addPrefixSpace = "add_prefix_space"
        case useRegex = "use_regex"
        case pattern, behavior, invert
        case individualDigits = "individual_digits"
        case replacement
        case prependScheme = "prepend_scheme"
        case split
    }

    init(from decoder: any Decoder) throws {
        let type = try componentType(decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch type {
        case "Sequence":
            self = .sequence(try c.decode([PreTokenizerConfiguration].self, forKey: .pretokenizers))
        case "ByteLevel":
            self = .byteLevel(addPrefixSpace: try c.decodeIfPresent(Bool.self, forKey: .addPrefixSpace) ?? true,
                              useRegex: try c.decodeIfPresent(Bool.self, forKey: .useRegex) ?? true)
        case "Split":
            self = .split(pattern: try c.decode(PatternConfiguration.self, forKey: .pattern),
                          behavior: try c.decode(String.self, forKey: .behavior),
                          invert: try c.decodeIfPresent(Bool.self, forKey: .invert) ?? false)
        case "Digits":
            self = .digits(individualDigits: try c.decodeIfPresent(Bool.self, forKey: .individualDigits) ?? false)
        case "Metaspace":
            self = .metaspace(replacement: try c.decode(String.self, forKey: .replacement),
                              prependScheme: try metaspacePrependScheme(c, CodingKeys.addPrefixSpace, CodingKeys.prependScheme),
                              split: try c.decodeIfPresent(Bool.self, forKey: .split) ?? true)
        default:
            self = .other(type: type)
        }
    }
}

/// Metaspace's `prepend_scheme` ("always" by default). The legacy `add_prefix_space: false` requires "never"
/// (HF rejects it with any other scheme, including the default).
/// https://github.com/huggingface/tokenizers/blob/3ba8ad0061a885baf052bbb7bbd22857e73e0c4e/tokenizers/src/pre_tokenizers/metaspace.rs
private func metaspacePrependScheme<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ addPrefixSpace: K,
                                                  _ prependScheme: K) throws -> String {
    let scheme = try c.decodeIfPresent(String.self, forKey: prependScheme) ?? "always"
    if try c.decodeIfPresent(Bool.self, forKey: addPrefixSpace) == false {
        guard scheme == "never" else {
            throw DecodingError.dataCorruptedError(forKey: addPrefixSpace, in: c,
                debugDescription: "add_prefix_space does not match declared prepend_scheme")
        }
        return "never"
    }
    return scheme
}

/// `model` (only BPE is supported). `vocab`/`vocabIds`/`merges` are filled by `ModelJSONScanner` or from GGUF.
struct ModelConfiguration: Decodable, Sendable {
    var type: String?
    var dropout: Double?
    var unkToken: String?
    var continuingSubwordPrefix: String?
    var endOfWordSuffix: String?
    var fuseUnk = false
    var byteFallback = false
    var ignoreMerges = false
    var vocab = ByteStringList()
    var vocabIds: [Int32] = []
    /// Two strings (left, right) per merge, in rank order.
    var merges = ByteStringList()

    enum CodingKeys: String, CodingKey {
        case type, dropout
        case unkToken = "unk_token"
        case continuingSubwordPrefix = "continuing_subword_prefix"
        case endOfWordSuffix = "end_of_word_suffix"
        case fuseUnk = "fuse_unk"
        case byteFallback = "byte_fallback"
        case ignoreMerges = "ignore_merges"
    }

    init(type: String) {
        self.type = type
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type)
        dropout = try c.decodeIfPresent(Double.self, forKey: .dropout)
        unkToken = try c.decodeIfPresent(String.self, forKey: .unkToken)
        continuingSubwordPrefix = try c.decodeIfPresent(String.self, forKey: .continuingSubwordPrefix)
        endOfWordSuffix = try c.decodeIfPresent(String.self, forKey: .endOfWordSuffix)
        fuseUnk = try c.decodeIfPresent(Bool.self, forKey: .fuseUnk) ?? false
        byteFallback = try c.decodeIfPresent(Bool.self, forKey: .byteFallback) ?? false
        ignoreMerges = try c.decodeIfPresent(Bool.self, forKey: .ignoreMerges) ?? false
    }
}

/// `post_processor`
indirect enum PostProcessorConfiguration: Decodable, Sendable, Equatable {
    case template(single: [TemplatePiece], pair: [TemplatePiece], specialTokens: [String: TemplateSpecialToken])
    case byteLevel
    case roberta(sep: TokenAndId, cls: TokenAndId)
    case bert(sep: TokenAndId, cls: TokenAndId)
    case sequence([PostProcessorConfiguration])
    case other(type: String)

    enum CodingKeys: String, CodingKey {
        case single, pair
        case specialTokens = "special_tokens"
        case sep, cls, processors
    }

    init(from decoder: any Decoder) throws {
        let type = try componentType(decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch type {
        case "TemplateProcessing":
            self = .template(single: try c.decode([TemplatePiece].self, forKey: .single),
                             pair: try c.decodeIfPresent([TemplatePiece].self, forKey: .pair) ?? [],
                             specialTokens: try c.decodeIfPresent([String: TemplateSpecialToken].self,
                                                                  forKey: .specialTokens) ?? [:])
        case "ByteLevel": self = .byteLevel
        case "RobertaProcessing":
            self = .roberta(sep: try c.decode(TokenAndId.self, forKey: .sep),
                            cls: try c.decode(TokenAndId.self, forKey: .cls))
        case "BertProcessing":
            self = .bert(sep: try c.decode(TokenAndId.self, forKey: .sep),
                         cls: try c.decode(TokenAndId.self, forKey: .cls))
        case "Sequence": self = .sequence(try c.decode([PostProcessorConfiguration].self, forKey: .processors))
        default: self = .other(type: type)
        }
    }
}

/// `["[SEP]", 102]` (Bert/Roberta processors).
struct TokenAndId: Decodable, Sendable, Equatable {
    var token: String
    var id: UInt32

    init(token: String, id: UInt32) {
        self.token = token
        self.id = id
    }

    init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        token = try c.decode(String.self)
        id = try c.decode(UInt32.self)
    }
}

/// One piece of a `TemplateProcessing` template: `{"Sequence": {"id": "A", "type_id": 0}}` or
/// `{"SpecialToken": {"id": "<s>", "type_id": 0}}`.
enum TemplatePiece: Decodable, Sendable, Equatable {
    case sequence(id: String)
    case specialToken(id: String)

    enum CodingKeys: String, CodingKey {
        case sequence = "Sequence"
        case specialToken = "SpecialToken"
    }

    enum InnerKeys: String, CodingKey { case id }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if c.contains(.sequence) {
            let inner = try c.nestedContainer(keyedBy: InnerKeys.self, forKey: .sequence)
            self = .sequence(id: try inner.decode(String.self, forKey: .id))
        } else {
            let inner = try c.nestedContainer(keyedBy: InnerKeys.self, forKey: .specialToken)
            self = .specialToken(id: try inner.decode(String.self, forKey: .id))
        }
    }
}

/// `special_tokens` entry of `TemplateProcessing`.
struct TemplateSpecialToken: Decodable, Sendable, Equatable {
    var id: String
    var ids: [UInt32]
    var tokens: [String]

    enum CodingKeys: String, CodingKey { case id, ids, tokens }
}

/// `decoder`
indirect enum DecoderConfiguration: Decodable, Sendable, Equatable {
    case sequence([DecoderConfiguration])
    case byteLevel
    case metaspace(replacement: String, prependScheme: String)
    case replace(pattern: PatternConfiguration, content: String)
    case byteFallback
    case fuse
    case strip(content: String, start: Int, stop: Int)
    case other(type: String)

    enum CodingKeys: String, CodingKey {
        case decoders, replacement
        case prependScheme = "prepend_scheme"
        case addPrefixSpace = "add_prefix_space"
        case pattern, content, start, stop
    }

    init(from decoder: any Decoder) throws {
        let type = try componentType(decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch type {
        case "Sequence": self = .sequence(try c.decode([DecoderConfiguration].self, forKey: .decoders))
        case "ByteLevel": self = .byteLevel
        case "Metaspace":
            self = .metaspace(replacement: try c.decode(String.self, forKey: .replacement),
                              prependScheme: try metaspacePrependScheme(c, CodingKeys.addPrefixSpace, CodingKeys.prependScheme))
        case "Replace":
            self = .replace(pattern: try c.decode(PatternConfiguration.self, forKey: .pattern),
                            content: try c.decode(String.self, forKey: .content))
        case "ByteFallback": self = .byteFallback
        case "Fuse": self = .fuse
        case "Strip":
            self = .strip(content: try c.decode(String.self, forKey: .content),
                          start: try c.decode(Int.self, forKey: .start), stop: try c.decode(Int.self, forKey: .stop))
        default: self = .other(type: type)
        }
    }
}

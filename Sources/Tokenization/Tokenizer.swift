import EagleCore
import Foundation

/// A Hugging Face tokenizer (`tokenizer.json`, or a GGUF file's vocabulary) that reproduces HF `tokenizers`'
/// `Tokenizer.encode(text, add_special_tokens=...).ids` and `decode(ids, skip_special_tokens=False)` exactly,
/// for byte-level BPE (GPT-2, Llama-3, Qwen2/3, SmolLM2) and SentencePiece-style BPE (Llama-2, Mistral).
///
/// Immutable and `Sendable`: encode from any number of threads. `encode` reuses a per-thread word cache (as HF
/// does); `makeEncoder()` returns a caller-owned `TokenEncoder` with its own cache.
public struct Tokenizer: Sendable {
    /// Everything but the BOS/EOS names, shared by all copies (a copy costs one reference count).
    let pipeline: TokenizerPipeline

    /// Beginning/end-of-sequence tokens: from `tokenizer_config.json` next to the file when present, else from the
    /// post-processor template (the token before / after `$A`), or from GGUF metadata.
    public internal(set) var bosToken: String?
    public internal(set) var eosToken: String?

    public var bosTokenId: Int32? { bosToken.flatMap { id(of: $0) } }
    public var eosTokenId: Int32? { eosToken.flatMap { id(of: $0) } }

    /// The input this tokenizer was built from (a path, or the `source` given to `init(json:source:)`).
    public var source: String { pipeline.source }
    /// Number of ids: the largest id (model or added token) plus one.
    public var vocabularySize: Int { pipeline.vocabularySize }
    /// Added tokens with `special: true`, ascending.
    public var specialTokenIds: [Int32] { pipeline.specialTokenIds }
    /// SentencePiece: the `<0xXX>` tokens, in byte order; byte-level: the 256 single-byte tokens, in byte order
    /// (bytes without a token are left out).
    public var byteTokenIds: [Int32] { pipeline.byteTokenIds }

    /// Loads `tokenizer.json`, a folder holding one, or a `.gguf` file (recognised by its magic).
    public static func load(path: String) throws -> Tokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TokenizerError.io(path: path, message: "no such file or folder")
        }
        var file = path
        if isDirectory.boolValue {
            file = (path as NSString).appendingPathComponent("tokenizer.json")
            guard FileManager.default.fileExists(atPath: file) else {
                throw TokenizerError.io(path: path, message: "folder holds no tokenizer.json")
            }
        }
        if try isGGUF(path: file) {
            return try Tokenizer(ggufPath: file)
        }
        let bytes: [UInt8]
        do { bytes = try FileIO.readAll(path: file, limit: 1 << 31) } catch {
            throw TokenizerError.io(path: file, message: error.message)
        }
        var tokenizer = try Tokenizer(json: bytes, source: file)
        let config = ((file as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent("tokenizer_config.json")
        if FileManager.default.fileExists(atPath: config) {
            let names = try SpecialTokenNames.read(path: config)
            if let bos = names.bosToken { tokenizer.bosToken = bos }
            if let eos = names.eosToken { tokenizer.eosToken = eos }
        }
        return tokenizer
    }

    private static func isGGUF(path: String) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TokenizerError.io(path: path, message: "cannot open")
        }
        defer { try? handle.close() }
        let magic = handle.readData(ofLength: 4)
        return Array(magic) == Array("GGUF".utf8)
    }

    /// Builds a tokenizer from the bytes of a `tokenizer.json`; `source` names it in errors.
    public init(json: [UInt8], source: String) throws {
        let scan = try json.withUnsafeBufferPointer { try ModelJSONScanner.scan($0, path: source) }
        var configuration: TokenizerConfiguration
        do {
            configuration = try JSONDecoder().decode(TokenizerConfiguration.self, from: Data(scan.remainder))
        } catch let error as DecodingError {
            throw TokenizerError.malformed(path: source, message: describe(error))
        }
        if let vocab = scan.vocab {
            configuration.model.vocab = vocab
            configuration.model.vocabIds = scan.vocabIds
        }
        guard configuration.model.type == nil || configuration.model.type == "BPE" else {
            throw TokenizerError.unsupported(component: "model", type: configuration.model.type!, path: source)
        }
        guard let merges = scan.merges else { throw TokenizerError.missingKey(path: source, key: "model.merges") }
        configuration.model.merges = merges
        try self.init(configuration: configuration, source: source)
    }

    /// Builds the pipeline from a configuration (decoded from `tokenizer.json` or mapped from GGUF metadata).
    init(configuration c: TokenizerConfiguration, source: String) throws(TokenizerError) {
        pipeline = try TokenizerPipeline(configuration: c, source: source)
        bosToken = pipeline.postProcessor.prefixTokens.first
        eosToken = pipeline.postProcessor.suffixTokens.last
    }

    /// Encodes `text` as HF `Tokenizer.encode(text, add_special_tokens: addSpecialTokens).ids`.
    public func encode(_ text: String, addSpecialTokens: Bool = false) -> [Int32] {
        threadEncoder().encode(text, addSpecialTokens: addSpecialTokens)
    }

    /// Appends the ids of the UTF-8 text to `ids`. The text must be valid UTF-8.
    public func encode(utf8: UnsafeBufferPointer<UInt8>, addSpecialTokens: Bool, into ids: inout [Int32]) {
        threadEncoder().encode(utf8: utf8, addSpecialTokens: addSpecialTokens, into: &ids)
    }

    /// An encoder using this thread's word cache for this tokenizer.
    private func threadEncoder() -> TokenEncoder {
        TokenEncoder(pipeline, scratch: ThreadScratchPool.current.scratch(for: pipeline))
    }

    /// The pieces the pre-tokenizer alone cuts `text` into, as HF `pre_tokenizer.pre_tokenize_str` (but as text,
    /// not in the byte-level alphabet): no normalizer, no added-token extraction.
    public func preTokenize(_ text: String) -> [String] {
        TokenEncoder(pipeline).preTokenize(text)
    }

    /// A reusable encoder (scratch buffers and a bounded word cache) for one thread.
    public func makeEncoder() -> TokenEncoder { TokenEncoder(pipeline) }

    /// Decodes as HF `Tokenizer.decode(ids, skip_special_tokens: skipSpecialTokens)`. Throws
    /// `TokenizerError.unknownTokenId` for an id outside the vocabulary (HF silently drops it).
    /// With `skipSpecialTokens`, added tokens with `special: true` are left out by id (HF compares the
    /// normalized spelling with the special contents, so it keeps Llama-2's `<s>`, spelled `▁<s>`; this does not).
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = false) throws -> String {
        let p = pipeline
        var tokens: [[UInt8]] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard id >= 0, Int(id) < p.vocabularySize, let s = p.spellings[id] else {
                throw TokenizerError.unknownTokenId(id: id, vocabularySize: p.vocabularySize)
            }
            if skipSpecialTokens && p.isSpecial[Int(id)] { continue }
            tokens.append(Array(s))
        }
        return p.decoder.decode(tokens)
    }

    /// HF `token_to_id`: an added token's content, else a vocabulary spelling (`Ġhello`, `▁Hello`).
    public func id(of token: String) -> Int32? {
        let bytes = Array(token.utf8)
        return pipeline.addedVocabulary.id(ofContent: bytes) ?? pipeline.model.id(ofSpelling: bytes)
    }

    /// HF `id_to_token`: the spelling of an id (for normalized added tokens, the normalized form).
    public func token(of id: Int32) -> String? {
        pipeline.spellings[id].map { String(decoding: $0, as: UTF8.self) }
    }
}

/// The immutable stages of a tokenizer. Its identity also keys the per-thread word caches.
final class TokenizerPipeline: Sendable {
    let source: String
    let normalizer: Normalizer
    let preTokenizer: PreTokenizer
    /// The pre-tokenizer as the encoder runs it (see `EncoderStage`).
    let encoderStages: [EncoderStage]
    let model: BPEModel
    let addedVocabulary: AddedVocabulary
    let postProcessor: PostProcessor
    let decoder: TokenDecoder
    /// id → spelling, as HF's `id_to_token` (added tokens first, with their normalized form when normalized).
    let spellings: TokenSpellings
    /// Per id: whether it is an added token with `special: true`.
    let isSpecial: [Bool]
    let vocabularySize: Int
    let specialTokenIds: [Int32]
    let byteTokenIds: [Int32]

    init(configuration c: TokenizerConfiguration, source: String) throws(TokenizerError) {
        if c.hasTruncation { throw .unsupported(component: "truncation", type: "(set)", path: source) }
        if c.hasPadding { throw .unsupported(component: "padding", type: "(set)", path: source) }
        self.source = source
        normalizer = try Normalizer(c.normalizer, path: source)
        preTokenizer = try PreTokenizer(c.preTokenizer, path: source)
        encoderStages = EncoderStage.stages(for: preTokenizer)
        postProcessor = try PostProcessor(c.postProcessor, path: source)
        decoder = try TokenDecoder(c.decoder, path: source)
        var spellings = TokenSpellings()
        let model = try BPEModel(c.model, byteLevel: preTokenizer.isByteLevel, path: source) { s, id in
            spellings.set(id, s)
        }
        self.model = model
        addedVocabulary = AddedVocabulary(c.addedTokens, normalizer: normalizer,
                                          modelVocabularyCount: c.model.vocab.count,
                                          modelId: { model.id(ofSpelling: $0) })
        for t in addedVocabulary.tokens { spellings.set(t.id, t.pattern[...]) }
        self.spellings = spellings
        vocabularySize = spellings.count
        var isSpecial = [Bool](repeating: false, count: spellings.count)
        for t in addedVocabulary.tokens where t.special { isSpecial[Int(t.id)] = true }
        self.isSpecial = isSpecial
        specialTokenIds = isSpecial.indices.filter { isSpecial[$0] }.map { Int32($0) }
        byteTokenIds = (0 ..< 256).compactMap { b -> Int32? in
            let id = model.isByteLevel ? model.byteIds[b] : model.vocab.lookup(Array(byteFallbackSpelling(UInt8(b)).utf8)) ?? -1
            return id >= 0 ? id : nil
        }
        for id in postProcessor.prefix + postProcessor.suffix where id < 0 || Int(id) >= vocabularySize {
            throw .invalidValue(path: source, key: "post_processor", message: "token id \(id) is not in the vocabulary")
        }
    }
}

/// id → spelling bytes, with holes.
struct TokenSpellings: Sendable {
    private var bytes: [UInt8] = []
    /// Per id: start and end in `bytes`, or (max, max) for a hole.
    private var ranges: [UInt32] = []

    var count: Int { ranges.count / 2 }

    mutating func set(_ id: Int32, _ s: ArraySlice<UInt8>) {
        let i = Int(id)
        if i >= count { ranges.append(contentsOf: repeatElement(UInt32.max, count: 2 * (i + 1 - count))) }
        ranges[2 * i] = UInt32(bytes.count)
        bytes.append(contentsOf: s)
        ranges[2 * i + 1] = UInt32(bytes.count)
    }

    subscript(id: Int32) -> ArraySlice<UInt8>? {
        let i = Int(id)
        guard i >= 0, i < count, ranges[2 * i] != UInt32.max else { return nil }
        return bytes[Int(ranges[2 * i]) ..< Int(ranges[2 * i + 1])]
    }
}

/// `bos_token` / `eos_token` of a `tokenizer_config.json`: a string, `{"content": ...}`, or null.
struct SpecialTokenNames: Decodable {
    var bosToken: String?
    var eosToken: String?

    enum CodingKeys: String, CodingKey {
        case bosToken = "bos_token"
        case eosToken = "eos_token"
    }

    private struct Content: Decodable { var content: String }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func name(_ key: CodingKeys) throws -> String? {
            guard c.contains(key), try !c.decodeNil(forKey: key) else { return nil }
            if let s = try? c.decode(String.self, forKey: key) { return s }
            return try c.decode(Content.self, forKey: key).content
        }
        bosToken = try name(.bosToken)
        eosToken = try name(.eosToken)
    }

    static func read(path: String) throws -> SpecialTokenNames {
        let bytes: [UInt8]
        do { bytes = try FileIO.readAll(path: path, limit: 1 << 28) } catch {
            throw TokenizerError.io(path: path, message: error.message)
        }
        do {
            return try JSONDecoder().decode(SpecialTokenNames.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw TokenizerError.malformed(path: path, message: describe(error))
        }
    }
}

/// A `DecodingError` as "key.path: what went wrong".
func describe(_ error: DecodingError) -> String {
    func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    switch error {
    case .keyNotFound(let key, let context):
        return "\(path(context.codingPath + [key])): missing"
    case .typeMismatch(let type, let context):
        return "\(path(context.codingPath)): expected \(type): \(context.debugDescription)"
    case .valueNotFound(let type, let context):
        return "\(path(context.codingPath)): expected \(type), found null"
    case .dataCorrupted(let context):
        return "\(path(context.codingPath)): \(context.debugDescription)"
    @unknown default:
        return "\(error)"
    }
}

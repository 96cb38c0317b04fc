import GGUF

/// Builds the tokenizer from a GGUF file's `tokenizer.ggml.*` metadata by mapping it onto the same
/// `TokenizerConfiguration` a `tokenizer.json` decodes to, chosen so the result equals the HF tokenizer the
/// GGUF was converted from:
///
/// | `model` / `pre` | normalizer | pre-tokenizer | model | decoder |
/// |---|---|---|---|---|
/// | gpt2 / `gpt-2` | – | ByteLevel (GPT-2 regex) | BPE | ByteLevel |
/// | gpt2 / `llama-bpe` | – | Split(Llama-3 regex), ByteLevel | BPE, `ignore_merges` | ByteLevel |
/// | gpt2 / `qwen2` | NFC | Split(Qwen2 regex), ByteLevel | BPE | ByteLevel |
/// | gpt2 / `smollm` | – | Digits(individual), ByteLevel (GPT-2 regex) | BPE | ByteLevel |
/// | llama | Prepend(▁) (if `add_space_prefix`, default on), Replace(" ", ▁) | – | BPE, byte fallback, fused `<unk>` | Replace(▁, " "), ByteFallback, Fuse, Strip(" ", 1, 0) |
///
/// Added tokens: control (type 3) and unknown (2) tokens are special added tokens, user-defined ones (4) plain
/// added tokens. Byte-level models match them on raw text (`normalized: false`, as HF's converters write them);
/// for `llama` control/unknown tokens are `normalized: true`, as in HF's Llama-2 `tokenizer.json` (so `<s>` is
/// matched as `▁<s>`). The post-processor adds BOS/EOS per `add_bos_token`/`add_eos_token` (defaults: `llama`
/// adds BOS, `gpt2` adds nothing).
///
/// A `llama` GGUF usually has no merges. They are then derived from the scores as HF's converter did for
/// Llama-2 (`sentencePieceMerges`), which reproduces Llama-2's `tokenizer.json` merge list exactly. BPE with
/// these merges gives HF's results, which can differ from llama.cpp's score-driven `llm_tokenizer_spm` (e.g. on
/// runs of spaces, whose merges all share the score -1e9).
extension Tokenizer {
    /// Builds the tokenizer from a GGUF file.
    public init(ggufPath path: String) throws {
        try self.init(gguf: try GGUFFile.open(path: path))
    }

    public init(gguf file: GGUFFile) throws {
        let path = file.path
        guard let modelName = try file.string("tokenizer.ggml.model") else {
            throw TokenizerError.missingKey(path: path, key: "tokenizer.ggml.model")
        }
        guard let tokens = try file.stringArray("tokenizer.ggml.tokens") else {
            throw TokenizerError.missingKey(path: path, key: "tokenizer.ggml.tokens")
        }
        let types = try file.integerArray("tokenizer.ggml.token_type") ?? Array(repeating: 1, count: tokens.count)
        guard types.count == tokens.count else {
            throw TokenizerError.invalidValue(path: path, key: "tokenizer.ggml.token_type",
                                              message: "\(types.count) entries for \(tokens.count) tokens")
        }
        let merges = try file.stringArray("tokenizer.ggml.merges")
        func tokenId(_ key: String) throws -> Int? {
            guard let id = try file.integer(key) else { return nil }
            guard id >= 0 && id < tokens.count else {
                throw TokenizerError.invalidValue(path: path, key: key, message: "id \(id) is not in the vocabulary")
            }
            return id
        }
        let bosId = try tokenId("tokenizer.ggml.bos_token_id")
        let eosId = try tokenId("tokenizer.ggml.eos_token_id")

        var model = ModelConfiguration(type: "BPE")
        model.vocab.reserve(strings: tokens.count, bytes: tokens.count * 8)
        for (i, t) in tokens.enumerated() {
            model.vocab.append(t)
            model.vocabIds.append(Int32(i))
        }
        var c: TokenizerConfiguration
        let addBos: Bool
        let addEos = try file.bool("tokenizer.ggml.add_eos_token") ?? false
        switch modelName {
        case "gpt2":
            guard let merges else { throw TokenizerError.missingKey(path: path, key: "tokenizer.ggml.merges") }
            model.merges = try mergeList(merges, path: path)
            let pre = try file.string("tokenizer.ggml.pre") ?? "default"
            let byteLevel = PreTokenizerConfiguration.byteLevel(addPrefixSpace: false, useRegex: false)
            let gpt2 = PreTokenizerConfiguration.byteLevel(addPrefixSpace: false, useRegex: true)
            var normalizer: NormalizerConfiguration?
            let preTokenizer: PreTokenizerConfiguration
            switch pre {
            case "gpt-2":
                preTokenizer = gpt2
            case "llama-bpe":
                preTokenizer = .sequence([.split(pattern: .regex(SplitPattern.llama3.rawValue), behavior: "Isolated",
                                                 invert: false), byteLevel])
                model.ignoreMerges = true
            case "qwen2":
                normalizer = .nfc
                preTokenizer = .sequence([.split(pattern: .regex(SplitPattern.qwen2.rawValue), behavior: "Isolated",
                                                 invert: false), byteLevel])
            case "smollm":
                preTokenizer = .sequence([.digits(individualDigits: true), gpt2])
            default:
                throw TokenizerError.unsupported(component: "tokenizer.ggml.pre", type: pre, path: path)
            }
            c = TokenizerConfiguration(model: model)
            c.normalizer = normalizer
            c.preTokenizer = preTokenizer
            c.decoder = .byteLevel
            c.addedTokens = addedTokens(tokens, types, normalizedSpecials: false)
            addBos = try file.bool("tokenizer.ggml.add_bos_token") ?? false
        case "llama":
            if let merges {
                model.merges = try mergeList(merges, path: path)
            } else {
                guard let scores = try file.floatArray("tokenizer.ggml.scores") else {
                    throw TokenizerError.missingKey(path: path, key: "tokenizer.ggml.scores")
                }
                guard scores.count == tokens.count else {
                    throw TokenizerError.invalidValue(path: path, key: "tokenizer.ggml.scores",
                                                      message: "\(scores.count) entries for \(tokens.count) tokens")
                }
                model.merges = sentencePieceMerges(tokens, scores: scores)
            }
            model.byteFallback = true
            model.fuseUnk = true
            model.unkToken = try tokenId("tokenizer.ggml.unknown_token_id").map { tokens[$0] }
            if model.unkToken == nil, let i = types.firstIndex(of: 2) { model.unkToken = tokens[i] }
            let addSpacePrefix = try file.bool("tokenizer.ggml.add_space_prefix") ?? true
            c = TokenizerConfiguration(model: model)
            let replace = NormalizerConfiguration.replace(pattern: .string(" "), content: "▁")
            c.normalizer = addSpacePrefix ? .sequence([.prepend("▁"), replace]) : replace
            var decoders: [DecoderConfiguration] = [.replace(pattern: .string("▁"), content: " "), .byteFallback, .fuse]
            if addSpacePrefix { decoders.append(.strip(content: " ", start: 1, stop: 0)) }
            c.decoder = .sequence(decoders)
            c.addedTokens = addedTokens(tokens, types, normalizedSpecials: true)
            addBos = try file.bool("tokenizer.ggml.add_bos_token") ?? true
        default:
            throw TokenizerError.unsupported(component: "tokenizer.ggml.model", type: modelName, path: path)
        }
        var template: [TemplatePiece] = []
        var specials: [String: TemplateSpecialToken] = [:]
        func special(_ id: Int?, _ key: String) throws {
            guard let id else { throw TokenizerError.missingKey(path: path, key: key) }
            template.append(.specialToken(id: key))
            specials[key] = TemplateSpecialToken(id: key, ids: [UInt32(id)], tokens: [tokens[id]])
        }
        if addBos { try special(bosId, "tokenizer.ggml.bos_token_id") }
        template.append(.sequence(id: "A"))
        if addEos { try special(eosId, "tokenizer.ggml.eos_token_id") }
        c.postProcessor = .template(single: template, pair: [], specialTokens: specials)
        try self.init(configuration: c, source: path)
        if let bosId { bosToken = tokens[bosId] }
        if let eosId { eosToken = tokens[eosId] }
    }
}

/// GGUF token types (llama.cpp `llama_token_type`).
private enum GGUFTokenType: Int {
    case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
}

private func addedTokens(_ tokens: [String], _ types: [Int], normalizedSpecials: Bool) -> [AddedTokenConfiguration] {
    var out: [AddedTokenConfiguration] = []
    for (i, t) in tokens.enumerated() {
        switch GGUFTokenType(rawValue: types[i]) {
        case .unknown, .control:
            out.append(AddedTokenConfiguration(id: UInt32(i), content: t, normalized: normalizedSpecials, special: true))
        case .userDefined:
            out.append(AddedTokenConfiguration(id: UInt32(i), content: t, normalized: false, special: false))
        default:
            break
        }
    }
    return out
}

/// `"left right"` merge strings.
private func mergeList(_ merges: [String], path: String) throws -> ByteStringList {
    var list = ByteStringList()
    for (i, m) in merges.enumerated() {
        let bytes = Array(m.utf8)
        let spaces = bytes.indices.filter { bytes[$0] == 0x20 }
        guard spaces.count == 1 else {
            throw TokenizerError.invalidValue(path: path, key: "tokenizer.ggml.merges[\(i)]",
                                              message: "expected \"left right\", found \(m.debugDescription)")
        }
        list.append(bytes[..<spaces[0]])
        list.append(bytes[(spaces[0] + 1)...])
    }
    return list
}

/// Merges of a SentencePiece BPE vocabulary from its scores, as transformers' `SentencePieceExtractor` made
/// them for Llama-2's `tokenizer.json`: every split of a piece into two pieces of the vocabulary, ordered by
/// descending score of the merged piece, then by the ids of the left and right halves. (Ties only occur among
/// equal scores, e.g. Llama-2's `▁▁`…`▁`×16 runs, all at -1e9; newer extractors order those per merged piece
/// instead, which changes how runs of spaces merge.)
func sentencePieceMerges(_ pieces: [String], scores: [Double]) -> ByteStringList {
    var index: [[UInt8]: Int] = [:]
    for (i, p) in pieces.enumerated() where index[Array(p.utf8)] == nil { index[Array(p.utf8)] = i }
    struct Merge { var left: Int; var right: Int; var score: Double }
    var merges: [Merge] = []
    for (i, piece) in pieces.enumerated() {
        let bytes = Array(piece.utf8)
        var k = 0
        bytes.withUnsafeBufferPointer { b in
            while k < b.count {
                k += decodeScalar(b.baseAddress!, k, b.count).1
                guard k < b.count else { break }
                if let l = index[Array(b[..<k])], let r = index[Array(b[k...])] {
                    merges.append(Merge(left: l, right: r, score: scores[i]))
                }
            }
        }
    }
    merges.sort { a, b in
        a.score != b.score ? a.score > b.score : (a.left, a.right) < (b.left, b.right)
    }
    var list = ByteStringList()
    for m in merges {
        list.append(pieces[m.left].utf8)
        list.append(pieces[m.right].utf8)
    }
    return list
}

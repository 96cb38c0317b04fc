/// A reusable encoder for one thread: scratch buffers and a bounded word cache (see `WordCache`), so encoding
/// many texts does no per-call setup. Not `Sendable`: give each thread its own (`tokenizer.makeEncoder()`).
///
/// The pipeline per text, as HF `TokenizerImpl::encode_single_sequence`:
/// 1. split out added tokens with `normalized: false` on the raw text;
/// 2. normalize each remaining segment, then split out added tokens with `normalized: true`;
/// 3. pre-tokenize each remaining segment through the stages, depth first (no piece lists are materialised);
/// 4. BPE each piece; 5. with `addSpecialTokens`, add the post-processor's ids around the result.
public final class TokenEncoder {
    private let pipeline: TokenizerPipeline
    private let stages: [EncoderStage]
    private let scratch: BPEScratch
    private var segments: [AddedVocabulary.Segment] = []
    private var innerSegments: [AddedVocabulary.Segment] = []
    private var normalized: [UInt8] = []
    private var normalizeScratch: [UInt8] = []
    /// One buffer per stage, for stages that rewrite their piece (prefix space, Metaspace); made on first use.
    private var stageBuffers: [StageBuffer?]
    /// When set, pre-tokenized pieces are collected here instead of being encoded (`preTokenize(_:)`).
    private var collectedPieces: [[UInt8]]?

    private final class StageBuffer {
        var bytes: [UInt8] = []
    }

    /// `scratch`: the BPE work space and word cache to use (by default a new one owned by this encoder).
    init(_ pipeline: TokenizerPipeline, scratch: BPEScratch = BPEScratch()) {
        self.pipeline = pipeline
        self.scratch = scratch
        stages = pipeline.encoderStages
        stageBuffers = Array(repeating: nil, count: stages.count)
    }

    private func stageBuffer(_ level: Int) -> StageBuffer {
        if let b = stageBuffers[level] { return b }
        let b = StageBuffer()
        stageBuffers[level] = b
        return b
    }

    public func encode(_ text: String, addSpecialTokens: Bool = false) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count / 3 + 4)
        var text = text
        text.withUTF8 { encode(utf8: $0, addSpecialTokens: addSpecialTokens, into: &ids) }
        return ids
    }

    /// Appends the ids of the UTF-8 text to `ids`. The text must be valid UTF-8.
    public func encode(utf8 text: UnsafeBufferPointer<UInt8>, addSpecialTokens: Bool, into ids: inout [Int32]) {
        if addSpecialTokens { ids.append(contentsOf: pipeline.postProcessor.prefix) }
        if let p = text.baseAddress, text.count > 0 {
            CharacterClassTable.shared.withView { classes in
                pipeline.model.withView { model in
                    encodeText(p, text.count, classes, model, &ids)
                }
            }
        }
        if addSpecialTokens { ids.append(contentsOf: pipeline.postProcessor.suffix) }
    }

    /// The pieces the pre-tokenizer alone cuts `text` into (HF `pre_tokenizer.pre_tokenize_str`, with pieces as
    /// text rather than in the byte-level alphabet). No normalizer, no added tokens.
    public func preTokenize(_ text: String) -> [String] {
        collectedPieces = []
        defer { collectedPieces = nil }
        var text = text
        var ids: [Int32] = []
        text.withUTF8 { b in
            guard let p = b.baseAddress, b.count > 0 else { return }
            CharacterClassTable.shared.withView { classes in
                pipeline.model.withView { model in
                    preTokenize(0, p, 0, b.count, true, classes, model, &ids)
                }
            }
        }
        return collectedPieces!.map { String(decoding: $0, as: UTF8.self) }
    }

    private func encodeText(_ p: UnsafePointer<UInt8>, _ n: Int, _ classes: CharacterClassView,
                            _ model: BPEModelView, _ ids: inout [Int32]) {
        let added = pipeline.addedVocabulary
        guard !added.raw.isEmpty else {
            encodeSegment(p, n, isFirst: true, classes, model, &ids)
            return
        }
        segments.removeAll(keepingCapacity: true)
        added.split(p, n, with: added.raw, classes: classes, into: &segments)
        for s in segments {
            if s.token >= 0 {
                ids.append(added.tokens[s.token].id)
            } else if s.end > s.start {
                encodeSegment(p + s.start, s.end - s.start, isFirst: s.start == 0, classes, model, &ids)
            }
        }
    }

    /// Steps 2–4 for a text segment of the raw input.
    private func encodeSegment(_ p: UnsafePointer<UInt8>, _ n: Int, isFirst: Bool, _ classes: CharacterClassView,
                               _ model: BPEModelView, _ ids: inout [Int32]) {
        guard !pipeline.normalizer.isIdentity else {
            encodeNormalized(p, n, isFirst: isFirst, classes, model, &ids)
            return
        }
        pipeline.normalizer.normalize(UnsafeBufferPointer(start: p, count: n), into: &normalized,
                                       scratch: &normalizeScratch)
        let text = normalized
        text.withUnsafeBufferPointer { b in
            if let base = b.baseAddress, b.count > 0 {
                encodeNormalized(base, b.count, isFirst: isFirst, classes, model, &ids)
            }
        }
    }

    private func encodeNormalized(_ p: UnsafePointer<UInt8>, _ n: Int, isFirst: Bool, _ classes: CharacterClassView,
                                  _ model: BPEModelView, _ ids: inout [Int32]) {
        let added = pipeline.addedVocabulary
        guard !added.normalized.isEmpty else {
            preTokenize(0, p, 0, n, isFirst, classes, model, &ids)
            return
        }
        innerSegments.removeAll(keepingCapacity: true)
        added.split(p, n, with: added.normalized, classes: classes, into: &innerSegments)
        for s in innerSegments {
            if s.token >= 0 {
                ids.append(added.tokens[s.token].id)
            } else if s.end > s.start {
                preTokenize(0, p, s.start, s.end, isFirst && s.start == 0, classes, model, &ids)
            }
        }
    }

    /// Runs stage `level` on the piece `p[start..<end]` (non-empty) and everything after it on its sub-pieces.
    /// `isFirst`: the piece starts at offset 0 of the original text (Metaspace `prepend_scheme: first`).
    private func preTokenize(_ level: Int, _ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ isFirst: Bool,
                             _ classes: CharacterClassView, _ model: BPEModelView, _ ids: inout [Int32]) {
        if level == stages.count {
            if collectedPieces != nil {
                collectedPieces!.append(Array(UnsafeBufferPointer(start: p + start, count: end - start)))
            } else {
                model.encode(p + start, end - start, into: &ids, scratch: scratch)
            }
            return
        }
        switch stages[level] {
        case .split(let pattern):
            var i = start
            while i < end {
                let e = pattern.matchEnd(p, i, end, classes)
                preTokenize(level + 1, p, i, e, isFirst && i == start, classes, model, &ids)
                i = e
            }
        case .prefixSpace:
            // ByteLevel `add_prefix_space`: a piece not starting with a space gets one.
            if p[start] == 0x20 {
                preTokenize(level + 1, p, start, end, isFirst, classes, model, &ids)
            } else {
                let buffer = stageBuffer(level)
                buffer.bytes.removeAll(keepingCapacity: true)
                buffer.bytes.append(0x20)
                buffer.bytes.append(contentsOf: UnsafeBufferPointer(start: p + start, count: end - start))
                let bytes = buffer.bytes
                bytes.withUnsafeBufferPointer { b in
                    preTokenize(level + 1, b.baseAddress!, 0, b.count, isFirst, classes, model, &ids)
                }
            }
        case .digits(let individual):
            var i = start
            while i < end {
                var (c, l) = decodeScalar(p, i, end)
                var j = i + l
                let numeric = classes.classOf(c).contains(.number)
                if !numeric || !individual {
                    while j < end {
                        (c, l) = decodeScalar(p, j, end)
                        if classes.classOf(c).contains(.number) != numeric { break }
                        j += l
                    }
                }
                preTokenize(level + 1, p, i, j, isFirst && i == start, classes, model, &ids)
                i = j
            }
        case .metaspace(let replacement, let scheme, let split):
            let buffer = stageBuffer(level)
            buffer.bytes.removeAll(keepingCapacity: true)
            for k in start ..< end {
                if p[k] == 0x20 { buffer.bytes.append(contentsOf: replacement) } else { buffer.bytes.append(p[k]) }
            }
            let startsWithReplacement = buffer.bytes.starts(with: replacement)
            if !startsWithReplacement && (scheme == .always || (scheme == .first && isFirst)) {
                buffer.bytes.insert(contentsOf: replacement, at: 0)
            }
            let bytes = buffer.bytes
            bytes.withUnsafeBufferPointer { b in
                let q = b.baseAddress!
                guard split else {
                    preTokenize(level + 1, q, 0, b.count, isFirst, classes, model, &ids)
                    return
                }
                // Split before each replacement character (behaviour `MergedWithNext`).
                var pieceStart = 0
                var k = 0
                while k < b.count {
                    if k > pieceStart && q[k] == replacement[0] && matches(q, k, b.count, replacement) {
                        preTokenize(level + 1, q, pieceStart, k, isFirst && pieceStart == 0, classes, model, &ids)
                        pieceStart = k
                    }
                    k += 1
                }
                preTokenize(level + 1, q, pieceStart, b.count, isFirst && pieceStart == 0, classes, model, &ids)
            }
        }
    }
}

@inline(__always)
private func matches(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int, _ s: [UInt8]) -> Bool {
    guard i + s.count <= end else { return false }
    for k in 0 ..< s.count where p[i + k] != s[k] { return false }
    return true
}

/// Pre-tokenizer stages as the encoder runs them: `ByteLevel` becomes an optional prefix-space stage and an
/// optional GPT-2 split (its byte mapping is a no-op on raw-byte vocabularies), so Llama-3's
/// `Sequence[Split, ByteLevel(use_regex: false)]` is a single split.
enum EncoderStage: Sendable {
    case split(SplitPattern)
    case prefixSpace
    case digits(individual: Bool)
    case metaspace(replacement: [UInt8], scheme: PreTokenizer.PrependScheme, split: Bool)

    static func stages(for preTokenizer: PreTokenizer) -> [EncoderStage] {
        var stages: [EncoderStage] = []
        for s in preTokenizer.stages {
            switch s {
            case .split(let p): stages.append(.split(p))
            case .byteLevel(let addPrefixSpace, let useRegex):
                if addPrefixSpace { stages.append(.prefixSpace) }
                if useRegex { stages.append(.split(.gpt2)) }
            case .digits(let individual): stages.append(.digits(individual: individual))
            case .metaspace(let r, let scheme, let split):
                stages.append(.metaspace(replacement: r, scheme: scheme, split: split))
            }
        }
        return stages
    }
}

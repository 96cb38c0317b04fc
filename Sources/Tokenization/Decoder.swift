/// The `decoder` stage: turns token spellings back into text, as HF's `Decoder::decode` (each step's
/// `decode_chain` on the list of token strings, then concatenation).
/// Supported: `ByteLevel`, `Metaspace`, `Replace` (string pattern), `ByteFallback`, `Fuse`, `Strip`, `Sequence`.
/// Without a decoder HF joins tokens with spaces; so does this.
struct TokenDecoder: Sendable {
    enum Step: Sendable, Equatable {
        /// GPT-2 alphabet → bytes; a token with characters outside the alphabet passes through as its UTF-8.
        /// The concatenation is read as UTF-8 with U+FFFD replacement (Rust's `from_utf8_lossy`).
        case byteLevel
        /// Replacement character → space, except leading ones of the first token unless the scheme is `never`.
        case metaspace(replacement: [UInt8], prependScheme: PreTokenizer.PrependScheme)
        case replace(pattern: [UInt8], content: [UInt8])
        /// Runs of `<0xXX>` tokens → their bytes as UTF-8, or one U+FFFD per byte if not valid UTF-8 (not the
        /// maximal-subpart replacement of `from_utf8_lossy`).
        /// https://github.com/huggingface/tokenizers/blob/3ba8ad0061a885baf052bbb7bbd22857e73e0c4e/tokenizers/src/decoders/byte_fallback.rs
        case byteFallback
        case fuse
        /// Removes up to `start` leading and `stop` trailing `content` characters from each token.
        case strip(content: UInt32, start: Int, stop: Int)
    }

    let steps: [Step]
    let hasDecoder: Bool

    init(steps: [Step]) {
        self.steps = steps
        hasDecoder = true
    }

    init(_ configuration: DecoderConfiguration?, path: String) throws(TokenizerError) {
        var steps: [Step] = []
        func add(_ c: DecoderConfiguration) throws(TokenizerError) {
            switch c {
            case .sequence(let list): for item in list { try add(item) }
            case .byteLevel: steps.append(.byteLevel)
            case .metaspace(let replacement, let scheme):
                guard let s = PreTokenizer.PrependScheme(rawValue: scheme) else {
                    throw .invalidValue(path: path, key: "decoder.prepend_scheme",
                                        message: "expected first, always or never, found \(scheme)")
                }
                steps.append(.metaspace(replacement: Array(replacement.utf8), prependScheme: s))
            case .replace(.string(let pattern), let content) where !pattern.isEmpty:
                steps.append(.replace(pattern: Array(pattern.utf8), content: Array(content.utf8)))
            case .replace(let pattern, _):
                throw .unsupported(component: "decoder", type: "Replace(\(pattern.typeName))", path: path)
            case .byteFallback: steps.append(.byteFallback)
            case .fuse: steps.append(.fuse)
            case .strip(let content, let start, let stop):
                guard content.unicodeScalars.count == 1, start >= 0, stop >= 0 else {
                    throw .invalidValue(path: path, key: "decoder.content",
                                        message: "expected one character and non-negative counts")
                }
                steps.append(.strip(content: content.unicodeScalars.first!.value, start: start, stop: stop))
            case .other(let type):
                throw .unsupported(component: "decoder", type: type, path: path)
            }
        }
        hasDecoder = configuration != nil
        if let configuration { try add(configuration) }
        self.steps = steps
    }

    /// Decodes token spellings (valid UTF-8 each) into text.
    func decode(_ tokens: [[UInt8]]) -> String {
        guard hasDecoder else {
            return tokens.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
        }
        var tokens = tokens
        for step in steps { tokens = apply(step, tokens) }
        var out: [UInt8] = []
        for t in tokens { out += t }
        return String(decoding: out, as: UTF8.self)
    }

    private func apply(_ step: Step, _ tokens: [[UInt8]]) -> [[UInt8]] {
        switch step {
        case .byteLevel:
            var bytes: [UInt8] = []
            for t in tokens {
                if let raw = t.withUnsafeBufferPointer({ ByteLevelAlphabet.rawBytes(ofSpelling: $0) }) {
                    bytes += raw
                } else {
                    bytes += t
                }
            }
            return [Array(String(decoding: bytes, as: UTF8.self).utf8)]
        case .metaspace(let replacement, let scheme):
            return tokens.enumerated().map { (i, t) in
                var out: [UInt8] = []
                forEachScalar(t) { range, _ in
                    if t[range].elementsEqual(replacement) {
                        if !(i == 0 && scheme != .never) { out.append(0x20) }
                    } else {
                        out += t[range]
                    }
                }
                return out
            }
        case .replace(let pattern, let content):
            return tokens.map { replacing($0, pattern, content) }
        case .byteFallback:
            var out: [[UInt8]] = []
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if let s = String(validating: pending, as: UTF8.self) {
                    out.append(Array(s.utf8))
                } else {
                    for _ in pending { out.append(Array("\u{FFFD}".utf8)) }
                }
                pending.removeAll()
            }
            for t in tokens {
                if let b = byteFallbackValue(t) {
                    pending.append(b)
                } else {
                    flush()
                    out.append(t)
                }
            }
            flush()
            return out
        case .fuse:
            return [tokens.flatMap { $0 }]
        case .strip(let content, let start, let stop):
            return tokens.map { t in
                var scalars: [(Range<Int>, UInt32)] = []
                forEachScalar(t) { scalars.append(($0, $1)) }
                var lo = 0
                while lo < start && lo < scalars.count && scalars[lo].1 == content { lo += 1 }
                var hi = scalars.count
                var removed = 0
                while removed < stop && hi > lo && scalars[hi - 1].1 == content {
                    hi -= 1
                    removed += 1
                }
                guard lo < hi else { return [] }
                return Array(t[scalars[lo].0.lowerBound ..< scalars[hi - 1].0.upperBound])
            }
        }
    }
}

/// `<0x4A>` → 0x4A (HF: six bytes, `<0x` prefix, `>` suffix, two hex digits).
private func byteFallbackValue(_ t: [UInt8]) -> UInt8? {
    guard t.count == 6, t[0] == UInt8(ascii: "<"), t[1] == UInt8(ascii: "0"), t[2] == UInt8(ascii: "x"),
          t[5] == UInt8(ascii: ">") else { return nil }
    func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
    guard let hi = hex(t[3]), let lo = hex(t[4]) else { return nil }
    return hi << 4 | lo
}

private func forEachScalar(_ t: [UInt8], _ body: (Range<Int>, UInt32) -> Void) {
    t.withUnsafeBufferPointer { b in
        guard let p = b.baseAddress else { return }
        var i = 0
        while i < b.count {
            let (c, l) = decodeScalar(p, i, b.count)
            body(i ..< i + l, c)
            i += l
        }
    }
}

private func replacing(_ t: [UInt8], _ pattern: [UInt8], _ content: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var i = 0
    while i < t.count {
        if i + pattern.count <= t.count && t[i ..< i + pattern.count].elementsEqual(pattern) {
            out += content
            i += pattern.count
        } else {
            out.append(t[i])
            i += 1
        }
    }
    return out
}

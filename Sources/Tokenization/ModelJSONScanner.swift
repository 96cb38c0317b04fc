/// Reads `model.vocab` and `model.merges` of a `tokenizer.json` byte-exactly, and hands the rest of the document
/// (with those two members emptied) to `JSONDecoder` and the `Codable` configuration types.
///
/// Why not `Codable` for these two: a `[String: Int]` keys tokens by Swift `String` equality, which is canonical
/// equivalence, so tokens that differ only in Unicode normalization collapse (6 of Llama-2's 32,000 do), while HF
/// keys them by bytes. They are also 99% of the file, and reading them straight into flat byte lists is ~10×
/// faster than materialising 400k Swift strings.
struct ModelJSONScanner {
    struct Result {
        /// Vocabulary entries in document order (`ids[i]` is the id of `vocab[i]`); nil if `model.vocab` is absent
        /// or not an object (then left in the document for `Codable`).
        var vocab: ByteStringList?
        var vocabIds: [Int32] = []
        /// Two strings (left, right) per merge; nil if `model.merges` is absent or not an array.
        var merges: ByteStringList?
        /// The document with `model.vocab` replaced by `{}` and `model.merges` by `[]`.
        var remainder: [UInt8]
    }

    private let p: UnsafePointer<UInt8>
    private let n: Int
    private var i = 0
    private let path: String

    static func scan(_ json: UnsafeBufferPointer<UInt8>, path: String) throws(TokenizerError) -> Result {
        guard let base = json.baseAddress, json.count > 0 else {
            throw .malformed(path: path, message: "empty document")
        }
        var s = ModelJSONScanner(p: base, n: json.count, path: path)
        var result = Result(remainder: [])
        var cut: [(Range<Int>, String)] = []
        s.skipWhitespace()
        try s.expect(UInt8(ascii: "{"))
        try s.forEachMember { (s, key) throws(TokenizerError) in
            guard key == "model" else { return try s.skipValue(depth: 1) }
            s.skipWhitespace()
            guard s.peek == UInt8(ascii: "{") else { return try s.skipValue(depth: 1) }
            s.i += 1
            try s.forEachMember { (s, key) throws(TokenizerError) in
                s.skipWhitespace()
                let start = s.i
                if key == "vocab" && s.peek == UInt8(ascii: "{") {
                    let (list, ids) = try s.readVocabulary()
                    result.vocab = list
                    result.vocabIds = ids
                    cut.append((start ..< s.i, "{}"))
                } else if key == "merges" && s.peek == UInt8(ascii: "[") {
                    result.merges = try s.readMerges()
                    cut.append((start ..< s.i, "[]"))
                } else {
                    try s.skipValue(depth: 2)
                }
            }
        }
        s.skipWhitespace()
        guard s.i == s.n else { throw s.error("unexpected content after the top-level object") }
        var remainder: [UInt8] = []
        var last = 0
        for (range, replacement) in cut.sorted(by: { $0.0.lowerBound < $1.0.lowerBound }) {
            remainder.append(contentsOf: json[last ..< range.lowerBound])
            remainder.append(contentsOf: replacement.utf8)
            last = range.upperBound
        }
        remainder.append(contentsOf: json[last...])
        result.remainder = remainder
        return result
    }

    private init(p: UnsafePointer<UInt8>, n: Int, path: String) {
        self.p = p
        self.n = n
        self.path = path
    }

    private var peek: UInt8 { i < n ? p[i] : 0 }

    private func error(_ message: String) -> TokenizerError {
        .malformed(path: path, message: "\(message) at byte \(i)")
    }

    private mutating func skipWhitespace() {
        while i < n, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 }
    }

    private mutating func expect(_ c: UInt8) throws(TokenizerError) {
        skipWhitespace()
        guard i < n, p[i] == c else { throw error("expected '\(Character(Unicode.Scalar(c)))'") }
        i += 1
    }

    /// Iterates the members of an object whose `{` has been consumed; `body` must consume the value.
    private mutating func forEachMember(
        _ body: (inout ModelJSONScanner, String) throws(TokenizerError) -> Void
    ) throws(TokenizerError) {
        skipWhitespace()
        if peek == UInt8(ascii: "}") { i += 1; return }
        var key: [UInt8] = []
        while true {
            key.removeAll(keepingCapacity: true)
            skipWhitespace()
            try readString(into: &key)
            try expect(UInt8(ascii: ":"))
            try body(&self, String(decoding: key, as: UTF8.self))
            skipWhitespace()
            guard i < n else { throw error("unterminated object") }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "}") { i += 1; return }
            throw error("expected ',' or '}'")
        }
    }

    /// Reads a JSON string at `i`, appending its unescaped UTF-8 to `out`.
    private mutating func readString(into out: inout [UInt8]) throws(TokenizerError) {
        guard i < n, p[i] == UInt8(ascii: "\"") else { throw error("expected a string") }
        i += 1
        while true {
            var j = i
            while j < n && p[j] != UInt8(ascii: "\"") && p[j] != UInt8(ascii: "\\") { j += 1 }
            guard j < n else { throw error("unterminated string") }
            if j > i { out.append(contentsOf: UnsafeBufferPointer(start: p + i, count: j - i)) }
            i = j + 1
            if p[j] == UInt8(ascii: "\"") { return }
            guard i < n else { throw error("unterminated string") }
            let e = p[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var cp = try readHex4()
                if (0xD800 ..< 0xDC00).contains(cp) {
                    guard i + 1 < n, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired surrogate escape")
                    }
                    i += 2
                    let lo = try readHex4()
                    guard (0xDC00 ..< 0xE000).contains(lo) else { throw error("unpaired surrogate escape") }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                } else if (0xDC00 ..< 0xE000).contains(cp) {
                    throw error("unpaired surrogate escape")
                }
                appendUTF8(cp, to: &out)
            default:
                throw error("invalid escape")
            }
        }
    }

    private mutating func readHex4() throws(TokenizerError) -> UInt32 {
        guard i + 4 <= n else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0 ..< 4 {
            let c = p[i]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A") ... UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    private mutating func readInt32() throws(TokenizerError) -> Int32 {
        skipWhitespace()
        var v: Int64 = 0
        let start = i
        while i < n, p[i] >= UInt8(ascii: "0"), p[i] <= UInt8(ascii: "9") {
            v = v * 10 + Int64(p[i] - UInt8(ascii: "0"))
            guard v <= Int64(Int32.max) else { throw error("token id out of range") }
            i += 1
        }
        guard i > start else { throw error("expected a non-negative integer token id") }
        if i < n && (p[i] == UInt8(ascii: ".") || p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E")) {
            throw error("expected an integer token id")
        }
        return Int32(v)
    }

    private mutating func readVocabulary() throws(TokenizerError) -> (ByteStringList, [Int32]) {
        var list = ByteStringList()
        var ids: [Int32] = []
        i += 1  // {
        try forEachMemberRaw { (s, key) throws(TokenizerError) in
            list.append(key)
            ids.append(try s.readInt32())
        }
        return (list, ids)
    }

    /// Like `forEachMember` but passes the key bytes without building a `String`.
    private mutating func forEachMemberRaw(
        _ body: (inout ModelJSONScanner, ArraySlice<UInt8>) throws(TokenizerError) -> Void
    ) throws(TokenizerError) {
        skipWhitespace()
        if peek == UInt8(ascii: "}") { i += 1; return }
        var key: [UInt8] = []
        while true {
            key.removeAll(keepingCapacity: true)
            skipWhitespace()
            try readString(into: &key)
            try expect(UInt8(ascii: ":"))
            try body(&self, key[...])
            skipWhitespace()
            guard i < n else { throw error("unterminated object") }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "}") { i += 1; return }
            throw error("expected ',' or '}'")
        }
    }

    /// Merges are either `"left right"` strings (split on the single space, as HF does) or `["left", "right"]`.
    private mutating func readMerges() throws(TokenizerError) -> ByteStringList {
        var list = ByteStringList()
        var scratch: [UInt8] = []
        i += 1  // [
        skipWhitespace()
        if peek == UInt8(ascii: "]") { i += 1; return list }
        var index = 0
        while true {
            skipWhitespace()
            if peek == UInt8(ascii: "\"") {
                scratch.removeAll(keepingCapacity: true)
                try readString(into: &scratch)
                let spaces = scratch.indices.filter { scratch[$0] == 0x20 }
                guard spaces.count == 1 else {
                    throw TokenizerError.invalidValue(
                        path: path, key: "model.merges[\(index)]",
                        message: "expected \"left right\" with exactly one space, found \"\(String(decoding: scratch, as: UTF8.self))\"")
                }
                list.append(scratch[..<spaces[0]])
                list.append(scratch[(spaces[0] + 1)...])
            } else if peek == UInt8(ascii: "[") {
                i += 1
                for k in 0 ..< 2 {
                    if k == 1 { try expect(UInt8(ascii: ",")) }
                    skipWhitespace()
                    try list.appendBuilt { (bytes: inout [UInt8]) throws(TokenizerError) in try readString(into: &bytes) }
                }
                try expect(UInt8(ascii: "]"))
            } else {
                throw TokenizerError.invalidValue(path: path, key: "model.merges[\(index)]",
                                                  message: "expected a string or a two-element array")
            }
            index += 1
            skipWhitespace()
            guard i < n else { throw error("unterminated array") }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "]") { i += 1; return list }
            throw error("expected ',' or ']'")
        }
    }

    /// Skips any JSON value (validating only its structure).
    private mutating func skipValue(depth: Int) throws(TokenizerError) {
        guard depth < 512 else { throw error("nesting too deep") }
        skipWhitespace()
        guard i < n else { throw error("expected a value") }
        switch p[i] {
        case UInt8(ascii: "\""):
            i += 1
            while i < n && p[i] != UInt8(ascii: "\"") { i += p[i] == UInt8(ascii: "\\") ? 2 : 1 }
            guard i < n else { throw error("unterminated string") }
            i += 1
        case UInt8(ascii: "{"):
            i += 1
            var key: [UInt8] = []
            skipWhitespace()
            if peek == UInt8(ascii: "}") { i += 1; return }
            while true {
                key.removeAll(keepingCapacity: true)
                skipWhitespace()
                try readString(into: &key)
                try expect(UInt8(ascii: ":"))
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard i < n else { throw error("unterminated object") }
                if p[i] == UInt8(ascii: ",") { i += 1; continue }
                if p[i] == UInt8(ascii: "}") { i += 1; return }
                throw error("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            skipWhitespace()
            if peek == UInt8(ascii: "]") { i += 1; return }
            while true {
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard i < n else { throw error("unterminated array") }
                if p[i] == UInt8(ascii: ",") { i += 1; continue }
                if p[i] == UInt8(ascii: "]") { i += 1; return }
                throw error("expected ',' or ']'")
            }
        default:
            // number, true, false, null
            let start = i
            while i < n {
                let c = p[i]
                if c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || c == 0x20
                    || c == 0x0A || c == 0x0D || c == 0x09 { break }
                i += 1
            }
            guard i > start else { throw error("expected a value") }
        }
    }
}

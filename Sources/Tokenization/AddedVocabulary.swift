/// HF `AddedVocabulary`: tokens found in the text before the model runs.
/// https://github.com/huggingface/tokenizers/blob/3ba8ad0061a885baf052bbb7bbd22857e73e0c4e/tokenizers/src/tokenizer/added_vocabulary.rs
///
/// - Tokens with `normalized: false` are matched on the raw text first; tokens with `normalized: true` are then
///   matched on the normalized remainder, against their *normalized* content (Llama-2's `<s>` becomes `▁<s>`
///   under its `Prepend("▁")` normalizer, so it only matches after a space or at the start).
/// - Matching is leftmost-longest (HF uses a daachorse Aho-Corasick automaton with `LeftmostLongest`) and resumes
///   after the match, also when the match is then discarded by `single_word`.
/// - `single_word`: discarded if a word character (`\w`) touches either end.
/// - `lstrip`: the token absorbs the whitespace before it (not beyond the previous match); `rstrip`: the
///   whitespace after it.
struct AddedVocabulary: Sendable {
    struct Token: Sendable, Equatable {
        var id: Int32
        var content: String
        /// What is matched: the content, or for `normalized` tokens the normalizer's output on it.
        var pattern: [UInt8]
        var singleWord: Bool
        var lstrip: Bool
        var rstrip: Bool
        var normalized: Bool
        var special: Bool
    }

    let tokens: [Token]
    /// Content (UTF-8) → id.
    private let idByContent: [[UInt8]: Int32]
    /// Matches `normalized: false` tokens on raw text.
    let raw: TokenMatcher
    /// Matches `normalized: true` tokens on normalized text.
    let normalized: TokenMatcher

    /// Registers the tokens as HF's `add_tokens` does when loading a file: the `id` written in the file is not
    /// used; a token takes the model's id for its content, else the next id from the model's vocabulary size.
    /// A repeated content with different flags replaces the earlier definition.
    init(_ configurations: [AddedTokenConfiguration], normalizer: Normalizer, modelVocabularyCount: Int,
         modelId: ([UInt8]) -> Int32?) {
        var byContent: [[UInt8]: Int] = [:]
        var tokens: [Token] = []
        var nextId = Int32(modelVocabularyCount)
        for c in configurations where !c.content.isEmpty {
            let content = Array(c.content.utf8)
            let pattern = c.normalized && !normalizer.isIdentity ? normalizer.normalize(c.content) : content
            var t = Token(id: 0, content: c.content, pattern: pattern, singleWord: c.singleWord,
                          lstrip: c.lstrip, rstrip: c.rstrip, normalized: c.normalized, special: c.special)
            if let i = byContent[content] {
                t.id = tokens[i].id
                tokens[i] = t
                continue
            }
            if let id = modelId(content) {
                t.id = id
            } else {
                t.id = nextId
                nextId += 1
            }
            byContent[content] = tokens.count
            tokens.append(t)
        }
        self.tokens = tokens
        idByContent = byContent.mapValues { tokens[$0].id }
        raw = TokenMatcher(tokens.enumerated().filter { !$0.element.normalized }.map { ($0.element.pattern, $0.offset) })
        normalized = TokenMatcher(tokens.enumerated().filter { $0.element.normalized }.map { ($0.element.pattern, $0.offset) })
    }

    /// The id of the added token with this content.
    func id(ofContent content: [UInt8]) -> Int32? { idByContent[content] }

    /// A piece of a split text: `token` is an index into `tokens`, or -1 for plain text.
    struct Segment: Equatable {
        var start: Int
        var end: Int
        var token: Int
    }

    /// HF `find_matches`: splits `text[0..<n]` into segments covering it (text segments may be empty only when
    /// the text is). `segments` is appended to.
    func split(_ p: UnsafePointer<UInt8>, _ n: Int, with matcher: TokenMatcher, classes: CharacterClassView,
               into segments: inout [Segment]) {
        var startOffset = 0
        var searchFrom = 0
        while let (s, e, index) = matcher.leftmostLongest(p, from: searchFrom, n) {
            searchFrom = e
            let t = tokens[index]
            if t.singleWord {
                let startSpace = s == 0 || !endsWithWord(p, before: s, classes)
                let stopSpace = e == n || !startsWithWord(p, at: e, n, classes)
                if !startSpace || !stopSpace { continue }
            }
            var start = s
            var stop = e
            if t.lstrip {
                start = max(trailingWhitespaceStart(p, before: s, classes), startOffset)
            }
            if t.rstrip {
                stop = leadingWhitespaceEnd(p, from: e, n, classes)
            }
            if startOffset < start { segments.append(Segment(start: startOffset, end: start, token: -1)) }
            segments.append(Segment(start: start, end: stop, token: index))
            startOffset = stop
        }
        if startOffset != n { segments.append(Segment(start: startOffset, end: n, token: -1)) }
    }
}

private func endsWithWord(_ p: UnsafePointer<UInt8>, before i: Int, _ classes: CharacterClassView) -> Bool {
    let j = previousScalarStart(p, before: i, from: 0)
    return classes.classOf(decodeScalar(p, j, i).0).contains(.word)
}

private func startsWithWord(_ p: UnsafePointer<UInt8>, at i: Int, _ n: Int, _ classes: CharacterClassView) -> Bool {
    classes.classOf(decodeScalar(p, i, n).0).contains(.word)
}

/// Start of the whitespace run that ends at `i` (`\s*$` on `text[..i]`).
private func trailingWhitespaceStart(_ p: UnsafePointer<UInt8>, before i: Int, _ classes: CharacterClassView) -> Int {
    var k = i
    while k > 0 {
        let j = previousScalarStart(p, before: k, from: 0)
        if !classes.classOf(decodeScalar(p, j, k).0).contains(.whitespace) { break }
        k = j
    }
    return k
}

/// End of the whitespace run that starts at `i` (`^\s*` on `text[i..]`).
private func leadingWhitespaceEnd(_ p: UnsafePointer<UInt8>, from i: Int, _ n: Int, _ classes: CharacterClassView) -> Int {
    var k = i
    while k < n {
        let (c, l) = decodeScalar(p, k, n)
        if !classes.classOf(c).contains(.whitespace) { break }
        k += l
    }
    return k
}

/// A byte trie over token patterns with leftmost-longest search.
struct TokenMatcher: Sendable {
    /// Whether any pattern starts with this byte (the scan skips other positions with one table lookup).
    private let firstByte: [Bool]
    /// Node `k`'s edges are `edgeByte/edgeChild[edgeStart[k] ..< edgeStart[k + 1]]`.
    private let edgeStart: [Int32]
    private let edgeByte: [UInt8]
    private let edgeChild: [Int32]
    /// The value (token index) of the pattern ending at node `k`, or -1.
    private let terminal: [Int32]

    var isEmpty: Bool { terminal.count <= 1 }

    init(_ patterns: [([UInt8], Int)]) {
        var children: [[UInt8: Int]] = [[:]]
        var terminal: [Int32] = [-1]
        for (pattern, value) in patterns where !pattern.isEmpty {
            var node = 0
            for b in pattern {
                if let c = children[node][b] {
                    node = c
                } else {
                    children.append([:])
                    terminal.append(-1)
                    children[node][b] = children.count - 1
                    node = children.count - 1
                }
            }
            terminal[node] = Int32(value)
        }
        var first = [Bool](repeating: false, count: 256)
        for b in children[0].keys { first[Int(b)] = true }
        var edgeStart: [Int32] = [0]
        var edgeByte: [UInt8] = []
        var edgeChild: [Int32] = []
        for node in children {
            for (b, c) in node.sorted(by: { $0.key < $1.key }) {
                edgeByte.append(b)
                edgeChild.append(Int32(c))
            }
            edgeStart.append(Int32(edgeByte.count))
        }
        self.firstByte = first
        self.edgeStart = edgeStart
        self.edgeByte = edgeByte
        self.edgeChild = edgeChild
        self.terminal = terminal
    }

    /// The leftmost match starting at or after `from`, longest among those starting there:
    /// (start, end, value).
    func leftmostLongest(_ p: UnsafePointer<UInt8>, from: Int, _ n: Int) -> (Int, Int, Int)? {
        if isEmpty { return nil }
        return firstByte.withUnsafeBufferPointer { first -> (Int, Int, Int)? in
            var i = from
            while i < n {
                if first[Int(p[i])] {
                    var node = 0
                    var j = i
                    var best: (Int, Int)? = nil
                    while j < n {
                        let a = Int(edgeStart[node]), b = Int(edgeStart[node + 1])
                        var child = -1
                        var k = a
                        while k < b {
                            if edgeByte[k] == p[j] {
                                child = Int(edgeChild[k])
                                break
                            }
                            k += 1
                        }
                        if child < 0 { break }
                        node = child
                        j += 1
                        if terminal[node] >= 0 { best = (j, Int(terminal[node])) }
                    }
                    if let (end, value) = best { return (i, end, value) }
                }
                i += 1
            }
            return nil
        }
    }
}

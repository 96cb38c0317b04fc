/// Hand-written matchers for the pre-tokenization regexes found in `tokenizer.json` files, recognised by their
/// exact pattern string. Each matcher returns, for a match starting at `start`, where it ends; splitting a piece
/// with behaviour `Isolated` is then "match, advance, repeat" (every scalar is matched by some alternative, so
/// there are no gaps).
///
/// The alternatives are tried in order, as a backtracking engine (Oniguruma, used by HF `tokenizers`' default
/// build, see https://github.com/huggingface/tokenizers/blob/3ba8ad0061a885baf052bbb7bbd22857e73e0c4e/tokenizers/src/utils/mod.rs)
/// does, with the consequences spelled out next to each case:
/// - `\s+(?!\S)` backtracks: a whitespace run followed by a non-space gives up its last scalar (which then
///   starts the next match, e.g. `" word"`); a run at the end of the piece is kept whole;
/// - `\s*[\r\n]+` ends right after the last CR/LF of the whitespace run;
/// - `(?i:'s|...)` is case-insensitive with Unicode simple case folding: `'ſ` (U+017F) matches `'s`.
enum SplitPattern: String, Sendable, CaseIterable {
    /// GPT-2 (also ByteLevel's built-in regex when `use_regex` is true:
    /// https://github.com/huggingface/tokenizers/blob/3ba8ad0061a885baf052bbb7bbd22857e73e0c4e/tokenizers/src/pre_tokenizers/byte_level.rs).
    case gpt2 = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    /// Llama-3 (tiktoken cl100k-style, numbers in groups of up to three).
    case llama3 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// Qwen2 / Qwen2.5 / Qwen3: Llama-3's pattern with single digits.
    case qwen2 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The end of the match starting at `start` (`start < end`); always `> start`.
    @inline(__always)
    func matchEnd(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ classes: CharacterClassView) -> Int {
        switch self {
        case .gpt2: return gpt2MatchEnd(p, start, end, classes)
        case .llama3: return llama3MatchEnd(p, start, end, classes, maxDigits: 3)
        case .qwen2: return llama3MatchEnd(p, start, end, classes, maxDigits: 1)
        }
    }
}

private let apostrophe: UInt32 = 0x27
private let space: UInt32 = 0x20
private let cr: UInt32 = 0x0D
private let lf: UInt32 = 0x0A

/// Scalars that are neither whitespace, letters nor numbers (`[^\s\p{L}\p{N}]`).
private let wln: CharacterClass = [.whitespace, .letter, .number]

@inline(__always)
private func runEnd(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int, _ classes: CharacterClassView,
                    _ wanted: CharacterClass) -> Int {
    var j = i
    while j < end {
        let (c, l) = classes.classAt(p, j, end)
        if !c.contains(wanted) { break }
        j += l
    }
    return j
}

@inline(__always)
private func otherRunEnd(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int, _ classes: CharacterClassView) -> Int {
    var j = i
    while j < end {
        let (c, l) = classes.classAt(p, j, end)
        if !c.isDisjoint(with: wln) { break }
        j += l
    }
    return j
}

/// `\s+(?!\S)|\s+` at a whitespace scalar: the run, less its last scalar when a non-space follows and the run
/// has at least two scalars.
@inline(__always)
private func whitespaceMatchEnd(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int,
                                _ classes: CharacterClassView) -> Int {
    var j = start
    var lastStart = start
    while j < end {
        let (c, l) = decodeScalar(p, j, end)
        if !classes.classOf(c).contains(.whitespace) { break }
        lastStart = j
        j += l
    }
    if j == end || lastStart == start { return j }
    return lastStart
}

/// The GPT-2 contractions, case-sensitive: `'s 't 'm 'd` (2 bytes) and `'re 've 'll` (3 bytes); 0 if none.
@inline(__always)
private func gpt2ContractionLength(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
    guard start + 1 < end else { return 0 }
    switch p[start + 1] {
    case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"): return 2
    case UInt8(ascii: "r"), UInt8(ascii: "v"):
        return start + 2 < end && p[start + 2] == UInt8(ascii: "e") ? 3 : 0
    case UInt8(ascii: "l"):
        return start + 2 < end && p[start + 2] == UInt8(ascii: "l") ? 3 : 0
    default: return 0
    }
}

private func gpt2MatchEnd(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ classes: CharacterClassView) -> Int {
    let (c0, l0) = decodeScalar(p, start, end)
    if c0 == apostrophe {
        let n = gpt2ContractionLength(p, start, end)
        if n > 0 { return start + n }
    }
    var f0 = classes.classOf(c0)
    var i = start
    // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional ASCII space joins the run that follows it.
    if c0 == space && start + 1 < end {
        let (c1, _) = decodeScalar(p, start + 1, end)
        let f1 = classes.classOf(c1)
        if !f1.contains(.whitespace) {
            f0 = f1
            i = start + 1
        }
    }
    if f0.contains(.letter) { return runEnd(p, i, end, classes, .letter) }
    if f0.contains(.number) { return runEnd(p, i, end, classes, .number) }
    if f0.isDisjoint(with: wln) { return otherRunEnd(p, i, end, classes) }
    _ = l0
    return whitespaceMatchEnd(p, start, end, classes)
}

/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)` with Unicode simple case folding (only `ſ` folds onto one of these letters).
@inline(__always)
private func caseInsensitiveContractionLength(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
    guard start + 1 < end else { return 0 }
    let (c1, l1) = decodeScalar(p, start + 1, end)
    switch c1 | (c1 < 0x80 ? 0x20 : 0) {
    case 0x73, 0x74, 0x6D, 0x64, 0x17F: // s t m d ſ
        return 1 + l1
    case 0x72, 0x76: // r v, then e
        let k = start + 1 + l1
        return k < end && p[k] | 0x20 == UInt8(ascii: "e") ? 3 : 0
    case 0x6C: // l, then l
        let k = start + 1 + l1
        return k < end && p[k] | 0x20 == UInt8(ascii: "l") ? 3 : 0
    default:
        return 0
    }
}

private func llama3MatchEnd(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ classes: CharacterClassView,
                            maxDigits: Int) -> Int {
    let (c0, l0) = decodeScalar(p, start, end)
    if c0 == apostrophe {
        let n = caseInsensitiveContractionLength(p, start, end)
        if n > 0 { return start + n }
    }
    let f0 = classes.classOf(c0)
    // `[^\r\n\p{L}\p{N}]?\p{L}+`
    if f0.contains(.letter) { return runEnd(p, start, end, classes, .letter) }
    let next: (UInt32, CharacterClass)? = {
        guard start + l0 < end else { return nil }
        let (c1, _) = decodeScalar(p, start + l0, end)
        return (c1, classes.classOf(c1))
    }()
    if c0 != cr && c0 != lf && !f0.contains(.number), let (_, f1) = next, f1.contains(.letter) {
        return runEnd(p, start + l0, end, classes, .letter)
    }
    // `\p{N}{1,3}` (Llama-3) or `\p{N}` (Qwen2)
    if f0.contains(.number) {
        var j = start + l0
        var count = 1
        while count < maxDigits && j < end {
            let (c, l) = decodeScalar(p, j, end)
            if !classes.classOf(c).contains(.number) { break }
            j += l
            count += 1
        }
        return j
    }
    // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
    var otherStart = -1
    if f0.isDisjoint(with: wln) {
        otherStart = start
    } else if c0 == space, let (_, f1) = next, f1.isDisjoint(with: wln) {
        otherStart = start + 1
    }
    if otherStart >= 0 {
        var j = otherRunEnd(p, otherStart, end, classes)
        while j < end && (p[j] == 0x0D || p[j] == 0x0A) { j += 1 }
        return j
    }
    // c0 is whitespace. `\s*[\r\n]+`: up to and including the last CR/LF of the whitespace run.
    var j = start
    var afterLastNewline = -1
    var lastStart = start
    while j < end {
        let (c, l) = decodeScalar(p, j, end)
        if !classes.classOf(c).contains(.whitespace) { break }
        if c == cr || c == lf { afterLastNewline = j + 1 }
        lastStart = j
        j += l
    }
    if afterLastNewline >= 0 { return afterLastNewline }
    // `\s+(?!\S)|\s+`
    if j == end || lastStart == start { return j }
    return lastStart
}

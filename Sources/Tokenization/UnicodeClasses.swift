/// Character classes used by the pre-tokenizer patterns and the added-token word-boundary checks, looked up per
/// Unicode scalar from a two-level table built once from the standard library's Unicode properties.
///
/// - `letter`: general category L* (`\p{L}`), `number`: N* (`\p{N}`, also Rust's `char::is_numeric`),
/// - `whitespace`: the White_Space property (`\s` in Rust `regex`, and Oniguruma's `\s` in Unicode mode),
/// - `word`: Rust `regex`'s Unicode `\w` = Alphabetic ∪ M* ∪ Nd ∪ Pc ∪ Join_Control (used by `single_word`).
struct CharacterClass: OptionSet, Sendable {
    let rawValue: UInt8
    static let letter = CharacterClass(rawValue: 1)
    static let number = CharacterClass(rawValue: 2)
    static let whitespace = CharacterClass(rawValue: 4)
    static let word = CharacterClass(rawValue: 8)
}

/// The lookup table: `blocks[Int(blockIndex[cp >> 8]) << 8 | cp & 0xFF]` holds the class bits of `cp`, for
/// `cp < tableLimit` (planes 0–1: every modern script, symbols and emoji); identical 256-scalar blocks are stored once.
struct CharacterClassTable: Sendable {
    static let tableLimit: UInt32 = 0x20000

    let blockIndex: [UInt16]
    let blocks: [UInt8]

    static let shared = CharacterClassTable()

    private init() {
        var index = [UInt16](repeating: 0, count: Int(Self.tableLimit >> 8))
        var blocks: [UInt8] = []
        var known: [[UInt8]: UInt16] = [:]
        var block = [UInt8](repeating: 0, count: 256)
        for hi in 0..<Int(Self.tableLimit >> 8) {
            for lo in 0..<256 {
                block[lo] = Self.classify(UInt32(hi << 8 | lo)).rawValue
            }
            if let existing = known[block] {
                index[hi] = existing
            } else {
                let id = UInt16(known.count)
                known[block] = id
                index[hi] = id
                blocks.append(contentsOf: block)
            }
        }
        self.blockIndex = index
        self.blocks = blocks
    }

    @inline(never)
    static func classify(_ cp: UInt32) -> CharacterClass {
        guard let scalar = Unicode.Scalar(cp) else { return [] }
        let p = scalar.properties
        var c: CharacterClass = []
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            c.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber:
            c.insert(.number)
        default:
            break
        }
        if p.isWhitespace { c.insert(.whitespace) }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation:
            c.insert(.word)
        default:
            if p.isAlphabetic || p.isJoinControl { c.insert(.word) }
        }
        return c
    }
}

/// Unsafe views of `CharacterClassTable.shared`, valid while the (immortal) shared table lives.
struct CharacterClassView {
    let blockIndex: UnsafeBufferPointer<UInt16>
    let blocks: UnsafeBufferPointer<UInt8>

    /// The class and length of the scalar at `p[i]` (`i < end`), with a one-load path for ASCII (block 0 is
    /// stored first, so `blocks[b]` is the class of ASCII byte `b`).
    @inline(__always)
    func classAt(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> (CharacterClass, Int) {
        let b = p[i]
        if b < 0x80 { return (CharacterClass(rawValue: blocks[Int(b)]), 1) }
        let (c, l) = decodeScalar(p, i, end)
        return (classOf(c), l)
    }

    @inline(__always)
    func classOf(_ cp: UInt32) -> CharacterClass {
        guard cp < CharacterClassTable.tableLimit else { return CharacterClassTable.classify(cp) }
        return CharacterClass(rawValue: blocks[Int(blockIndex[Int(cp >> 8)]) << 8 | Int(cp & 0xFF)])
    }
}

extension CharacterClassTable {
    func withView<R>(_ body: (CharacterClassView) throws -> R) rethrows -> R {
        try blockIndex.withUnsafeBufferPointer { bi in
            try blocks.withUnsafeBufferPointer { b in
                try body(CharacterClassView(blockIndex: bi, blocks: b))
            }
        }
    }
}

/// Decodes the scalar starting at `i` (which must be `< end`). Returns the scalar value and its length in bytes.
/// Input is expected to be valid UTF-8 (it comes from Swift strings); a malformed or truncated sequence decodes
/// as U+FFFD of length 1 so scanning always advances.
@inline(__always)
func decodeScalar(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> (UInt32, Int) {
    let b0 = UInt32(p[i])
    if b0 < 0x80 { return (b0, 1) }
    if b0 < 0xE0 {
        guard b0 >= 0xC2, i + 1 < end else { return (0xFFFD, 1) }
        return ((b0 & 0x1F) << 6 | UInt32(p[i + 1]) & 0x3F, 2)
    }
    if b0 < 0xF0 {
        guard i + 2 < end else { return (0xFFFD, 1) }
        return ((b0 & 0x0F) << 12 | (UInt32(p[i + 1]) & 0x3F) << 6 | UInt32(p[i + 2]) & 0x3F, 3)
    }
    guard b0 < 0xF5, i + 3 < end else { return (0xFFFD, 1) }
    return ((b0 & 0x07) << 18 | (UInt32(p[i + 1]) & 0x3F) << 12 | (UInt32(p[i + 2]) & 0x3F) << 6
            | UInt32(p[i + 3]) & 0x3F, 4)
}

/// The start of the scalar that ends just before `i` (`i > start`).
@inline(__always)
func previousScalarStart(_ p: UnsafePointer<UInt8>, before i: Int, from start: Int) -> Int {
    var j = i - 1
    while j > start && p[j] & 0xC0 == 0x80 && i - j < 4 { j -= 1 }
    return j
}

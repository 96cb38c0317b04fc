/// Tokens of a template, after whitespace control has been applied to the text between tags.
enum TokenKind: Equatable, Sendable {
    case text(String)
    case variableBegin, variableEnd
    case blockBegin, blockEnd
    case name(String)
    case string(String)
    case integer(Int)
    case float(Double)
    /// An operator or punctuation: `+ - * / // % ** ~ [ ] ( ) { } == != > >= < <= = . : | , ;`
    case op(String)
    case eof
}

struct Token: Sendable {
    var kind: TokenKind
    var location: SourceLocation
}

/// The jinja2 lexer with transformers' settings: `trim_blocks=True`, `lstrip_blocks=True`,
/// `keep_trailing_newline=False`, default delimiters, no line statements.
///
/// Mirrors `jinja2/lexer.py` (3.1.6) `Lexer.tokeniter`: newlines are normalised to `\n` and one trailing newline is
/// dropped; `{%-`/`{{-`/`{#-` strip all whitespace before the tag, `-%}`/`-}}`/`-#}` all whitespace after it;
/// `%}` and `#}` swallow one following `\n` unless written `+%}`/`+#}`; `{%`/`{#` (not `{{`, not `{%+`) strip the
/// spaces and tabs before them when only whitespace stands between them and the start of the line.
struct Lexer {
    private let src: [Unicode.Scalar]
    private var pos = 0
    private var line = 1
    private var lineStart = 0
    private var tokens: [Token] = []
    /// Whether the previous match ended with a newline (jinja2's `line_starting`); true at the start.
    private var lineStarting = true
    private let templateName: String

    static func tokenize(_ source: String, templateName: String) throws -> [Token] {
        var lexer = Lexer(source: source, templateName: templateName)
        try lexer.run()
        return lexer.tokens
    }

    private init(source: String, templateName: String) {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(source.unicodeScalars.count)
        var it = source.unicodeScalars.makeIterator()
        var pending = it.next()
        while let u = pending {
            pending = it.next()
            if u == "\r" {
                scalars.append("\n")
                if pending == "\n" { pending = it.next() }
            } else {
                scalars.append(u)
            }
        }
        if scalars.last == "\n" { scalars.removeLast() }
        self.src = scalars
        self.templateName = templateName
    }

    private var location: SourceLocation { SourceLocation(line: line, column: pos - lineStart + 1) }

    private func error(_ message: String, at loc: SourceLocation? = nil) -> TemplateError {
        TemplateError(.syntax, message, templateName: templateName, location: loc ?? location)
    }

    /// Moves to `newPos`, counting newlines for positions.
    private mutating func advance(to newPos: Int) {
        while pos < newPos {
            if src[pos] == "\n" { line += 1; lineStart = pos + 1 }
            pos += 1
        }
    }

    private func at(_ i: Int, _ s: String) -> Bool {
        var j = i
        for u in s.unicodeScalars {
            guard j < src.count, src[j] == u else { return false }
            j += 1
        }
        return true
    }

    private func skipWhitespace(from i: Int) -> Int {
        var j = i
        while j < src.count, isPythonWhitespace(src[j]) { j += 1 }
        return j
    }

    private mutating func run() throws {
        while pos < src.count {
            guard let (tagStart, kind) = findTag(from: pos) else {
                emitText(pos, src.count)
                advance(to: src.count)
                break
            }
            let sign: Unicode.Scalar? = tagStart + 2 < src.count && (src[tagStart + 2] == "-" || src[tagStart + 2] == "+")
                ? src[tagStart + 2] : nil
            try emitTextBeforeTag(from: pos, to: tagStart, sign: sign, lstripAllowed: kind != .variable)
            advance(to: tagStart)
            let tagLocation = location
            switch kind {
            case .raw(let contentStart):
                advance(to: contentStart)
                lineStarting = src[contentStart - 1] == "\n"
                try lexRawBody()
            case .comment:
                advance(to: tagStart + 2 + (sign == nil ? 0 : 1))
                try lexCommentEnd(start: tagLocation)
            case .variable:
                tokens.append(Token(kind: .variableBegin, location: tagLocation))
                advance(to: tagStart + 2 + (sign == nil ? 0 : 1))
                try lexTag(isBlock: false, start: tagLocation)
            case .block:
                tokens.append(Token(kind: .blockBegin, location: tagLocation))
                advance(to: tagStart + 2 + (sign == nil ? 0 : 1))
                try lexTag(isBlock: true, start: tagLocation)
            }
        }
        tokens.append(Token(kind: .eof, location: location))
    }

    private enum TagKind: Equatable {
        case raw(contentStart: Int)
        case comment, variable, block
    }

    /// The next `{{`, `{%` or `{#` at or after `i`; a `{% raw %}` tag is recognised first, as jinja2's root regex does.
    private func findTag(from i: Int) -> (Int, TagKind)? {
        var j = i
        while j + 1 < src.count {
            if src[j] == "{" {
                switch src[j + 1] {
                case "{": return (j, .variable)
                case "#": return (j, .comment)
                case "%":
                    if let contentStart = matchRawBegin(j) { return (j, .raw(contentStart: contentStart)) }
                    return (j, .block)
                default: break
                }
            }
            j += 1
        }
        return nil
    }

    /// `{%(-|+|)\s*raw\s*(-%}\s*|%})` at `i`; returns where the raw content starts.
    private func matchRawBegin(_ i: Int) -> Int? {
        var j = i + 2
        if j < src.count, src[j] == "-" || src[j] == "+" { j += 1 }
        j = skipWhitespace(from: j)
        guard at(j, "raw") else { return nil }
        j = skipWhitespace(from: j + 3)
        if at(j, "-%}") { return skipWhitespace(from: j + 3) }
        if at(j, "%}") { return j + 2 }
        return nil
    }

    private mutating func emitText(_ a: Int, _ b: Int) {
        guard a < b else { return }
        var s = String.UnicodeScalarView()
        s.append(contentsOf: src[a..<b])
        tokens.append(Token(kind: .text(String(s)), location: location))
    }

    /// Emits the text before a tag after applying `-`, `+` and lstrip_blocks (jinja2's `OptionalLStrip`).
    private mutating func emitTextBeforeTag(from a: Int, to b: Int, sign: Unicode.Scalar?, lstripAllowed: Bool) throws {
        var end = b
        if sign == "-" {
            while end > a, isPythonWhitespace(src[end - 1]) { end -= 1 }
        } else if sign != "+" && lstripAllowed {
            var lineBegin = b
            while lineBegin > a, src[lineBegin - 1] != "\n" { lineBegin -= 1 }
            let afterNewline = lineBegin > a
            if (afterNewline || lineStarting) && lineBegin < b && (lineBegin..<b).allSatisfy({ isPythonWhitespace(src[$0]) }) {
                end = lineBegin
            }
        }
        emitText(a, end)
    }

    /// Finds the end of a comment: `+#}` keeps what follows, `-#}` strips following whitespace, `#}` eats one `\n`.
    private mutating func lexCommentEnd(start: SourceLocation) throws {
        var j = pos
        while j + 1 < src.count, !(src[j] == "#" && src[j + 1] == "}") { j += 1 }
        guard j + 1 < src.count else { throw error("Missing end of comment tag", at: start) }
        let before: Unicode.Scalar? = j > pos ? src[j - 1] : nil
        try finishTag(endIndex: j + 2, sign: before == "-" || before == "+" ? before : nil, trimNewline: true)
    }

    /// After a tag's closing delimiter at `endIndex`: apply `-` (strip all whitespace) or trim_blocks (one `\n`).
    private mutating func finishTag(endIndex: Int, sign: Unicode.Scalar?, trimNewline: Bool) throws {
        var end = endIndex
        if sign == "-" {
            end = skipWhitespace(from: end)
        } else if sign != "+" && trimNewline && end < src.count && src[end] == "\n" {
            end += 1
        }
        advance(to: end)
        lineStarting = end > 0 && src[end - 1] == "\n"
    }

    /// Raw content up to `{%(-|+|)\s*endraw\s*(+%}|-%}\s*|%}\n?)`, with lstrip applied before the end tag.
    private mutating func lexRawBody() throws {
        let start = location
        var j = pos
        while j + 1 < src.count {
            if src[j] == "{" && src[j + 1] == "%" {
                var k = j + 2
                var sign: Unicode.Scalar?
                if k < src.count, src[k] == "-" || src[k] == "+" { sign = src[k]; k += 1 }
                k = skipWhitespace(from: k)
                if at(k, "endraw") {
                    k = skipWhitespace(from: k + 6)
                    var closeSign: Unicode.Scalar?
                    if k < src.count, src[k] == "-" || src[k] == "+" { closeSign = src[k]; k += 1 }
                    if at(k, "%}") {
                        try emitTextBeforeTag(from: pos, to: j, sign: sign, lstripAllowed: true)
                        advance(to: k)
                        try finishTag(endIndex: k + 2, sign: closeSign, trimNewline: true)
                        return
                    }
                }
            }
            j += 1
        }
        throw error("Missing end of raw directive", at: start)
    }

    /// Tokens inside `{{ … }}` or `{% … %}` up to the closing delimiter (only recognised outside brackets).
    private mutating func lexTag(isBlock: Bool, start: SourceLocation) throws {
        var brackets: [Unicode.Scalar] = []
        while true {
            guard pos < src.count else {
                throw error("unexpected end of template, expected '\(isBlock ? "end of statement block" : "end of print statement")'", at: start)
            }
            if brackets.isEmpty, let (endIndex, sign) = matchTagEnd(isBlock: isBlock) {
                tokens.append(Token(kind: isBlock ? .blockEnd : .variableEnd, location: location))
                try finishTag(endIndex: endIndex, sign: sign, trimNewline: isBlock)
                return
            }
            let c = src[pos]
            if isPythonWhitespace(c) {
                advance(to: skipWhitespace(from: pos))
                continue
            }
            let loc = location
            if let (kind, end) = try lexNumber() ?? lexName() ?? lexString() {
                tokens.append(Token(kind: kind, location: loc))
                advance(to: end)
                continue
            }
            guard let op = lexOperator() else {
                throw error("unexpected char \(reprString(String(Character(c)))) at \(pos)")
            }
            switch op {
            case "(": brackets.append(")")
            case "[": brackets.append("]")
            case "{": brackets.append("}")
            case ")", "]", "}":
                guard let expected = brackets.popLast() else { throw error("unexpected '\(op)'") }
                if String(Character(expected)) != op { throw error("unexpected '\(op)', expected '\(expected)'") }
            default: break
            }
            tokens.append(Token(kind: .op(op), location: loc))
            advance(to: pos + op.unicodeScalars.count)
        }
    }

    /// Block end `+%}` | `-%}` | `%}`, variable end `-}}` | `}}`; returns the index after the delimiter and the sign.
    private func matchTagEnd(isBlock: Bool) -> (Int, Unicode.Scalar?)? {
        let close = isBlock ? "%}" : "}}"
        if isBlock, at(pos, "+" + close) { return (pos + 3, "+") }
        if at(pos, "-" + close) { return (pos + 3, "-") }
        if at(pos, close) { return (pos + 2, nil) }
        return nil
    }

    private static let operators = ["**", "//", "==", "!=", ">=", "<=",
                                    "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"]

    private func lexOperator() -> String? { Self.operators.first { at(pos, $0) } }

    private func isDigit(_ i: Int) -> Bool { i < src.count && src[i].value >= 48 && src[i].value <= 57 }

    /// Digits with optional single underscores between them (`1_000`), from `i`; returns the end or nil.
    private func digitRun(_ i: Int) -> Int? {
        guard isDigit(i) else { return nil }
        var j = i + 1
        while true {
            if isDigit(j) { j += 1 } else if j < src.count, src[j] == "_", isDigit(j + 1) { j += 2 } else { break }
        }
        return j
    }

    /// jinja2's `float_re` then `integer_re` (decimal only; `0x`/`0o`/`0b` literals are rejected as unsupported).
    private func lexNumber() throws -> (TokenKind, Int)? {
        guard let intEnd = digitRun(pos) else { return nil }
        if pos > 0, src[pos - 1] == "." { return integerToken(end: intEnd) }  // (?<!\.) in float_re
        var j = intEnd
        var isFloat = false
        if j < src.count, src[j] == ".", let fracEnd = digitRun(j + 1) { j = fracEnd; isFloat = true }
        if j < src.count, src[j] == "e" || src[j] == "E" {
            var k = j + 1
            if k < src.count, src[k] == "+" || src[k] == "-" { k += 1 }
            if let expEnd = digitRun(k) { j = expEnd; isFloat = true }
        }
        if isFloat {
            let text = String(String.UnicodeScalarView(src[pos..<j])).filter { $0 != "_" }
            guard let d = Double(text) else { throw error("invalid float literal \(text)") }
            return (.float(d), j)
        }
        if src[pos] == "0", intEnd > pos + 1, src[pos + 1] != "0" && src[pos + 1] != "_" {
            return integerToken(end: pos + 1)  // "07" lexes as 0 then 7, as in jinja2
        }
        if src[pos] == "0", pos + 1 < src.count, "xXoObB".unicodeScalars.contains(src[pos + 1]) {
            throw TemplateError(.unsupported(construct: "non-decimal integer literal"), "non-decimal integer literals are not supported",
                                templateName: templateName, location: location)
        }
        return integerToken(end: intEnd)
    }

    private func integerToken(end: Int) -> (TokenKind, Int)? {
        let text = String(String.UnicodeScalarView(src[pos..<end])).filter { $0 != "_" }
        guard let v = Int(text) else { return nil }
        return (.integer(v), end)
    }

    private func lexName() -> (TokenKind, Int)? {
        guard pos < src.count, isIdentifierStart(src[pos]) else { return nil }
        var j = pos + 1
        while j < src.count, isIdentifierContinue(src[j]) { j += 1 }
        return (.name(String(String.UnicodeScalarView(src[pos..<j]))), j)
    }

    private func isIdentifierStart(_ u: Unicode.Scalar) -> Bool {
        u == "_" || (u.value < 128 ? u.properties.isAlphabetic : u.properties.isXIDStart)
    }

    private func isIdentifierContinue(_ u: Unicode.Scalar) -> Bool {
        u == "_" || (u.value < 128 ? (u.properties.isAlphabetic || (u.value >= 48 && u.value <= 57)) : u.properties.isXIDContinue)
    }

    /// A quoted string; escapes are decoded as Python's `unicode-escape` codec does.
    private func lexString() throws -> (TokenKind, Int)? {
        guard pos < src.count, src[pos] == "'" || src[pos] == "\"" else { return nil }
        let quote = src[pos]
        var j = pos + 1
        while j < src.count, src[j] != quote {
            j += src[j] == "\\" ? 2 : 1
        }
        guard j < src.count else { throw error("unexpected char \(reprString(String(Character(quote)))) at \(pos)") }
        return (.string(try decodePythonEscapes(Array(src[(pos + 1)..<j]))), j + 1)
    }

    private func decodePythonEscapes(_ s: [Unicode.Scalar]) throws -> String {
        var out = String.UnicodeScalarView()
        var i = 0
        func hexValue(_ count: Int) throws -> UInt32 {
            guard i + count < s.count + 1 else { throw error("truncated \\x/\\u escape in string literal") }
            let text = String(String.UnicodeScalarView(s[i..<(i + count)]))
            guard text.unicodeScalars.count == count, let v = UInt32(text, radix: 16) else {
                throw error("invalid escape in string literal")
            }
            i += count
            return v
        }
        while i < s.count {
            let c = s[i]
            i += 1
            guard c == "\\", i < s.count else { out.append(c); continue }
            let e = s[i]
            i += 1
            switch e {
            case "\n": break
            case "\\": out.append("\\")
            case "'": out.append("'")
            case "\"": out.append("\"")
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "v": out.append("\u{0B}")
            case "x", "u", "U":
                let v = try hexValue(e == "x" ? 2 : e == "u" ? 4 : 8)
                guard let u = Unicode.Scalar(v) else { throw error("invalid code point in string literal") }
                out.append(u)
            case "0"..."7":
                var v = e.value - 48
                var n = 1
                while n < 3, i < s.count, s[i].value >= 48, s[i].value <= 55 { v = v * 8 + s[i].value - 48; i += 1; n += 1 }
                out.append(Unicode.Scalar(v)!)
            case "N":
                throw TemplateError(.unsupported(construct: "\\N{…} escape"), "\\N{name} escapes are not supported",
                                    templateName: templateName, location: location)
            default:
                out.append("\\")
                out.append(e)
            }
        }
        return String(out)
    }
}

/// Python's `str.isspace()` (also what `\s` matches in a `re` pattern on str).
func isPythonWhitespace(_ u: Unicode.Scalar) -> Bool {
    switch u.value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
    default: return false
    }
}

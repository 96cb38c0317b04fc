/// Python's `str()`, `repr()`, `==` and `<` on template values, as jinja2 applies them when printing and comparing.
extension JinjaValue {
    /// `str(x)`: what `{{ x }}` prints. Undefined prints as "".
    func pythonStr() throws -> String {
        switch self {
        case .undefined: return ""
        case .string(let s), .markup(let s): return s
        default: return try pythonRepr()
        }
    }

    /// `repr(x)`, as Python prints elements of lists and dicts.
    func pythonRepr() throws -> String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return pythonFloatRepr(d)
        case .string(let s): return reprString(s)
        case .markup(let s): return "Markup(\(reprString(s)))"
        case .array(let a): return "[" + (try a.map { try $0.pythonRepr() }).joined(separator: ", ") + "]"
        case .tuple(let a):
            if a.count == 1 { return "(" + (try a[0].pythonRepr()) + ",)" }
            return "(" + (try a.map { try $0.pythonRepr() }).joined(separator: ", ") + ")"
        case .object(let o): return try Self.dictRepr(o)
        case .namespace(let ns): return "<Namespace " + (try Self.dictRepr(ns.snapshot)) + ">"
        case .loop(let l): return "<LoopContext \(l.index0 + 1)/\(l.length)>"
        case .iterator(let it):
            if let r = it.repr { return r }
            if let items = it.viewItems { return it.typeName + "(" + (try JinjaValue.array(items).pythonRepr()) + ")" }
            throw TemplateError.unsupported("print of an iterator", "cannot print a \(it.typeName) (Python prints its memory address)")
        case .function(let f) where f.isMacro:
            return "<Macro \(reprString(f.name))>"
        case .function(let f):
            // Python prints an object address here; no render can reproduce it.
            throw TemplateError.unsupported("print of a function", "cannot print the function \(reprString(f.name)) (Python prints its memory address)")
        }
    }

    /// repr without failing, for error messages.
    var debugRepr: String { (try? pythonRepr()) ?? "<\(pythonTypeName)>" }

    private static func dictRepr(_ o: JinjaDict) throws -> String {
        var parts: [String] = []
        for (k, v) in o { parts.append(reprString(k) + ": " + (try v.pythonRepr())) }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    /// Python `==` (1 == 1.0 == True; lists elementwise; dicts regardless of order; Undefined equals Undefined).
    func pythonEquals(_ other: JinjaValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)), (.markup(let a), .markup(let b)),
             (.string(let a), .markup(let b)), (.markup(let a), .string(let b)):
            return a.utf8.elementsEqual(b.utf8)  // Python compares code points; Swift's == is canonical equivalence
        case (.array(let a), .array(let b)), (.tuple(let a), .tuple(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.pythonEquals($1) }
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for (k, v) in a {
                guard let w = b[k], v.pythonEquals(w) else { return false }
            }
            return true
        case (.namespace(let a), .namespace(let b)): return a === b
        case (.iterator(let a), .iterator(let b)): return a === b
        default:
            if let x = numericValue, let y = other.numericValue { return x == y }
            return false
        }
    }

    /// The value of a bool, int or float as Python compares numbers.
    var numericValue: PythonNumber? {
        switch self {
        case .bool(let b): return .int(b ? 1 : 0)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        default: return nil
        }
    }

    /// Python `self < other`.
    func pythonLess(_ other: JinjaValue) throws -> Bool { try pythonOrder(other, "<") }

    /// Python `self <op> other` for `<`, `<=`, `>`, `>=`: numbers, strings (by code point), and lists or tuples
    /// (by their first differing items, then by length). Anything else is a TypeError naming the operand types in
    /// the order written.
    func pythonOrder(_ other: JinjaValue, _ op: String) throws -> Bool {
        if case .undefined(let u) = self { throw u.error }
        if case .undefined(let u) = other { throw u.error }
        func apply<T: Comparable>(_ a: T, _ b: T) -> Bool {
            switch op {
            case "<": return a < b
            case "<=": return a <= b
            case ">": return a > b
            default: return a >= b
            }
        }
        if let x = numericValue, let y = other.numericValue { return apply(x, y) }
        switch (self, other) {
        case (.string, .string), (.markup, .markup), (.string, .markup), (.markup, .string):
            let a = stringValue!, b = other.stringValue!
            if a.unicodeScalars.elementsEqual(b.unicodeScalars) { return op == "<=" || op == ">=" }
            let less = Self.codePointLess(a, b)
            return op.hasPrefix("<") ? less : !less
        case (.array(let a), .array(let b)), (.tuple(let a), .tuple(let b)):
            for (x, y) in zip(a, b) where !x.pythonEquals(y) { return try x.pythonOrder(y, op) }
            return apply(a.count, b.count)
        default:
            throw TemplateError.typeError("'\(op)' not supported between instances of '\(pythonTypeName)' and '\(other.pythonTypeName)'")
        }
    }

    static func codePointLess(_ a: String, _ b: String) -> Bool {
        // Python compares code points; Swift's String < compares by Unicode canonical ordering.
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) { $0.value < $1.value }
    }

    /// Python `item in self`.
    func pythonContains(_ item: JinjaValue) throws -> Bool {
        switch self {
        case .undefined: return false
        case .string(let s), .markup(let s):
            guard let needle = item.stringValue else {
                throw TemplateError.typeError("'in <string>' requires string as left operand, not \(item.pythonTypeName)")
            }
            return PythonString.contains(s, needle)
        case .array(let a), .tuple(let a): return a.contains { $0.pythonEquals(item) }
        case .iterator:
            preconditionFailure("`in` on an iterator reads it; Interpreter.contains handles it")
        case .object(let o):
            if case .undefined(let u) = item { throw TemplateError.typeError("unhashable key \(u.message)") }
            guard let key = item.stringValue else { return false }
            return o[key] != nil
        case .namespace, .function, .loop, .none, .bool, .int, .double:
            throw TemplateError.typeError("argument of type '\(pythonTypeName)' is not iterable")
        }
    }
}

enum CompareOperator: Sendable {
    case equal, notEqual, less, greater, lessEqual, greaterEqual, contains, notContains
}

/// An int or float for mixed-type arithmetic and comparison.
enum PythonNumber: Comparable {
    case int(Int)
    case double(Double)

    var asDouble: Double {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        }
    }

    static func < (a: PythonNumber, b: PythonNumber) -> Bool {
        if case .int(let x) = a, case .int(let y) = b { return x < y }
        return a.asDouble < b.asDouble
    }

    static func == (a: PythonNumber, b: PythonNumber) -> Bool {
        if case .int(let x) = a, case .int(let y) = b { return x == y }
        return a.asDouble == b.asDouble
    }
}

/// Python `repr(str)`: single quotes unless the text has a single quote and no double quote; escapes for
/// backslash, the quote, `\t \n \r`, and non-printable characters (`\xNN`, `\uNNNN`, `\UNNNNNNNN`).
func reprString(_ s: String) -> String {
    let quote: Unicode.Scalar = s.unicodeScalars.contains("'") && !s.unicodeScalars.contains("\"") ? "\"" : "'"
    var out = String(Character(quote))
    for u in s.unicodeScalars {
        switch u {
        case "\\": out += "\\\\"
        case "\t": out += "\\t"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        default:
            if u == quote {
                out += "\\" + String(quote)
            } else if isPythonPrintable(u) {
                out.unicodeScalars.append(u)
            } else if u.value < 0x100 {
                out += "\\x" + hex(u.value, width: 2)
            } else if u.value < 0x10000 {
                out += "\\u" + hex(u.value, width: 4)
            } else {
                out += "\\U" + hex(u.value, width: 8)
            }
        }
    }
    out.unicodeScalars.append(quote)
    return out
}

func hex(_ v: UInt32, width: Int) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, width - s.count)) + s
}

/// Python's `str.isprintable()` for one character: everything but categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs
/// (except the ASCII space).
func isPythonPrintable(_ u: Unicode.Scalar) -> Bool {
    if u == " " { return true }
    switch u.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
        return false
    default:
        return true
    }
}

/// Python `repr(float)`: the shortest round-tripping digits, positional for 1e-4 <= |x| < 1e16, otherwise
/// scientific with a signed, at least two-digit exponent (`1e-05`, `1e+16`, `1.5e+300`).
func pythonFloatRepr(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d < 0 ? "-inf" : "inf" }
    if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
    let (digits, exponent) = shortestDigits(abs(d))  // value = 0.d1d2d3… × 10^exponent
    let sign = d < 0 ? "-" : ""
    let decimalExponent = exponent - 1  // scientific exponent of d1.d2d3…
    if decimalExponent < -4 || decimalExponent >= 16 {
        var mantissa = String(digits.first!)
        if digits.count > 1 { mantissa += "." + digits.dropFirst() }
        let e = abs(decimalExponent)
        return sign + mantissa + "e" + (decimalExponent < 0 ? "-" : "+") + (e < 10 ? "0" : "") + String(e)
    }
    if exponent <= 0 {
        return sign + "0." + String(repeating: "0", count: -exponent) + digits
    }
    if digits.count <= exponent {
        return sign + digits + String(repeating: "0", count: exponent - digits.count) + ".0"
    }
    let cut = digits.index(digits.startIndex, offsetBy: exponent)
    return sign + digits[..<cut] + "." + digits[cut...]
}

/// The shortest round-trip decimal digits of a positive finite double, from Swift's own shortest formatting, as
/// (digits without leading zeros, exponent) with value = 0.digits × 10^exponent.
private func shortestDigits(_ d: Double) -> (String, Int) {
    let text = d.description  // e.g. "1234.5", "1e-05", "1.2345e+20", "5e-324"
    var mantissa = Substring(text)
    var exp = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        mantissa = text[..<e]
        exp = Int(text[text.index(after: e)...])!
    }
    var intPart = mantissa
    var fracPart: Substring = ""
    if let dot = mantissa.firstIndex(of: ".") {
        intPart = mantissa[..<dot]
        fracPart = mantissa[mantissa.index(after: dot)...]
    }
    var digits = String(intPart) + fracPart
    var pointPos = intPart.count + exp
    while digits.first == "0" {
        digits.removeFirst()
        pointPos -= 1
    }
    while digits.last == "0" { digits.removeLast() }
    if digits.isEmpty { return ("0", 1) }
    return (digits, pointPos)
}

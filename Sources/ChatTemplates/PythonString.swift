import Foundation

/// Python `str` operations on Unicode scalars (Python strings are sequences of code points, not graphemes).
enum PythonString {
    typealias Scalars = [Unicode.Scalar]

    static func string(_ s: some Sequence<Unicode.Scalar>) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.underestimatedCount)
        for u in s { UTF8.encode(u) { bytes.append($0) } }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `s.strip(chars)`, `lstrip`, `rstrip`; nil chars strips whitespace.
    static func strip(_ s: String, _ chars: String?, left: Bool = true, right: Bool = true) -> String {
        let v = s.unicodeScalars
        let set = chars.map { Set($0.unicodeScalars) }
        func strippable(_ u: Unicode.Scalar) -> Bool { set.map { $0.contains(u) } ?? isPythonWhitespace(u) }
        var lo = v.startIndex, hi = v.endIndex
        if left { while lo < hi, strippable(v[lo]) { lo = v.index(after: lo) } }
        if right {
            while hi > lo {
                let p = v.index(before: hi)
                guard strippable(v[p]) else { break }
                hi = p
            }
        }
        if lo == v.startIndex && hi == v.endIndex { return s }
        return String(v[lo..<hi])
    }

    /// Python `needle in s` (a code-point substring search, done on UTF-8 bytes).
    static func contains(_ s: String, _ needle: String) -> Bool {
        if needle.isEmpty { return true }
        var hay = s, pattern = needle
        return hay.withUTF8 { h in
            pattern.withUTF8 { n in
                guard n.count <= h.count else { return false }
                let first = n[0]
                var i = 0
                let last = h.count - n.count
                while i <= last {
                    if h[i] == first && memcmp(h.baseAddress! + i, n.baseAddress!, n.count) == 0 { return true }
                    i += 1
                }
                return false
            }
        }
    }

    /// Index of `needle` in `hay` at or after `from` (scalar offsets), or nil.
    static func find(_ hay: Scalars, _ needle: Scalars, from: Int = 0, to: Int? = nil) -> Int? {
        let end = min(to ?? hay.count, hay.count)
        guard needle.count <= end else { return nil }
        if needle.isEmpty { return from <= end ? from : nil }
        var i = max(0, from)
        while i + needle.count <= end {
            if hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }

    static func rfind(_ hay: Scalars, _ needle: Scalars, from: Int = 0, to: Int? = nil) -> Int? {
        let end = min(to ?? hay.count, hay.count)
        var i = end - needle.count
        while i >= max(0, from) {
            if Array(hay[i..<(i + needle.count)]) == needle { return i }
            i -= 1
        }
        return nil
    }

    /// `s.split(sep, maxsplit)`; nil sep splits on whitespace runs and drops empty parts.
    static func split(_ s: String, _ sep: String?, _ maxsplit: Int = -1) throws -> [String] {
        guard let sep else {
            let a = Array(s.unicodeScalars)
            var parts: [String] = []
            var i = 0
            while true {
                while i < a.count, isPythonWhitespace(a[i]) { i += 1 }
                if i >= a.count { break }
                if maxsplit >= 0 && parts.count == maxsplit {
                    parts.append(string(a[i...]))  // the remainder keeps its trailing whitespace
                    break
                }
                let start = i
                while i < a.count, !isPythonWhitespace(a[i]) { i += 1 }
                parts.append(string(a[start..<i]))
            }
            return parts
        }
        guard !sep.isEmpty else { throw TemplateError.runtime("empty separator") }
        // Matches of a valid UTF-8 separator start and end on scalar boundaries, so split the bytes.
        var hay = s, pattern = sep
        return hay.withUTF8 { h in
            pattern.withUTF8 { n in
                var parts: [String] = []
                var start = 0, i = 0
                while i + n.count <= h.count && (maxsplit < 0 || parts.count < maxsplit) {
                    if h[i] == n[0] && memcmp(h.baseAddress! + i, n.baseAddress!, n.count) == 0 {
                        parts.append(String(decoding: UnsafeBufferPointer(rebasing: h[start..<i]), as: UTF8.self))
                        i += n.count
                        start = i
                    } else {
                        i += 1
                    }
                }
                parts.append(String(decoding: UnsafeBufferPointer(rebasing: h[start...]), as: UTF8.self))
                return parts
            }
        }
    }

    /// `s.rsplit(sep, maxsplit)`.
    static func rsplit(_ s: String, _ sep: String?, _ maxsplit: Int = -1) throws -> [String] {
        if maxsplit < 0 { return try split(s, sep, maxsplit) }
        let a = Array(s.unicodeScalars)
        guard let sep else {
            var parts: [String] = []
            var i = a.count
            while true {
                while i > 0, isPythonWhitespace(a[i - 1]) { i -= 1 }
                if i <= 0 { break }
                if parts.count == maxsplit {
                    parts.append(string(a[..<i]))  // the remainder keeps its leading whitespace
                    break
                }
                let end = i
                while i > 0, !isPythonWhitespace(a[i - 1]) { i -= 1 }
                parts.append(string(a[i..<end]))
            }
            return parts.reversed()
        }
        let n = Array(sep.unicodeScalars)
        guard !n.isEmpty else { throw TemplateError.runtime("empty separator") }
        var parts: [String] = []
        var end = a.count
        while parts.count < maxsplit, let i = rfind(a, n, to: end) {
            parts.append(string(a[(i + n.count)..<end]))
            end = i
        }
        parts.append(string(a[..<end]))
        return parts.reversed()
    }

    /// `s.splitlines(keepends)` with Python's line boundaries.
    static func splitlines(_ s: String, keepends: Bool = false) -> [String] {
        let a = Array(s.unicodeScalars)
        var lines: [String] = []
        var start = 0
        var i = 0
        while i < a.count {
            let u = a[i].value
            let isBreak = (0x0A...0x0D).contains(u) || (0x1C...0x1E).contains(u) || u == 0x85 || u == 0x2028 || u == 0x2029
            if isBreak {
                var end = i + 1
                if u == 0x0D, end < a.count, a[end] == "\n" { end += 1 }
                lines.append(string(a[start..<(keepends ? end : i)]))
                start = end
                i = end
            } else {
                i += 1
            }
        }
        if start < a.count { lines.append(string(a[start...])) }
        return lines
    }

    static func replace(_ s: String, _ old: String, _ new: String, count: Int = -1) -> String {
        let a = Array(s.unicodeScalars)
        let o = Array(old.unicodeScalars)
        let n = Array(new.unicodeScalars)
        var out: Scalars = []
        var done = 0
        if o.isEmpty {
            // Python inserts `new` between characters and at both ends.
            for u in a {
                if count < 0 || done < count { out += n; done += 1 }
                out.append(u)
            }
            if count < 0 || done < count { out += n }
            return string(out)
        }
        var i = 0
        while i < a.count {
            if (count < 0 || done < count), i + o.count <= a.count, a[i] == o[0], Array(a[i..<(i + o.count)]) == o {
                out += n
                i += o.count
                done += 1
            } else {
                out.append(a[i])
                i += 1
            }
        }
        return string(out)
    }

    static func count(_ s: String, _ sub: String) -> Int {
        let a = Array(s.unicodeScalars), n = Array(sub.unicodeScalars)
        if n.isEmpty { return a.count + 1 }
        var c = 0, i = 0
        while let j = find(a, n, from: i) { c += 1; i = j + n.count }
        return c
    }

    static func upper(_ s: String) -> String { s.uppercased() }
    static func lower(_ s: String) -> String { s.lowercased() }

    /// `str.capitalize()`: first character title-cased (upper), the rest lower-cased.
    static func capitalize(_ s: String) -> String {
        guard let first = s.unicodeScalars.first else { return s }
        let rest = string(s.unicodeScalars.dropFirst())
        return String(first.properties.titlecaseMapping) + rest.lowercased()
    }

    /// `str.title()`: a cased character after an uncased one starts a word.
    static func title(_ s: String) -> String {
        var out = ""
        var previousCased = false
        for u in s.unicodeScalars {
            let p = u.properties
            if previousCased { out += p.lowercaseMapping } else { out += p.titlecaseMapping }
            previousCased = p.isCased
        }
        return out
    }

    static func isLower(_ s: String) -> Bool {
        var cased = false
        for u in s.unicodeScalars {
            if u.properties.isUppercase || u.properties.generalCategory == .titlecaseLetter { return false }
            if u.properties.isLowercase { cased = true }
        }
        return cased
    }

    static func isUpper(_ s: String) -> Bool {
        var cased = false
        for u in s.unicodeScalars {
            if u.properties.isLowercase || u.properties.generalCategory == .titlecaseLetter { return false }
            if u.properties.isUppercase { cased = true }
        }
        return cased
    }

    static func center(_ s: String, _ width: Int, fill: Unicode.Scalar = " ") -> String {
        let n = s.unicodeScalars.count
        guard width > n else { return s }
        let marg = width - n
        let left = marg / 2 + (marg & width & 1)
        return String(repeating: Character(fill), count: left) + s + String(repeating: Character(fill), count: marg - left)
    }
}

/// Python's `format % args` (printf-style) for the conversions templates use.
func pythonPercentFormat(_ format: String, _ args: JinjaValue) throws -> String {
    let f = Array(format.unicodeScalars)
    var positional: [JinjaValue]
    var mapping: JinjaDict?
    // Python takes a non-tuple argument with __getitem__ (dict, list, Undefined, …) as a possible mapping and then
    // does not complain about unused arguments.
    var mappingLike = false
    switch args {
    case .tuple(let items): positional = items
    case .object(let o): positional = [args]; mapping = o; mappingLike = true
    case .array, .undefined: positional = [args]; mappingLike = true
    case .iterator(let it) where it.typeName == "range": positional = [args]; mappingLike = true
    default: positional = [args]
    }
    var next = 0
    var out = ""
    var i = 0
    func nextArgument() throws -> JinjaValue {
        guard next < positional.count else { throw TemplateError.typeError("not enough arguments for format string") }
        defer { next += 1 }
        return positional[next]
    }
    while i < f.count {
        guard f[i] == "%" else { out.unicodeScalars.append(f[i]); i += 1; continue }
        i += 1
        guard i < f.count else { throw TemplateError.runtime("incomplete format") }
        var key: String?
        if f[i] == "(" {
            var j = i + 1
            while j < f.count, f[j] != ")" { j += 1 }
            key = PythonString.string(f[(i + 1)..<j])
            i = j + 1
        }
        var flags = Set<Unicode.Scalar>()
        while i < f.count, "-+ #0".unicodeScalars.contains(f[i]) { flags.insert(f[i]); i += 1 }
        var width = 0
        while i < f.count, let d = Int(String(f[i])) { width = width * 10 + d; i += 1 }
        var precision: Int?
        if i < f.count, f[i] == "." {
            i += 1
            precision = 0
            while i < f.count, let d = Int(String(f[i])) { precision = precision! * 10 + d; i += 1 }
        }
        guard i < f.count else { throw TemplateError.runtime("incomplete format") }
        let conversion = f[i]
        i += 1
        if conversion == "%" { out += "%"; continue }
        let value: JinjaValue
        if let key {
            guard let m = mapping else { throw TemplateError.typeError("format requires a mapping") }
            guard let v = m[key] else { throw TemplateError.runtime("KeyError: \(reprString(key))") }
            value = v
        } else {
            value = try nextArgument()
        }
        var text: String
        switch conversion {
        case "s": text = try value.pythonStr(); if let p = precision { text = PythonString.string(text.unicodeScalars.prefix(p)) }
        case "r": text = try value.pythonRepr()
        case "d", "i":
            guard let n = value.numericValue else {
                throw TemplateError.typeError("%\(conversion) format: a real number is required, not \(value.pythonTypeName)")
            }
            switch n {
            case .int(let x): text = String(x)
            case .double(let d):
                guard d.isFinite, abs(d) < 9.2e18 else { throw TemplateError.unsupported("%d of a huge float", "cannot format \(d) as an integer") }
                text = String(Int(d))
            }
            if flags.contains("+"), !text.hasPrefix("-") { text = "+" + text }
        case "f", "F":
            guard let n = value.numericValue else {
                throw TemplateError.typeError("must be real number, not \(value.pythonTypeName)")
            }
            text = formatFixed(n.asDouble, precision ?? 6)
            if flags.contains("+"), !text.hasPrefix("-") { text = "+" + text }
        case "x", "X", "o":
            guard case .int(let x)? = value.numericValue else {
                throw TemplateError.typeError("%\(conversion) format: an integer is required, not \(value.pythonTypeName)")
            }
            text = String(x, radix: conversion == "o" ? 8 : 16, uppercase: conversion == "X")
        default:
            throw TemplateError.unsupported("%\(conversion) format", "the printf conversion %\(conversion) is not supported")
        }
        let pad = width - text.unicodeScalars.count
        if pad > 0 {
            if flags.contains("-") {
                text += String(repeating: " ", count: pad)
            } else if flags.contains("0") && "dif".unicodeScalars.contains(conversion) {
                let negative = text.hasPrefix("-") || text.hasPrefix("+")
                let sign = negative ? String(text.removeFirst()) : ""
                text = sign + String(repeating: "0", count: pad) + text
            } else {
                text = String(repeating: " ", count: pad) + text
            }
        }
        out += text
    }
    if !mappingLike && next < positional.count {
        throw TemplateError.typeError("not all arguments converted during string formatting")
    }
    return out
}

/// `'%.*f' % (precision, x)` with correct rounding of the exact binary value (as C's printf does).
func formatFixed(_ x: Double, _ precision: Int) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x < 0 ? "-inf" : "inf" }
    return String(format: "%.\(precision)f", x)
}

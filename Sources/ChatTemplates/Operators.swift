import Foundation

/// Python's arithmetic operators on template values (ints are 64-bit here; overflow is reported, not wrapped).
extension Interpreter {
    func negate(_ v: JinjaValue) throws -> JinjaValue {
        switch v {
        case .bool(let b): return .int(b ? -1 : 0)
        case .int(let i):
            guard i != Int.min else { throw overflow() }
            return .int(-i)
        case .double(let d): return .double(-d)
        case .undefined(let u): throw u.error
        default: throw TemplateError.typeError("bad operand type for unary -: '\(v.pythonTypeName)'")
        }
    }

    func binary(_ op: BinaryOperator, _ l: JinjaValue, _ r: JinjaValue) throws -> JinjaValue {
        if case .undefined(let u) = l { throw u.error }
        if case .undefined(let u) = r, !(op == .modulo && l.stringValue != nil) { throw u.error }  // 'x%s' % Undefined is fine
        if let a = l.numericValue, let b = r.numericValue { return try numeric(op, a, b) }
        switch op {
        case .add: return try add(l, r)
        case .multiply: return try multiply(l, r)
        case .modulo:
            if case .string(let f) = l { return .string(try pythonPercentFormat(f, r)) }
            if case .markup(let f) = l { return .markup(try pythonPercentFormat(f, markupEscapedArguments(r))) }
        default: break
        }
        throw unsupportedOperands(op, l, r)
    }

    private func unsupportedOperands(_ op: BinaryOperator, _ l: JinjaValue, _ r: JinjaValue) -> TemplateError {
        for v in [l, r] {
            if case .iterator(let it) = v, op == .subtract, it.typeName == "dict_keys" || it.typeName == "dict_items" {
                return TemplateError.unsupported("set operations on dict views", "set difference of dict views is not supported")
            }
        }
        return TemplateError.typeError("unsupported operand type(s) for \(op == .power ? "** or pow()" : op.rawValue): '\(l.pythonTypeName)' and '\(r.pythonTypeName)'")
    }

    private func overflow() -> TemplateError {
        TemplateError.unsupported("integer overflow", "integer result does not fit in 64 bits (Python integers are unbounded)")
    }

    private func add(_ l: JinjaValue, _ r: JinjaValue) throws -> JinjaValue {
        switch (l, r) {
        case (.string(let a), .string(let b)): return .string(a + b)
        case (.markup(let a), .markup(let b)): return .markup(a + b)
        case (.markup(let a), .string(let b)): return .markup(a + htmlEscape(b))
        case (.string(let a), .markup(let b)): return .markup(htmlEscape(a) + b)
        case (.array(let a), .array(let b)): return .array(a + b)
        case (.tuple(let a), .tuple(let b)): return .tuple(a + b)
        case (.string, _), (.array, _), (.tuple, _):
            let name = l.pythonTypeName
            throw TemplateError.typeError("can only concatenate \(name) (not \"\(r.pythonTypeName)\") to \(name)")
        default:
            throw unsupportedOperands(.add, l, r)
        }
    }

    private func multiply(_ l: JinjaValue, _ r: JinjaValue) throws -> JinjaValue {
        func count(_ v: JinjaValue) -> Int? {
            switch v {
            case .int(let i): return i
            case .bool(let b): return b ? 1 : 0
            default: return nil
            }
        }
        // markupsafe's Markup.__mul__/__rmul__ index their operand.
        if case .markup = l, count(r) == nil { throw TemplateError.typeError("'\(r.pythonTypeName)' object cannot be interpreted as an integer") }
        if case .markup = r, count(l) == nil { throw TemplateError.typeError("'\(l.pythonTypeName)' object cannot be interpreted as an integer") }
        let (seq, times) = count(r) != nil ? (l, count(r)) : (r, count(l))
        guard let n = times else {
            switch (l, r) {
            case (.string, _), (.array, _), (.tuple, _), (_, .string), (_, .array), (_, .tuple):
                let isSequence: (JinjaValue) -> Bool = { if case .string = $0 { return true }; if case .array = $0 { return true }; if case .tuple = $0 { return true }; return false }
                let other = isSequence(l) ? r : l
                throw TemplateError.typeError("can't multiply sequence by non-int of type '\(other.pythonTypeName)'")
            default:
                throw unsupportedOperands(.multiply, l, r)
            }
        }
        let reps = max(0, n)
        func checkSize(_ unit: Int) throws {
            if unit > 0, reps > limits.maxOutputCharacters / unit {
                throw TemplateError(.limit, "sequence repetition exceeds the output limit")
            }
        }
        switch seq {
        case .string(let s): try checkSize(s.utf8.count); return .string(String(repeating: s, count: reps))
        case .markup(let s): try checkSize(s.utf8.count); return .markup(String(repeating: s, count: reps))
        case .array(let a):
            try checkSize(a.count)
            return .array(Array([[JinjaValue]](repeating: a, count: reps).joined()))
        case .tuple(let a):
            try checkSize(a.count)
            return .tuple(Array([[JinjaValue]](repeating: a, count: reps).joined()))
        default: throw unsupportedOperands(.multiply, l, r)
        }
    }

    private func numeric(_ op: BinaryOperator, _ a: PythonNumber, _ b: PythonNumber) throws -> JinjaValue {
        if case .int(let x) = a, case .int(let y) = b {
            switch op {
            case .add: return try checked(x.addingReportingOverflow(y))
            case .subtract: return try checked(x.subtractingReportingOverflow(y))
            case .multiply: return try checked(x.multipliedReportingOverflow(by: y))
            case .divide:
                guard y != 0 else { throw TemplateError.runtime("division by zero") }
                return .double(Double(x) / Double(y))
            case .floorDivide:
                guard y != 0 else { throw TemplateError.runtime("integer division or modulo by zero") }
                guard !(x == Int.min && y == -1) else { throw overflow() }
                let q = x / y
                return .int((x % y != 0) && ((x < 0) != (y < 0)) ? q - 1 : q)
            case .modulo:
                guard y != 0 else { throw TemplateError.runtime("integer modulo by zero") }
                guard y != -1 else { return .int(0) }
                let m = x % y
                return .int(m != 0 && ((m < 0) != (y < 0)) ? m + y : m)
            case .power:
                if y < 0 {
                    guard x != 0 else { throw TemplateError.runtime("0.0 cannot be raised to a negative power") }
                    return .double(pow(Double(x), Double(y)))
                }
                var result = 1
                var base = x
                var e = y
                while e > 0 {
                    if e & 1 == 1 { result = try checkedInt(result.multipliedReportingOverflow(by: base)) }
                    e >>= 1
                    if e > 0 { base = try checkedInt(base.multipliedReportingOverflow(by: base)) }
                }
                return .int(result)
            }
        }
        let x = a.asDouble, y = b.asDouble
        switch op {
        case .add: return .double(x + y)
        case .subtract: return .double(x - y)
        case .multiply: return .double(x * y)
        case .divide:
            guard y != 0 else { throw TemplateError.runtime("float division by zero") }
            return .double(x / y)
        case .floorDivide:
            guard y != 0 else { throw TemplateError.runtime("float floor division by zero") }
            return .double(Self.floatDivMod(x, y).div)
        case .modulo:
            guard y != 0 else { throw TemplateError.runtime("float modulo") }
            return .double(Self.floatDivMod(x, y).mod)
        case .power:
            if x == 0 && y < 0 { throw TemplateError.runtime("0.0 cannot be raised to a negative power") }
            if x < 0 && y.rounded() != y {
                throw TemplateError.unsupported("complex power", "a negative number to a fractional power is complex in Python")
            }
            return .double(pow(x, y))
        }
    }

    /// CPython's `float_divmod`.
    static func floatDivMod(_ vx: Double, _ wx: Double) -> (div: Double, mod: Double) {
        var mod = fmod(vx, wx)
        var div = (vx - mod) / wx
        if mod != 0 {
            if (wx < 0) != (mod < 0) {
                mod += wx
                div -= 1
            }
        } else {
            mod = Double(sign: wx.sign, exponentBitPattern: 0, significandBitPattern: 0)
        }
        var floordiv: Double
        if div != 0 {
            floordiv = div.rounded(.down)
            if div - floordiv > 0.5 { floordiv += 1 }
        } else {
            floordiv = (vx / wx).sign == .minus ? -0.0 : 0.0
        }
        return (floordiv, mod)
    }

    private func checked(_ r: (partialValue: Int, overflow: Bool)) throws -> JinjaValue {
        .int(try checkedInt(r))
    }

    private func checkedInt(_ r: (partialValue: Int, overflow: Bool)) throws -> Int {
        if r.overflow { throw overflow() }
        return r.partialValue
    }

    /// `Markup % args` escapes the arguments.
    private func markupEscapedArguments(_ v: JinjaValue) -> JinjaValue {
        func esc(_ x: JinjaValue) -> JinjaValue {
            if case .string(let s) = x { return .markup(htmlEscape(s)) }
            return x
        }
        switch v {
        case .tuple(let items): return .tuple(items.map(esc))
        default: return esc(v)
        }
    }
}

/// markupsafe's `escape`: `& < > " '` → `&amp; &lt; &gt; &#34; &#39;`.
func htmlEscape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for u in s.unicodeScalars {
        switch u {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&#34;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(u)
        }
    }
    return out
}

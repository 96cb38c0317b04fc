/// Python methods of str, dict, list and tuple that templates call (`content.strip()`, `message.get('x')`), with
/// the sandbox's refusal of mutating methods (`ImmutableSandboxedEnvironment`).
enum PythonMethods {
    static let stringMethods: Set<String> = [
        "capitalize", "casefold", "center", "count", "encode", "endswith", "expandtabs", "find", "format", "format_map",
        "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric",
        "isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "maketrans", "partition",
        "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split",
        "splitlines", "startswith", "strip", "swapcase", "title", "translate", "upper", "zfill",
    ]
    /// Methods `markupsafe.Markup` overrides to escape string arguments and return Markup.
    static let markupWrapping: Set<String> = [
        "capitalize", "title", "lower", "upper", "replace", "ljust", "rjust", "lstrip", "rstrip", "center", "strip",
        "swapcase", "zfill", "casefold", "removeprefix", "removesuffix", "join", "split", "rsplit", "splitlines",
        "partition", "rpartition", "format",
    ]
    static let dictMethods: Set<String> = ["clear", "copy", "fromkeys", "get", "items", "keys", "pop", "popitem", "setdefault", "update", "values"]
    static let dictMutating: Set<String> = ["clear", "pop", "popitem", "setdefault", "update"]
    static let listMethods: Set<String> = ["append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort"]
    static let listMutating: Set<String> = ["append", "clear", "pop", "reverse", "insert", "sort", "extend", "remove"]
    static let tupleMethods: Set<String> = ["count", "index"]
    /// Attributes of int/float/bool that Python has and this interpreter does not model.
    static let numberAttributes: Set<String> = [
        "real", "imag", "numerator", "denominator", "conjugate", "bit_length", "bit_count", "to_bytes", "from_bytes",
        "as_integer_ratio", "is_integer", "hex", "fromhex",
    ]

    /// The bound method `value.name`, an unsafe-undefined for a mutating one, or nil if the type has no such method.
    static func lookup(_ value: JinjaValue, _ name: String) -> JinjaValue? {
        let known: Bool
        var unsafe = false
        switch value {
        case .string, .markup: known = stringMethods.contains(name)
        case .object: known = dictMethods.contains(name); unsafe = dictMutating.contains(name)
        case .array: known = listMethods.contains(name); unsafe = listMutating.contains(name)
        case .tuple: known = tupleMethods.contains(name)
        case .iterator(let it) where it.typeName == "range": known = tupleMethods.contains(name)
        default: known = false
        }
        guard known else { return nil }
        if unsafe {
            return .undefined(JinjaUndefined(message: "access to attribute \(reprString(name)) of \(reprString(value.pythonTypeName)) object is unsafe.",
                                             isUnsafe: true))
        }
        return .function(JinjaFunction(name: name, kind: .method(receiver: value, name: name)))
    }
}

extension Interpreter {
    func callMethod(_ receiver: JinjaValue, _ name: String, _ args: JinjaArguments) throws -> JinjaValue {
        switch receiver {
        case .string(let s): return try stringMethod(s, name, args)
        case .markup(let s):
            guard PythonMethods.markupWrapping.contains(name) else { return try stringMethod(s, name, args) }
            var escaped = args
            escaped.positional = args.positional.map { if case .string(let t) = $0 { return .markup(htmlEscape(t)) }; return $0 }
            escaped.keyword = args.keyword.map { if case .string(let t) = $1 { return ($0, .markup(htmlEscape(t))) }; return ($0, $1) }
            return wrapMarkup(try stringMethod(s, name, escaped))
        case .object(let o): return try dictMethod(o, name, args)
        case .array(let a), .tuple(let a): return try sequenceMethod(a, name, args)
        case .iterator(let it) where it.typeName == "range": return try sequenceMethod(it.viewItems ?? [], name, args)
        case .loop(let loop):
            if name == "cycle" {
                guard !args.positional.isEmpty else { throw TemplateError.typeError("no items for cycling given") }
                return args.positional[loop.index0 % args.positional.count]
            }
            throw TemplateError.unsupported("loop.\(name)", "loop.\(name)() is not supported")
        default:
            throw TemplateError.unsupported("method \(name)", "the method \(reprString(name)) of \(receiver.pythonTypeName) is not supported")
        }
    }

    private func wrapMarkup(_ v: JinjaValue) -> JinjaValue {
        switch v {
        case .string(let s): return .markup(s)
        case .array(let a): return .array(a.map(wrapMarkup))
        case .tuple(let a): return .tuple(a.map(wrapMarkup))
        default: return v
        }
    }

    private func stringMethod(_ s: String, _ name: String, _ args: JinjaArguments) throws -> JinjaValue {
        let fn = "str.\(name)"
        switch name {
        case "strip", "lstrip", "rstrip":
            let chars = try args.bind(fn, ["chars"])[0].string("\(name) arg")
            return .string(PythonString.strip(s, chars, left: name != "rstrip", right: name != "lstrip"))
        case "split", "rsplit":
            let a = try args.bind(fn, ["sep", "maxsplit"])
            let sep = try a[0].string("sep")
            let maxsplit = try a[1].int("maxsplit", default: -1)
            let parts = name == "split" ? try PythonString.split(s, sep, maxsplit) : try PythonString.rsplit(s, sep, maxsplit)
            return .array(parts.map(JinjaValue.string))
        case "splitlines":
            let keep = try args.bind(fn, ["keepends"])[0].bool(default: false)
            return .array(PythonString.splitlines(s, keepends: keep).map(JinjaValue.string))
        case "startswith", "endswith":
            let a = try args.bind(fn, ["prefix", "start", "end"], required: 1)
            let scalars = Array(s.unicodeScalars)
            let lo = try clampIndex(a[1].int("start", default: 0), scalars.count)
            let hi = try clampIndex(a[2].int("end", default: scalars.count), scalars.count)
            let window = lo <= hi ? Array(scalars[lo..<hi]) : []
            let candidates: [JinjaValue]
            if case .tuple(let items)? = a[0] { candidates = items } else { candidates = [a[0]!] }
            for c in candidates {
                guard let p = c.stringValue else {
                    throw TemplateError.typeError("\(name) first arg must be str or a tuple of str, not \(c.pythonTypeName)")
                }
                let ps = Array(p.unicodeScalars)
                if lo > scalars.count { continue }
                if name == "startswith" ? window.starts(with: ps) : window.reversed().starts(with: ps.reversed()) { return .bool(true) }
            }
            return .bool(false)
        case "replace":
            let a = try args.bind(fn, ["old", "new", "count"], required: 2)
            return .string(PythonString.replace(s, try a[0]!.asString("replace() argument 1"), try a[1]!.asString("replace() argument 2"),
                                                count: try a[2].int("count", default: -1)))
        case "upper": _ = try args.bind(fn, []); return .string(PythonString.upper(s))
        case "lower": _ = try args.bind(fn, []); return .string(PythonString.lower(s))
        case "title": _ = try args.bind(fn, []); return .string(PythonString.title(s))
        case "capitalize": _ = try args.bind(fn, []); return .string(PythonString.capitalize(s))
        case "find", "rfind", "index", "rindex":
            let a = try args.bind(fn, ["sub", "start", "end"], required: 1)
            let scalars = Array(s.unicodeScalars)
            let sub = Array(try a[0]!.asString("").unicodeScalars)
            let lo = try clampIndex(a[1].int("start", default: 0), scalars.count)
            let hi = try clampIndex(a[2].int("end", default: scalars.count), scalars.count)
            let found = name.hasPrefix("r") ? PythonString.rfind(scalars, sub, from: lo, to: hi) : PythonString.find(scalars, sub, from: lo, to: hi)
            if found == nil && name.hasSuffix("index") { throw TemplateError.runtime("substring not found") }
            return .int(found ?? -1)
        case "count":
            let a = try args.bind(fn, ["sub"], required: 1)
            return .int(PythonString.count(s, try a[0]!.asString("")))
        case "join":
            let a = try args.bind(fn, ["iterable"], required: 1)
            var parts: [String] = []
            for (i, item) in try iterate(a[0]!).enumerated() {
                guard let t = item.stringValue else {
                    throw TemplateError.typeError("sequence item \(i): expected str instance, \(item.pythonTypeName) found")
                }
                parts.append(t)
            }
            return .string(parts.joined(separator: s))
        case "format":
            return .string(try pythonStrFormat(s, args))
        case "isdigit", "isdecimal", "isnumeric", "isalpha", "isalnum", "isspace", "islower", "isupper":
            _ = try args.bind(fn, [])
            return .bool(stringPredicate(s, name))
        case "zfill":
            let width = try args.bind(fn, ["width"], required: 1)[0].int("width", default: 0)
            var scalars = Array(s.unicodeScalars)
            let pad = width - scalars.count
            guard pad > 0 else { return .string(s) }
            let sign = scalars.first == "+" || scalars.first == "-" ? [scalars.removeFirst()] : []
            return .string(PythonString.string(sign + Array(repeating: "0", count: pad) + scalars))
        case "ljust", "rjust", "center":
            let a = try args.bind(fn, ["width", "fillchar"], required: 1)
            let width = try a[0].int("width", default: 0)
            let fill = try a[1].string("fillchar")?.unicodeScalars.first ?? " "
            let n = s.unicodeScalars.count
            guard width > n else { return .string(s) }
            let padding = String(repeating: Character(fill), count: width - n)
            if name == "center" { return .string(PythonString.center(s, width, fill: fill)) }
            return .string(name == "ljust" ? s + padding : padding + s)
        case "removeprefix", "removesuffix":
            let affix = try args.bind(fn, ["affix"], required: 1)[0]!.asString("\(name) arg")
            let scalars = Array(s.unicodeScalars), a = Array(affix.unicodeScalars)
            if name == "removeprefix", scalars.starts(with: a) { return .string(PythonString.string(scalars.dropFirst(a.count))) }
            if name == "removesuffix", !a.isEmpty, scalars.reversed().starts(with: a.reversed()) {
                return .string(PythonString.string(scalars.dropLast(a.count)))
            }
            return .string(s)
        case "partition", "rpartition":
            let sep = try args.bind(fn, ["sep"], required: 1)[0]!.asString("")
            let scalars = Array(s.unicodeScalars), n = Array(sep.unicodeScalars)
            guard !n.isEmpty else { throw TemplateError.runtime("empty separator") }
            let found = name == "partition" ? PythonString.find(scalars, n) : PythonString.rfind(scalars, n)
            guard let i = found else {
                return name == "partition" ? .tuple([.string(s), .string(""), .string("")]) : .tuple([.string(""), .string(""), .string(s)])
            }
            return .tuple([.string(PythonString.string(scalars[..<i])), .string(sep), .string(PythonString.string(scalars[(i + n.count)...]))])
        default:
            throw TemplateError.unsupported("str.\(name)", "the string method \(reprString(name)) is not supported")
        }
    }

    private func clampIndex(_ i: Int, _ count: Int) -> Int {
        i < 0 ? max(0, i + count) : min(i, count)
    }

    private func stringPredicate(_ s: String, _ name: String) -> Bool {
        switch name {
        case "islower": return PythonString.isLower(s)
        case "isupper": return PythonString.isUpper(s)
        default: break
        }
        guard !s.isEmpty else { return false }
        return s.unicodeScalars.allSatisfy { u in
            let p = u.properties
            let isAlpha = [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter].contains(p.generalCategory)
            switch name {
            case "isdecimal": return p.numericType == .decimal
            case "isdigit": return p.numericType == .decimal || p.numericType == .digit
            case "isnumeric": return p.numericType != nil
            case "isalpha": return isAlpha
            case "isalnum": return isAlpha || p.numericType != nil
            default: return isPythonWhitespace(u)  // isspace
            }
        }
    }

    private func dictMethod(_ o: JinjaDict, _ name: String, _ args: JinjaArguments) throws -> JinjaValue {
        let fn = "dict.\(name)"
        switch name {
        case "get":
            let a = try args.bind(fn, ["key", "default"], required: 1)
            if case .array = a[0]! { throw TemplateError.typeError("unhashable type: 'list'") }
            if case .object = a[0]! { throw TemplateError.typeError("unhashable type: 'dict'") }
            if let k = a[0]!.stringValue, let v = o[k] { return v }
            return a[1] ?? .none
        case "items":
            _ = try args.bind(fn, [])
            return .iterator(JinjaIterator(view: "dict_items", items: o.map { .tuple([.string($0.key), $0.value]) }))
        case "keys":
            _ = try args.bind(fn, [])
            return .iterator(JinjaIterator(view: "dict_keys", items: o.keys.map(JinjaValue.string)))
        case "values":
            _ = try args.bind(fn, [])
            return .iterator(JinjaIterator(view: "dict_values", items: o.values))
        case "copy":
            _ = try args.bind(fn, [])
            return .object(o)
        default:
            throw TemplateError.unsupported("dict.\(name)", "the dict method \(reprString(name)) is not supported")
        }
    }

    private func sequenceMethod(_ a: [JinjaValue], _ name: String, _ args: JinjaArguments) throws -> JinjaValue {
        switch name {
        case "count":
            let x = try args.bind("count", ["value"], required: 1)[0]!
            return .int(a.filter { $0.pythonEquals(x) }.count)
        case "index":
            let x = try args.bind("index", ["value"], required: 1)[0]!
            guard let i = a.firstIndex(where: { $0.pythonEquals(x) }) else {
                throw TemplateError.runtime("\(x.debugRepr) is not in list")
            }
            return .int(i)
        case "copy":
            return .array(a)
        default:
            throw TemplateError.unsupported("list.\(name)", "the list method \(reprString(name)) is not supported")
        }
    }

    /// `str.format` for `{}`, `{0}`, `{name}`, `{name.attr}`/`{name[key]}` and `{{`/`}}` (no format specs or conversions).
    private func pythonStrFormat(_ format: String, _ args: JinjaArguments) throws -> String {
        let f = Array(format.unicodeScalars)
        var out = ""
        var auto = 0
        var i = 0
        while i < f.count {
            let c = f[i]
            if c == "{" {
                if i + 1 < f.count, f[i + 1] == "{" { out += "{"; i += 2; continue }
                var j = i + 1
                while j < f.count, f[j] != "}" { j += 1 }
                guard j < f.count else { throw TemplateError.runtime("Single '{' encountered in format string") }
                let field = PythonString.string(f[(i + 1)..<j])
                if field.contains(":") || field.contains("!") {
                    throw TemplateError.unsupported("str.format spec", "format specs and conversions in str.format are not supported")
                }
                var path = field.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                let head = path.removeFirst()
                var value: JinjaValue
                if head.isEmpty {
                    guard auto < args.positional.count else { throw TemplateError.runtime("Replacement index \(auto) out of range for positional args tuple") }
                    value = args.positional[auto]
                    auto += 1
                } else if let n = Int(head) {
                    guard n < args.positional.count else { throw TemplateError.runtime("Replacement index \(n) out of range for positional args tuple") }
                    value = args.positional[n]
                } else {
                    guard let v = args.keyword(head) else { throw TemplateError.runtime("KeyError: \(reprString(head))") }
                    value = v
                }
                for attribute in path { value = try getAttribute(value, attribute) }
                out += try value.pythonStr()
                i = j + 1
            } else if c == "}" {
                guard i + 1 < f.count, f[i + 1] == "}" else { throw TemplateError.runtime("Single '}' encountered in format string") }
                out += "}"
                i += 2
            } else {
                out.unicodeScalars.append(c)
                i += 1
            }
        }
        return out
    }
}

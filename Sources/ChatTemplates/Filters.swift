import Foundation

/// jinja2's builtin filters (`jinja2/filters.py`, 3.1.6) with transformers' `tojson` override.
enum FilterCatalog {
    /// Every filter jinja2 3.1.6 registers; a name outside this set fails to compile (outside `if`) as in jinja2.
    static let jinjaFilters: Set<String> = [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
        "filesizeformat", "first", "float", "forceescape", "format", "groupby", "indent", "int", "join", "last", "length",
        "list", "lower", "items", "map", "min", "max", "pprint", "random", "reject", "rejectattr", "replace", "reverse",
        "round", "safe", "select", "selectattr", "slice", "sort", "string", "striptags", "sum", "title", "trim",
        "truncate", "unique", "upper", "urlencode", "urlize", "wordcount", "wordwrap", "xmlattr", "tojson",
    ]
}

extension Interpreter {
    /// Applies a filter. `calledByName`: reached through `map('name')` (jinja2's `call_filter`), which words the
    /// unknown-filter error differently from a filter written in the template.
    func applyFilter(_ name: String, _ value: JinjaValue, _ args: JinjaArguments, calledByName: Bool = false) throws -> JinjaValue {
        let fn = name
        switch name {
        case "default", "d":
            let a = try args.bind(fn, ["default_value", "boolean"])
            let fallback = a[0] ?? .string("")
            if value.isUndefined || (a[1].bool(default: false) && !value.isTruthy) { return fallback }
            return value
        case "length", "count":
            _ = try args.bind(fn, [])
            return .int(try length(value))
        case "string":
            _ = try args.bind(fn, [])
            if case .markup = value { return value }
            return .string(try value.pythonStr())
        case "safe":
            _ = try args.bind(fn, [])
            if case .markup = value { return value }
            return .markup(try value.pythonStr())
        case "escape", "e", "forceescape":
            _ = try args.bind(fn, [])
            if case .markup = value, name != "forceescape" { return value }
            return .markup(htmlEscape(try value.pythonStr()))
        case "trim":
            let chars = try args.bind(fn, ["chars"])[0].string("trim chars")
            return keepMarkup(value, PythonString.strip(try value.pythonStr(), chars))
        case "upper": _ = try args.bind(fn, []); return keepMarkup(value, PythonString.upper(try value.pythonStr()))
        case "lower": _ = try args.bind(fn, []); return keepMarkup(value, PythonString.lower(try value.pythonStr()))
        case "capitalize": _ = try args.bind(fn, []); return keepMarkup(value, PythonString.capitalize(try value.pythonStr()))
        case "title":
            _ = try args.bind(fn, [])
            return .string(jinjaTitle(try value.pythonStr()))
        case "replace":
            let a = try args.bind(fn, ["old", "new", "count"], required: 2)
            return .string(PythonString.replace(try value.pythonStr(), try a[0]!.pythonStr(), try a[1]!.pythonStr(),
                                                count: try a[2].int("count", default: -1)))
        case "center":
            let width = try args.bind(fn, ["width"])[0].int("width", default: 80)
            return keepMarkup(value, PythonString.center(try value.pythonStr(), width))
        case "indent":
            return try indent(value, args)
        case "wordcount":
            _ = try args.bind(fn, [])
            return .int(try value.pythonStr().unicodeScalars.split { !isWordCharacter($0) }.count)
        case "truncate":
            return try truncate(value, args)
        case "format":
            if !args.positional.isEmpty && !args.keyword.isEmpty {
                throw TemplateError.runtime("can't handle positional and keyword arguments at the same time")
            }
            let operand: JinjaValue = args.keyword.isEmpty ? .tuple(args.positional) : .object(JinjaDict(args.keyword))
            return try binary(.modulo, value.stringValue.map { _ in value } ?? .string(try value.pythonStr()), operand)
        case "tojson":
            return try toJSON(value, args)
        case "join":
            let a = try args.bind(fn, ["d", "attribute"])
            let separator = try a[0].present?.pythonStr() ?? ""
            var items = try iterate(value)
            if let attribute = a[1].present { items = try items.map { try attributeGetter(attribute)($0) } }
            return .string(try items.map { try $0.pythonStr() }.joined(separator: separator))
        case "first":
            _ = try args.bind(fn, [])
            if case .iterator(let it) = value { return try first(it) ?? .undefined(JinjaUndefined(message: "No first item, sequence was empty.")) }
            return try iterate(value).first ?? .undefined(JinjaUndefined(message: "No first item, sequence was empty."))
        case "last":
            _ = try args.bind(fn, [])
            switch value {  // next(iter(reversed(value)))
            case .array, .tuple, .object, .string, .markup, .undefined: break
            case .iterator(let it) where it.isView: break
            default: throw TemplateError.typeError("'\(value.pythonTypeName)' object is not reversible")
            }
            return try iterate(value).last ?? .undefined(JinjaUndefined(message: "No last item, sequence was empty."))
        case "list":
            _ = try args.bind(fn, [])
            return .array(try iterate(value))
        case "items":
            _ = try args.bind(fn, [])
            return .iterator(JinjaIterator(typeName: "generator", source: value, step: .items))
        case "reverse":
            _ = try args.bind(fn, [])
            switch value {
            case .string(let s): return .string(PythonString.string(s.unicodeScalars.reversed()))
            case .markup(let s): return .markup(PythonString.string(s.unicodeScalars.reversed()))
            case .array(let a), .tuple(let a):
                return .iterator(JinjaIterator(typeName: value.isTuple ? "reversed" : "list_reverseiterator", source: .array(a.reversed()), step: .identity))
            case .object(let o):
                return .iterator(JinjaIterator(typeName: "dict_reversekeyiterator", source: .array(o.keys.reversed().map(JinjaValue.string)), step: .identity))
            case .iterator(let it) where it.isView:
                let names = ["range": "range_iterator", "dict_keys": "dict_reversekeyiterator",
                             "dict_values": "dict_reversevalueiterator", "dict_items": "dict_reverseitemiterator"]
                return .iterator(JinjaIterator(typeName: names[it.typeName] ?? "reversed", source: .array(try drain(it).reversed()), step: .identity))
            case .iterator, .undefined:
                do {
                    return .array(try iterate(value).reversed())
                } catch let error as TemplateError where error.kind == .runtime {
                    throw TemplateError.runtime("argument must be iterable")  // jinja2 wraps list()'s TypeError
                }
            default:
                throw TemplateError.runtime("argument must be iterable")
            }
        case "sort":
            let a = try args.bind(fn, ["reverse", "case_sensitive", "attribute"])
            let key = multiAttributeGetter(a[2].present, caseSensitive: a[1].bool(default: false))
            return .array(try pythonSorted(try iterate(value), key: key, reverse: a[0].bool(default: false)))
        case "dictsort":
            let a = try args.bind(fn, ["case_sensitive", "by", "reverse"])
            guard case .object(let o) = value else {
                if case .namespace = value { throw TemplateError.runtime("items") }
                if case .undefined(let u) = value { throw u.error }
                throw TemplateError.runtime("'\(value.pythonTypeName)' object has no attribute 'items'")
            }
            let by = try a[1].string("by") ?? "key"
            guard by == "key" || by == "value" else { throw TemplateError.runtime("You can only sort by either \"key\" or \"value\"") }
            let caseSensitive = a[0].bool(default: false)
            let pairs = o.map { JinjaValue.tuple([.string($0.key), $0.value]) }
            return .array(try pythonSorted(pairs, key: { pair in
                guard case .tuple(let kv) = pair else { return [pair] }
                let v = kv[by == "key" ? 0 : 1]
                return [caseSensitive ? v : ignoreCase(v)]
            }, reverse: a[2].bool(default: false)))
        case "unique":
            let a = try args.bind(fn, ["case_sensitive", "attribute"])
            return .iterator(JinjaIterator(typeName: "generator", source: value,
                                           step: .unique(caseSensitive: a[0].bool(default: false), attribute: a[1].present)))
        case "min", "max":
            let a = try args.bind(fn, ["case_sensitive", "attribute"])
            let items = try iterate(value)
            guard var best = items.first else { return .undefined(JinjaUndefined(message: "No aggregated item, sequence was empty.")) }
            let getter = attributeGetter(a[1].present, postprocess: a[0].bool(default: false) ? nil : ignoreCase)
            var bestKey = try getter(best)
            for item in items.dropFirst() {
                let k = try getter(item)
                if try k.pythonOrder(bestKey, name == "min" ? "<" : ">") {
                    best = item
                    bestKey = k
                }
            }
            return best
        case "sum":
            let a = try args.bind(fn, ["attribute", "start"])
            var total = a[1] ?? .int(0)
            let getter = attributeGetter(a[0].present)
            for item in try iterate(value) { total = try binary(.add, total, try getter(item)) }
            return total
        case "abs":
            _ = try args.bind(fn, [])
            switch value {
            case .int(let i):
                guard i != Int.min else { throw TemplateError.unsupported("integer overflow", "abs() overflows 64 bits") }
                return .int(abs(i))
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d): return .double(abs(d))
            default: throw TemplateError.typeError("bad operand type for abs(): '\(value.pythonTypeName)'")
            }
        case "round":
            return try round(value, args)
        case "int":
            let a = try args.bind(fn, ["default", "base"])
            if case .undefined(let u) = value { throw u.error }  // Undefined.__int__ raises
            return try toInt(value, default: a[0] ?? .int(0), base: try a[1].int("base", default: 10))
        case "float":
            let a = try args.bind(fn, ["default"])
            if case .undefined(let u) = value { throw u.error }  // Undefined.__float__ raises
            return toFloat(value) ?? a[0] ?? .double(0)
        case "map":
            return try mapGenerator(value, args)
        case "select", "reject", "selectattr", "rejectattr":
            return selectGenerator(value, args, reject: name.hasPrefix("reject"), lookupAttribute: name.hasSuffix("attr"))
        case "batch":
            let a = try args.bind(fn, ["linecount", "fill_with"], required: 1)
            return .iterator(JinjaIterator(typeName: "generator", source: value,
                                           step: .batch(size: max(1, try a[0].int("linecount", default: 1)), fill: a[1].present)))
        case "attr":
            let attribute = try args.bind(fn, ["name"], required: 1)[0]!.asString("attribute name")
            switch value {
            case .object:
                return PythonMethods.lookup(value, attribute) ?? .undefined(.missingAttribute(value, attribute))
            default:
                return try getAttribute(value, attribute)
            }
        default:
            if FilterCatalog.jinjaFilters.contains(name) {
                throw TemplateError.unsupported("filter '\(name)'", "the filter \(reprString(name)) is not supported")
            }
            throw TemplateError.runtime("No filter named \(reprString(name))\(calledByName ? "." : " found.")")
        }
    }

    private func keepMarkup(_ original: JinjaValue, _ result: String) -> JinjaValue {
        if case .markup = original { return .markup(result) }
        return .string(result)
    }

    /// Python `len()`: Undefined has length 0; iterators have none.
    func length(_ value: JinjaValue) throws -> Int {
        switch value {
        case .undefined: return 0
        case .string(let s), .markup(let s): return s.unicodeScalars.count
        case .array(let a), .tuple(let a): return a.count
        case .object(let o): return o.count
        case .iterator(let it) where it.isView: return it.viewItems!.count
        default: throw TemplateError.typeError("object of type '\(value.pythonTypeName)' has no len()")
        }
    }

    /// transformers' `tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)`.
    private func toJSON(_ value: JinjaValue, _ args: JinjaArguments) throws -> JinjaValue {
        let a = try args.bind("tojson", ["ensure_ascii", "indent", "separators", "sort_keys"])
        var indent: String?
        switch a[1].present {
        case nil: indent = nil
        case .string(let s)?: indent = s
        case let v?: indent = String(repeating: " ", count: max(0, try v.asInt("indent")))
        }
        var separators: (String, String)?
        if let sep = a[2].present {
            let parts = try iterate(sep)
            guard parts.count == 2, let x = parts[0].stringValue, let y = parts[1].stringValue else {
                throw TemplateError.runtime("separators must be a pair of strings")
            }
            separators = (x, y)
        }
        let encoder = PythonJSONEncoder(ensureASCII: a[0].bool(default: false), indent: indent, separators: separators,
                                        sortKeys: a[3].bool(default: false))
        return .string(try encoder.encode(value))
    }

    /// jinja2's `do_indent`.
    private func indent(_ value: JinjaValue, _ args: JinjaArguments) throws -> JinjaValue {
        let a = try args.bind("indent", ["width", "first", "blank"])
        let indention: String
        if case .string(let s)? = a[0] { indention = s } else { indention = String(repeating: " ", count: max(0, try a[0].int("width", default: 4))) }
        let s: String
        switch value {  // jinja2 does `s += "\n"` first
        case .string(let t), .markup(let t): s = t + "\n"
        case .undefined(let u): throw u.error
        case .array: throw TemplateError.runtime("'list' object has no attribute 'splitlines'")  // list += "\n" extends
        case .tuple: throw TemplateError.typeError("can only concatenate tuple (not \"str\") to tuple")
        default: throw TemplateError.typeError("unsupported operand type(s) for +=: '\(value.pythonTypeName)' and 'str'")
        }
        var rv: String
        if a[2].bool(default: false) {
            rv = PythonString.splitlines(s).joined(separator: "\n" + indention)
        } else {
            var lines = PythonString.splitlines(s)
            rv = lines.removeFirst()
            if !lines.isEmpty { rv += "\n" + lines.map { $0.isEmpty ? $0 : indention + $0 }.joined(separator: "\n") }
        }
        if a[1].bool(default: false) { rv = indention + rv }
        return keepMarkup(value, rv)
    }

    private func truncate(_ value: JinjaValue, _ args: JinjaArguments) throws -> JinjaValue {
        let a = try args.bind("truncate", ["length", "killwords", "end", "leeway"])
        let length = try a[0].int("length", default: 255)
        let end = try a[2].string("end") ?? "..."
        let leeway = try a[3].int("leeway", default: 5)
        guard let text = value.stringValue else {
            // jinja2 compares len(value) first and returns short values unchanged.
            if try self.length(value) <= length + leeway { return value }
            throw TemplateError.unsupported("truncate of a \(value.pythonTypeName)", "truncate of a long \(value.pythonTypeName) is not supported")
        }
        let s = Array(text.unicodeScalars)
        if s.count <= length + leeway { return value }
        let head = PythonString.string(s.prefix(max(0, length - end.unicodeScalars.count)))
        if a[1].bool(default: false) { return .string(head + end) }
        return .string((try PythonString.rsplit(head, " ", 1)).first! + end)
    }

    private func round(_ value: JinjaValue, _ args: JinjaArguments) throws -> JinjaValue {
        let a = try args.bind("round", ["precision", "method"])
        let precision = try a[0].int("precision", default: 0)
        let method = try a[1].string("method") ?? "common"
        guard ["common", "ceil", "floor"].contains(method) else { throw TemplateError.runtime("method must be common, ceil or floor") }
        guard let n = value.numericValue else {
            if method == "common" { throw TemplateError.typeError("type \(value.pythonTypeName) doesn't define __round__ method") }
            switch value {  // math.floor(value * 10**precision)
            case .string, .markup, .array, .tuple: throw TemplateError.typeError("must be real number, not \(value.pythonTypeName)")
            case .undefined(let u): throw u.error
            default: throw TemplateError.typeError("unsupported operand type(s) for *: '\(value.pythonTypeName)' and 'int'")
            }
        }
        if method == "common", case .int(let i) = n, precision >= 0 { return .int(i) }
        let x = n.asDouble
        let scale = pow(10.0, Double(precision))
        switch method {
        case "ceil": return .double((x * scale).rounded(.up) / scale)
        case "floor": return .double((x * scale).rounded(.down) / scale)
        default:
            if precision == 0 { return .double(x.rounded(.toNearestOrEven)) }
            // Python rounds the exact decimal value of x; "%.*f" does the same.
            guard precision > 0, precision < 300, let r = Double(formatFixed(x, precision)) else {
                return .double((x * scale).rounded(.toNearestOrEven) / scale)
            }
            return .double(r)
        }
    }

    /// jinja2's `do_int`: `int(value)` (strings in `base`), else `int(float(value))`, else the default.
    private func toInt(_ value: JinjaValue, default fallback: JinjaValue, base: Int) throws -> JinjaValue {
        switch value {
        case .int: return value
        case .bool(let b): return .int(b ? 1 : 0)
        case .double(let d):
            guard d.isFinite, abs(d) < 9.2e18 else { return d.isFinite ? value : fallback }
            return .int(Int(d))
        case .string(let s), .markup(let s):
            let t = PythonString.strip(s, nil).filter { $0 != "_" }
            if base == 10, let i = Int(t) { return .int(i) }
            if base != 10, let i = Int(t, radix: base) { return .int(i) }
            if let d = toFloat(value), case .double(let x) = d, x.isFinite, abs(x) < 9.2e18 { return .int(Int(x)) }
            return fallback
        default:
            return fallback
        }
    }

    /// Python `float(value)`, or nil where it raises.
    private func toFloat(_ value: JinjaValue) -> JinjaValue? {
        switch value {
        case .int(let i): return .double(Double(i))
        case .bool(let b): return .double(b ? 1 : 0)
        case .double: return value
        case .string(let s), .markup(let s):
            let t = PythonString.strip(s, nil).lowercased()
            switch t {
            case "inf", "+inf", "infinity", "+infinity": return .double(.infinity)
            case "-inf", "-infinity": return .double(-.infinity)
            case "nan", "+nan", "-nan": return .double(.nan)
            default: break
            }
            guard t.unicodeScalars.allSatisfy({ "0123456789+-.e_".unicodeScalars.contains($0) }), let d = Double(t.filter { $0 != "_" }) else {
                return nil
            }
            return .double(d)
        default:
            return nil
        }
    }

    /// jinja2's `do_title`: words start after `-`, whitespace, or an opening bracket.
    private func jinjaTitle(_ s: String) -> String {
        var out = ""
        var atWordStart = true
        for u in s.unicodeScalars {
            let separator = u == "-" || u == "(" || u == "{" || u == "[" || u == "<" || isPythonWhitespace(u)
            if separator {
                out.unicodeScalars.append(u)
                atWordStart = true
            } else if atWordStart {
                out += u.properties.uppercaseMapping
                atWordStart = false
            } else {
                out += u.properties.lowercaseMapping
            }
        }
        return out
    }

    private func isWordCharacter(_ u: Unicode.Scalar) -> Bool {
        u == "_" || u.properties.isAlphabetic || u.properties.numericType != nil
    }

    func ignoreCase(_ v: JinjaValue) -> JinjaValue {
        if case .string(let s) = v { return .string(PythonString.lower(s)) }
        if case .markup(let s) = v { return .markup(PythonString.lower(s)) }
        return v
    }
}

extension JinjaValue {
    var isTuple: Bool { if case .tuple = self { return true }; return false }
}

import EagleCore

extension JinjaValue {
    /// The value Python's `json.loads` would give, keys in document order.
    public init(json: JSONValue) {
        switch json {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(JinjaValue.init(json:)))
        case .object(let o):
            var d = JinjaDict()
            for (k, v) in o { d[k] = JinjaValue(json: v) }
            self = .object(d)
        }
    }

    /// Parses JSON text (order-preserving) into a template value.
    public static func parseJSON(_ text: String) throws -> JinjaValue {
        do {
            return JinjaValue(json: try JSONParser.parse(text))
        } catch {
            throw TemplateError(.loading, "invalid JSON: \(error)")
        }
    }
}

/// Python's `json.dumps(x, ensure_ascii=…, indent=…, separators=…, sort_keys=…)`, which transformers installs as
/// the `tojson` filter (without jinja2's HTML escaping).
struct PythonJSONEncoder {
    var ensureASCII = false
    /// nil: single line. Otherwise the string repeated once per nesting level (`indent=2` → two spaces).
    var indent: String?
    var itemSeparator: String
    var keySeparator: String
    var sortKeys = false

    init(ensureASCII: Bool = false, indent: String? = nil, separators: (String, String)? = nil, sortKeys: Bool = false) {
        self.ensureASCII = ensureASCII
        self.indent = indent
        self.sortKeys = sortKeys
        // json.dumps: separators default to (', ', ': '), or (',', ': ') when indent is given.
        let defaults = indent == nil ? (", ", ": ") : (",", ": ")
        (itemSeparator, keySeparator) = separators ?? defaults
    }

    func encode(_ value: JinjaValue) throws -> String {
        var out = ""
        try write(value, level: 0, into: &out)
        return out
    }

    private func write(_ value: JinjaValue, level: Int, into out: inout String) throws {
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" } else { out += pythonFloatRepr(d) }
        case .string(let s), .markup(let s): writeString(s, into: &out)
        case .array(let a), .tuple(let a):
            if a.isEmpty { out += "[]"; return }
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += itemSeparator }
                newline(level + 1, into: &out)
                try write(v, level: level + 1, into: &out)
            }
            newline(level, into: &out)
            out += "]"
        case .object(let o):
            try writeObject(o, level: level, into: &out)
        case .namespace(let ns):
            // TemplateNamespace is not a dict subclass: json.dumps refuses it.
            _ = ns
            throw TemplateError.typeError("Object of type TemplateNamespace is not JSON serializable")
        case .undefined:
            throw TemplateError.typeError("Object of type Undefined is not JSON serializable")
        case .function(let f):
            throw TemplateError.typeError("Object of type \(f.isMacro ? "Macro" : "builtin_function_or_method") is not JSON serializable")
        case .loop:
            throw TemplateError.typeError("Object of type LoopContext is not JSON serializable")
        case .iterator(let it):
            throw TemplateError.typeError("Object of type \(it.typeName) is not JSON serializable")
        }
    }

    private func writeObject(_ o: JinjaDict, level: Int, into out: inout String) throws {
        if o.isEmpty { out += "{}"; return }
        var keys = o.keys
        if sortKeys { keys.sort(by: JinjaValue.codePointLess) }
        out += "{"
        for (i, k) in keys.enumerated() {
            if i > 0 { out += itemSeparator }
            newline(level + 1, into: &out)
            writeString(k, into: &out)
            out += keySeparator
            try write(o[k]!, level: level + 1, into: &out)
        }
        newline(level, into: &out)
        out += "}"
    }

    private func newline(_ level: Int, into out: inout String) {
        guard let indent else { return }
        out += "\n"
        for _ in 0..<level { out += indent }
    }

    /// json's string encoder: `"` `\` and control characters escaped (`\n \r \t \b \f`, others `\u00XX`); with
    /// ensure_ascii every non-ASCII character becomes `\uXXXX` (surrogate pairs above U+FFFF).
    private func writeString(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 {
                    out += "\\u" + hex(u.value, width: 4)
                } else if ensureASCII && u.value > 0x7E {
                    if u.value >= 0x10000 {
                        let v = u.value - 0x10000
                        out += "\\u" + hex(0xD800 + (v >> 10), width: 4) + "\\u" + hex(0xDC00 + (v & 0x3FF), width: 4)
                    } else {
                        out += "\\u" + hex(u.value, width: 4)
                    }
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}

/// The globals a chat template sees in transformers: jinja2's defaults (`range`, `dict`, `namespace`, plus
/// `lipsum`/`cycler`/`joiner`, present but not supported) and transformers' `raise_exception` and `strftime_now`.
enum TemplateGlobals {
    /// The sandbox's `safe_range` limit.
    static let maxRange = 100_000

    static func make(date: TemplateDate) -> [String: JinjaValue] {
        var g: [String: JinjaValue] = [:]
        g["range"] = .function(JinjaFunction(name: "range") { try range($0) })
        g["dict"] = .function(JinjaFunction(name: "dict", kind: .dictConstructor))
        g["namespace"] = .function(JinjaFunction(name: "namespace", kind: .namespaceConstructor))
        g["raise_exception"] = .function(JinjaFunction(name: "raise_exception") { args in
            let message = try args.bind("raise_exception", ["message"], required: 1)[0]!
            throw TemplateError(.raised, try message.pythonStr())
        })
        g["strftime_now"] = .function(JinjaFunction(name: "strftime_now") { args in
            let format = try args.bind("strftime_now", ["format"], required: 1)[0]!.asString("strftime() argument 1")
            return .string(try Strftime.format(format, date))
        })
        for name in ["lipsum", "cycler", "joiner"] {
            g[name] = .function(JinjaFunction(name: name) { _ in
                throw TemplateError.unsupported("global '\(name)'", "the global \(reprString(name)) is not supported")
            })
        }
        return g
    }

    /// Python `range(stop)` / `range(start, stop[, step])` as a re-iterable view (prints as `range(a, b)`).
    static func range(_ args: JinjaArguments) throws -> JinjaValue {
        guard args.keyword.isEmpty else { throw TemplateError.typeError("range() takes no keyword arguments") }
        let n = try args.positional.map { try $0.asInt("range()") }
        let (start, stop, step): (Int, Int, Int)
        switch n.count {
        case 1: (start, stop, step) = (0, n[0], 1)
        case 2: (start, stop, step) = (n[0], n[1], 1)
        case 3: (start, stop, step) = (n[0], n[1], n[2])
        default: throw TemplateError.typeError("range expected at most 3 arguments, got \(n.count)")
        }
        guard step != 0 else { throw TemplateError.runtime("range() arg 3 must not be zero") }
        let count = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0)
                             : (start > stop ? (start - stop - step - 1) / -step : 0)
        if count > maxRange {
            throw TemplateError.runtime("Range too big. The sandbox blocks ranges larger than MAX_RANGE (\(maxRange)).")
        }
        return .iterator(JinjaIterator(rangeStart: start, stop: stop, step: step))
    }
}

/// Binding of call arguments to Python-style parameters, and conversions of argument values.
extension JinjaArguments {
    /// Values for `names` in order (nil where not passed). Rejects extra positional arguments, unknown keywords,
    /// duplicates, and missing required (the first `required`) parameters, with Python's messages.
    func bind(_ function: String, _ names: [String], required: Int = 0) throws -> [JinjaValue?] {
        if positional.count > names.count {
            throw TemplateError.typeError("\(function)() takes at most \(names.count) argument\(names.count == 1 ? "" : "s") (\(positional.count) given)")
        }
        var out: [JinjaValue?] = positional.map { Optional($0) } + Array(repeating: nil, count: names.count - positional.count)
        for (k, v) in keyword {
            guard let i = names.firstIndex(of: k) else {
                throw TemplateError.typeError("\(function)() got an unexpected keyword argument \(reprString(k))")
            }
            if out[i] != nil { throw TemplateError.typeError("\(function)() got multiple values for argument \(reprString(k))") }
            out[i] = v
        }
        for i in 0..<required where out[i] == nil {
            throw TemplateError.typeError("\(function)() missing required argument \(reprString(names[i]))")
        }
        return out
    }
}

extension JinjaValue {
    /// An integer argument (bools count, as in Python); nil/None gives `defaultValue`.
    func asInt(_ what: String) throws -> Int {
        switch self {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: throw TemplateError.typeError("\(what): '\(pythonTypeName)' object cannot be interpreted as an integer")
        }
    }

    func asString(_ what: String) throws -> String {
        guard let s = stringValue else {
            throw TemplateError.typeError((what.isEmpty ? "" : what + " ") + "must be str, not \(pythonTypeName)")
        }
        return s
    }
}

extension Optional where Wrapped == JinjaValue {
    /// The argument, treating an absent one and Python `None` alike.
    var present: JinjaValue? {
        switch self {
        case nil, .none?: return nil
        default: return self
        }
    }

    func int(_ what: String, default defaultValue: Int) throws -> Int {
        try present.map { try $0.asInt(what) } ?? defaultValue
    }

    func string(_ what: String) throws -> String? {
        try present.map { try $0.asString(what) }
    }

    func bool(default defaultValue: Bool) -> Bool {
        self.map { $0.isTruthy } ?? defaultValue
    }
}

/// jinja2's builtin tests (`jinja2/tests.py`, 3.1.6): `x is defined`, `x is string`, `x is equalto y`, …
enum TestCatalog {
    /// Every test jinja2 registers; an unknown name fails to compile (outside `if`) as in jinja2.
    static let jinjaTests: Set<String> = [
        "odd", "even", "divisibleby", "defined", "undefined", "filter", "test", "none", "boolean", "false", "true",
        "integer", "float", "lower", "upper", "string", "mapping", "number", "sequence", "iterable", "callable",
        "sameas", "escaped", "in", "==", "eq", "equalto", "!=", "ne", ">", "gt", "greaterthan", "ge", ">=", "<", "lt",
        "lessthan", "<=", "le",
    ]
}

extension Interpreter {
    /// Applies a test. `calledByName`: reached through `select('name')` (jinja2's `call_test`), which words the
    /// unknown-test error differently from a test written in the template.
    func applyTest(_ name: String, _ value: JinjaValue, _ args: JinjaArguments, calledByName: Bool = false) throws -> Bool {
        func noArguments() throws {
            guard args.positional.isEmpty && args.keyword.isEmpty else {
                // jinja2's test functions take only the value: Python's own arity error.
                if name == "callable" { throw TemplateError.typeError("callable() takes exactly one argument (\(args.positional.count + 1) given)") }
                if args.keyword.isEmpty {
                    throw TemplateError.typeError("test_\(name)() takes 1 positional argument but \(args.positional.count + 1) were given")
                }
                throw TemplateError.typeError("test_\(name)() got an unexpected keyword argument \(reprString(args.keyword[0].0))")
            }
        }
        func other() throws -> JinjaValue { try args.bind(name, ["other"], required: 1)[0]! }
        switch name {
        case "defined": try noArguments(); return !value.isUndefined
        case "undefined": try noArguments(); return value.isUndefined
        case "none": try noArguments(); return value.isNone
        case "boolean": try noArguments(); if case .bool = value { return true }; return false
        case "true": try noArguments(); if case .bool(true) = value { return true }; return false
        case "false": try noArguments(); if case .bool(false) = value { return true }; return false
        case "integer": try noArguments(); if case .int = value { return true }; return false
        case "float": try noArguments(); if case .double = value { return true }; return false
        case "number":
            try noArguments()
            switch value {
            case .int, .double, .bool: return true
            default: return false
            }
        case "string": try noArguments(); return value.stringValue != nil
        case "mapping": try noArguments(); if case .object = value { return true }; return false
        case "sequence":
            try noArguments()
            switch value {
            case .string, .markup, .array, .tuple, .object, .undefined: return true
            case .iterator(let it): return it.typeName == "range"
            default: return false
            }
        case "iterable":
            try noArguments()
            switch value {
            case .string, .markup, .array, .tuple, .object, .undefined, .iterator, .loop: return true
            default: return false
            }
        case "callable":
            try noArguments()
            switch value {
            case .function, .undefined: return true
            default: return false
            }
        case "escaped": try noArguments(); if case .markup = value { return true }; return false
        case "lower": try noArguments(); return PythonString.isLower(try value.pythonStr())
        case "upper": try noArguments(); return PythonString.isUpper(try value.pythonStr())
        case "odd", "even":
            try noArguments()
            let r = try binary(.modulo, value, .int(2))
            let isOne = r.pythonEquals(.int(1))
            return name == "odd" ? isOne : !isOne && r.pythonEquals(.int(0))
        case "divisibleby":
            let n = try args.bind(name, ["num"], required: 1)[0]!
            return try binary(.modulo, value, n).pythonEquals(.int(0))
        case "==", "eq", "equalto": return value.pythonEquals(try other())
        case "!=", "ne": return !value.pythonEquals(try other())
        case ">", "gt", "greaterthan": return try value.pythonOrder(try other(), ">")
        case ">=", "ge": return try value.pythonOrder(try other(), ">=")
        case "<", "lt", "lessthan": return try value.pythonOrder(try other(), "<")
        case "<=", "le": return try value.pythonOrder(try other(), "<=")
        case "in":
            let seq = try args.bind(name, ["seq"], required: 1)[0]!
            return try contains(seq, value)
        case "sameas":
            let o = try other()
            switch (value, o) {
            case (.none, .none): return true
            case (.bool(let a), .bool(let b)): return a == b
            case (.namespace(let a), .namespace(let b)): return a === b
            case (.none, _), (_, .none), (.bool, _), (_, .bool): return false
            default:
                throw TemplateError.unsupported("test 'sameas'", "'sameas' is only supported for None, booleans and namespaces (Python object identity)")
            }
        case "filter":
            try noArguments()
            guard let s = value.stringValue else { return false }
            return FilterCatalog.jinjaFilters.contains(s)
        case "test":
            try noArguments()
            guard let s = value.stringValue else { return false }
            return TestCatalog.jinjaTests.contains(s)
        default:
            throw TemplateError.runtime("No test named \(reprString(name))\(calledByName ? "." : " found.")")
        }
    }
}

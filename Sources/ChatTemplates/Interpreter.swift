/// Renders statements (this file), evaluates expressions (Evaluator.swift), applies filters, tests and methods.
/// One instance per render; not shared between threads.
final class Interpreter {
    let templateName: String
    let limits: RenderLimits
    private var outputCharacters = 0
    private var loopIterations = 0
    private var callDepth = 0
    /// Set while the ConstantFolder evaluates expressions at parse time: names and calls are not constant, and a
    /// failing slice gives Undefined (jinja2 folds `x[a:b]` through `environment.getitem`).
    var foldingConstants = false

    enum Flow { case normal, breakLoop, continueLoop }

    init(templateName: String, limits: RenderLimits) {
        self.templateName = templateName
        self.limits = limits
    }

    /// Gives an error without a position the position of `location` and this template's name.
    func located<T>(_ location: SourceLocation, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var error as TemplateError {
            if error.location == nil { error.location = location }
            if error.templateName.isEmpty { error.templateName = templateName }
            throw error
        }
    }

    func write(_ text: String, into out: inout String) throws {
        outputCharacters += text.utf8.count
        if outputCharacters > limits.maxOutputCharacters {
            throw TemplateError(.limit, "output exceeds the limit of \(limits.maxOutputCharacters) characters", templateName: templateName)
        }
        out += text
    }

    func render(_ nodes: [Node], in scope: Scope, into out: inout String) throws -> Flow {
        for node in nodes {
            switch node {
            case .text(let s):
                try write(s, into: &out)
            case .output(let e):
                let v = try eval(e, scope)
                try write(try located(e.location) { try v.pythonStr() }, into: &out)
            case .ifChain(let branches, let elseBody):
                var taken = false
                for branch in branches where try eval(branch.test, scope).isTruthy {
                    taken = true
                    let flow = try render(branch.body, in: scope, into: &out)
                    if flow != .normal { return flow }
                    break
                }
                if !taken {
                    let flow = try render(elseBody, in: scope, into: &out)
                    if flow != .normal { return flow }
                }
            case .forLoop(let loop):
                let flow = try renderFor(loop, in: scope, into: &out)
                if flow != .normal { return flow }
            case .set(let target, let e, let loc):
                let v = try eval(e, scope)
                try located(loc) { try assign(target, v, in: scope) }
            case .setBlock(let target, let filter, let body, let loc):
                var captured = ""
                let flow = try render(body, in: scope.child(), into: &captured)
                if flow != .normal { return flow }
                var v = JinjaValue.string(captured)
                if let filter { v = try applyFilterChain(filter, to: v, in: scope) }
                try located(loc) { try assign(target, v, in: scope) }
            case .macro(let definition):
                scope.set(definition.name, .function(JinjaFunction(
                    name: definition.name, kind: .macro(MacroClosure(definition: definition, scope: scope)))))
            case .callBlock(let call, let callerDefinition):
                guard case .call(let callee, let arguments) = call.kind else { continue }
                let f = try eval(callee, scope)
                var args = try evalArguments(arguments, scope)
                let caller = MacroClosure(definition: callerDefinition, scope: scope)
                args.keyword.append(("caller", .function(JinjaFunction(name: "caller", kind: .macro(caller)))))
                let v = try located(call.location) { try callValue(f, args) }
                try write(try located(call.location) { try v.pythonStr() }, into: &out)
            case .filterBlock(let filter, let body):
                var captured = ""
                let flow = try render(body, in: scope.child(), into: &captured)
                if flow != .normal { return flow }
                let v = try applyFilterChain(filter, to: .string(captured), in: scope)
                try write(try located(filter.location) { try v.pythonStr() }, into: &out)
            case .with(let assignments, let body):
                let inner = scope.child()
                for (target, e) in assignments {
                    let v = try eval(e, scope)
                    try located(e.location) { try assign(target, v, in: inner) }
                }
                let flow = try render(body, in: inner, into: &out)
                if flow != .normal { return flow }
            case .generation(let body):
                let flow = try render(body, in: scope.child(), into: &out)
                if flow != .normal { return flow }
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            }
        }
        return .normal
    }

    private func renderFor(_ loop: ForLoop, in scope: Scope, into out: inout String) throws -> Flow {
        let iterable = try eval(loop.iterable, scope)
        var items = try located(loop.iterable.location) { try iterate(iterable) }
        if let condition = loop.filter {
            var kept: [JinjaValue] = []
            for item in items {
                let s = scope.child()
                try located(loop.location) { try assign(loop.target, item, in: s) }
                if try eval(condition, s).isTruthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty {
            return try render(loop.elseBody, in: scope.child(), into: &out)
        }
        for (i, item) in items.enumerated() {
            loopIterations += 1
            if loopIterations > limits.maxLoopIterations {
                throw TemplateError(.limit, "more than \(limits.maxLoopIterations) loop iterations",
                                    templateName: templateName, location: loop.location)
            }
            let s = scope.child()
            try located(loop.location) { try assign(loop.target, item, in: s) }
            s.set("loop", .loop(JinjaLoop(index0: i, length: items.count, previous: i > 0 ? items[i - 1] : nil,
                                          next: i + 1 < items.count ? items[i + 1] : nil, depth0: 0)))
            if try render(loop.body, in: s, into: &out) == .breakLoop { break }
        }
        return .normal
    }

    /// Python iteration (`for x in value`): dicts give keys, strings characters, Undefined nothing.
    func iterate(_ value: JinjaValue) throws -> [JinjaValue] {
        switch value {
        case .undefined: return []
        case .array(let a), .tuple(let a): return a
        case .object(let o): return o.keys.map(JinjaValue.string)
        case .string(let s), .markup(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .iterator(let it): return try drain(it)
        case .loop:
            throw TemplateError.unsupported("iteration over loop", "iterating over the loop object is not supported")
        case .none, .bool, .int, .double, .namespace, .function:
            throw TemplateError.typeError("'\(value.pythonTypeName)' object is not iterable")
        }
    }

    func assign(_ target: AssignTarget, _ value: JinjaValue, in scope: Scope) throws {
        switch target {
        case .name(let n):
            scope.set(n, value)
        case .tuple(let targets):
            switch value {
            case .none, .bool, .int, .double, .namespace, .function:
                throw TemplateError.typeError("cannot unpack non-iterable \(value.pythonTypeName) object")
            default: break
            }
            let items = try iterate(value)
            if items.count < targets.count {
                throw TemplateError.runtime("not enough values to unpack (expected \(targets.count), got \(items.count))")
            }
            if items.count > targets.count {
                throw TemplateError.runtime("too many values to unpack (expected \(targets.count))")
            }
            for (t, v) in zip(targets, items) { try assign(t, v, in: scope) }
        case .namespaceAttribute(let name, let attribute):
            guard case .namespace(let ns)? = scope.lookup(name) else {
                throw TemplateError.runtime("cannot assign attribute on non-namespace object")
            }
            try checkNamespaceAttributeName(attribute)
            ns[attribute] = value
        }
    }

    /// transformers' `TemplateNamespace` refuses underscore-prefixed names.
    func checkNamespaceAttributeName(_ name: String) throws {
        if name.hasPrefix("_") {
            throw TemplateError(.security, "Chat templates cannot store underscore-prefixed attributes on a namespace, but got "
                                + "\(reprString(name)). Please rename the attribute.")
        }
    }

    /// Applies a `{% filter %}` / block-`set` filter chain whose innermost value slot is empty to `value`.
    private func applyFilterChain(_ chain: Expr, to value: JinjaValue, in scope: Scope) throws -> JinjaValue {
        guard case .filter(let inner, let name, let arguments) = chain.kind else { return value }
        let input = try inner.map { try applyFilterChain($0, to: value, in: scope) } ?? value
        let args = try evalArguments(arguments, scope)
        return try located(chain.location) { try applyFilter(name, input, args) }
    }

    // MARK: calls

    func callValue(_ f: JinjaValue, _ args: JinjaArguments) throws -> JinjaValue {
        switch f {
        case .function(let fn):
            switch fn.kind {
            case .builtin(let body): return try body(args)
            case .method(let receiver, let name): return try callMethod(receiver, name, args)
            case .macro(let closure): return try invokeMacro(closure, args)
            case .dictConstructor: return try makeDict(args)
            case .namespaceConstructor: return try makeNamespace(args)
            }
        case .undefined(let u):
            throw u.error
        default:
            throw TemplateError.typeError("'\(f.pythonTypeName)' object is not callable")
        }
    }

    /// jinja2's `Macro.__call__` argument binding, then the body in a fresh frame over the defining one.
    private func invokeMacro(_ closure: MacroClosure, _ args: JinjaArguments) throws -> JinjaValue {
        let def = closure.definition
        callDepth += 1
        defer { callDepth -= 1 }
        if callDepth > limits.maxCallDepth {
            throw TemplateError(.limit, "macro calls nested deeper than \(limits.maxCallDepth) levels (in macro \(reprString(def.name)))")
        }
        let scope = closure.scope.child()
        let names = def.parameters.map(\.name)
        var keyword = args.keyword
        func popKeyword(_ name: String) -> JinjaValue? {
            guard let i = keyword.firstIndex(where: { $0.0 == name }) else { return nil }
            return keyword.remove(at: i).1
        }
        var values: [JinjaValue?] = Array(args.positional.prefix(names.count))
        var foundCaller = false
        if values.count != names.count {
            for name in names[values.count...] {
                values.append(popKeyword(name))
                if name == "caller" { foundCaller = true }
            }
        } else {
            foundCaller = names.contains("caller")
        }
        if def.catchesCaller && !foundCaller {
            scope.set("caller", popKeyword("caller") ?? .undefined(JinjaUndefined(message: "No caller defined")))
        }
        if def.catchesKwargs {
            scope.set("kwargs", .object(JinjaDict(keyword)))
        } else if let first = keyword.first {
            if keyword.contains(where: { $0.0 == "caller" }) {
                throw TemplateError.typeError("macro \(reprString(def.name)) was invoked with two values for the special caller argument. This is most likely a bug.")
            }
            throw TemplateError.typeError("macro \(reprString(def.name)) takes no keyword argument \(reprString(first.0))")
        }
        if def.catchesVarargs {
            scope.set("varargs", .tuple(Array(args.positional.dropFirst(names.count))))
        } else if args.positional.count > names.count {
            throw TemplateError.typeError("macro \(reprString(def.name)) takes not more than \(names.count) argument(s)")
        }
        for (i, parameter) in def.parameters.enumerated() {
            if let v = values[i] {
                scope.set(parameter.name, v)
            } else if let d = parameter.defaultValue {
                scope.set(parameter.name, try eval(d, scope))
            } else {
                scope.set(parameter.name, .undefined(JinjaUndefined(message: "parameter \(reprString(parameter.name)) was not provided")))
            }
        }
        var out = ""
        _ = try render(def.body, in: scope, into: &out)
        return .string(out)
    }

    /// The sandbox's `dict(...)`: keyword arguments, or one mapping / sequence of pairs plus keywords.
    private func makeDict(_ args: JinjaArguments) throws -> JinjaValue {
        var d = JinjaDict()
        if args.positional.count > 1 { throw TemplateError.typeError("dict expected at most 1 argument, got \(args.positional.count)") }
        if let first = args.positional.first {
            if case .object(let o) = first {
                d = o
            } else {
                for pair in try iterate(first) {
                    let kv = try iterate(pair)
                    guard kv.count == 2 else {
                        throw TemplateError.runtime("dictionary update sequence element has length \(kv.count); 2 is required")
                    }
                    guard let key = kv[0].stringValue else {
                        throw TemplateError.unsupported("non-string dict key", "dictionaries with non-string keys are not supported")
                    }
                    d[key] = kv[1]
                }
            }
        }
        for (k, v) in args.keyword { d[k] = v }
        return .object(d)
    }

    /// transformers' `TemplateNamespace(*args, **kwargs)`: attributes from `dict(*args, **kwargs)`.
    private func makeNamespace(_ args: JinjaArguments) throws -> JinjaValue {
        guard case .object(let attributes) = try makeDict(args) else { return .none }
        for name in attributes.keys { try checkNamespaceAttributeName(name) }
        return .namespace(JinjaNamespace(attributes))
    }
}

/// Expression evaluation with jinja2's sandboxed attribute and item lookup.
extension Interpreter {
    func eval(_ e: Expr, _ scope: Scope) throws -> JinjaValue {
        try located(e.location) { try evalKind(e, scope) }
    }

    private func evalKind(_ e: Expr, _ scope: Scope) throws -> JinjaValue {
        switch e.kind {
        case .literal(let v):
            return v
        case .name(let n):
            if foldingConstants { throw NotConstant() }
            return scope.lookup(n) ?? .undefinedName(n)
        case .list(let items):
            return .array(try items.map { try eval($0, scope) })
        case .tuple(let items):
            return .tuple(try items.map { try eval($0, scope) })
        case .dict(let pairs):
            var d = JinjaDict()
            for (k, v) in pairs {
                let key = try eval(k, scope)
                guard let s = key.stringValue else {
                    throw TemplateError.unsupported("non-string dict key", "dictionaries with non-string keys are not supported")
                }
                d[s] = try eval(v, scope)
            }
            return .object(d)
        case .attribute(let target, let name):
            return try getAttribute(try eval(target, scope), name)
        case .item(let target, let key):
            let value = try eval(target, scope)
            if case .slice(let start, let stop, let step) = key.kind {
                let bounds = try [start, stop, step].map { try $0.map { try eval($0, scope) } }
                do {
                    return try slice(value, bounds[0], bounds[1], bounds[2])
                } catch let error as TemplateError where error.kind == .runtime && foldingConstants {
                    // Folded at compile time, `x[a:b]` goes through environment.getitem, which turns the
                    // TypeError into Undefined.
                    return .undefined(JinjaUndefined(message: "\(value.objectTypeRepr) has no element slice"))
                }
            }
            return try getItem(value, try eval(key, scope))
        case .slice:
            throw TemplateError.unsupported("slice expression", "a slice is only supported directly inside brackets")
        case .call(let callee, let arguments):
            if foldingConstants { throw NotConstant() }
            let f = try eval(callee, scope)
            let args = try evalArguments(arguments, scope)
            return try callValue(f, args)
        case .filter(let target, let name, let arguments):
            guard let target else { throw TemplateError(.syntax, "filter without a value") }
            if foldingConstants && ConstantFolder.contextFilters.contains(name) { throw NotConstant() }
            let value = try eval(target, scope)
            return try applyFilter(name, value, try evalArguments(arguments, scope))
        case .test(let target, let name, let arguments):
            let value = try eval(target, scope)
            return .bool(try applyTest(name, value, try evalArguments(arguments, scope)))
        case .not(let x):
            return .bool(!(try eval(x, scope).isTruthy))
        case .negate(let x):
            return try negate(try eval(x, scope))
        case .plus(let x):
            let v = try eval(x, scope)
            switch v {
            case .bool(let b): return .int(b ? 1 : 0)
            case .int, .double: return v
            case .undefined(let u): throw u.error
            default: throw TemplateError.typeError("bad operand type for unary +: '\(v.pythonTypeName)'")
            }
        case .binary(let op, let a, let b):
            let l = try eval(a, scope)
            let r = try eval(b, scope)
            return try binary(op, l, r)
        case .and(let a, let b):
            let l = try eval(a, scope)
            return l.isTruthy ? try eval(b, scope) : l
        case .or(let a, let b):
            let l = try eval(a, scope)
            return l.isTruthy ? l : try eval(b, scope)
        case .concat(let items):
            var s = ""
            for item in items { s += try eval(item, scope).pythonStr() }
            return .string(s)
        case .compare(let first, let ops):
            var left = try eval(first, scope)
            for (op, e) in ops {
                let right = try eval(e, scope)
                if !(try compare(op, left, right)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let test, let then, let otherwise):
            if try eval(test, scope).isTruthy { return try eval(then, scope) }
            if let otherwise { return try eval(otherwise, scope) }
            return .undefined(JinjaUndefined(message: "the inline if-expression on line \(e.location.line) evaluated to false and no else section was defined."))
        }
    }

    func evalArguments(_ arguments: CallArguments, _ scope: Scope) throws -> JinjaArguments {
        var args = JinjaArguments()
        for p in arguments.positional { args.positional.append(try eval(p, scope)) }
        for (name, value) in arguments.keyword { args.keyword.append((name, try eval(value, scope))) }
        if let star = arguments.starArgs {
            args.positional += try located(star.location) { try iterate(try eval(star, scope)) }
        }
        if let star = arguments.starKwargs {
            guard case .object(let o) = try eval(star, scope) else {
                throw TemplateError(.runtime, "argument after ** must be a mapping", templateName: templateName, location: star.location)
            }
            for (k, v) in o { args.keyword.append((k, v)) }
        }
        return args
    }

    // MARK: attribute and item access (jinja2.sandbox.SandboxedEnvironment.getattr / getitem)

    /// `value.name`: the Python attribute first (dict methods shadow keys), then the item.
    func getAttribute(_ value: JinjaValue, _ name: String) throws -> JinjaValue {
        switch value {
        case .undefined(let u):
            throw u.error
        case .object(let o):
            if let method = PythonMethods.lookup(value, name) { return method }
            return o[name] ?? .undefined(.missingAttribute(value, name))
        case .namespace(let ns):
            return ns[name] ?? .undefined(.missingAttribute(value, name))
        case .loop(let loop):
            return loopAttribute(loop, name) ?? .undefined(.missingAttribute(value, name))
        case .int, .double, .bool:
            if PythonMethods.numberAttributes.contains(name) {
                throw TemplateError.unsupported("attribute '\(name)' of a number", "the number attribute \(reprString(name)) is not supported")
            }
            return .undefined(.missingAttribute(value, name))
        default:
            return PythonMethods.lookup(value, name) ?? .undefined(.missingAttribute(value, name))
        }
    }

    /// `value[key]`: the item first, then (for string keys) the attribute.
    func getItem(_ value: JinjaValue, _ key: JinjaValue) throws -> JinjaValue {
        func fallback() throws -> JinjaValue {
            if let name = key.stringValue {
                switch value {
                case .namespace, .loop: return try getAttribute(value, name)
                default: return PythonMethods.lookup(value, name) ?? .undefined(.missingAttribute(value, name))
                }
            }
            return .undefined(.missingElement(value, key))
        }
        switch value {
        case .undefined(let u):
            throw u.error
        case .object(let o):
            if let k = key.stringValue, let v = o[k] { return v }
            if case .array = key { throw TemplateError.typeError("unhashable type: 'list'") }
            if case .object = key { throw TemplateError.typeError("unhashable type: 'dict'") }
            return try fallback()
        case .array(let a), .tuple(let a):
            if let i = indexValue(key), let v = element(a, i) { return v }
            return try fallback()
        case .string(let s), .markup(let s):
            if let i = indexValue(key) {
                let scalars = Array(s.unicodeScalars)
                if let c = element(scalars, i) { return .string(String(c)) }
            }
            return try fallback()
        case .iterator(let it) where it.typeName == "range":
            if let i = indexValue(key), let v = element(it.viewItems ?? [], i) { return v }
            return try fallback()
        default:
            return try fallback()
        }
    }

    private func indexValue(_ key: JinjaValue) -> Int? {
        switch key {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    private func element<T>(_ items: [T], _ i: Int) -> T? {
        let j = i < 0 ? items.count + i : i
        return j >= 0 && j < items.count ? items[j] : nil
    }

    /// `value[a:b:c]`. jinja2 compiles slices to a plain Python subscript (not `environment.getitem`), so
    /// Python's errors come through: `None[1:]`, `{}[:2]`, non-integer bounds.
    func slice(_ value: JinjaValue, _ start: JinjaValue?, _ stop: JinjaValue?, _ step: JinjaValue?) throws -> JinjaValue {
        switch value {
        case .undefined(let u): throw u.error
        case .array, .tuple, .string, .markup: break
        case .object: throw TemplateError.typeError("unhashable type: 'slice'")
        case .iterator(let it) where it.rangeBounds != nil: break
        default: throw TemplateError.typeError("'\(value.pythonTypeName)' object is not subscriptable")
        }
        func bound(_ v: JinjaValue?) throws -> Int? {
            switch v {
            case nil, .none?: return nil
            case .int(let i)?: return i
            case .bool(let b)?: return b ? 1 : 0
            default: throw TemplateError.typeError("slice indices must be integers or None or have an __index__ method")
            }
        }
        let (a, b, c) = (try bound(start), try bound(stop), try bound(step))
        if c == 0 { throw TemplateError.runtime("slice step cannot be zero") }
        switch value {
        case .array(let items): return .array(Self.pythonSlice(items, a, b, c))
        case .tuple(let items): return .tuple(Self.pythonSlice(items, a, b, c))
        case .markup(let s): return .markup(PythonString.string(Self.pythonSlice(Array(s.unicodeScalars), a, b, c)))
        case .iterator(let it):
            // range[i:j:k] is range(start + i·step, start + j·step, step·k) over the adjusted indices.
            let r = it.rangeBounds!
            let (i, j, k) = Self.adjustedSlice(count: it.viewItems!.count, a, b, c)
            return .iterator(JinjaIterator(rangeStart: r.start + i * r.step, stop: r.start + j * r.step, step: r.step * k))
        default: return .string(PythonString.string(Self.pythonSlice(Array(value.stringValue!.unicodeScalars), a, b, c)))
        }
    }

    /// Python's `PySlice_AdjustIndices`: start, stop and step of a slice over `count` items.
    static func adjustedSlice(count n: Int, _ start: Int?, _ stop: Int?, _ step: Int?) -> (Int, Int, Int) {
        let step = step ?? 1
        func adjust(_ v: Int?, _ defaultValue: Int, lower: Int, upper: Int) -> Int {
            guard var x = v else { return defaultValue }
            if x < 0 { x += n; if x < lower { x = lower } } else if x > upper { x = upper }
            return x
        }
        if step > 0 { return (adjust(start, 0, lower: 0, upper: n), adjust(stop, n, lower: 0, upper: n), step) }
        return (adjust(start, n - 1, lower: -1, upper: n - 1), adjust(stop, -1, lower: -1, upper: n - 1), step)
    }

    /// `items[start:stop:step]`.
    static func pythonSlice<T>(_ items: [T], _ start: Int?, _ stop: Int?, _ step: Int?) -> [T] {
        var (i, end, step) = adjustedSlice(count: items.count, start, stop, step)
        var out: [T] = []
        if step > 0 {
            while i < end { out.append(items[i]); i += step }
        } else {
            while i > end { out.append(items[i]); i += step }
        }
        return out
    }

    /// `loop.index`, `loop.first`, … of jinja2's `LoopContext` (non-recursive loops).
    private func loopAttribute(_ loop: JinjaLoop, _ name: String) -> JinjaValue? {
        switch name {
        case "index": return .int(loop.index0 + 1)
        case "index0": return .int(loop.index0)
        case "revindex": return .int(loop.length - loop.index0)
        case "revindex0": return .int(loop.length - loop.index0 - 1)
        case "first": return .bool(loop.index0 == 0)
        case "last": return .bool(loop.index0 == loop.length - 1)
        case "length": return .int(loop.length)
        case "depth": return .int(loop.depth0 + 1)
        case "depth0": return .int(loop.depth0)
        case "previtem": return loop.previous ?? .undefined(JinjaUndefined(message: "there is no previous item"))
        case "nextitem": return loop.next ?? .undefined(JinjaUndefined(message: "there is no next item"))
        case "cycle", "changed": return .function(JinjaFunction(name: name, kind: .method(receiver: .loop(loop), name: name)))
        default: return nil
        }
    }
}

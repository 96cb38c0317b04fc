/// Lazy iterators: jinja2's generator filters run one item at a time, when read.
extension Interpreter {
    /// The next item of an iterator, or nil when it is exhausted. An error ends the iterator (as a Python
    /// generator that raised is finished).
    func pull(_ it: JinjaIterator) throws -> JinjaValue? {
        guard let pipeline = it.pipeline else { return nil }
        var state = it.state.withLock { $0 }
        if state.finished { return nil }
        defer { it.state.withLock { $0 = state } }
        do {
            if state.upstream == nil {
                guard let upstream = try start(pipeline) else {
                    state.finished = true
                    return nil
                }
                state.upstream = upstream
            }
            while true {
                guard let item = try pullUpstream(&state) else {
                    state.finished = true
                    return nil
                }
                switch pipeline.step {
                case .identity, .items:
                    return item
                case .mapFilter(let name, let arguments):
                    return try applyFilter(name, item, arguments, calledByName: true)
                case .mapAttribute(let attribute, let defaultValue):
                    return try attributeGetter(attribute, default: defaultValue)(item)
                case .select(let arguments, let reject, let lookupAttribute):
                    var positional = arguments.positional
                    var value = item
                    if lookupAttribute { value = try attributeGetter(positional.removeFirst())(item) }
                    let passes: Bool
                    if positional.isEmpty {
                        passes = value.isTruthy
                    } else {
                        let testName = try positional.removeFirst().asString("test name")
                        passes = try applyTest(testName, value, JinjaArguments(positional: positional, keyword: arguments.keyword),
                                               calledByName: true)
                    }
                    if passes != reject { return item }
                case .unique(let caseSensitive, let attribute):
                    let key = try attributeGetter(attribute, postprocess: caseSensitive ? nil : ignoreCase)(item)
                    try requireHashable(key)
                    if !state.seen.contains(where: { $0.pythonEquals(key) }) {
                        state.seen.append(key)
                        return item
                    }
                case .batch(let size, let fill):
                    var batch = [item]
                    while batch.count < size, let more = try pullUpstream(&state) { batch.append(more) }
                    if batch.count < size, let fill { batch += Array(repeating: fill, count: size - batch.count) }
                    return .array(batch)
                }
            }
        } catch {
            state.finished = true
            throw error
        }
    }

    /// What a generator does before its first item: jinja2's `if value:` guards, argument checks, `iter(value)`.
    private func start(_ pipeline: GeneratorPipeline) throws -> GeneratorState.Upstream? {
        let source = pipeline.source
        switch pipeline.step {
        case .items:
            if source.isUndefined { return nil }
            guard case .object(let o) = source else { throw TemplateError.typeError("Can only get item pairs from a mapping.") }
            return .items(o.map { .tuple([.string($0.key), $0.value]) }, next: 0)
        case .mapFilter, .mapAttribute:
            guard source.isTruthy else { return nil }
        case .select(let arguments, _, let lookupAttribute):
            guard source.isTruthy else { return nil }
            if lookupAttribute && arguments.positional.isEmpty { throw TemplateError.runtime("Missing parameter for attribute name") }
        case .identity, .unique, .batch:
            break
        }
        if case .iterator(let upstream) = source, !upstream.isView { return .iterator(upstream) }
        return .items(try iterate(source), next: 0)
    }

    private func pullUpstream(_ state: inout GeneratorState) throws -> JinjaValue? {
        switch state.upstream {
        case .items(let items, let next)?:
            guard next < items.count else { return nil }
            state.upstream = .items(items, next: next + 1)
            return items[next]
        case .iterator(let upstream)?:
            return try pull(upstream)
        case nil:
            return nil
        }
    }

    /// Reads every remaining item (a view gives all of its items, every time).
    func drain(_ it: JinjaIterator) throws -> [JinjaValue] {
        if let items = it.viewItems { return items }
        var out: [JinjaValue] = []
        while let item = try pull(it) { out.append(item) }
        return out
    }

    /// Python `next(iter(x), None)`.
    func first(_ it: JinjaIterator) throws -> JinjaValue? {
        if let items = it.viewItems { return items.first }
        return try pull(it)
    }

    /// Python `item in container`; on an iterator this reads items up to the first equal one.
    func contains(_ container: JinjaValue, _ item: JinjaValue) throws -> Bool {
        guard case .iterator(let it) = container else { return try container.pythonContains(item) }
        if let items = it.viewItems { return items.contains { $0.pythonEquals(item) } }
        while let x = try pull(it) {
            if x.pythonEquals(item) { return true }
        }
        return false
    }

    /// A comparison operator of a chain (`a < b`, `a in b`, …).
    func compare(_ op: CompareOperator, _ a: JinjaValue, _ b: JinjaValue) throws -> Bool {
        switch op {
        case .equal: return a.pythonEquals(b)
        case .notEqual: return !a.pythonEquals(b)
        case .less: return try a.pythonOrder(b, "<")
        case .lessEqual: return try a.pythonOrder(b, "<=")
        case .greater: return try a.pythonOrder(b, ">")
        case .greaterEqual: return try a.pythonOrder(b, ">=")
        case .contains: return try contains(b, a)
        case .notContains: return try !contains(b, a)
        }
    }

    // MARK: the generator filters

    /// jinja2's `map`: `map('filter', args…)` or `map(attribute='a', default=…)`.
    func mapGenerator(_ value: JinjaValue, _ args: JinjaArguments) throws -> JinjaValue {
        let step: GeneratorStep
        if args.positional.isEmpty, let attribute = args.keyword("attribute") {
            if let extra = args.keyword.first(where: { $0.0 != "attribute" && $0.0 != "default" }) {
                throw TemplateError.runtime("Unexpected keyword argument \(reprString(extra.0))")
            }
            step = .mapAttribute(attribute: attribute, defaultValue: args.keyword("default").present)
        } else {
            guard let name = args.positional.first else { throw TemplateError.runtime("map requires a filter argument") }
            step = .mapFilter(name: try name.asString("filter name"),
                              arguments: JinjaArguments(positional: Array(args.positional.dropFirst()), keyword: args.keyword))
        }
        return .iterator(JinjaIterator(typeName: "generator", source: value, step: step))
    }

    func selectGenerator(_ value: JinjaValue, _ args: JinjaArguments, reject: Bool, lookupAttribute: Bool) -> JinjaValue {
        .iterator(JinjaIterator(typeName: "generator", source: value,
                                step: .select(arguments: args, reject: reject, lookupAttribute: lookupAttribute)))
    }

    func requireHashable(_ v: JinjaValue) throws {
        switch v {
        case .array: throw TemplateError.typeError("unhashable type: 'list'")
        case .object: throw TemplateError.typeError("unhashable type: 'dict'")
        case .namespace: break
        case .tuple(let items): try items.forEach(requireHashable)
        default: break
        }
    }
}

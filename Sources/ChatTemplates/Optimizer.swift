/// jinja2's compile-time constant folding, which changes what some templates do, so it is reproduced here.
///
/// jinja2's optimizer replaces every expression whose `as_const()` succeeds and whose value has a "safe repr"
/// (None, bools, numbers, strings, and lists/tuples/dicts of those) by that constant; then the code generator
/// writes any `{{ … }}` whose expression still folds — whatever the value — as literal text. `as_const` differs
/// from runtime evaluation in two ways: any exception just makes the node non-constant (the runtime then raises it,
/// if the node is ever reached), and a slice goes through `environment.getitem`, which turns a TypeError into
/// Undefined. So `{{ 3[1:] }}` prints "" and `{{ not none[1:] }}` prints "True", while `{% if 3[1:] %}` raises.
/// Names, calls and the filters that take the context (`map`, `select`, …) are never constant.
struct ConstantFolder {
    static let contextFilters: Set<String> = ["map", "select", "reject", "selectattr", "rejectattr"]

    private let interpreter: Interpreter
    private let scope = Scope(parent: nil)

    init(templateName: String) {
        interpreter = Interpreter(templateName: templateName, limits: RenderLimits())
        interpreter.foldingConstants = true
    }

    func fold(_ nodes: [Node]) -> [Node] { nodes.map(fold) }

    private func fold(_ node: Node) -> Node {
        switch node {
        case .text, .breakLoop, .continueLoop:
            return node
        case .output(let e):
            let folded = fold(e)
            if let v = constantValue(folded), let text = try? v.pythonStr() { return .text(text) }
            return .output(folded)
        case .ifChain(let branches, let elseBody):
            return .ifChain(branches: branches.map { (fold($0.test), fold($0.body)) }, elseBody: fold(elseBody))
        case .forLoop(var loop):
            loop.iterable = fold(loop.iterable)
            loop.filter = loop.filter.map(fold)
            loop.body = fold(loop.body)
            loop.elseBody = fold(loop.elseBody)
            return .forLoop(loop)
        case .set(let target, let e, let loc):
            return .set(target, fold(e), loc)
        case .setBlock(let target, let filter, let body, let loc):
            return .setBlock(target, filter: filter.map(foldChildren), body: fold(body), loc)
        case .macro(let m):
            return .macro(fold(m))
        case .callBlock(let call, let caller):
            return .callBlock(call: foldChildren(call), caller: fold(caller))
        case .filterBlock(let filter, let body):
            return .filterBlock(filter: foldChildren(filter), body: fold(body))
        case .with(let assignments, let body):
            return .with(assignments: assignments.map { ($0.0, fold($0.1)) }, body: fold(body))
        case .generation(let body):
            return .generation(fold(body))
        }
    }

    private func fold(_ m: MacroDefinition) -> MacroDefinition {
        var m = m
        m.parameters = m.parameters.map { ($0.name, $0.defaultValue.map(fold)) }
        m.body = fold(m.body)
        return m
    }

    /// The expression as a literal if it folds to a value with a safe repr; otherwise its children folded.
    func fold(_ e: Expr) -> Expr {
        if case .literal = e.kind { return e }
        if let v = constantValue(e), Self.hasSafeRepr(v) { return Expr(kind: .literal(v), location: e.location) }
        return foldChildren(e)
    }

    private func foldChildren(_ e: Expr) -> Expr {
        func f(_ x: Expr) -> Expr { fold(x) }
        func args(_ a: CallArguments) -> CallArguments {
            CallArguments(positional: a.positional.map(f), keyword: a.keyword.map { ($0.name, f($0.value)) },
                          starArgs: a.starArgs.map(f), starKwargs: a.starKwargs.map(f))
        }
        let kind: Expr.Kind
        switch e.kind {
        case .literal, .name: return e
        case .list(let items): kind = .list(items.map(f))
        case .tuple(let items): kind = .tuple(items.map(f))
        case .concat(let items): kind = .concat(items.map(f))
        case .dict(let pairs): kind = .dict(pairs.map { (f($0.key), f($0.value)) })
        case .attribute(let x, let name): kind = .attribute(f(x), name)
        case .item(let x, let key): kind = .item(f(x), foldSubscript(key))
        case .slice(let a, let b, let c): kind = .slice(start: a.map(f), stop: b.map(f), step: c.map(f))
        case .call(let callee, let a): kind = .call(f(callee), args(a))
        case .filter(let x, let name, let a): kind = .filter(x.map(f), name: name, args(a))
        case .test(let x, let name, let a): kind = .test(f(x), name: name, args(a))
        case .not(let x): kind = .not(f(x))
        case .negate(let x): kind = .negate(f(x))
        case .plus(let x): kind = .plus(f(x))
        case .binary(let op, let a, let b): kind = .binary(op, f(a), f(b))
        case .and(let a, let b): kind = .and(f(a), f(b))
        case .or(let a, let b): kind = .or(f(a), f(b))
        case .compare(let x, let ops): kind = .compare(f(x), ops.map { ($0.0, f($0.1)) })
        case .conditional(let t, let a, let b): kind = .conditional(test: f(t), then: f(a), otherwise: b.map(f))
        }
        return Expr(kind: kind, location: e.location)
    }

    /// A subscript stays a slice node (the evaluator needs to see it); only its bounds fold.
    private func foldSubscript(_ key: Expr) -> Expr {
        if case .slice = key.kind { return foldChildren(key) }
        return fold(key)
    }

    private func constantValue(_ e: Expr) -> JinjaValue? {
        try? interpreter.eval(e, scope)
    }

    /// jinja2's `has_safe_repr`.
    static func hasSafeRepr(_ v: JinjaValue) -> Bool {
        switch v {
        case .none, .bool, .int, .double, .string, .markup: return true
        case .array(let a), .tuple(let a): return a.allSatisfy(hasSafeRepr)
        case .object(let o): return o.values.allSatisfy(hasSafeRepr)
        default: return false
        }
    }
}

/// Thrown while folding when an expression is not constant (jinja2's `nodes.Impossible`).
struct NotConstant: Error {}

/// The parsed form of a template, shaped after `jinja2.nodes`.

/// An expression with the position of its first token.
struct Expr: Sendable {
    indirect enum Kind: Sendable {
        case literal(JinjaValue)
        case name(String)
        case list([Expr])
        case tuple([Expr])
        case dict([(key: Expr, value: Expr)])
        /// `x.name`
        case attribute(Expr, String)
        /// `x[key]`; `key` may be a `.slice`.
        case item(Expr, Expr)
        /// `a:b:c` inside brackets; missing parts are nil.
        case slice(start: Expr?, stop: Expr?, step: Expr?)
        case call(Expr, CallArguments)
        /// `value | name(args)`; `value` is nil inside a `{% filter %}` block or a block `set`.
        case filter(Expr?, name: String, CallArguments)
        /// `value is name(args)` (a negated test is wrapped in `.not`).
        case test(Expr, name: String, CallArguments)
        case not(Expr)
        case negate(Expr)
        case plus(Expr)
        case binary(BinaryOperator, Expr, Expr)
        case and(Expr, Expr)
        case or(Expr, Expr)
        /// `a ~ b ~ c`
        case concat([Expr])
        /// `a < b == c …` (Python chained comparison, `in` and `not in` included)
        case compare(Expr, [(CompareOperator, Expr)])
        /// `then if test else otherwise`; a missing else gives Undefined.
        case conditional(test: Expr, then: Expr, otherwise: Expr?)
    }

    var kind: Kind
    var location: SourceLocation
    /// Levels of the tree below and including this node (a literal or name is 1). The parser bounds it so that
    /// the recursive passes over expressions (validation, folding, evaluation, deinit) cannot exhaust the stack.
    let depth: Int

    init(kind: Kind, location: SourceLocation) {
        self.kind = kind
        self.location = location
        func most(_ items: [Expr?]) -> Int { items.reduce(0) { max($0, $1?.depth ?? 0) } }
        func args(_ a: CallArguments) -> Int { most(a.positional + a.keyword.map(\.value) + [a.starArgs, a.starKwargs]) }
        let below: Int
        switch kind {
        case .literal, .name: below = 0
        case .list(let items), .tuple(let items), .concat(let items): below = most(items)
        case .dict(let pairs): below = most(pairs.flatMap { [$0.key, $0.value] })
        case .attribute(let e, _), .not(let e), .negate(let e), .plus(let e): below = e.depth
        case .item(let a, let b), .binary(_, let a, let b), .and(let a, let b), .or(let a, let b): below = max(a.depth, b.depth)
        case .slice(let a, let b, let c): below = most([a, b, c])
        case .call(let e, let a): below = max(e.depth, args(a))
        case .filter(let e, _, let a): below = max(e?.depth ?? 0, args(a))
        case .test(let e, _, let a): below = max(e.depth, args(a))
        case .compare(let first, let rest): below = max(first.depth, most(rest.map(\.1)))
        case .conditional(let t, let a, let b): below = most([t, a, b])
        }
        depth = below + 1
    }
}

enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
}

struct CallArguments: Sendable {
    var positional: [Expr] = []
    var keyword: [(name: String, value: Expr)] = []
    /// `*args` / `**kwargs` in a call.
    var starArgs: Expr?
    var starKwargs: Expr?
}

/// What `{% set %}` and `{% for %}` assign to.
indirect enum AssignTarget: Sendable {
    case name(String)
    case tuple([AssignTarget])
    /// `ns.attr` (only namespaces accept it).
    case namespaceAttribute(String, String)
}

struct MacroDefinition: Sendable {
    var name: String
    var parameters: [(name: String, defaultValue: Expr?)]
    var body: [Node]
    /// Whether the body mentions `varargs`, `kwargs`, `caller` (jinja2 then accepts extra arguments / a caller).
    var catchesVarargs: Bool
    var catchesKwargs: Bool
    var catchesCaller: Bool
    var location: SourceLocation
}

struct ForLoop: Sendable {
    var target: AssignTarget
    var iterable: Expr
    var filter: Expr?
    var body: [Node]
    var elseBody: [Node]
    var location: SourceLocation
}

/// A template statement or output.
indirect enum Node: Sendable {
    case text(String)
    case output(Expr)
    case ifChain(branches: [(test: Expr, body: [Node])], elseBody: [Node])
    case forLoop(ForLoop)
    case set(AssignTarget, Expr, SourceLocation)
    /// `{% set x | filters %}…{% endset %}`; `filter` applies to the captured text (its value slot is nil).
    case setBlock(AssignTarget, filter: Expr?, body: [Node], SourceLocation)
    case macro(MacroDefinition)
    /// `{% call(params) callee(args) %}body{% endcall %}`: `body` becomes the `caller` macro.
    case callBlock(call: Expr, caller: MacroDefinition)
    /// `{% filter f %}…{% endfilter %}`
    case filterBlock(filter: Expr, body: [Node])
    /// `{% with a = 1 %}…{% endwith %}`
    case with(assignments: [(AssignTarget, Expr)], body: [Node])
    /// transformers' `{% generation %}…{% endgeneration %}` (renders its body, in its own scope).
    case generation([Node])
    case breakLoop(SourceLocation)
    case continueLoop(SourceLocation)
}

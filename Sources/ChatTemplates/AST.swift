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

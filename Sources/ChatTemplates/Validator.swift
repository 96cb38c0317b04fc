/// Compile-time checks jinja2 makes when it turns a template into Python: an unknown filter or test is a
/// `TemplateAssertionError` ("No filter named 'x'.") unless it sits in an `if` statement or an inline `if`
/// expression, where jinja2 defers the error until the filter actually runs (`Frame.soft_frame`). Loops, macros,
/// call/filter/set blocks and `with` open a fresh (non-soft) frame.
struct Validator {
    let templateName: String

    func check(_ nodes: [Node], soft: Bool = false) throws {
        for node in nodes { try check(node, soft: soft) }
    }

    private func check(_ node: Node, soft: Bool) throws {
        switch node {
        case .text, .breakLoop, .continueLoop: break
        case .output(let e): try check(e, soft: soft)
        case .ifChain(let branches, let elseBody):
            for b in branches {
                try check(b.test, soft: true)
                try check(b.body, soft: true)
            }
            try check(elseBody, soft: true)
        case .forLoop(let f):
            try check(f.iterable, soft: soft)
            if let c = f.filter { try check(c, soft: false) }
            try check(f.body)
            try check(f.elseBody)
        case .set(_, let e, _): try check(e, soft: soft)
        case .setBlock(_, let filter, let body, _):
            if let filter { try check(filter, soft: false) }
            try check(body)
        case .macro(let m):
            for p in m.parameters { if let d = p.defaultValue { try check(d, soft: false) } }
            try check(m.body)
        case .callBlock(let call, let caller):
            try check(call, soft: soft)
            try check(caller.body)
        case .filterBlock(let filter, let body):
            try check(filter, soft: false)
            try check(body)
        case .with(let assignments, let body):
            for (_, e) in assignments { try check(e, soft: soft) }
            try check(body)
        case .generation(let body):
            try check(body)
        }
    }

    private func check(_ e: Expr, soft: Bool) throws {
        switch e.kind {
        case .literal, .name: break
        case .list(let items), .tuple(let items), .concat(let items):
            for x in items { try check(x, soft: soft) }
        case .dict(let pairs):
            for p in pairs { try check(p.key, soft: soft); try check(p.value, soft: soft) }
        case .attribute(let x, _), .not(let x), .negate(let x), .plus(let x):
            try check(x, soft: soft)
        case .item(let a, let b), .binary(_, let a, let b), .and(let a, let b), .or(let a, let b):
            try check(a, soft: soft)
            try check(b, soft: soft)
        case .slice(let a, let b, let c):
            for x in [a, b, c] { if let x { try check(x, soft: soft) } }
        case .call(let f, let args):
            try check(f, soft: soft)
            try check(args, soft: soft)
        case .filter(let x, let name, let args):
            if !soft && !FilterCatalog.jinjaFilters.contains(name) {
                throw TemplateError(.syntax, "No filter named \(reprString(name)).", templateName: templateName, location: e.location)
            }
            if let x { try check(x, soft: soft) }
            try check(args, soft: soft)
        case .test(let x, let name, let args):
            if !soft && !TestCatalog.jinjaTests.contains(name) {
                throw TemplateError(.syntax, "No test named \(reprString(name)).", templateName: templateName, location: e.location)
            }
            try check(x, soft: soft)
            try check(args, soft: soft)
        case .compare(let x, let ops):
            try check(x, soft: soft)
            for (_, y) in ops { try check(y, soft: soft) }
        case .conditional(let t, let a, let b):
            try check(t, soft: true)
            try check(a, soft: true)
            if let b { try check(b, soft: true) }
        }
    }

    private func check(_ args: CallArguments, soft: Bool) throws {
        for p in args.positional { try check(p, soft: soft) }
        for k in args.keyword { try check(k.value, soft: soft) }
        if let s = args.starArgs { try check(s, soft: soft) }
        if let s = args.starKwargs { try check(s, soft: soft) }
    }
}

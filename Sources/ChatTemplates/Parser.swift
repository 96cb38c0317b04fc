/// Recursive-descent parser for template statements, following `jinja2/parser.py` (3.1.6) with the extensions
/// transformers enables: `loopcontrols` (`break`, `continue`) and `AssistantTracker` (`generation`).
/// Expressions are parsed in ExpressionParser.swift.
struct Parser {
    var tokens: [Token]
    var index = 0
    let templateName: String
    /// Enclosing `{% for %}` bodies (for `break`/`continue` checks), reset inside macros.
    var loopDepth = 0
    /// jinja2's `_end_token_stack` and `_tag_stack`, for its wording of unclosed and unknown tags.
    var endTagStack: [[String]] = []
    var tagStack: [String] = []
    /// Current depth of nested parsing calls in an expression (see `maxExpressionDepth`).
    var expressionNesting = 0
    /// Most block statements (`if`, `for`, `macro`, …) nested in one another; real chat templates use fewer than 10.
    static let maxBlockNesting = 100

    init(tokens: [Token], templateName: String) {
        self.tokens = tokens
        self.templateName = templateName
    }

    static func parse(_ source: String, templateName: String) throws -> [Node] {
        var parser = Parser(tokens: try Lexer.tokenize(source, templateName: templateName), templateName: templateName)
        return try parser.parseStatements(until: []).0
    }

    /// jinja2's `_fail_ut_eof`: "Unexpected end of template." or "Encountered unknown tag 'x'.", then which tags
    /// it was looking for and the innermost open block.
    func unclosedOrUnknown(_ name: String?, at location: SourceLocation) -> TemplateError {
        var message = [name.map { "Encountered unknown tag \(reprString($0))." } ?? "Unexpected end of template."]
        if let looking = endTagStack.last {
            let currently = looking.map(reprString).joined(separator: " or ")
            if let name, endTagStack.joined().contains(name) {
                message.append("You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for \(currently).")
            } else {
                message.append("Jinja was looking for the following tags: \(currently).")
            }
        }
        if let innermost = tagStack.last { message.append("The innermost block that needs to be closed is \(reprString(innermost)).") }
        return error(message.joined(separator: " "), at: location)
    }

    // MARK: token stream

    var current: Token { tokens[index] }
    func peek(_ offset: Int = 1) -> Token { tokens[min(index + offset, tokens.count - 1)] }
    mutating func next() -> Token {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    func error(_ message: String, at location: SourceLocation? = nil) -> TemplateError {
        TemplateError(.syntax, message, templateName: templateName, location: location ?? current.location)
    }

    func isName(_ name: String, _ token: Token? = nil) -> Bool { (token ?? current).kind == .name(name) }
    func isOp(_ op: String) -> Bool { current.kind == .op(op) }

    mutating func skipName(_ name: String) -> Bool {
        if isName(name) { _ = next(); return true }
        return false
    }

    mutating func skipOp(_ op: String) -> Bool {
        if isOp(op) { _ = next(); return true }
        return false
    }

    mutating func expectOp(_ op: String) throws {
        guard skipOp(op) else { throw error("expected token '\(op)', got \(describe(current))") }
    }

    mutating func expectName() throws -> String {
        guard case .name(let n) = current.kind else { throw error("expected token 'name', got \(describe(current))") }
        _ = next()
        return n
    }

    mutating func expectBlockEnd() throws {
        guard current.kind == .blockEnd else { throw error("expected token 'end of statement block', got \(describe(current))") }
        _ = next()
    }

    /// The end of a tag that opens a body; like jinja2, a Python-style colon before `%}` is allowed.
    mutating func expectBodyStart() throws {
        _ = skipOp(":")
        try expectBlockEnd()
    }

    func describe(_ t: Token) -> String {
        switch t.kind {
        case .text: return "template data"
        case .variableBegin: return "'begin of print statement'"
        case .variableEnd: return "'end of print statement'"
        case .blockBegin: return "'begin of statement block'"
        case .blockEnd: return "'end of statement block'"
        case .name(let n): return "'\(n)'"
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .op(let o): return "'\(o)'"
        case .eof: return "end of template"
        }
    }

    // MARK: statements

    /// Parses nodes until a block tag whose name is in `endTags`; returns that name (the tag's `{%` and name are
    /// consumed, the rest of the tag is not) or nil at the end of the template.
    mutating func parseStatements(until endTags: [String]) throws -> ([Node], String?) {
        var body: [Node] = []
        if !endTags.isEmpty { endTagStack.append(endTags) }
        defer { if !endTags.isEmpty { endTagStack.removeLast() } }
        if endTagStack.count > Self.maxBlockNesting {
            throw TemplateError(.limit, "blocks nested deeper than \(Self.maxBlockNesting) levels", templateName: templateName, location: current.location)
        }
        while true {
            switch current.kind {
            case .eof:
                if !endTags.isEmpty { throw unclosedOrUnknown(nil, at: current.location) }
                return (body, nil)
            case .text(let s):
                _ = next()
                body.append(.text(s))
            case .variableBegin:
                _ = next()
                let expr = try parseTuple()
                guard current.kind == .variableEnd else { throw error("expected token 'end of print statement', got \(describe(current))") }
                _ = next()
                body.append(.output(expr))
            case .blockBegin:
                _ = next()
                guard case .name(let tag) = current.kind else { throw error("tag name expected") }
                if endTags.contains(tag) {
                    _ = next()
                    return (body, tag)
                }
                body.append(contentsOf: try parseStatement())
            default:
                throw error("unexpected \(describe(current))")
            }
        }
    }

    /// Parses a body and requires `{% endTag %}` after it.
    mutating func parseBody(endTag: String) throws -> [Node] {
        let (body, _) = try parseStatements(until: [endTag])
        try expectBlockEnd()
        return body
    }

    private mutating func parseStatement() throws -> [Node] {
        let tagToken = current
        let tag = try expectName()
        let loc = tagToken.location
        tagStack.append(tag)
        defer { tagStack.removeLast() }
        switch tag {
        case "if": return [try parseIf()]
        case "for": return [try parseFor(loc)]
        case "set": return [try parseSet(loc)]
        case "macro": return [try parseMacro(loc)]
        case "call": return [try parseCallBlock(loc)]
        case "filter": return [try parseFilterBlock()]
        case "with": return [try parseWith()]
        case "generation":
            try expectBodyStart()
            return [.generation(try parseBody(endTag: "endgeneration"))]
        case "print":
            var nodes: [Node] = []
            repeat { nodes.append(.output(try parseExpression())) } while skipOp(",")
            try expectBlockEnd()
            return nodes
        case "break", "continue":
            guard loopDepth > 0 else { throw error("'\(tag)' outside of a loop", at: loc) }
            try expectBlockEnd()
            return [tag == "break" ? .breakLoop(loc) : .continueLoop(loc)]
        case "block", "extends", "include", "import", "from", "autoescape":
            throw TemplateError(.unsupported(construct: "{% \(tag) %}"), "the '\(tag)' tag is not supported in chat templates",
                                templateName: templateName, location: loc)
        default:
            tagStack.removeLast()
            defer { tagStack.append(tag) }
            throw unclosedOrUnknown(tag, at: loc)
        }
    }

    private mutating func parseIf() throws -> Node {
        var branches: [(test: Expr, body: [Node])] = []
        var test = try parseTuple(withConditional: false)
        while true {
            try expectBodyStart()
            let (body, end) = try parseStatements(until: ["elif", "else", "endif"])
            branches.append((test, body))
            switch end {
            case "elif":
                test = try parseTuple(withConditional: false)
            case "else":
                try expectBodyStart()
                let elseBody = try parseBody(endTag: "endif")
                return .ifChain(branches: branches, elseBody: elseBody)
            default:
                try expectBlockEnd()
                return .ifChain(branches: branches, elseBody: [])
            }
        }
    }

    private mutating func parseFor(_ loc: SourceLocation) throws -> Node {
        let target = try parseAssignTarget(extraEndNames: ["in"])
        guard skipName("in") else { throw error("expected token 'in', got \(describe(current))") }
        let iterable = try parseTuple(withConditional: false, extraEndNames: ["recursive"])
        var filter: Expr?
        if skipName("if") { filter = try parseExpression() }
        if isName("recursive") {
            throw TemplateError(.unsupported(construct: "recursive for loop"), "recursive for loops are not supported",
                                templateName: templateName, location: current.location)
        }
        try expectBodyStart()
        loopDepth += 1
        let (body, end) = try parseStatements(until: ["endfor", "else"])
        loopDepth -= 1
        if end == "else" { _ = skipOp(":") }
        try expectBlockEnd()
        var elseBody: [Node] = []
        if end == "else" { elseBody = try parseBody(endTag: "endfor") }
        return .forLoop(ForLoop(target: target, iterable: iterable, filter: filter, body: body, elseBody: elseBody, location: loc))
    }

    private mutating func parseSet(_ loc: SourceLocation) throws -> Node {
        let target = try parseAssignTarget(withNamespace: true)
        if skipOp("=") {
            let value = try parseTuple()
            try expectBlockEnd()
            return .set(target, value, loc)
        }
        let filter = try parseFilterChain(nil, startInline: false)
        try expectBodyStart()
        let body = try parseBody(endTag: "endset")
        return .setBlock(target, filter: filter, body: body, loc)
    }

    private mutating func parseMacro(_ loc: SourceLocation) throws -> Node {
        let name = try expectName()
        let parameters = try parseSignature()
        try expectBodyStart()
        let savedLoops = loopDepth
        loopDepth = 0
        let body = try parseBody(endTag: "endmacro")
        loopDepth = savedLoops
        return .macro(makeMacro(name: name, parameters: parameters, body: body, location: loc))
    }

    func makeMacro(name: String, parameters: [(name: String, defaultValue: Expr?)], body: [Node],
                   location: SourceLocation) -> MacroDefinition {
        let used = NameCollector.names(in: body)
        return MacroDefinition(name: name, parameters: parameters, body: body,
                               catchesVarargs: used.contains("varargs"), catchesKwargs: used.contains("kwargs"),
                               catchesCaller: used.contains("caller"), location: location)
    }

    /// `(a, b=default, …)`
    private mutating func parseSignature() throws -> [(name: String, defaultValue: Expr?)] {
        var parameters: [(name: String, defaultValue: Expr?)] = []
        try expectOp("(")
        while !isOp(")") {
            if !parameters.isEmpty { try expectOp(",") }
            if isOp(")") { break }
            let name = try expectName()
            var defaultValue: Expr?
            if skipOp("=") { defaultValue = try parseExpression() }
            parameters.append((name, defaultValue))
        }
        try expectOp(")")
        return parameters
    }

    private mutating func parseCallBlock(_ loc: SourceLocation) throws -> Node {
        let parameters = isOp("(") ? try parseSignature() : []
        let call = try parseExpression()
        guard case .call = call.kind else { throw error("expected call", at: call.location) }
        try expectBodyStart()
        let savedLoops = loopDepth
        loopDepth = 0
        let body = try parseBody(endTag: "endcall")
        loopDepth = savedLoops
        return .callBlock(call: call, caller: makeMacro(name: "caller", parameters: parameters, body: body, location: loc))
    }

    private mutating func parseFilterBlock() throws -> Node {
        guard let filter = try parseFilterChain(nil, startInline: true) else { throw error("expected a filter name") }
        try expectBodyStart()
        return .filterBlock(filter: filter, body: try parseBody(endTag: "endfilter"))
    }

    private mutating func parseWith() throws -> Node {
        var assignments: [(AssignTarget, Expr)] = []
        while current.kind != .blockEnd {
            if !assignments.isEmpty { try expectOp(",") }
            let target = try parseAssignTarget()
            try expectOp("=")
            assignments.append((target, try parseExpression()))
        }
        try expectBodyStart()
        return .with(assignments: assignments, body: try parseBody(endTag: "endwith"))
    }

    /// A name, `ns.attr` (when allowed), or a tuple of names.
    mutating func parseAssignTarget(withNamespace: Bool = false, extraEndNames: Set<String> = []) throws -> AssignTarget {
        if withNamespace, case .name(let ns) = current.kind, peek().kind == .op(".") {
            _ = next(); _ = next()
            return .namespaceAttribute(ns, try expectName())
        }
        let expr = try parseTuple(simplified: true, extraEndNames: extraEndNames)
        return try assignTarget(from: expr)
    }

    private func assignTarget(from expr: Expr) throws -> AssignTarget {
        switch expr.kind {
        case .name(let n):
            if ["true", "false", "none", "True", "False", "None"].contains(n) { break }
            return .name(n)
        case .tuple(let items):
            return .tuple(try items.map(assignTarget(from:)))
        default:
            break
        }
        let node: String  // jinja2's node class name, lower-cased
        switch expr.kind {
        case .literal, .name: node = "const"
        case .list: node = "list"
        case .dict: node = "dict"
        default: node = "expression"
        }
        throw error("can't assign to \(reprString(node))", at: expr.location)
    }
}

/// Finds the names a macro body reads (jinja2's `find_undeclared` for `varargs`, `kwargs`, `caller`).
enum NameCollector {
    static func names(in body: [Node]) -> Set<String> {
        var out = Set<String>()
        for node in body { visit(node, &out) }
        return out
    }

    private static func visit(_ node: Node, _ out: inout Set<String>) {
        switch node {
        case .text, .breakLoop, .continueLoop: break
        case .output(let e): visit(e, &out)
        case .ifChain(let branches, let elseBody):
            for b in branches { visit(b.test, &out); b.body.forEach { visit($0, &out) } }
            elseBody.forEach { visit($0, &out) }
        case .forLoop(let f):
            visit(f.iterable, &out)
            if let c = f.filter { visit(c, &out) }
            (f.body + f.elseBody).forEach { visit($0, &out) }
        case .set(_, let e, _): visit(e, &out)
        case .setBlock(_, let filter, let body, _):
            if let filter { visit(filter, &out) }
            body.forEach { visit($0, &out) }
        case .macro(let m):
            m.parameters.forEach { if let d = $0.defaultValue { visit(d, &out) } }
            m.body.forEach { visit($0, &out) }
        case .callBlock(let call, let caller):
            visit(call, &out)
            caller.body.forEach { visit($0, &out) }
        case .filterBlock(let filter, let body):
            visit(filter, &out)
            body.forEach { visit($0, &out) }
        case .with(let assignments, let body):
            assignments.forEach { visit($0.1, &out) }
            body.forEach { visit($0, &out) }
        case .generation(let body): body.forEach { visit($0, &out) }
        }
    }

    private static func visit(_ e: Expr, _ out: inout Set<String>) {
        switch e.kind {
        case .literal: break
        case .name(let n): out.insert(n)
        case .list(let items), .tuple(let items), .concat(let items): items.forEach { visit($0, &out) }
        case .dict(let pairs): pairs.forEach { visit($0.key, &out); visit($0.value, &out) }
        case .attribute(let x, _), .not(let x), .negate(let x), .plus(let x): visit(x, &out)
        case .item(let a, let b), .binary(_, let a, let b), .and(let a, let b), .or(let a, let b):
            visit(a, &out); visit(b, &out)
        case .slice(let a, let b, let c): [a, b, c].forEach { if let x = $0 { visit(x, &out) } }
        case .call(let f, let args): visit(f, &out); visit(args, &out)
        case .filter(let x, _, let args): if let x { visit(x, &out) }; visit(args, &out)
        case .test(let x, _, let args): visit(x, &out); visit(args, &out)
        case .compare(let x, let ops): visit(x, &out); ops.forEach { visit($0.1, &out) }
        case .conditional(let t, let a, let b): visit(t, &out); visit(a, &out); if let b { visit(b, &out) }
        }
    }

    private static func visit(_ args: CallArguments, _ out: inout Set<String>) {
        args.positional.forEach { visit($0, &out) }
        args.keyword.forEach { visit($0.value, &out) }
        if let s = args.starArgs { visit(s, &out) }
        if let s = args.starKwargs { visit(s, &out) }
    }
}

/// Expression grammar of `jinja2/parser.py`, lowest precedence first:
/// conditional (`a if b else c`) → `or` → `and` → `not` → comparisons (`== != < <= > >= in not in`) →
/// `+ -` → `~` → `* / // %` → `**` → unary `- +` → primary with postfix (`.x`, `[i]`, `(args)`) and filters
/// (`| f`), tests (`is t`) binding tighter than any operator.
extension Parser {
    mutating func parseExpression(withConditional: Bool = true) throws -> Expr {
        try descend()
        defer { ascend() }
        return withConditional ? try parseConditional() : try parseOr()
    }

    /// Most levels of an expression tree, and of nested parsing calls (parentheses, brackets, unary operators,
    /// `not`, `else` chains). Real chat templates stay below 20; jinja2 itself fails near Python's recursion
    /// limit of 1,000 frames, about 75 levels of parentheses.
    static let maxExpressionDepth = 128

    /// A node, refused when its tree is deeper than `maxExpressionDepth`.
    func checkedExpr(kind: Expr.Kind, location: SourceLocation) throws -> Expr {
        let e = Expr(kind: kind, location: location)
        if e.depth > Self.maxExpressionDepth { throw expressionTooDeep(at: location) }
        return e
    }

    mutating func descend() throws {
        expressionNesting += 1
        if expressionNesting > Self.maxExpressionDepth { throw expressionTooDeep(at: current.location) }
    }

    mutating func ascend() { expressionNesting -= 1 }

    private func expressionTooDeep(at location: SourceLocation) -> TemplateError {
        TemplateError(.limit, "expression nested deeper than \(Self.maxExpressionDepth) levels", templateName: templateName, location: location)
    }

    /// Comma-separated expressions: one without a trailing comma is itself, otherwise a tuple.
    /// `simplified` parses primaries only (assignment targets).
    mutating func parseTuple(simplified: Bool = false, withConditional: Bool = true, extraEndNames: Set<String> = [],
                             explicitParentheses: Bool = false) throws -> Expr {
        let start = current.location
        var items: [Expr] = []
        var sawComma = false
        while true {
            if !items.isEmpty {
                guard skipOp(",") else { break }
                sawComma = true
            }
            if isTupleEnd(extraEndNames) { break }
            if simplified {
                items.append(try parsePrimary())
            } else {
                items.append(try parseExpression(withConditional: withConditional))
            }
        }
        if !sawComma {
            if let only = items.first { return only }
            if !explicitParentheses { throw error("Expected an expression, got \(describe(current))") }
        }
        return try checkedExpr(kind: .tuple(items), location: start)
    }

    private func isTupleEnd(_ extraEndNames: Set<String>) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd, .eof: return true
        case .op(let o): return o == ")"
        case .name(let n): return extraEndNames.contains(n)
        default: return false
        }
    }

    private mutating func parseConditional() throws -> Expr {
        var expr = try parseOr()
        while isName("if") {
            let loc = next().location
            let test = try parseOr()
            var otherwise: Expr?
            if skipName("else") {
                try descend()
                defer { ascend() }
                otherwise = try parseConditional()
            }
            expr = try checkedExpr(kind: .conditional(test: test, then: expr, otherwise: otherwise), location: loc)
        }
        return expr
    }

    private mutating func parseOr() throws -> Expr {
        var left = try parseAnd()
        while isName("or") {
            let loc = next().location
            left = try checkedExpr(kind: .or(left, try parseAnd()), location: loc)
        }
        return left
    }

    private mutating func parseAnd() throws -> Expr {
        var left = try parseNot()
        while isName("and") {
            let loc = next().location
            left = try checkedExpr(kind: .and(left, try parseNot()), location: loc)
        }
        return left
    }

    private mutating func parseNot() throws -> Expr {
        if isName("not") {
            try descend()
            defer { ascend() }
            let loc = next().location
            return try checkedExpr(kind: .not(try parseNot()), location: loc)
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws -> Expr {
        let first = try parseMath1()
        var ops: [(CompareOperator, Expr)] = []
        loop: while true {
            let op: CompareOperator
            switch current.kind {
            case .op("=="): op = .equal
            case .op("!="): op = .notEqual
            case .op("<"): op = .less
            case .op("<="): op = .lessEqual
            case .op(">"): op = .greater
            case .op(">="): op = .greaterEqual
            case .name("in"): op = .contains
            case .name("not") where isName("in", peek()):
                _ = next()
                op = .notContains
            default: break loop
            }
            _ = next()
            ops.append((op, try parseMath1()))
        }
        return ops.isEmpty ? first : try checkedExpr(kind: .compare(first, ops), location: first.location)
    }

    private mutating func parseMath1() throws -> Expr {
        var left = try parseConcat()
        while isOp("+") || isOp("-") {
            let op: BinaryOperator = next().kind == .op("+") ? .add : .subtract
            left = try checkedExpr(kind: .binary(op, left, try parseConcat()), location: left.location)
        }
        return left
    }

    private mutating func parseConcat() throws -> Expr {
        let first = try parseMath2()
        var items = [first]
        while skipOp("~") { items.append(try parseMath2()) }
        return items.count == 1 ? first : try checkedExpr(kind: .concat(items), location: first.location)
    }

    private mutating func parseMath2() throws -> Expr {
        var left = try parsePow()
        while true {
            let op: BinaryOperator
            switch current.kind {
            case .op("*"): op = .multiply
            case .op("/"): op = .divide
            case .op("//"): op = .floorDivide
            case .op("%"): op = .modulo
            default: return left
            }
            _ = next()
            left = try checkedExpr(kind: .binary(op, left, try parsePow()), location: left.location)
        }
    }

    private mutating func parsePow() throws -> Expr {
        var left = try parseUnary()
        while skipOp("**") {
            left = try checkedExpr(kind: .binary(.power, left, try parseUnary()), location: left.location)
        }
        return left
    }

    private mutating func parseUnary(withFilter: Bool = true) throws -> Expr {
        try descend()
        defer { ascend() }
        let loc = current.location
        var node: Expr
        if skipOp("-") {
            node = try checkedExpr(kind: .negate(try parseUnary(withFilter: false)), location: loc)
        } else if skipOp("+") {
            node = try checkedExpr(kind: .plus(try parseUnary(withFilter: false)), location: loc)
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        if withFilter { node = try parseFilterExpression(node) }
        return node
    }

    mutating func parsePrimary() throws -> Expr {
        let token = current
        let loc = token.location
        switch token.kind {
        case .name(let n):
            _ = next()
            switch n {
            case "true", "True": return try checkedExpr(kind: .literal(.bool(true)), location: loc)
            case "false", "False": return try checkedExpr(kind: .literal(.bool(false)), location: loc)
            case "none", "None": return try checkedExpr(kind: .literal(.none), location: loc)
            default: return try checkedExpr(kind: .name(n), location: loc)
            }
        case .string(let s):
            _ = next()
            var text = s
            while case .string(let more) = current.kind {
                text += more
                _ = next()
            }
            return try checkedExpr(kind: .literal(.string(text)), location: loc)
        case .integer(let i):
            _ = next()
            return try checkedExpr(kind: .literal(.int(i)), location: loc)
        case .float(let d):
            _ = next()
            return try checkedExpr(kind: .literal(.double(d)), location: loc)
        case .op("("):
            _ = next()
            let inner = try parseTuple(explicitParentheses: true)
            try expectOp(")")
            return inner
        case .op("["):
            _ = next()
            var items: [Expr] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("]") { break }
                items.append(try parseExpression())
            }
            try expectOp("]")
            return try checkedExpr(kind: .list(items), location: loc)
        case .op("{"):
            _ = next()
            var pairs: [(key: Expr, value: Expr)] = []
            while !isOp("}") {
                if !pairs.isEmpty { try expectOp(",") }
                if isOp("}") { break }
                let key = try parseExpression()
                try expectOp(":")
                pairs.append((key, try parseExpression()))
            }
            try expectOp("}")
            return try checkedExpr(kind: .dict(pairs), location: loc)
        default:
            throw error("unexpected \(describe(token))")
        }
    }

    mutating func parsePostfix(_ start: Expr) throws -> Expr {
        var node = start
        while true {
            if isOp(".") || isOp("[") {
                node = try parseSubscript(node)
            } else if isOp("(") {
                node = try parseCall(node)
            } else {
                return node
            }
        }
    }

    private mutating func parseFilterExpression(_ start: Expr) throws -> Expr {
        var node = start
        while true {
            if isOp("|") {
                node = try parseFilterChain(node, startInline: false)!
            } else if isName("is") {
                node = try parseTest(node)
            } else if isOp("(") {
                node = try parseCall(node)
            } else {
                return node
            }
        }
    }

    private mutating func parseSubscript(_ node: Expr) throws -> Expr {
        let token = next()
        if token.kind == .op(".") {
            let attr = next()
            switch attr.kind {
            case .name(let n): return try checkedExpr(kind: .attribute(node, n), location: attr.location)
            case .integer(let i): return try checkedExpr(kind: .item(node, try checkedExpr(kind: .literal(.int(i)), location: attr.location)), location: attr.location)
            default: throw error("expected name or number", at: attr.location)
            }
        }
        var args: [Expr] = []
        while !isOp("]") {
            if !args.isEmpty { try expectOp(",") }
            args.append(try parseSubscribed())
        }
        try expectOp("]")
        let key = args.count == 1 ? args[0] : try checkedExpr(kind: .tuple(args), location: token.location)
        return try checkedExpr(kind: .item(node, key), location: token.location)
    }

    private mutating func parseSubscribed() throws -> Expr {
        let loc = current.location
        var parts: [Expr?] = []
        if skipOp(":") {
            parts = [nil]
        } else {
            let e = try parseExpression()
            guard skipOp(":") else { return e }
            parts = [e]
        }
        if isOp(":") || isOp("]") || isOp(",") {
            parts.append(nil)
        } else {
            parts.append(try parseExpression())
        }
        if skipOp(":") {
            parts.append(isOp("]") || isOp(",") ? nil : try parseExpression())
        } else {
            parts.append(nil)
        }
        return try checkedExpr(kind: .slice(start: parts[0], stop: parts[1], step: parts[2]), location: loc)
    }

    /// A call is located at its callee (`raise_exception(…)` reports where `raise_exception` starts).
    private mutating func parseCall(_ node: Expr) throws -> Expr {
        try checkedExpr(kind: .call(node, try parseCallArguments()), location: node.location)
    }

    mutating func parseCallArguments() throws -> CallArguments {
        try expectOp("(")
        var args = CallArguments()
        var first = true
        while !isOp(")") {
            if !first {
                try expectOp(",")
                if isOp(")") { break }
            }
            first = false
            if skipOp("*") {
                args.starArgs = try parseExpression()
            } else if skipOp("**") {
                args.starKwargs = try parseExpression()
            } else if case .name(let n) = current.kind, peek().kind == .op("=") {
                _ = next(); _ = next()
                args.keyword.append((n, try parseExpression()))
            } else {
                if !args.keyword.isEmpty || args.starArgs != nil || args.starKwargs != nil {
                    throw error("Invalid argument syntax: positional argument follows keyword argument")
                }
                args.positional.append(try parseExpression())
            }
        }
        try expectOp(")")
        return args
    }

    /// `| name(args) | name2 …`; with `startInline` the first filter has no leading pipe (`{% filter f %}`).
    mutating func parseFilterChain(_ start: Expr?, startInline: Bool) throws -> Expr? {
        var node = start
        var inline = startInline
        while isOp("|") || inline {
            if !inline { _ = next() }
            inline = false
            let loc = current.location
            var name = try expectName()
            while skipOp(".") { name += "." + (try expectName()) }
            let args = isOp("(") ? try parseCallArguments() : CallArguments()
            node = try checkedExpr(kind: .filter(node, name: name, args), location: loc)
        }
        return node
    }

    private mutating func parseTest(_ node: Expr) throws -> Expr {
        let loc = next().location  // "is"
        let negated = skipName("not")
        var name = try expectName()
        while skipOp(".") { name += "." + (try expectName()) }
        var args = CallArguments()
        if isOp("(") {
            args = try parseCallArguments()
        } else if startsBareTestArgument {
            if isName("is") { throw error("You cannot chain multiple tests with is") }
            args.positional = [try parsePostfix(try parsePrimary())]
        }
        let test = try checkedExpr(kind: .test(node, name: name, args), location: loc)
        return negated ? try checkedExpr(kind: .not(test), location: loc) : test
    }

    /// `x is divisibleby 3`: a test takes one argument without parentheses when a primary follows.
    private var startsBareTestArgument: Bool {
        switch current.kind {
        case .name(let n): return !["else", "or", "and"].contains(n)
        case .string, .integer, .float, .op("["), .op("{"): return true
        default: return false
        }
    }
}

/// Expression grammar of `jinja2/parser.py`, lowest precedence first:
/// conditional (`a if b else c`) → `or` → `and` → `not` → comparisons (`== != < <= > >= in not in`) →
/// `+ -` → `~` → `* / // %` → `**` → unary `- +` → primary with postfix (`.x`, `[i]`, `(args)`) and filters
/// (`| f`), tests (`is t`) binding tighter than any operator.
extension Parser {
    mutating func parseExpression(withConditional: Bool = true) throws -> Expr {
        withConditional ? try parseConditional() : try parseOr()
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
        return Expr(kind: .tuple(items), location: start)
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
            if skipName("else") { otherwise = try parseConditional() }
            expr = Expr(kind: .conditional(test: test, then: expr, otherwise: otherwise), location: loc)
        }
        return expr
    }

    private mutating func parseOr() throws -> Expr {
        var left = try parseAnd()
        while isName("or") {
            let loc = next().location
            left = Expr(kind: .or(left, try parseAnd()), location: loc)
        }
        return left
    }

    private mutating func parseAnd() throws -> Expr {
        var left = try parseNot()
        while isName("and") {
            let loc = next().location
            left = Expr(kind: .and(left, try parseNot()), location: loc)
        }
        return left
    }

    private mutating func parseNot() throws -> Expr {
        if isName("not") {
            let loc = next().location
            return Expr(kind: .not(try parseNot()), location: loc)
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
        return ops.isEmpty ? first : Expr(kind: .compare(first, ops), location: first.location)
    }

    private mutating func parseMath1() throws -> Expr {
        var left = try parseConcat()
        while isOp("+") || isOp("-") {
            let op: BinaryOperator = next().kind == .op("+") ? .add : .subtract
            left = Expr(kind: .binary(op, left, try parseConcat()), location: left.location)
        }
        return left
    }

    private mutating func parseConcat() throws -> Expr {
        let first = try parseMath2()
        var items = [first]
        while skipOp("~") { items.append(try parseMath2()) }
        return items.count == 1 ? first : Expr(kind: .concat(items), location: first.location)
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
            left = Expr(kind: .binary(op, left, try parsePow()), location: left.location)
        }
    }

    private mutating func parsePow() throws -> Expr {
        var left = try parseUnary()
        while skipOp("**") {
            left = Expr(kind: .binary(.power, left, try parseUnary()), location: left.location)
        }
        return left
    }

    private mutating func parseUnary(withFilter: Bool = true) throws -> Expr {
        let loc = current.location
        var node: Expr
        if skipOp("-") {
            node = Expr(kind: .negate(try parseUnary(withFilter: false)), location: loc)
        } else if skipOp("+") {
            node = Expr(kind: .plus(try parseUnary(withFilter: false)), location: loc)
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
            case "true", "True": return Expr(kind: .literal(.bool(true)), location: loc)
            case "false", "False": return Expr(kind: .literal(.bool(false)), location: loc)
            case "none", "None": return Expr(kind: .literal(.none), location: loc)
            default: return Expr(kind: .name(n), location: loc)
            }
        case .string(let s):
            _ = next()
            var text = s
            while case .string(let more) = current.kind {
                text += more
                _ = next()
            }
            return Expr(kind: .literal(.string(text)), location: loc)
        case .integer(let i):
            _ = next()
            return Expr(kind: .literal(.int(i)), location: loc)
        case .float(let d):
            _ = next()
            return Expr(kind: .literal(.double(d)), location: loc)
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
            return Expr(kind: .list(items), location: loc)
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
            return Expr(kind: .dict(pairs), location: loc)
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
            case .name(let n): return Expr(kind: .attribute(node, n), location: attr.location)
            case .integer(let i): return Expr(kind: .item(node, Expr(kind: .literal(.int(i)), location: attr.location)), location: attr.location)
            default: throw error("expected name or number", at: attr.location)
            }
        }
        var args: [Expr] = []
        while !isOp("]") {
            if !args.isEmpty { try expectOp(",") }
            args.append(try parseSubscribed())
        }
        try expectOp("]")
        let key = args.count == 1 ? args[0] : Expr(kind: .tuple(args), location: token.location)
        return Expr(kind: .item(node, key), location: token.location)
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
        return Expr(kind: .slice(start: parts[0], stop: parts[1], step: parts[2]), location: loc)
    }

    /// A call is located at its callee (`raise_exception(…)` reports where `raise_exception` starts).
    private mutating func parseCall(_ node: Expr) throws -> Expr {
        Expr(kind: .call(node, try parseCallArguments()), location: node.location)
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
            node = Expr(kind: .filter(node, name: name, args), location: loc)
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
        let test = Expr(kind: .test(node, name: name, args), location: loc)
        return negated ? Expr(kind: .not(test), location: loc) : test
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

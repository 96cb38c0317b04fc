/// A command-line usage mistake: exit code 2, with the command's usage printed after the message.
public struct UsageError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One option a subcommand accepts: `--name VALUE` (or `--name=VALUE`) when `valueName` is set, else a flag.
public struct OptionSpec: Sendable {
    public var name: String
    public var valueName: String?
    public var help: String
    public var repeatable: Bool

    public static func value(_ name: String, _ valueName: String, _ help: String, repeatable: Bool = false) -> OptionSpec {
        OptionSpec(name: name, valueName: valueName, help: help, repeatable: repeatable)
    }
    public static func flag(_ name: String, _ help: String) -> OptionSpec {
        OptionSpec(name: name, valueName: nil, help: help, repeatable: false)
    }
}

/// Parsed arguments of one subcommand. Accessors throw `UsageError`s that name the option.
public struct ParsedArguments: Sendable {
    public private(set) var values: [String: [String]] = [:]
    public private(set) var flags: Set<String> = []
    public private(set) var positionals: [String] = []
    public var helpRequested = false

    public init(_ args: [String], options: [OptionSpec]) throws(UsageError) {
        let byName = Dictionary(options.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var i = 0
        var onlyPositionals = false
        while i < args.count {
            let a = args[i]
            i += 1
            if onlyPositionals || !a.hasPrefix("-") || a == "-" {
                positionals.append(a)
                continue
            }
            if a == "--" { onlyPositionals = true; continue }
            if a == "-h" || a == "--help" { helpRequested = true; continue }
            guard a.hasPrefix("--") else { throw UsageError("unknown option '\(a)'") }
            var name = String(a.dropFirst(2))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let spec = byName[name] else {
                let known = options.map { "--" + $0.name }
                let close = known.filter { editDistance($0, "--" + name) <= 2 }
                throw UsageError("unknown option '--\(name)'" + (close.isEmpty ? "" : "; did you mean \(close.joined(separator: " or "))?"))
            }
            if spec.valueName == nil {
                if inline != nil { throw UsageError("option '--\(name)' takes no value") }
                flags.insert(name)
                continue
            }
            let value: String
            if let inline { value = inline } else {
                guard i < args.count else { throw UsageError("option '--\(name)' needs a value \(spec.valueName!)") }
                value = args[i]
                i += 1
            }
            if values[name] != nil && !spec.repeatable { throw UsageError("option '--\(name)' given more than once") }
            values[name, default: []].append(value)
        }
    }

    public func flag(_ name: String) -> Bool { flags.contains(name) }
    public func string(_ name: String) -> String? { values[name]?.last }
    public func strings(_ name: String) -> [String] { values[name] ?? [] }

    public func required(_ name: String) throws(UsageError) -> String {
        guard let v = string(name) else { throw UsageError("missing required option '--\(name)'") }
        return v
    }

    public func int(_ name: String, default def: Int? = nil, range: ClosedRange<Int>? = nil) throws(UsageError) -> Int? {
        guard let s = string(name) else { return def }
        guard let v = Int(s) else { throw UsageError("option '--\(name)' expects an integer, got '\(s)'") }
        if let range, !range.contains(v) {
            throw UsageError("option '--\(name)' must be in \(range.lowerBound)...\(range.upperBound), got \(v)")
        }
        return v
    }

    public func noPositionals() throws(UsageError) {
        if let p = positionals.first { throw UsageError("unexpected argument '\(p)'") }
    }
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    var prev = Array(0...b.count)
    for i in 1...a.count {
        var cur = [i] + Array(repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where j <= b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        prev = cur
    }
    return prev[b.count]
}

import EagleCore

/// A subcommand of `eagleprep`: a name, a one-line summary, its options, and a body.
public protocol Subcommand: Sendable {
    static var name: String { get }
    static var summary: String { get }
    /// The usage line after `eagleprep NAME`, e.g. `--tokenizer PATH [--special] [--input FILE]`.
    static var usage: String { get }
    /// Longer help text shown by `--help` after the options (may be empty).
    static var discussion: String { get }
    static var options: [OptionSpec] { get }
    static func run(_ args: ParsedArguments) throws
}

extension Subcommand {
    public static var discussion: String { "" }

    public static var helpText: String {
        var s = "\(summary)\n\nUsage: eagleprep \(name) \(usage)\n"
        if !options.isEmpty {
            s += "\nOptions:\n"
            let rows = options.map { o in ("--" + o.name + (o.valueName.map { " " + $0 } ?? ""), o.help) }
                + [("-h, --help", "Show this help.")]
            let width = rows.map(\.0.count).max() ?? 0
            for (l, r) in rows { s += "  " + l.padding(toLength: width + 2, withPad: " ", startingAt: 0) + r + "\n" }
        }
        if !discussion.isEmpty { s += "\n" + discussion + (discussion.hasSuffix("\n") ? "" : "\n") }
        return s
    }
}

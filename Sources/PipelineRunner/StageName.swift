/// The stages of a pipeline, in the order they run. Each consumes the outputs of earlier ones.
public enum StageName: String, CaseIterable, Sendable, Comparable, CustomStringConvertible {
    case generate, tokenize, vocab, dump, train, eval

    public var description: String { rawValue }
    public static func < (a: StageName, b: StageName) -> Bool { a.index < b.index }
    var index: Int { Self.allCases.firstIndex(of: self)! }
}

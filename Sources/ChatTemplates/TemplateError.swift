/// A 1-based position in a template's source (columns count Unicode scalars).
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "line \(line), column \(column)" }
}

/// Every error of this module: parsing, rendering, and loading templates.
///
/// `message` is phrased as jinja2 phrases it where jinja2 raises the same error (`'foo' is undefined`, the text
/// given to `raise_exception`), so a render that fails here fails for the same reason in transformers.
public struct TemplateError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The template does not parse (jinja2 `TemplateSyntaxError`, or `TemplateAssertionError` for an unknown
        /// filter or test outside an `if`).
        case syntax
        /// The template called `raise_exception(message)` (jinja2 `TemplateError`).
        case raised
        /// An undefined value was used where jinja2's `Undefined` raises (`UndefinedError`).
        case undefined
        /// A Python `TypeError`/`ValueError`/`KeyError`/… that jinja2 would propagate.
        case runtime
        /// The sandbox refused an operation (`list.append` in `ImmutableSandboxedEnvironment`).
        case security
        /// A construct that jinja2 supports but this interpreter does not; the payload names it.
        case unsupported(construct: String)
        /// A render limit (recursion depth, output size, loop iterations) was exceeded.
        case limit
        /// A template could not be found or read from a file, folder or tokenizer_config.json.
        case loading
    }

    public var kind: Kind
    public var message: String
    /// The template's name (file name or a caller-given label).
    public var templateName: String
    /// Where in the template; nil for loading errors and for errors without a position.
    public var location: SourceLocation?

    public init(_ kind: Kind, _ message: String, templateName: String = "", location: SourceLocation? = nil) {
        self.kind = kind
        self.message = message
        self.templateName = templateName
        self.location = location
    }

    public var description: String {
        var where_ = templateName
        if let location { where_ += where_.isEmpty ? "\(location)" : ", \(location)" }
        return where_.isEmpty ? message : "\(where_): \(message)"
    }

    static func runtime(_ message: String) -> TemplateError { TemplateError(.runtime, message) }
    static func typeError(_ message: String) -> TemplateError { TemplateError(.runtime, message) }
    static func unsupported(_ construct: String, _ message: String) -> TemplateError {
        TemplateError(.unsupported(construct: construct), message)
    }
}

extension JinjaUndefined {
    /// The error jinja2 raises when this undefined value is used in an operation it does not support.
    var error: TemplateError { TemplateError(isUnsafe ? .security : .undefined, message) }
}

import Synchronization

/// One level of variables. jinja2 gives each `for` iteration, macro call, call block, `{% set %}…{% endset %}`
/// body, `{% filter %}` and `{% with %}` body its own frame; `if` bodies share their parent's. Assignments write to
/// the innermost frame, so a `set` inside a loop never changes the variable outside it.
///
/// A class because macros keep their defining frame alive and read it when called (like Python closures).
final class Scope: Sendable {
    let parent: Scope?
    private let variables: Mutex<[String: JinjaValue]>

    init(parent: Scope?, variables: [String: JinjaValue] = [:]) {
        self.parent = parent
        self.variables = Mutex(variables)
    }

    func lookup(_ name: String) -> JinjaValue? {
        var scope: Scope? = self
        while let s = scope {
            if let v = s.variables.withLock({ $0[name] }) { return v }
            scope = s.parent
        }
        return nil
    }

    func set(_ name: String, _ value: JinjaValue) {
        variables.withLock { $0[name] = value }
    }

    func child() -> Scope { Scope(parent: self) }
}

/// A macro (or a call block's `caller`) together with the frame it was defined in.
final class MacroClosure: Sendable {
    let definition: MacroDefinition
    let scope: Scope

    init(definition: MacroDefinition, scope: Scope) {
        self.definition = definition
        self.scope = scope
    }
}

/// Limits that keep a hostile or broken template from running away.
public struct RenderLimits: Sendable {
    /// Nested macro calls (jinja2 itself is bounded by Python's recursion limit of 1000 frames).
    public var maxCallDepth: Int
    /// Characters of output across all buffers (printed text, captured `set` blocks, macro results).
    public var maxOutputCharacters: Int
    /// Loop iterations over the whole render.
    public var maxLoopIterations: Int

    public init(maxCallDepth: Int = 200, maxOutputCharacters: Int = 64 << 20, maxLoopIterations: Int = 10_000_000) {
        self.maxCallDepth = maxCallDepth
        self.maxOutputCharacters = maxOutputCharacters
        self.maxLoopIterations = maxLoopIterations
    }
}

import Synchronization

/// A value seen by a chat template, modelled on the Python objects jinja2 hands to templates.
///
/// Arrays and dictionaries are values: the sandbox transformers renders in (`ImmutableSandboxedEnvironment`) forbids
/// mutating them, so copy-on-write matches. Namespaces are the one mutable object (`{% set ns.x = … %}` is visible
/// through every reference), so they are reference types.
public enum JinjaValue: Sendable {
    /// jinja2's default `Undefined`: prints as "", is falsy, iterates as empty, and raises on most other uses.
    case undefined(JinjaUndefined)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    /// A `markupsafe.Markup` string (made by `|safe`, `|escape`): `+` with a plain string HTML-escapes the plain side.
    case markup(String)
    case array([JinjaValue])
    case tuple([JinjaValue])
    /// A Python dict with string keys, in insertion order.
    case object(JinjaDict)
    case namespace(JinjaNamespace)
    case function(JinjaFunction)
    /// The `loop` variable inside a `{% for %}`.
    indirect case loop(JinjaLoop)
    /// A Python iterator or view: what `map`, `select`, `reverse`, `items` … return, and `range`, `dict.items()`.
    case iterator(JinjaIterator)

    public static func undefinedName(_ name: String) -> JinjaValue {
        .undefined(JinjaUndefined(.name(name)))
    }

    /// Python truthiness (`bool(x)`).
    public var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s), .markup(let s): return !s.isEmpty
        case .array(let a), .tuple(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        case .namespace, .function, .loop: return true
        case .iterator(let it): return it.viewItems.map { !$0.isEmpty } ?? true
        }
    }

    public var isUndefined: Bool { if case .undefined = self { return true }; return false }
    public var isNone: Bool { if case .none = self { return true }; return false }

    /// The text of a string or markup value.
    var stringValue: String? {
        switch self {
        case .string(let s), .markup(let s): return s
        default: return nil
        }
    }

    /// The name Python's `type(x).__name__` gives, for error messages.
    var pythonTypeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .markup: return "Markup"
        case .array: return "list"
        case .tuple: return "tuple"
        case .object: return "dict"
        case .namespace: return "TemplateNamespace"
        case .function(let f): return f.isMacro ? "Macro" : "builtin_function_or_method"
        case .loop: return "LoopContext"
        case .iterator(let it): return it.typeName
        }
    }

    /// jinja2's `object_type_repr`, used in "'dict object' has no attribute 'x'".
    var objectTypeRepr: String {
        switch self {
        case .none: return "None"
        case .markup: return "markupsafe.Markup object"
        case .namespace: return "transformers.utils.chat_template_utils.TemplateNamespace object"
        case .function(let f) where f.isMacro: return "jinja2.runtime.Macro object"
        case .loop: return "jinja2.runtime.LoopContext object"
        case .undefined: return "jinja2.runtime.Undefined object"
        default: return "\(pythonTypeName) object"
        }
    }
}

/// Why a value is undefined, phrased as jinja2 phrases the error raised when it is used. The message is built
/// only when needed (templates probe `x is defined` far more often than they fail).
public struct JinjaUndefined: Sendable {
    indirect enum Reason: Sendable {
        case hint(String)
        case name(String)
        case attribute(owner: JinjaValue, name: String)
        case element(owner: JinjaValue, key: JinjaValue)
    }

    let reason: Reason
    /// Set for attributes the sandbox refuses (`list.append`): using the value raises a security error.
    public var isUnsafe: Bool

    public init(message: String, isUnsafe: Bool = false) {
        self.reason = .hint(message)
        self.isUnsafe = isUnsafe
    }

    init(_ reason: Reason) {
        self.reason = reason
        self.isUnsafe = false
    }

    public var message: String {
        switch reason {
        case .hint(let m): return m
        case .name(let n): return "\(reprString(n)) is undefined"
        case .attribute(let owner, let name): return "\(reprString(owner.objectTypeRepr)) has no attribute \(reprString(name))"
        case .element(let owner, let key): return "\(owner.objectTypeRepr) has no element \(key.debugRepr)"
        }
    }

    static func missingAttribute(_ owner: JinjaValue, _ name: String) -> JinjaUndefined { JinjaUndefined(.attribute(owner: owner, name: name)) }
    static func missingElement(_ owner: JinjaValue, _ key: JinjaValue) -> JinjaUndefined { JinjaUndefined(.element(owner: owner, key: key)) }
}

/// An insertion-ordered dictionary with string keys (a Python dict as JSON builds it).
public struct JinjaDict: Sendable, Sequence {
    public private(set) var keys: [String] = []
    private var storage: [String: JinjaValue] = [:]

    public init() {}
    public init(_ pairs: [(String, JinjaValue)]) { for (k, v) in pairs { self[k] = v } }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }
    public var values: [JinjaValue] { keys.map { storage[$0]! } }

    public subscript(key: String) -> JinjaValue? {
        get { storage[key] }
        set {
            if let v = newValue {
                if storage.updateValue(v, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    public func makeIterator() -> AnyIterator<(key: String, value: JinjaValue)> {
        var i = 0
        return AnyIterator {
            guard i < keys.count else { return nil }
            defer { i += 1 }
            return (keys[i], storage[keys[i]]!)
        }
    }
}

/// `namespace(...)`: the mutable attribute bag templates use to carry state out of loops.
public final class JinjaNamespace: Sendable {
    private let attributes: Mutex<JinjaDict>

    public init(_ attributes: JinjaDict = JinjaDict()) { self.attributes = Mutex(attributes) }

    public subscript(name: String) -> JinjaValue? {
        get { attributes.withLock { $0[name] } }
        set { attributes.withLock { $0[name] = newValue } }
    }

    public var snapshot: JinjaDict { attributes.withLock { $0 } }
}

/// State of one `{% for %}` iteration, read through `loop.index`, `loop.last`, …
public struct JinjaLoop: Sendable {
    var index0: Int
    var length: Int
    var previous: JinjaValue?
    var next: JinjaValue?
    var depth0: Int
}

/// A callable: a builtin global, a bound method of a value, or a template macro.
public struct JinjaFunction: Sendable {
    public typealias Body = @Sendable (_ arguments: JinjaArguments) throws -> JinjaValue

    indirect enum Kind: Sendable {
        case builtin(Body)
        /// `value.name` for a Python method of str, list, dict, or `loop.cycle`.
        case method(receiver: JinjaValue, name: String)
        case macro(MacroClosure)
        /// The sandbox's `dict` global.
        case dictConstructor
        case namespaceConstructor
    }

    public let name: String
    let kind: Kind

    /// A host function callable from templates (for extra globals).
    public init(name: String, body: @escaping Body) {
        self.name = name
        self.kind = .builtin(body)
    }

    init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }

    var isMacro: Bool { if case .macro = kind { return true }; return false }
}

/// Arguments of a call: positional then keyword, keyword order kept.
public struct JinjaArguments: Sendable {
    public var positional: [JinjaValue]
    public var keyword: [(String, JinjaValue)]

    public init(positional: [JinjaValue] = [], keyword: [(String, JinjaValue)] = []) {
        self.positional = positional
        self.keyword = keyword
    }

    public func keyword(_ name: String) -> JinjaValue? { keyword.last { $0.0 == name }?.1 }
}

/// A Python iterator or view. Views (`dict_items`, `dict_keys`, `dict_values`, `range`) hold their items, can be
/// iterated again and have a length. Iterators (`generator`, `list_reverseiterator`, …) are lazy and single-pass,
/// as jinja2's filters are generators: `map`, `select`, `unique`, `items`, … do nothing — not even check that their
/// input is iterable — until something reads them, and each item is read once (see Generators.swift).
public final class JinjaIterator: Sendable {
    let typeName: String
    /// The items of a view; nil for an iterator.
    let viewItems: [JinjaValue]?
    /// How a view prints (`range(0, 3)`); iterators print with an address, which no render can reproduce.
    let repr: String?
    /// What an iterator yields: its input and the step applied to each item.
    let pipeline: GeneratorPipeline?
    let state = Mutex(GeneratorState())

    /// `start, stop, step` of a `range`.
    let rangeBounds: (start: Int, stop: Int, step: Int)?

    init(view typeName: String, items: [JinjaValue]) {
        self.typeName = typeName
        self.viewItems = items
        self.repr = nil
        self.pipeline = nil
        self.rangeBounds = nil
    }

    /// Python `range(start, stop, step)` (step ≠ 0; the caller bounds the length).
    init(rangeStart start: Int, stop: Int, step: Int) {
        let count = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0)
                             : (start > stop ? (start - stop - step - 1) / -step : 0)
        self.typeName = "range"
        self.viewItems = (0..<count).map { JinjaValue.int(start + $0 * step) }
        self.repr = step == 1 ? "range(\(start), \(stop))" : "range(\(start), \(stop), \(step))"
        self.pipeline = nil
        self.rangeBounds = (start, stop, step)
    }

    init(typeName: String, source: JinjaValue, step: GeneratorStep) {
        self.typeName = typeName
        self.viewItems = nil
        self.repr = nil
        self.pipeline = GeneratorPipeline(source: source, step: step)
        self.rangeBounds = nil
    }

    var isView: Bool { viewItems != nil }
}

struct GeneratorPipeline: Sendable {
    var source: JinjaValue
    var step: GeneratorStep
}

/// The per-item work of jinja2's generator filters.
enum GeneratorStep: Sendable {
    /// Yields the source's items (`reverse` of a list, whose source is already reversed).
    case identity
    /// `items`: (key, value) tuples of a mapping; nothing for Undefined; a TypeError for anything else.
    case items
    /// `map('filter', args…)`
    case mapFilter(name: String, arguments: JinjaArguments)
    /// `map(attribute=…, default=…)`
    case mapAttribute(attribute: JinjaValue, defaultValue: JinjaValue?)
    /// `select`/`reject`/`selectattr`/`rejectattr`: positional are the filter's arguments after the value.
    case select(arguments: JinjaArguments, reject: Bool, lookupAttribute: Bool)
    case unique(caseSensitive: Bool, attribute: JinjaValue?)
    case batch(size: Int, fill: JinjaValue?)
}

/// Where an iterator is in its source.
struct GeneratorState: Sendable {
    enum Upstream: Sendable {
        case items([JinjaValue], next: Int)
        case iterator(JinjaIterator)
    }
    var upstream: Upstream?
    var finished = false
    /// `unique`: keys seen so far.
    var seen: [JinjaValue] = []
}

/// How to render: the variables transformers passes besides the messages.
public struct RenderOptions: Sendable {
    /// `add_generation_prompt`.
    public var addGenerationPrompt: Bool
    /// What `strftime_now` reads; nil means the current local time (transformers uses `datetime.now()`).
    public var date: TemplateDate?
    /// Extra template variables: `bos_token`, `eos_token`, `enable_thinking`, … (transformers' special tokens map
    /// and `apply_chat_template` keyword arguments).
    public var variables: [String: JinjaValue]
    public var limits: RenderLimits

    public init(addGenerationPrompt: Bool = false, date: TemplateDate? = nil, variables: [String: JinjaValue] = [:],
                limits: RenderLimits = RenderLimits()) {
        self.addGenerationPrompt = addGenerationPrompt
        self.date = date
        self.variables = variables
        self.limits = limits
    }
}

/// A parsed Hugging Face chat template, rendered as transformers renders it: jinja2's
/// `ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols])`
/// with `tojson` = `json.dumps(ensure_ascii=False)`, and the globals `raise_exception` and `strftime_now`.
///
/// Parsing happens once in `init`; `render` may be called concurrently from many threads.
public struct ChatTemplate: Sendable {
    public let name: String
    public let source: String
    let nodes: [Node]

    /// Parses `source`. Throws a `.syntax` error (with line and column) for a template jinja2 would not compile,
    /// and `.unsupported` for a construct this interpreter does not implement.
    public init(source: String, name: String = "chat_template") throws {
        self.name = name
        self.source = source
        let parsed = try Parser.parse(source, templateName: name)
        try Validator(templateName: name).check(parsed)
        self.nodes = ConstantFolder(templateName: name).fold(parsed)
    }

    /// Renders with exactly these variables (plus `add_generation_prompt` from `options` and `options.variables`,
    /// which `variables` override).
    public func render(_ variables: [String: JinjaValue], options: RenderOptions = RenderOptions()) throws -> String {
        var context = options.variables
        context["add_generation_prompt"] = .bool(options.addGenerationPrompt)
        for (k, v) in variables { context[k] = v }
        let globals = Scope(parent: nil, variables: TemplateGlobals.make(date: options.date ?? .now()))
        let root = Scope(parent: globals, variables: context)
        let interpreter = Interpreter(templateName: name, limits: options.limits)
        var out = ""
        do {
            _ = try interpreter.render(nodes, in: root, into: &out)
        } catch var error as TemplateError {
            if error.templateName.isEmpty { error.templateName = name }
            throw error
        }
        return out
    }

    /// Renders a conversation as transformers' `apply_chat_template(conversation, tools=…, documents=…,
    /// add_generation_prompt=…, tokenize=False)` does: keys whose value is null are dropped from each message,
    /// `reasoning_content`/`thinking`/`reasoning` are aliased to one another, and `tools`/`documents` are always
    /// defined (None when not given).
    public func render(messages: [JinjaValue], tools: [JinjaValue]? = nil, documents: [JinjaValue]? = nil,
                       options: RenderOptions = RenderOptions()) throws -> String {
        guard !messages.isEmpty else {
            throw TemplateError(.runtime, "Cannot apply chat template to an empty conversation. Provide at least one message.", templateName: name)
        }
        var chat: [JinjaValue] = []
        for message in messages {
            guard case .object(let o) = message else {
                throw TemplateError(.runtime, "Chat messages should be dicts, but got \(message.debugRepr).", templateName: name)
            }
            chat.append(.object(Self.aliasReasoning(Self.dropNullKeys(o))))
        }
        return try render([
            "messages": .array(chat),
            "tools": tools.map(JinjaValue.array) ?? .none,
            "documents": documents.map(JinjaValue.array) ?? .none,
        ], options: options)
    }

    private static func dropNullKeys(_ o: JinjaDict) -> JinjaDict {
        JinjaDict(o.filter { !$0.value.isNone }.map { ($0.key, $0.value) })
    }

    /// transformers' `_alias_reasoning_fields`: `{"thinking": r, **message, "reasoning_content": r}` where r is the
    /// first non-null of reasoning_content, thinking, reasoning.
    static func aliasReasoning(_ o: JinjaDict) -> JinjaDict {
        guard let r = ["reasoning_content", "thinking", "reasoning"].lazy.compactMap({ o[$0] }).first(where: { !$0.isNone }) else {
            return o
        }
        var out = JinjaDict([("thinking", r)])
        for (k, v) in o { out[k] = v }
        out["reasoning_content"] = r
        return out
    }
}

import Conversations
import EagleCore

/// Renders a conversation with a chat template. The tokenize stage adapts `ChatTemplate` to this; tests can
/// substitute a hand-written renderer.
public protocol ConversationRendering: Sendable {
    func render(messages: [JSONObject], tools: [JSONValue]?, addGenerationPrompt: Bool) throws -> String
}

/// Where the system message comes from (SPEC §2).
public enum SystemPromptPolicy: String, Sendable, CaseIterable {
    /// The EAGLE-3 reference's fixed system prompt, always; a system message in the data is dropped.
    case reference
    /// The data's leading system message if it has one, else none.
    case data
    /// No system message; one in the data is dropped.
    case none
}

/// The length rule for rendered sequences longer than `maxLength` tokens.
public enum OverLengthPolicy: String, Sendable, CaseIterable {
    case drop, truncate
}

public struct SampleOptions: Sendable, Equatable {
    public var maskMode: MaskMode = .reference
    public var systemPrompt: SystemPromptPolicy = .reference
    public var maxLength = 2048
    public var overLength: OverLengthPolicy = .drop
    /// Require user/assistant alternation starting with user (after dropping a non-user first message once),
    /// as the reference does. Default: on in `reference` mask mode, off in `assistant` mode.
    public var requireAlternation: Bool
    /// Pass a record's `tools` to the template (default). The reference ignores them.
    public var renderTools = true

    public init(maskMode: MaskMode = .reference, systemPrompt: SystemPromptPolicy = .reference, maxLength: Int = 2048,
                overLength: OverLengthPolicy = .drop, requireAlternation: Bool? = nil) {
        self.maskMode = maskMode
        self.systemPrompt = systemPrompt
        self.maxLength = maxLength
        self.overLength = overLength
        self.requireAlternation = requireAlternation ?? (maskMode == .reference)
    }

    /// The reference's fixed system prompt (eagle/traineagle3/main.py; SPEC §2, sha256 d52c188a…).
    public static let referenceSystemPrompt = "You are a helpful, respectful and honest assistant. Always answer as helpfully as possible, while being safe.  Your answers should not include any harmful, unethical, racist, sexist, toxic, dangerous, or illegal content. Please ensure that your responses are socially unbiased and positive in nature.\n\nIf a question does not make any sense, or is not factually coherent, explain why instead of answering something not correct. If you don't know the answer to a question, please don't share false information."
}

/// Why a conversation produced no sample.
public enum SampleRejection: String, Sendable, CaseIterable, Comparable {
    case emptyConversation = "empty"
    case unknownRole = "unknown_role"
    case empty = "empty_after_role_rules"
    case alternation = "role_alternation"
    case template = "template_error"
    case prefixMismatch = "prefix_not_additive"
    case noEndOfTurn = "no_end_of_turn"
    case tooLong = "too_long"

    public static func < (a: SampleRejection, b: SampleRejection) -> Bool { a.rawValue < b.rawValue }
}

public enum SampleOutcome: Sendable, Equatable {
    /// `truncated`: the sequence was cut to `maxLength`; `specialTokensInContent`: a message's text contains a
    /// special-token string, which the tokenizer turns into a special token (counted, SPEC §2).
    case sample(ids: [Int32], lossMask: [UInt8], truncated: Bool, specialTokensInContent: Bool)
    case rejected(SampleRejection, String)
}

/// Turns one conversation into ids and a loss mask: role rules, system prompt, render with the model's own
/// template, tokenize (no added special tokens: the template emits them), assistant spans by rendering
/// prefixes (SPEC §3 "template-independent reproduction"), the mask, the length rule.
public struct SampleBuilder: Sendable {
    public let renderer: any ConversationRendering
    public let encode: @Sendable (String) -> [Int32]
    public let endOfTurnId: Int32
    public let specialTokenStrings: [String]
    private let specialMatcher: SubstringMatcher
    public let options: SampleOptions

    public init(renderer: any ConversationRendering, encode: @escaping @Sendable (String) -> [Int32], endOfTurnId: Int32,
                specialTokenStrings: [String], options: SampleOptions) {
        self.renderer = renderer
        self.encode = encode
        self.endOfTurnId = endOfTurnId
        self.specialTokenStrings = specialTokenStrings.filter { !$0.isEmpty }
        self.specialMatcher = SubstringMatcher(self.specialTokenStrings)
        self.options = options
    }

    /// The messages the template sees after the system-prompt policy and the role rules, or a rejection.
    ///
    /// With `requireAlternation` (the reference's role rules, SPEC §2): a role other than user/assistant rejects
    /// the record (`unknown_role`; the reference aborts with a KeyError) — except a leading system message under
    /// the `data` policy (used) or `none` (dropped); under the `reference` policy a system message in the data is
    /// rejected, as the reference does. Then a non-user first message is dropped once, and the rest must alternate
    /// user/assistant.
    public func messages(of conversation: [JSONObject]) -> Result<[JSONObject], SampleRejectionError> {
        if conversation.isEmpty { return .failure(.init(.emptyConversation, "conversation has no messages")) }
        var rest = conversation
        var dataSystem: String?
        if rest.first?["role"]?.stringValue == "system", !options.requireAlternation || options.systemPrompt != .reference {
            dataSystem = rest.removeFirst()["content"]?.stringValue
        }
        if options.requireAlternation {
            if let (i, m) = rest.enumerated().first(where: { !["user", "assistant"].contains($0.element["role"]?.stringValue ?? "") }) {
                return .failure(.init(.unknownRole, "message \(i) has role \"\(m["role"]?.stringValue ?? "")\"; the reference's role rules allow only user and assistant"))
            }
            if let first = rest.first, first["role"]?.stringValue != "user" { rest.removeFirst() }
            if rest.isEmpty { return .failure(.init(.empty, "no messages left after dropping a non-user first message")) }
            for (i, m) in rest.enumerated() {
                let role = m["role"]?.stringValue ?? ""
                let expected = i % 2 == 0 ? "user" : "assistant"
                if role != expected {
                    return .failure(.init(.alternation, "message \(i) has role \"\(role)\", expected \"\(expected)\" (roles must alternate user/assistant)"))
                }
            }
        } else if rest.isEmpty {
            return .failure(.init(.empty, "no messages besides the system message"))
        }
        let system: String? = switch options.systemPrompt {
        case .reference: SampleOptions.referenceSystemPrompt
        case .data: dataSystem
        case .none: nil
        }
        if let system { rest.insert(JSONObject([("role", .string("system")), ("content", .string(system))]), at: 0) }
        return .success(rest)
    }

    public func build(_ conversation: Conversation) -> SampleOutcome {
        let full: [JSONObject]
        switch messages(of: conversation.messages) {
        case .success(let m): full = m
        case .failure(let e): return .rejected(e.reason, e.detail)
        }
        let tools = options.renderTools ? conversation.tools : nil
        let text: String
        do { text = try renderer.render(messages: full, tools: tools, addGenerationPrompt: false) } catch {
            return .rejected(.template, "\(error)")
        }
        var ids = encode(text)
        var spans: [AssistantSpan] = []
        for (m, message) in full.enumerated() where message["role"]?.stringValue == "assistant" {
            let prefixText: String
            do { prefixText = try renderer.render(messages: Array(full[..<m]), tools: tools, addGenerationPrompt: true) } catch {
                return .rejected(.template, "rendering the prefix before message \(m): \(error)")
            }
            let prefix = encode(prefixText)
            guard prefix.count <= ids.count, ids[..<prefix.count].elementsEqual(prefix) else {
                let at = zip(prefix, ids).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(prefix.count, ids.count)
                return .rejected(.prefixMismatch, "the render before message \(m) is not a token prefix of the full render (first difference at token \(at))")
            }
            let start = prefix.count
            // The turn ends at the first end-of-turn token after its start — unless the content itself holds a
            // special-token string (which tokenizes as the special token): then at the last end-of-turn token of
            // the render that ends with this message, as the reference's string split sees it.
            var searchEnd = ids.count
            var pickLast = false
            if let content = message["content"]?.stringValue, specialMatcher.occurs(in: content),
               let through = try? renderer.render(messages: Array(full[...m]), tools: tools, addGenerationPrompt: false) {
                let n = encode(through).count
                if n > start, n <= ids.count { searchEnd = n; pickLast = true }
            }
            let window = ids[start..<searchEnd]
            guard let eot = pickLast ? window.lastIndex(of: endOfTurnId) : window.firstIndex(of: endOfTurnId) else {
                return .rejected(.noEndOfTurn, "no end-of-turn token \(endOfTurnId) after assistant message \(m) (token \(start))")
            }
            spans.append(AssistantSpan(start: start, end: eot - 1))
        }
        var truncated = false
        if ids.count > options.maxLength {
            guard options.overLength == .truncate else {
                return .rejected(.tooLong, "\(ids.count) tokens, over the maximum length \(options.maxLength)")
            }
            truncated = true
        }
        let endsWithAssistant = full.last?["role"]?.stringValue == "assistant"
        var mask = LossMask.compute(length: ids.count, spans: spans, endsWithAssistant: endsWithAssistant, mode: options.maskMode)
        if truncated {
            ids.removeSubrange(options.maxLength...)
            mask.removeSubrange(options.maxLength...)
        }
        let special = conversation.messages.contains { m in
            guard let c = m["content"]?.stringValue else { return false }
            return specialMatcher.occurs(in: c)
        }
        return .sample(ids: ids, lossMask: mask, truncated: truncated, specialTokensInContent: special)
    }

    /// Finds the template's end-of-turn token: the first special token after the assistant content of a probe
    /// conversation (Llama-3 `<|eot_id|>`, ChatML `<|im_end|>`, Llama-2 `</s>`).
    public static func detectEndOfTurn(renderer: any ConversationRendering, encode: @Sendable (String) -> [Int32],
                                       specialIds: Set<Int32>) throws -> Int32 {
        let user = JSONObject([("role", .string("user")), ("content", .string("Hello there."))])
        let assistant = JSONObject([("role", .string("assistant")), ("content", .string("General Kenobi."))])
        let prefix = encode(try renderer.render(messages: [user], tools: nil, addGenerationPrompt: true))
        let full = encode(try renderer.render(messages: [user, assistant], tools: nil, addGenerationPrompt: false))
        guard full.count > prefix.count, full[..<prefix.count].elementsEqual(prefix),
              let id = full[prefix.count...].first(where: { specialIds.contains($0) }) else {
            throw SampleRejectionError(.noEndOfTurn, "cannot find the template's end-of-turn token from a probe conversation; name it with --end-of-turn")
        }
        return id
    }
}

public struct SampleRejectionError: Error, Sendable, CustomStringConvertible {
    public var reason: SampleRejection
    public var detail: String
    public init(_ reason: SampleRejection, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }
    public var description: String { detail }
}

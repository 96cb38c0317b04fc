import EagleCore

/// One chat record normalised to the OpenAI `messages` form that chat templates expect:
/// each message is an object with `role` (system/user/assistant/tool) and `content` (a string), plus
/// `tool_calls` (assistant) or `name`/`tool_call_id` (tool) when the source had them.
public struct Conversation: Sendable, Equatable {
    /// Input file and 1-based line where the record starts, for messages like `data.jsonl:12: …`.
    public var source: String
    public var line: Int
    /// 0-based index of the record within its file (counting rejected records too).
    public var index: Int
    public var messages: [JSONObject]
    /// Tool definitions (`tools`), if the record has them, as JSON values for the template.
    public var tools: [JSONValue]?

    public init(source: String, line: Int, index: Int, messages: [JSONObject], tools: [JSONValue]? = nil) {
        self.source = source
        self.line = line
        self.index = index
        self.messages = messages
        self.tools = tools
    }

    public func role(at i: Int) -> String { messages[i]["role"]?.stringValue ?? "" }
}

/// The record schemas eagleprep reads.
public enum ConversationFormat: String, Sendable, CaseIterable {
    /// OpenAI `{"messages": [{"role", "content"}…], "tools"?}` (UltraChat, Model-Optimizer, LLaMA-Factory KTO).
    case messages
    /// ShareGPT `{"conversations": [{"from", "value"}…]}` (EAGLE reference, FastChat, LLaMA-Factory), with
    /// roles human/gpt/system/function_call/observation/tool; DPO records' `chosen` answer is appended.
    case sharegpt
    /// Alpaca `{"instruction", "input"?, "output", "system"?, "history"?}`.
    case alpaca

    /// The format a record's keys indicate, or nil.
    public static func detect(_ record: JSONObject) -> ConversationFormat? {
        if record["messages"] != nil { return .messages }
        if record["conversations"] != nil { return .sharegpt }
        if record["instruction"] != nil { return .alpaca }
        return nil
    }
}

/// Why a record was skipped; the raw values name the counters in summaries and manifests.
public enum RejectReason: String, Sendable, CaseIterable, Comparable {
    case invalidJSON = "invalid_json"
    case notAnObject = "not_an_object"
    case unknownFormat = "unknown_format"
    case malformed = "malformed"
    case unknownRole = "unknown_role"
    case empty = "empty"

    public static func < (a: RejectReason, b: RejectReason) -> Bool { a.rawValue < b.rawValue }
}

/// A skipped record: `file:line: reason`.
public struct RecordRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var line: Int
    public var reason: RejectReason
    public var detail: String
    public var description: String { "\(source):\(line): \(detail)" }
}

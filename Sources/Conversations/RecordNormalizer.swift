import EagleCore

/// Converts one decoded record of a known format into a `Conversation`, or explains why it cannot.
struct RecordNormalizer {
    let source: String
    let line: Int
    let index: Int

    func reject(_ reason: RejectReason, _ detail: String) -> RecordRejection {
        RecordRejection(source: source, line: line, reason: reason, detail: detail)
    }

    func normalize(_ record: JSONObject, as format: ConversationFormat) throws(RecordRejection) -> Conversation {
        let messages: [JSONObject]
        switch format {
        case .messages: messages = try openAIMessages(record)
        case .sharegpt: messages = try shareGPTMessages(record)
        case .alpaca: messages = try alpacaMessages(record)
        }
        if messages.isEmpty { throw reject(.empty, "conversation has no messages") }
        var tools: [JSONValue]?
        if let t = record["tools"], !t.isNull {
            switch t {
            case .array(let a): tools = a
            case .string(let s):  // LLaMA-Factory stores tools as a JSON string
                if s.trimmingWhitespace.isEmpty { break }
                guard let parsed = try? JSONParser.parse(s), case .array(let a) = parsed else {
                    throw reject(.malformed, "field \"tools\": expected an array or a JSON string holding one")
                }
                tools = a
            default: throw reject(.malformed, "field \"tools\": expected an array, found \(t.typeName)")
            }
        }
        // Bare function definitions (LLaMA-Factory's `{"name", "description", "parameters"}`) are wrapped in the
        // OpenAI form `{"type": "function", "function": …}` that chat templates and transformers' tool schemas use.
        tools = tools?.map { t in
            guard case .object(let o) = t, o["name"] != nil, o["function"] == nil else { return t }
            return .object(JSONObject([("type", .string("function")), ("function", t)]))
        }
        return Conversation(source: source, line: line, index: index, messages: messages, tools: tools)
    }

    // MARK: OpenAI messages

    private func openAIMessages(_ record: JSONObject) throws(RecordRejection) -> [JSONObject] {
        guard let list = record["messages"]?.arrayValue else {
            throw reject(.malformed, "field \"messages\": expected an array, found \(record["messages"]!.typeName)")
        }
        var out: [JSONObject] = []
        for (i, item) in list.enumerated() {
            guard case .object(var m) = item else { throw reject(.malformed, "messages[\(i)]: expected an object, found \(item.typeName)") }
            guard let role = m["role"]?.stringValue else { throw reject(.malformed, "messages[\(i)]: missing string field \"role\"") }
            let normalizedRole: String
            switch role {
            case "system", "user", "assistant", "tool": normalizedRole = role
            case "developer": normalizedRole = "system"
            case "function", "ipython": normalizedRole = "tool"
            default: throw reject(.unknownRole, "messages[\(i)]: unknown role \"\(role)\" (expected system, user, assistant or tool)")
            }
            m["role"] = .string(normalizedRole)
            m["content"] = .string(try text(of: m["content"], field: "messages[\(i)].content",
                                            optional: normalizedRole == "assistant" && m["tool_calls"] != nil))
            out.append(m)
        }
        return out
    }

    /// Content as a string: a string, null (only when allowed), or a list of `{"type": "text", "text": …}` parts.
    private func text(of value: JSONValue?, field: String, optional: Bool) throws(RecordRejection) -> String {
        switch value {
        case .string(let s): return s
        case nil, .null?:
            if optional { return "" }
            throw reject(.malformed, "\(field): missing, expected a string or a list of text parts")
        case .array(let parts)?:
            var s = ""
            for (j, p) in parts.enumerated() {
                guard case .object(let part) = p else { throw reject(.malformed, "\(field)[\(j)]: expected an object") }
                let type = part["type"]?.stringValue ?? "text"
                guard type == "text", let t = part["text"]?.stringValue else {
                    throw reject(.malformed, "\(field)[\(j)]: unsupported content part of type \"\(type)\" (only text parts are read)")
                }
                s += t
            }
            return s
        case let v?: throw reject(.malformed, "\(field): expected a string or a list of text parts, found \(v.typeName)")
        }
    }

    // MARK: ShareGPT

    private func shareGPTMessages(_ record: JSONObject) throws(RecordRejection) -> [JSONObject] {
        guard var list = record["conversations"]?.arrayValue else {
            throw reject(.malformed, "field \"conversations\": expected an array, found \(record["conversations"]!.typeName)")
        }
        if case .object(let chosen)? = record["chosen"] { list.append(.object(chosen)) }  // DPO: keep the preferred answer
        if let system = record["system"]?.stringValue, !system.isEmpty {
            list.insert(.object(JSONObject([("from", .string("system")), ("value", .string(system))])), at: 0)
        }
        var out: [JSONObject] = []
        for (i, item) in list.enumerated() {
            guard case .object(let turn) = item else { throw reject(.malformed, "conversations[\(i)]: expected an object, found \(item.typeName)") }
            guard let from = turn["from"]?.stringValue ?? turn["role"]?.stringValue else {
                throw reject(.malformed, "conversations[\(i)]: missing string field \"from\"")
            }
            guard let value = turn["value"]?.stringValue ?? turn["content"]?.stringValue else {
                throw reject(.malformed, "conversations[\(i)]: missing string field \"value\"")
            }
            switch from {
            case "human", "user": out.append(message("user", value))
            case "gpt", "assistant", "bing", "chatgpt", "bard": out.append(message("assistant", value))
            case "system": out.append(message("system", value))
            case "observation", "tool", "function_response": out.append(message("tool", value))
            case "function_call": out.append(try functionCall(value, at: i))
            default:
                throw reject(.unknownRole, "conversations[\(i)]: unknown role \"\(from)\" (expected human, gpt, system, function_call, observation or tool)")
            }
        }
        return out
    }

    private func message(_ role: String, _ content: String) -> JSONObject {
        JSONObject([("role", .string(role)), ("content", .string(content))])
    }

    /// A ShareGPT `function_call` turn holds `{"name": …, "arguments": …}` (or a list of them) as a JSON string;
    /// it becomes an assistant message with OpenAI `tool_calls`.
    private func functionCall(_ value: String, at i: Int) throws(RecordRejection) -> JSONObject {
        guard let parsed = try? JSONParser.parse(value) else {
            throw reject(.malformed, "conversations[\(i)]: function_call value is not valid JSON")
        }
        let calls: [JSONValue]
        switch parsed {
        case .array(let a): calls = a
        case .object: calls = [parsed]
        default: throw reject(.malformed, "conversations[\(i)]: function_call must be an object or a list of objects")
        }
        var toolCalls: [JSONValue] = []
        for c in calls {
            guard let name = c["name"]?.stringValue else {
                throw reject(.malformed, "conversations[\(i)]: function_call without a string \"name\"")
            }
            let function = JSONObject([("name", .string(name)), ("arguments", c["arguments"] ?? .object(JSONObject()))])
            toolCalls.append(.object(JSONObject([("type", .string("function")), ("function", .object(function))])))
        }
        var m = message("assistant", "")
        m["tool_calls"] = .array(toolCalls)
        return m
    }

    // MARK: Alpaca

    private func alpacaMessages(_ record: JSONObject) throws(RecordRejection) -> [JSONObject] {
        func field(_ k: String, required: Bool) throws(RecordRejection) -> String {
            switch record[k] {
            case .string(let s)?: return s
            case nil, .null?:
                if required { throw reject(.malformed, "field \"\(k)\": missing, expected a string") }
                return ""
            case let v?: throw reject(.malformed, "field \"\(k)\": expected a string, found \(v.typeName)")
            }
        }
        let instruction = try field("instruction", required: true)
        let input = try field("input", required: false)
        let output = try field("output", required: true)
        let system = try field("system", required: false)
        var out: [JSONObject] = []
        if !system.isEmpty { out.append(message("system", system)) }
        if case .array(let history)? = record["history"] {
            for (i, h) in history.enumerated() {
                guard let pair = h.arrayValue, pair.count == 2, let q = pair[0].stringValue, let a = pair[1].stringValue else {
                    throw reject(.malformed, "history[\(i)]: expected a [prompt, response] pair of strings")
                }
                out.append(message("user", q))
                out.append(message("assistant", a))
            }
        }
        // LLaMA-Factory's Alpaca converter joins instruction and input with a newline.
        out.append(message("user", input.isEmpty ? instruction : instruction + "\n" + input))
        out.append(message("assistant", output))
        return out
    }
}

extension String {
    /// Python's `str.strip()` with no argument: Unicode whitespace at both ends removed.
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}

import ChatTemplates
import EagleCore

extension FuzzTarget {
    /// The Jinja lexer, parser and evaluator. Input: the template source, a 0x00 byte, then the render context as
    /// a JSON object (its `messages`, `tools`, … become template variables); both halves are fuzzed.
    ///
    /// Render limits are lowered (100,000 loop iterations, 1 MiB of output) so that a run that hits the fuzzer's
    /// time limit is work the limits do not count, not a long render they would stop later.
    static let jinja = FuzzTarget(name: "jinja", run: { input in
        let (sourceBytes, contextBytes) = input.splitAtNul()
        guard let source = String(validating: sourceBytes, as: UTF8.self),
              let template = try? ChatTemplate(source: source, name: "fuzz.jinja") else { return }
        var variables: [String: JinjaValue] = [:]
        if let context = try? JSONParser.parse(utf8: contextBytes), case .object(let o) = context {
            for (k, v) in o { variables[k] = JinjaValue(json: v) }
        }
        let options = RenderOptions(addGenerationPrompt: true, date: TemplateDate(year: 2026, month: 11, day: 29),
                                    variables: ["bos_token": .string("<s>"), "eos_token": .string("</s>")],
                                    limits: RenderLimits(maxOutputCharacters: 1 << 20, maxLoopIterations: 100_000))
        _ = try? template.render(variables, options: options)
        if case .array(let messages)? = variables["messages"] {
            var tools: [JinjaValue]?
            if case .array(let t)? = variables["tools"] { tools = t }
            _ = try? template.render(messages: messages, tools: tools, options: options)
        }
    }, writeSeeds: { seeds in
        // Contexts: a plain two-turn chat (MT-bench) and a tool-calling one (glaive), as the tokenize stage builds them.
        let plain = #"{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Compose a haiku."},{"role":"assistant","content":"Leaves fall."},{"role":"user","content":"Again?"}]}"#
        let tools = #"{"messages":[{"role":"user","content":"Weather in Paris?"},{"role":"assistant","content":"","tool_calls":[{"type":"function","function":{"name":"get_weather","arguments":{"city":"Paris"}}}]},{"role":"tool","content":"{\"temp\": 21}"},{"role":"assistant","content":"21 degrees.","reasoning_content":"easy"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],"enable_thinking":false}"#
        var n = 0
        let templates = SharedData.files(in: "chat-templates", suffix: ".jinja")
            + [SharedData.path("models/smollm2-135m-instruct/chat_template.jinja")]
        for file in templates {
            let source = try FileIO.readAll(path: file)
            let base = String(file.split(separator: "/").last!)
            try seeds.write(base + ".plain", source + [0] + Array(plain.utf8))
            try seeds.write(base + ".tools", source + [0] + Array(tools.utf8))
            n += 2
        }
        return n
    })
}

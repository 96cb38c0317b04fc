import ChatTemplates
import EagleCore

struct RenderCommand: Subcommand {
    static let name = "render"
    static let summary = "Render a conversation with a chat template, exactly as transformers does."
    static let usage = "--template PATH --messages FILE [--add-generation-prompt] [--date YYYY-MM-DD]"
    static let options: [OptionSpec] = [
        .value("template", "PATH", "A .jinja file, a tokenizer_config.json, a model folder or a .gguf."),
        .value("messages", "FILE", "One JSON object {\"messages\": [...], \"tools\"?: [...], \"bos_token\"?, \"eos_token\"?, ...}."),
        .flag("add-generation-prompt", "Append the assistant turn's opening (add_generation_prompt=True)."),
        .value("date", "YYYY-MM-DD", "The date strftime_now returns (default: today)."),
    ]
    static let discussion = """
    Prints exactly the rendered text, nothing added. Keys of FILE other than "messages" and "tools" become
    template variables; bos_token/eos_token default to the tokenizer config's (or the GGUF's).
    """

    static func run(_ args: ParsedArguments) throws {
        try args.noPositionals()
        let path = try args.required("messages")
        let date = try ModelAssets.date(args)
        let (template, special) = try ModelAssets.loadTemplate(path: try args.required("template"), tokenizer: nil)
        let input = try JSONParser.parse(bytes: FileIO.readAll(path: path))
        guard case .object(let object) = input, case .array(let messages)? = object["messages"] else {
            throw FileError(path: path, message: "expected a JSON object with an array field \"messages\"")
        }
        var options = RenderOptions(addGenerationPrompt: args.flag("add-generation-prompt"), date: date, variables: special)
        for (k, v) in object where k != "messages" && k != "tools" { options.variables[k] = JinjaValue(json: v) }
        let tools = object["tools"]?.arrayValue?.map(JinjaValue.init(json:))
        let text = try template.render(messages: messages.map(JinjaValue.init(json:)), tools: tools, options: options)
        let out = BufferedOutput()
        try out.write(text)
        try out.flush()
    }
}

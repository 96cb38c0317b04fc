import ChatTemplates
import EagleCore

/// Adapts a `ChatTemplate` to the sample builder's renderer protocol: messages and tools as JSON, rendered as
/// transformers' `apply_chat_template(tokenize=False)` with the given base options (date, special tokens).
public struct TemplateRenderer: ConversationRendering {
    public var template: ChatTemplate
    public var baseOptions: RenderOptions

    public init(template: ChatTemplate, baseOptions: RenderOptions) {
        self.template = template
        self.baseOptions = baseOptions
    }

    public func render(messages: [JSONObject], tools: [JSONValue]?, addGenerationPrompt: Bool) throws -> String {
        var options = baseOptions
        options.addGenerationPrompt = addGenerationPrompt
        return try template.render(messages: messages.map { JinjaValue(json: .object($0)) },
                                   tools: tools?.map(JinjaValue.init(json:)), options: options)
    }
}

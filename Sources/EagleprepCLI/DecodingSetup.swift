import ChatTemplates
import EagleCore
import TargetModel
import Tokenization
import TrainingData

/// What the commands that decode with the target (`generate`, `eval`) share: their model options, and the
/// tokenizer, the chat-template renderer (`--date` for strftime_now), the loaded target and the tokens decoding
/// stops at (the model's EOS ids, the tokenizer's EOS and the template's end-of-turn token).
struct DecodingSetup {
    static let options: [OptionSpec] = ModelAssets.options + [
        .value("threads", "N", "Threads (default: all cores)."),
        .value("date", "YYYY-MM-DD", "The date strftime_now returns in templates (default: today)."),
    ]

    let tokenizer: Tokenizer
    let renderer: TemplateRenderer
    let model: TargetModel
    let stopTokens: Set<Int32>

    /// Loads the assets `--model` (or `--tokenizer`/`--template`) names and the target at `modelPath`.
    static func load(_ args: ParsedArguments, modelPath: String, threads: Int) throws -> DecodingSetup {
        let assets = try ModelAssets.load(args)
        let tokenizer = assets.tokenizer
        let renderer = TemplateRenderer(template: assets.template,
                                        baseOptions: RenderOptions(date: try ModelAssets.date(args) ?? TemplateDate.now(),
                                                                   variables: assets.specialTokenVariables))
        let model = try ModelLoader.load(path: modelPath, threads: threads)
        var stops = Set(model.configuration.eosTokenIds.map(Int32.init))
        if let eos = tokenizer.eosTokenId { stops.insert(eos) }
        if let eot = try? SampleBuilder.detectEndOfTurn(renderer: renderer, encode: { tokenizer.encode($0) },
                                                        specialIds: Set(tokenizer.specialTokenIds)) {
            stops.insert(eot)
        }
        return DecodingSetup(tokenizer: tokenizer, renderer: renderer, model: model, stopTokens: stops)
    }
}

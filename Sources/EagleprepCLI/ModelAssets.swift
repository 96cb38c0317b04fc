import ChatTemplates
import Conversations
import EagleCore
import Foundation
import GGUF
import Tokenization
import TrainingData

/// The tokenizer and chat template of a target model, found from `--model` (a model folder or a `.gguf` file),
/// or from `--tokenizer` and `--template` given separately, with hashes that identify them in manifests.
struct ModelAssets {
    var tokenizer: Tokenizer
    var template: ChatTemplate
    /// Template variables transformers passes: bos_token, eos_token, … from tokenizer_config.json or the GGUF.
    var specialTokenVariables: [String: JinjaValue]
    var tokenizerSHA256: String
    var templateSHA256: String

    static let options: [OptionSpec] = [
        .value("model", "PATH", "Model folder (tokenizer.json + chat template) or .gguf file (holds both)."),
        .value("tokenizer", "PATH", "tokenizer.json, a folder holding one, or a .gguf (instead of or overriding --model)."),
        .value("template", "PATH", "Chat template: .jinja, tokenizer_config.json, model folder or .gguf (overrides --model)."),
    ]

    static func load(_ args: ParsedArguments) throws -> ModelAssets {
        let model = args.string("model")
        guard let tokenizerPath = args.string("tokenizer") ?? model else {
            throw UsageError("give --model PATH, or --tokenizer PATH and --template PATH")
        }
        guard let templatePath = args.string("template") ?? model else { throw UsageError("give --template PATH (or --model PATH)") }
        let tokenizer = try Tokenizer.load(path: tokenizerPath)
        let (template, variables) = try loadTemplate(path: templatePath, tokenizer: tokenizer)
        return ModelAssets(tokenizer: tokenizer, template: template, specialTokenVariables: variables,
                           tokenizerSHA256: try fileDigest(tokenizerFile(tokenizerPath)),
                           templateSHA256: SHA256.hexDigest(Array(template.source.utf8)))
    }

    /// A chat template from a file, folder or GGUF (`tokenizer.chat_template`, special tokens from the GGUF's ids).
    static func loadTemplate(path: String, tokenizer: Tokenizer?) throws -> (ChatTemplate, [String: JinjaValue]) {
        if isGGUF(path) {
            let file = try GGUFFile.open(path: path)
            guard let source = try file.string("tokenizer.chat_template") else {
                throw FileError(path: path, message: "GGUF has no tokenizer.chat_template; give --template")
            }
            var variables: [String: JinjaValue] = [:]
            let tokens = try file.stringArray("tokenizer.ggml.tokens") ?? []
            for (key, name) in [("tokenizer.ggml.bos_token_id", "bos_token"), ("tokenizer.ggml.eos_token_id", "eos_token"),
                                ("tokenizer.ggml.unknown_token_id", "unk_token"), ("tokenizer.ggml.padding_token_id", "pad_token")] {
                if let id = try file.integer(key), id >= 0, id < tokens.count { variables[name] = .string(tokens[id]) }
            }
            return (try ChatTemplate(source: source, name: (path as NSString).lastPathComponent), variables)
        }
        let loaded = try ChatTemplateLoader.load(path: path)
        var variables = loaded.specialTokenVariables
        if let t = tokenizer {
            if variables["bos_token"] == nil, let b = t.bosToken { variables["bos_token"] = .string(b) }
            if variables["eos_token"] == nil, let e = t.eosToken { variables["eos_token"] = .string(e) }
        }
        return (loaded.template, variables)
    }

    static func isGGUF(_ path: String) -> Bool {
        guard !FileIO.isDirectory(path), let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        return Array(h.readData(ofLength: 4)) == Array("GGUF".utf8)
    }

    static func tokenizerFile(_ path: String) -> String {
        FileIO.isDirectory(path) ? path + "/tokenizer.json" : path
    }

    static func fileDigest(_ path: String) throws -> String {
        try MappedFile(path: path).withBytes { SHA256.hexDigest($0) }
    }

    /// Parses `--date YYYY-MM-DD` for `strftime_now`.
    static func date(_ args: ParsedArguments) throws -> TemplateDate? {
        guard let s = args.string("date") else { return nil }
        let parts = s.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]) else {
            throw UsageError("--date expects YYYY-MM-DD, got '\(s)'")
        }
        return TemplateDate(year: parts[0], month: parts[1], day: parts[2])
    }
}

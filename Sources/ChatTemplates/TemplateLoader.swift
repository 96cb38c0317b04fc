import EagleCore
import Foundation

/// A chat template found on disk, with the special tokens transformers would pass to it.
public struct LoadedChatTemplate: Sendable {
    public var template: ChatTemplate
    /// The file the template text came from.
    public var sourcePath: String
    /// transformers' `special_tokens_map` from tokenizer_config.json: `bos_token`, `eos_token`, `unk_token`,
    /// `sep_token`, `pad_token`, `cls_token`, `mask_token` — only those set (a null token is left out, so the
    /// template sees it as undefined, as in transformers).
    public var specialTokens: [String: String]

    public var bosToken: String? { specialTokens["bos_token"] }
    public var eosToken: String? { specialTokens["eos_token"] }

    /// The special tokens as template variables, for `RenderOptions.variables`.
    public var specialTokenVariables: [String: JinjaValue] { specialTokens.mapValues(JinjaValue.string) }
}

/// Finds a chat template:
/// - a folder: `chat_template.jinja`, else `chat_template.json` (`{"chat_template": …}`), else
///   `tokenizer_config.json`'s `chat_template`; special tokens from the folder's tokenizer_config.json;
/// - a `.json` file: a tokenizer_config.json (`chat_template` is a string, or a list of `{name, template}` from
///   which `templateName` — default `"default"` — is taken); special tokens from the same file;
/// - any other file: the template text itself; special tokens from a tokenizer_config.json beside it, if any.
public enum ChatTemplateLoader {
    static let specialTokenKeys = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]

    public static func load(path: String, templateName: String = "default") throws -> LoadedChatTemplate {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TemplateError(.loading, "no such file or folder: \(path)")
        }
        let url = URL(fileURLWithPath: path)
        if isDirectory.boolValue {
            let configURL = url.appendingPathComponent("tokenizer_config.json")
            let config = FileManager.default.fileExists(atPath: configURL.path) ? try readJSON(configURL) : nil
            let tokens = try config.map { try specialTokens(in: $0, path: configURL.path) } ?? [:]
            let jinjaURL = url.appendingPathComponent("chat_template.jinja")
            if FileManager.default.fileExists(atPath: jinjaURL.path) {
                return try make(source: try readText(jinjaURL), path: jinjaURL.path, tokens: tokens)
            }
            let processorURL = url.appendingPathComponent("chat_template.json")
            if FileManager.default.fileExists(atPath: processorURL.path) {
                let json = try readJSON(processorURL)
                guard case .string(let source)? = json["chat_template"] else {
                    throw TemplateError(.loading, "\(processorURL.path): 'chat_template' is missing or not a string")
                }
                return try make(source: source, path: processorURL.path, tokens: tokens)
            }
            guard let config else {
                throw TemplateError(.loading, "\(path): no chat_template.jinja, chat_template.json or tokenizer_config.json")
            }
            return try make(source: try templateSource(in: config, name: templateName, path: configURL.path),
                            path: configURL.path, tokens: tokens)
        }
        if url.pathExtension.lowercased() == "json" {
            let config = try readJSON(url)
            return try make(source: try templateSource(in: config, name: templateName, path: path), path: path,
                            tokens: try specialTokens(in: config, path: path))
        }
        let siblingConfig = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
        let tokens = FileManager.default.fileExists(atPath: siblingConfig.path)
            ? try specialTokens(in: try readJSON(siblingConfig), path: siblingConfig.path) : [:]
        return try make(source: try readText(url), path: path, tokens: tokens)
    }

    private static func make(source: String, path: String, tokens: [String: String]) throws -> LoadedChatTemplate {
        let name = URL(fileURLWithPath: path).lastPathComponent
        return LoadedChatTemplate(template: try ChatTemplate(source: source, name: name), sourcePath: path, specialTokens: tokens)
    }

    private static func readText(_ url: URL) throws -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TemplateError(.loading, "cannot read \(url.path)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw TemplateError(.loading, "\(url.path) is not valid UTF-8") }
        return text
    }

    private static func readJSON(_ url: URL) throws -> JSONValue {
        let text = try readText(url)
        do {
            return try JSONParser.parse(text)
        } catch {
            throw TemplateError(.loading, "\(url.path): \(error)")
        }
    }

    /// `chat_template` of a tokenizer_config.json: a string, or a list of `{"name", "template"}`.
    static func templateSource(in config: JSONValue, name: String, path: String) throws -> String {
        switch config["chat_template"] {
        case .string(let s)?:
            return s
        case .array(let entries)?:
            var names: [String] = []
            for entry in entries {
                guard case .string(let n)? = entry["name"], case .string(let t)? = entry["template"] else {
                    throw TemplateError(.loading, "\(path): a chat_template list entry lacks a string 'name' or 'template'")
                }
                if n == name { return t }
                names.append(n)
            }
            throw TemplateError(.loading, "\(path): no chat template named \(reprString(name)) (found: \(names.joined(separator: ", ")))")
        case nil, .null?:
            throw TemplateError(.loading, "\(path): no 'chat_template'")
        default:
            throw TemplateError(.loading, "\(path): 'chat_template' must be a string or a list of {name, template}")
        }
    }

    /// Special tokens, each a string or an AddedToken object `{"content": …}`.
    static func specialTokens(in config: JSONValue, path: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for key in specialTokenKeys {
            switch config[key] {
            case nil, .null?: continue
            case .string(let s)?: out[key] = s
            case .object(let o)?:
                guard case .string(let s)? = o["content"] else {
                    throw TemplateError(.loading, "\(path): '\(key)' object has no string 'content'")
                }
                out[key] = s
            default:
                throw TemplateError(.loading, "\(path): '\(key)' must be a string or {\"content\": …}")
            }
        }
        return out
    }
}

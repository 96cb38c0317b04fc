import ChatTemplates
import Foundation
import TestSupport
import XCTest

/// ChatTemplateLoader on hand-made folders and files, and on the shared tokenizers.
final class LoaderTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("chat-template-loader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func write(_ name: String, _ text: String, in dir: URL? = nil) throws -> URL {
        let base = dir ?? directory!
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        let url = base.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    private func loadingError(_ path: String, name: String = "default", file: StaticString = #filePath, line: UInt = #line) -> TemplateError? {
        do {
            _ = try ChatTemplateLoader.load(path: path, templateName: name)
            XCTFail("expected a loading error", file: file, line: line)
        } catch let e as TemplateError {
            XCTAssertEqual(e.kind, .loading, file: file, line: line)
            return e
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
        return nil
    }

    func testFolderPrefersChatTemplateJinjaAndReadsAddedTokenObjects() throws {
        _ = try write("chat_template.jinja", "{{ bos_token }}jinja{{ eos_token }}")
        _ = try write("tokenizer_config.json", #"""
            {"chat_template": "config", "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
             "eos_token": "</s>", "pad_token": null, "unk_token": {"content": "<unk>"}}
            """#)
        let loaded = try ChatTemplateLoader.load(path: directory.path)
        XCTAssertTrue(loaded.sourcePath.hasSuffix("chat_template.jinja"))
        XCTAssertEqual(loaded.specialTokens, ["bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"])
        XCTAssertEqual(loaded.bosToken, "<s>")
        let text = try loaded.template.render(messages: [.object(JinjaDict())], options: RenderOptions(variables: loaded.specialTokenVariables))
        XCTAssertEqual(text, "<s>jinja</s>")
    }

    func testFolderFallsBackToTokenizerConfig() throws {
        _ = try write("tokenizer_config.json", #"{"chat_template": "from config", "eos_token": "<|end|>"}"#)
        let loaded = try ChatTemplateLoader.load(path: directory.path)
        XCTAssertEqual(loaded.template.source, "from config")
        XCTAssertEqual(loaded.specialTokens, ["eos_token": "<|end|>"])
    }

    func testNamedTemplatesInTokenizerConfig() throws {
        let config = try write("tokenizer_config.json", #"""
            {"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}
            """#)
        XCTAssertEqual(try ChatTemplateLoader.load(path: config.path).template.source, "D")
        XCTAssertEqual(try ChatTemplateLoader.load(path: config.path, templateName: "tool_use").template.source, "T")
        XCTAssertEqual(loadingError(config.path, name: "rag")?.message.hasSuffix("no chat template named 'rag' (found: tool_use, default)"), true)
    }

    func testJinjaFileUsesSiblingTokenizerConfig() throws {
        let file = try write("my.jinja", "{{ eos_token }}")
        XCTAssertEqual(try ChatTemplateLoader.load(path: file.path).specialTokens, [:])
        _ = try write("tokenizer_config.json", #"{"eos_token": "<eos>"}"#)
        let loaded = try ChatTemplateLoader.load(path: file.path)
        XCTAssertEqual(loaded.specialTokens, ["eos_token": "<eos>"])
        XCTAssertEqual(loaded.template.name, "my.jinja")
    }

    func testLoadingErrors() throws {
        XCTAssertNotNil(loadingError(directory.appendingPathComponent("missing").path))
        XCTAssertNotNil(loadingError(directory.path))  // empty folder
        let noTemplate = try write("tokenizer_config.json", #"{"eos_token": "x"}"#, in: directory.appendingPathComponent("a"))
        XCTAssertEqual(loadingError(noTemplate.path)?.message.hasSuffix("no 'chat_template'"), true)
        let badJSON = try write("tokenizer_config.json", "{", in: directory.appendingPathComponent("b"))
        XCTAssertNotNil(loadingError(badJSON.path))
        let badToken = try write("tokenizer_config.json", #"{"chat_template": "x", "bos_token": 5}"#, in: directory.appendingPathComponent("c"))
        XCTAssertNotNil(loadingError(badToken.path))
        // A template that does not parse is a syntax error, not a loading error.
        let bad = try write("chat_template.jinja", "{% if %}", in: directory.appendingPathComponent("d"))
        XCTAssertThrowsError(try ChatTemplateLoader.load(path: bad.deletingLastPathComponent().path)) { error in
            XCTAssertEqual((error as? TemplateError)?.kind, .syntax)
        }
    }

    func testSharedTokenizersWithoutTemplate() throws {
        let shared = try TestSupport.sharedData()
        XCTAssertNotNil(loadingError(shared + "/tokenizers/gpt2"), "gpt2 has no chat template")
        let llama = try ChatTemplateLoader.load(path: shared + "/tokenizers/llama-3.2")
        XCTAssertEqual(llama.bosToken, "<|begin_of_text|>")
        XCTAssertEqual(llama.eosToken, "<|end_of_text|>")
        let qwen = try ChatTemplateLoader.load(path: shared + "/tokenizers/qwen3/tokenizer_config.json")
        XCTAssertNil(qwen.bosToken, "Qwen3's bos_token is null: the template sees it undefined")
    }
}

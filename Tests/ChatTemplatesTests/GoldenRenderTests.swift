import ChatTemplates
import EagleCore
import Foundation
import TestSupport
import XCTest

/// Every shared chat template × every conversation × add_generation_prompt false/true must render exactly as
/// transformers renders it (or fail where transformers fails, with the same message).
final class GoldenRenderTests: XCTestCase {
    func testSharedTemplatesMatchTransformers() throws {
        let shared = try TestSupport.sharedData()
        let manifest = try Goldens.json("manifest.json")
        let conversations = try Goldens.json("conversations.json")
        let templates = try XCTUnwrap(manifest["templates"]?.arrayValue)
        XCTAssertEqual(templates.count, 55, "50 chat-templates + 5 tokenizer/model templates")
        var report: [String] = []
        var totalPassed = 0, total = 0
        for entry in templates {
            let name = try XCTUnwrap(entry["name"]?.stringValue)
            let relativePath = try XCTUnwrap(entry["path"]?.stringValue)
            let loaded = Result { try ChatTemplateLoader.load(path: shared + "/" + relativePath) }
            var tokenStrings: [String: String] = [:]
            for (k, v) in try XCTUnwrap(entry["special_tokens"]?.objectValue) { tokenStrings[k] = v.stringValue }
            let tokens = tokenStrings.mapValues(JinjaValue.string)
            if case .success(let l) = loaded {
                XCTAssertEqual(SHA256.hexDigest(Array(l.template.source.utf8)), entry["sha256"]?.stringValue,
                               "\(relativePath) changed since the goldens were written")
                if !relativePath.hasPrefix("chat-templates/") {
                    // The loader must find the same special tokens as the generator (from tokenizer_config.json).
                    XCTAssertEqual(l.specialTokens, tokenStrings, name)
                }
            }
            let records = try Goldens.jsonLines("\(name).jsonl")
            var passed = 0
            for record in records {
                let conversationName = try XCTUnwrap(record["conversation"]?.stringValue)
                let conversation = try XCTUnwrap(conversations[conversationName])
                let messages = try XCTUnwrap(conversation["messages"]?.arrayValue).map(JinjaValue.init(json:))
                let tools = conversation["tools"]?.arrayValue?.map(JinjaValue.init(json:))
                let addGenerationPrompt = try XCTUnwrap(record["add_generation_prompt"]?.boolValue)
                let options = RenderOptions(addGenerationPrompt: addGenerationPrompt, date: Goldens.pinnedDate, variables: tokens)
                let problem = mismatch(Expected(record)) {
                    try loaded.get().template.render(messages: messages, tools: tools, options: options)
                }
                if let problem {
                    XCTFail("\(name) × \(conversationName) (add_generation_prompt=\(addGenerationPrompt)): \(problem)")
                } else {
                    passed += 1
                }
            }
            totalPassed += passed
            total += records.count
            report.append("\(name.padding(toLength: 55, withPad: " ", startingAt: 0)) \(passed)/\(records.count)")
        }
        print("Chat template goldens (template: passed/cases):\n" + report.joined(separator: "\n") + "\nTOTAL \(totalPassed)/\(total)")
        XCTAssertEqual(total, 55 * 26)
    }

    /// Small templates exercising whitespace control, operators, loops, macros, filters and errors, rendered by
    /// transformers' compiled environment (`unit_cases.jsonl`).
    func testUnitCasesMatchJinja() throws {
        let records = try Goldens.jsonLines("unit_cases.jsonl")
        XCTAssertGreaterThan(records.count, 100)
        for record in records {
            let name = try XCTUnwrap(record["name"]?.stringValue)
            let source = try XCTUnwrap(record["template"]?.stringValue)
            var variables: [String: JinjaValue] = [:]
            for (k, v) in try XCTUnwrap(record["variables"]?.objectValue) { variables[k] = JinjaValue(json: v) }
            if let problem = mismatch(Expected(record), {
                try ChatTemplate(source: source, name: name).render(variables, options: RenderOptions(date: Goldens.pinnedDate))
            }) {
                XCTFail("\(name): \(problem)\n  template: \(reprForTest(source))")
            }
        }
    }

    /// Differential check against a case file in the `unit_cases.jsonl` format named by `EAGLEPREP_JINJA_CASES`
    /// (for example random templates rendered by jinja2); skipped when the variable is not set.
    func testCaseFileFromEnvironment() throws {
        guard let path = ProcessInfo.processInfo.environment["EAGLEPREP_JINJA_CASES"] else {
            throw XCTSkip("EAGLEPREP_JINJA_CASES not set")
        }
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path), "cannot read \(path)")
        var failures: [String] = []
        var count = 0
        for line in data.split(separator: 0x0A) {
            let record = try JSONParser.parse(bytes: Array(line))
            count += 1
            let name = record["name"]?.stringValue ?? "?"
            let source = try XCTUnwrap(record["template"]?.stringValue)
            var variables: [String: JinjaValue] = [:]
            for (k, v) in record["variables"]?.objectValue ?? JSONObject() { variables[k] = JinjaValue(json: v) }
            if let problem = mismatch(Expected(record), {
                try ChatTemplate(source: source, name: name).render(variables, options: RenderOptions(date: Goldens.pinnedDate))
            }) {
                failures.append("\(name): \(problem)\n  template: \(reprForTest(source))")
            }
        }
        print("\(count - failures.count)/\(count) cases agree")
        XCTAssert(failures.isEmpty, "\(failures.count) of \(count) cases differ; first ones:\n" + failures.prefix(40).joined(separator: "\n"))
    }
}

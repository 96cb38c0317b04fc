import Conversations
import EagleCore
import Foundation
import TestSupport
import XCTest

final class ConversationReaderTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "eagleprep-conv-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func read(_ path: String, format: ConversationFormat? = nil) throws -> (kept: [Conversation], rejected: [RecordRejection]) {
        var kept: [Conversation] = [], rejected: [RecordRejection] = []
        try ConversationReader(path: path, format: format).forEach { r in
            switch r {
            case .success(let c): kept.append(c)
            case .failure(let e): rejected.append(e)
            }
        }
        return (kept, rejected)
    }

    func write(_ text: String, _ name: String) throws -> String {
        let p = dir + "/" + name
        try FileIO.writeAtomically(path: p, bytes: Array(text.utf8))
        return p
    }

    func roles(_ c: Conversation) -> [String] { c.messages.map { $0["role"]!.stringValue! } }

    /// Every real shared file reads completely, in the schema its README names, with the record counts it states.
    func testRealSharedFiles() throws {
        let base = try TestSupport.sharedData() + "/conversations/"
        let expected: [(String, Int)] = [
            ("mt_bench_llama2chat70b.messages.jsonl", 80), ("llamafactory_dpo_en_demo.json", 300),
            ("llamafactory_kto_en_demo.json", 300), ("llamafactory_glaive_toolcall_en_demo.json", 300),
            ("llamafactory_alpaca_en_demo.json", 999), ("fastchat_dummy_conversation.sharegpt.json", 500),
        ]
        for (name, count) in expected {
            let (kept, rejected) = try read(base + name)
            XCTAssertEqual(kept.count, count, name)
            XCTAssertEqual(rejected, [], name)
            XCTAssertEqual(kept.map(\.index), Array(0..<count), name)
        }
        let mt = try read(base + "mt_bench_llama2chat70b.messages.jsonl").kept
        XCTAssertEqual(roles(mt[0]), ["user", "assistant", "user", "assistant"])
        XCTAssertEqual(mt[0].line, 1)
        XCTAssertEqual(mt[79].line, 80)
        XCTAssertTrue(mt[0].messages[0]["content"]!.stringValue!.hasPrefix("Compose an engaging travel blog post about a recent trip to Hawaii"))

        let glaive = try read(base + "llamafactory_glaive_toolcall_en_demo.json").kept
        XCTAssertEqual(roles(glaive[0]), ["user", "assistant", "user", "assistant", "tool", "assistant", "user", "assistant"])
        let call = glaive[0].messages[3]["tool_calls"]!.arrayValue![0]["function"]!
        XCTAssertEqual(call["name"], .string("search_recipes"))
        XCTAssertEqual(call["arguments"]?["ingredients"], .array([.string("chicken"), .string("bell peppers"), .string("rice")]))
        XCTAssertEqual(glaive[0].tools?.first?["type"], .string("function"))
        XCTAssertEqual(glaive[0].tools?.first?["function"]?["name"], .string("search_recipes"))

        let dpo = try read(base + "llamafactory_dpo_en_demo.json").kept
        XCTAssertEqual(roles(dpo[0]), ["user", "assistant"])  // DPO: the chosen answer is appended
        XCTAssertTrue(dpo[0].messages[1]["content"]!.stringValue!.hasPrefix("That sounds like a fun and engaging idea!"))

        let alpaca = try read(base + "llamafactory_alpaca_en_demo.json").kept
        XCTAssertEqual(roles(alpaca[0]), ["user", "assistant"])
        XCTAssertEqual(alpaca[0].messages[0]["content"], .string("Describe a process of making crepes."))
    }

    func testBrokenRecordsAreReportedWithFileLineAndReasonAndSkipped() throws {
        let jsonl = """
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
        {"messages": [{"role": "user", "content": "hi"}
        [1, 2]
        {"text": "no conversation here"}
        {"messages": [{"role": "narrator", "content": "x"}]}
        {"messages": []}

        {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": "x"}]}]}
        {"messages": [{"role": "user"}]}
        {"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]}
        {"messages": "nope"}
        """
        let path = try write(jsonl, "broken.jsonl")
        let (kept, rejected) = try read(path)
        XCTAssertEqual(kept.map(\.line), [1, 10])
        XCTAssertEqual(kept[1].messages[0]["content"], .string("ab"))
        let expected: [(Int, RejectReason, String)] = [
            (2, .invalidJSON, "invalid JSON: line 1, column 48: unexpected end of input in array"),
            (3, .notAnObject, "expected a JSON object, found an array"),
            (4, .unknownFormat, "record has no \"messages\" field (reading as messages)"),
            (5, .unknownRole, "messages[0]: unknown role \"narrator\""),
            (6, .empty, "conversation has no messages"),
            (8, .malformed, "messages[0].content[0]: unsupported content part of type \"image_url\""),
            (9, .malformed, "messages[0].content: missing"),
            (11, .malformed, "field \"messages\": expected an array, found a string"),
        ]
        XCTAssertEqual(rejected.count, expected.count)
        for (r, (line, reason, fragment)) in zip(rejected, expected) {
            XCTAssertEqual(r.line, line)
            XCTAssertEqual(r.reason, reason, "line \(line)")
            XCTAssertTrue(r.description.hasPrefix("\(path):\(line): "), r.description)
            XCTAssertTrue(r.detail.contains(fragment), "line \(line): \(r.detail)")
        }
    }

    func testJSONArrayRecordsCarryTheirStartingLine() throws {
        let text = """
        [
          {"conversations": [{"from": "human", "value": "a\\nb"},
                             {"from": "gpt", "value": "c ] , {"}]},
          {"conversations": [{"from": "human", "value": "x"}, {"from": "robot", "value": "y"}]},

          {"conversations": [{"from": "system", "value": "s"}, {"from": "human", "value": "q"}, {"from": "gpt", "value": "r"}]}
        ]
        """
        let (kept, rejected) = try read(try write(text, "arr.json"))
        XCTAssertEqual(kept.map(\.line), [2, 6])
        XCTAssertEqual(kept[0].messages[1]["content"], .string("c ] , {"))
        XCTAssertEqual(roles(kept[1]), ["system", "user", "assistant"])
        XCTAssertEqual(rejected.map(\.line), [4])
        XCTAssertEqual(rejected.first?.reason, .unknownRole)
    }

    /// The reader's JSON limits (default: 64 levels of nesting, 64 MiB per record) reject a record with its line and
    /// the limit, and reading goes on with the next record.
    func testRecordDepthAndSizeLimits() throws {
        let deep = #"{"messages": "# + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "}"
        let ok = #"{"messages": [{"role": "user", "content": "hi"}]}"#
        let path = try write([deep, ok, #"{"messages": [{"role": "user", "content": "a long record"}]}"#].joined(separator: "\n"), "limits.jsonl")
        var kept: [Int] = [], rejected: [String] = []
        try ConversationReader(path: path).forEach { r in
            switch r {
            case .success(let c): kept.append(c.line)
            case .failure(let e): rejected.append(e.description.replacingOccurrences(of: self.dir + "/", with: ""))
            }
        }
        XCTAssertEqual(kept, [2, 3])
        XCTAssertEqual(rejected, ["limits.jsonl:1: invalid JSON: line 1, column 77: nesting deeper than 64 levels"])

        rejected = []
        try ConversationReader(path: path, limits: JSONLimits(maxDepth: 64, maxBytes: 55)).forEach { r in
            if case .failure(let e) = r { rejected.append(e.description.replacingOccurrences(of: self.dir + "/", with: "")) }
        }
        XCTAssertEqual(rejected, ["limits.jsonl:1: invalid JSON: line 1, column 1: document of 154 bytes exceeds the limit of 55 bytes",
                                  "limits.jsonl:3: invalid JSON: line 1, column 1: document of 60 bytes exceeds the limit of 55 bytes"])
    }

    func testBrokenArrayIsAFileError() throws {
        let path = try write("[{\"messages\": []}, {\"messages\": [", "bad.json")
        XCTAssertThrowsError(try read(path)) { XCTAssertTrue("\($0)".contains("bad.json: line 1"), "\($0)") }
    }

    func testFormatOverride() throws {
        let path = try write(#"{"instruction": "i", "input": "in", "output": "o"}"# + "\n", "a.jsonl")
        XCTAssertEqual(try read(path).kept.first?.messages.map { $0["content"]!.stringValue! }, ["i\nin", "o"])
        let forced = try read(path, format: .messages)
        XCTAssertEqual(forced.rejected.first?.reason, .unknownFormat)
        XCTAssertTrue(forced.rejected.first?.detail.contains("reading as messages") == true)
    }
}

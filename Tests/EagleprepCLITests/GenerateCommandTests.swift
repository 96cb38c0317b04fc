import EagleCore
import Foundation
import TestSupport
import XCTest

/// `generate` with continuous batching: the records are the same whatever the batch size and after a resume,
/// written in input order, each assistant turn regenerated with the earlier regenerated turns in its prompt.
final class GenerateCommandTests: CLITestCase {
    func testOutputsDoNotDependOnBatchSizeOrResumption() throws {
        let model = tempDir + "/model"
        try TinyChatModel.writeFolder(model, weightsFrom: TestSupport.packageRoot + "/Tests/TargetModelTests/Fixtures/tiny-llama")
        // Conversations with one to three assistant turns, so turns of different conversations share the batch and
        // conversations finish out of input order.
        var lines: [String] = []
        for i in 0..<9 {
            var messages: [String] = []
            for t in 0...(i % 3) {
                messages.append(#"{"role": "user", "content": "Question \#(i).\#(t): say \#(String(repeating: "x", count: i + t))"}"#)
                messages.append(#"{"role": "assistant", "content": "old"}"#)
            }
            lines.append(#"{"messages": [\#(messages.joined(separator: ", "))]}"#)
        }
        let input = try write(lines.joined(separator: "\n") + "\n", to: "conversations.jsonl")
        func generate(batch: Int, out: String) throws -> String {
            let r = try run(["generate", "--model", model, "--input", input, "--out", out, "--max-new-tokens", "10",
                             "--batch-size", "\(batch)", "--threads", "1", "--quiet", "--date", "2026-11-29"])
            XCTAssertEqual(r.status, 0, r.stderr)
            return String(decoding: try FileIO.readAll(path: out), as: UTF8.self)
        }
        let one = try generate(batch: 1, out: tempDir + "/one.jsonl")
        let records = one.split(separator: "\n").map { try! JSONParser.parse(bytes: Array($0.utf8)) }
        XCTAssertEqual(records.map { $0["index"]?.intValue }, (0..<9).map { $0 })
        for (i, r) in records.enumerated() {
            let messages = r["messages"]?.arrayValue ?? []
            XCTAssertEqual(messages.count, 2 * (i % 3 + 1))
            for m in messages where m["role"]?.stringValue == "assistant" {
                XCTAssertNotEqual(m["content"]?.stringValue, "old", "record \(i): every assistant turn is regenerated")
            }
        }
        for batch in [2, 4, 16] {
            XCTAssertEqual(try generate(batch: batch, out: tempDir + "/b\(batch).jsonl"), one, "batch size \(batch)")
        }
        // Resume: the first 4 records and half of the 5th remain; the rerun completes the file.
        let partial = tempDir + "/partial.jsonl"
        let cut = one.split(separator: "\n", omittingEmptySubsequences: false)
        try (cut[0..<4].joined(separator: "\n") + "\n" + cut[4].prefix(20)).write(toFile: partial, atomically: true, encoding: .utf8)
        XCTAssertEqual(try generate(batch: 3, out: partial), one)
    }
}

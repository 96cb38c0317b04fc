import EagleCore
import Foundation
import TestSupport
import XCTest

final class EncodeCommandTests: CLITestCase {
    /// Expected ids are HF tokenizers' (Tokenizer.from_file(...).encode(text, add_special_tokens=...).ids), as in
    /// Tests/TokenizationTests/Fixtures/goldens/llama-3.2.jsonl.
    func testEncodeDecodeStreamInOrderWithSpecialTokens() throws {
        let tok = try TestSupport.sharedData() + "/tokenizers/llama-3.2"
        let input = "{\"text\": \" \"}\n\n{\"text\": \"  \"}\n{\"text\": \"\"}\n"
        let plain = try run(["encode", "--tokenizer", tok], stdin: input)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(plain.stdout, "{\"ids\":[220]}\n{\"ids\":[256]}\n{\"ids\":[]}\n")
        let special = try run(["encode", "--tokenizer", tok, "--special", "--threads", "1"], stdin: input)
        XCTAssertEqual(special.stdout, "{\"ids\":[128000,220]}\n{\"ids\":[128000,256]}\n{\"ids\":[128000]}\n")
        let decoded = try run(["decode", "--tokenizer", tok], stdin: special.stdout)
        XCTAssertEqual(decoded.status, 0, decoded.stderr)
        XCTAssertEqual(decoded.stdout, "{\"text\":\"<|begin_of_text|> \"}\n{\"text\":\"<|begin_of_text|>  \"}\n{\"text\":\"<|begin_of_text|>\"}\n")
        let skipped = try run(["decode", "--tokenizer", tok, "--skip-special"], stdin: special.stdout)
        XCTAssertEqual(skipped.stdout, "{\"text\":\" \"}\n{\"text\":\"  \"}\n{\"text\":\"\"}\n")
    }

    func testManyLinesKeepOrderAcrossThreads() throws {
        let tok = try TestSupport.sharedData() + "/tokenizers/gpt2"
        let lines = (0..<9000).map { "{\"text\": \"line \($0) " + String(repeating: "ab ", count: $0 % 17) + "\"}" }.joined(separator: "\n")
        let one = try run(["encode", "--tokenizer", tok, "--threads", "1"], stdin: lines)
        let two = try run(["encode", "--tokenizer", tok, "--threads", "2"], stdin: lines)
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertEqual(one.stdout.split(separator: "\n").count, 9000)
        XCTAssertEqual(one.stdout, two.stdout)
        let back = try run(["decode", "--tokenizer", tok], stdin: one.stdout)
        let texts = back.stdout.split(separator: "\n").map { try! JSONParser.parse(String($0))["text"]!.stringValue! }
        XCTAssertEqual(texts[4321], "line 4321 " + String(repeating: "ab ", count: 4321 % 17))
    }

    func testMalformedLinesNameTheirLineNumber() throws {
        let tok = try TestSupport.sharedData() + "/tokenizers/gpt2"
        let cases: [(String, [String], String)] = [
            ("{\"text\": \"ok\"}\n{\"text\": \"unterminated}\n", ["encode"], "<stdin>:2: invalid JSON"),
            ("{\"text\": \"ok\"}\n\n{\"txt\": \"x\"}\n", ["encode"], "<stdin>:3: expected an object with a string field \"text\", found no \"text\" field"),
            ("{\"text\": 5}\n", ["encode"], "<stdin>:1: expected an object with a string field \"text\", found a number"),
            ("{\"ids\": [1, 2]}\n{\"ids\": [1, -3]}\n", ["decode"], "<stdin>:2: ids[1] is -3, expected an integer in 0..<50257"),
            ("{\"ids\": \"12\"}\n", ["decode"], "<stdin>:1: expected an object with an array field \"ids\""),
        ]
        for (input, command, fragment) in cases {
            let r = try run(command + ["--tokenizer", tok], stdin: input)
            XCTAssertEqual(r.status, 1, "\(command) \(input)")
            XCTAssertTrue(r.stderr.contains(fragment), "\(input): \(r.stderr)")
        }
        let missing = try run(["encode", "--tokenizer", tempDir + "/none.json"], stdin: "")
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("none.json"), missing.stderr)
    }
}

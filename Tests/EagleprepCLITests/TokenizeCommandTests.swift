import EagleCore
import Foundation
import TestSupport
import XCTest

final class TokenizeCommandTests: CLITestCase {
    func testTokenizeInspectAndRefuseOtherSettings() throws {
        let data = try TestSupport.sharedData()
        let model = data + "/models/smollm2-135m-instruct"
        let input = try write("""
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
        {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}
        not json
        """, to: "in.jsonl")
        let second = try write(#"[{"conversations": [{"from": "human", "value": "2+2?"}, {"from": "gpt", "value": "4"}]}]"#, to: "in2.json")
        let out = tempDir + "/tok"
        let r = try run(["tokenize", "--model", model, "--input", input, "--input", second, "--out", out, "--date", "2026-11-29",
                         "--system-prompt", "none", "--threads", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("read 4, kept 2, truncated 0, invalid 1, rejected 1"), r.stdout)
        XCTAssertTrue(r.stderr.contains("in.jsonl:2: role_alternation: message 1 has role \"user\""), r.stderr)
        XCTAssertTrue(r.stderr.contains("in.jsonl:3: invalid JSON"), r.stderr)

        // The JSONL export: ChatML with SmolLM2's default system message; ids checked against HF tokenizers:
        // tok.encode(render(...), add_special_tokens=False) for the first record (see pipelines/reference).
        let j = try run(["inspect", out, "--jsonl"])
        XCTAssertEqual(j.status, 0, j.stderr)
        let lines = j.stdout.split(separator: "\n").map { try! JSONParser.parse(String($0)) }
        XCTAssertEqual(lines.count, 2)
        let ids = lines[0]["ids"]!.arrayValue!.map { $0.intValue! }
        let mask = lines[0]["loss_mask"]!.arrayValue!.map { $0.intValue! }
        XCTAssertEqual(ids.first, 1)  // <|im_start|>
        // Reference mode, final turn ends the conversation: supervised from s−1 to L−1.
        let eot = ids.lastIndex(of: 2)!  // <|im_end|>
        XCTAssertEqual(eot, ids.count - 2)
        XCTAssertEqual(mask.suffix(4), [1, 1, 1, 1])
        XCTAssertEqual(mask.reduce(0, +), ids.count - mask.firstIndex(of: 1)!)

        let v = try run(["inspect", out, "--sample", "1", "--tokenizer", model, "--plain"])
        XCTAssertEqual(v.status, 0, v.stderr)
        XCTAssertTrue(v.stdout.contains("in2.json:1 (record 0)"), v.stdout)
        XCTAssertTrue(v.stdout.contains("<|im_start|>assistant⟦\n4<|im_end|>\n⟧"), v.stdout)

        // Same settings: nothing to do, same counts. Other settings: refused, naming the difference.
        let again = try run(["tokenize", "--model", model, "--input", input, "--input", second, "--out", out, "--date", "2026-11-29", "--system-prompt", "none"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("kept 2"), again.stdout)
        let other = try run(["tokenize", "--model", model, "--input", input, "--input", second, "--out", out, "--date", "2026-11-29", "--system-prompt", "none",
                             "--mask-mode", "assistant"])
        XCTAssertEqual(other.status, 1)
        XCTAssertTrue(other.stderr.contains("mask_mode: was \"reference\", now \"assistant\""), other.stderr)
    }

    func testRenderPrintsExactlyTheTemplateOutput() throws {
        let data = try TestSupport.sharedData()
        let msgs = try write(#"{"messages": [{"role": "user", "content": "Hi"}]}"#, to: "m.json")
        let r = try run(["render", "--template", data + "/models/smollm2-135m-instruct", "--messages", msgs, "--add-generation-prompt"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // SmolLM2's ChatML template with its default system message (chat_template.jinja in shared/data).
        XCTAssertEqual(r.stdout, "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        let bad = try run(["tokenize", "--model", data + "/models/smollm2-135m-instruct", "--input", tempDir + "/nope.jsonl", "--out", tempDir + "/o"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("nope.jsonl: no such input file"), bad.stderr)
    }

    /// A .gguf is a complete model for tokenize: vocabulary and chat template from the file give the same samples
    /// as the model folder made from it (tokenizer.json + chat_template.jinja).
    func testGGUFModelGivesTheSameSamplesAsTheFolder() throws {
        let data = try TestSupport.sharedData()
        let gguf = try TestSupport.smolLM2GGUF()
        let input = data + "/conversations/mt_bench_llama2chat70b.messages.jsonl"
        var exports: [String] = []
        for model in [gguf, data + "/models/smollm2-135m-instruct"] {
            let out = tempDir + "/" + (model.hasSuffix(".gguf") ? "gguf" : "folder")
            let r = try run(["tokenize", "--model", model, "--input", input, "--out", out, "--date", "2026-11-29", "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("read 80, kept 80"), r.stdout)
            exports.append(try run(["inspect", out, "--jsonl"]).stdout)
        }
        XCTAssertEqual(exports[0].split(separator: "\n").count, 80)
        XCTAssertEqual(exports[0], exports[1])
    }
}

final class VerifyCommandTests: CLITestCase {
    func testVerifyPassesAGoodDirectoryAndNamesEachFault() throws {
        let data = try TestSupport.sharedData()
        let out = tempDir + "/tok"
        let r = try run(["tokenize", "--model", data + "/models/smollm2-135m-instruct", "--input",
                         data + "/conversations/mt_bench_llama2chat70b.messages.jsonl", "--out", out, "--date", "2026-11-29",
                         "--shard-size", "30", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let ok = try run(["verify", out])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(ok.stdout, "verify: \(out): ok\n")
        // Flip one byte inside the first sample's supervised ids in the second shard: its checksum fails, and only that.
        let shard = out + "/tokens-00001.eptok"
        var bytes = try FileIO.readAll(path: shard)
        bytes[20] ^= 0xFF
        try FileIO.writeAtomically(path: shard, bytes: bytes)
        let bad = try run(["verify", out])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("tokens-00001.eptok: sample[0].supervised at byte 16: checksum mismatch"), bad.stderr)
        XCTAssertTrue(bad.stdout.contains("1 fault(s)"), bad.stdout)
        try FileManager.default.removeItem(atPath: out + "/tokens-00002.eptok")
        let missing = try run(["verify", out])
        XCTAssertTrue(missing.stderr.contains("tokens-00002.eptok: open failed"), missing.stderr)
    }
}

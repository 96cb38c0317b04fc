import EagleCore
import Foundation
import SafeTensors
@testable import TargetModel
import TestSupport
import XCTest

/// `forward` and `generate` run as a user runs them: the binary, files in, files out.
final class ModelCommandTests: CLITestCase {
    static var targetFixtures: String { TestSupport.packageRoot + "/Tests/TargetModelTests/Fixtures" }

    /// `forward` on the tiny Llama (HF folder, F32) writes every hidden state and the logits of each input line;
    /// they equal transformers' outputs for the same ids (pipelines/reference/target_model). Tolerance atol 2e-5,
    /// rtol 1e-4: fp32 with a different summation order than PyTorch's kernels over ≤ 100 positions and 8 layers
    /// (the library parity tests use the same bound).
    func testForwardWritesTransformersHiddenStatesAndLogits() throws {
        let ref = try SafeTensorsFile(path: Self.targetFixtures + "/reference/llama.safetensors")
        let count = ref.names.filter { $0.hasPrefix("seq.") && $0.hasSuffix(".ids") }.count
        XCTAssertEqual(count, 4)
        var lines = ""
        var idsByLine: [[Int64]] = []
        for k in 0..<count {
            let ids = try ref.int64s("seq.\(k).ids")
            idsByLine.append(ids)
            lines += "{\"ids\": [" + ids.map(String.init).joined(separator: ", ") + "]}\n"
            if k == 1 { lines += "\n" }  // blank lines are skipped, not counted
        }
        let input = try write(lines, to: "ids.jsonl")
        let out = tempDir + "/forward.safetensors"
        let r = try run(["forward", "--model", Self.targetFixtures + "/tiny-llama", "--input", input, "--out", out, "--threads", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let got = try SafeTensorsFile(path: out)
        for k in 0..<count {
            let hidden = try ref.floats("seq.\(k).hidden_states")
            let shape = try ref.info("seq.\(k).hidden_states").shape  // [N+1, L, H]
            let (n1, l, h) = (shape[0], shape[1], shape[2])
            XCTAssertEqual(l, idsByLine[k].count)
            for i in 0..<n1 {
                let name = "\(k).hidden_states.\(i)"
                XCTAssertEqual(try got.info(name).shape, [l, h], name)
                let mine = try got.floats(name)
                assertClose(mine, Array(hidden[(i * l * h)..<((i + 1) * l * h)]), atol: 2e-5, rtol: 1e-4, name)
            }
            let logits = try got.floats("\(k).logits")
            XCTAssertEqual(try got.info("\(k).logits").shape, [l, 256])
            assertClose(logits, try ref.floats("seq.\(k).logits"), atol: 2e-5, rtol: 1e-4, "\(k).logits")
        }
    }

    /// Bad input is named by file and line; nothing is written.
    func testForwardNamesTheBadLine() throws {
        let input = try write("{\"ids\": [1, 2]}\n{\"ids\": [3, 999]}\n", to: "bad.jsonl")
        let out = tempDir + "/f.safetensors"
        let r = try run(["forward", "--model", Self.targetFixtures + "/tiny-llama", "--input", input, "--out", out])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("bad.jsonl"), r.stderr)
        XCTAssertTrue(r.stderr.contains("bad.jsonl:2: id 999 is outside the model's vocabulary 0..<256"), r.stderr)
        XCTAssertFalse(FileIO.exists(out))
        let notJSON = try write("{\"ids\": [1]}\n[oops\n", to: "notjson.jsonl")
        let r2 = try run(["forward", "--model", Self.targetFixtures + "/tiny-llama", "--input", notJSON, "--out", out])
        XCTAssertEqual(r2.status, 1)
        XCTAssertTrue(r2.stderr.contains("notjson.jsonl:2"), r2.stderr)
    }

    /// `generate` with a Hugging Face folder model: the SmolLM2 GGUF's weights written out as an F32
    /// `model.safetensors` beside SmolLM2's own config.json, tokenizer and chat template (../shared/data) make a
    /// folder model that must answer token for token as the GGUF does (the GGUF path is checked against
    /// transformers in TargetModelTests.SmolLM2Tests). Greedy decoding, so any difference in loading shows.
    func testGenerateWithAFolderModelEqualsTheGGUF() throws {
        let data = try TestSupport.sharedData()
        let gguf = try TestSupport.smolLM2GGUF()
        let folder = tempDir + "/smollm2-folder"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in ["config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json"] {
            try FileManager.default.copyItem(atPath: data + "/models/smollm2-135m-instruct/" + name, toPath: folder + "/" + name)
        }
        let model = try ModelLoader.load(path: gguf, threads: 2)
        var writer = SafeTensorsWriter()
        for spec in WeightSpec.table(for: model.configuration) {
            let (buffer, offset) = model.weights.location(of: spec.role, config: model.configuration)
            let n = spec.shape.reduce(1, *)
            try writer.add(spec.huggingFaceName, float32s: Array(buffer.buffer[offset..<(offset + n)]), shape: spec.shape)
        }
        try writer.write(path: folder + "/model.safetensors")

        let input = try write("""
        {"messages": [{"role": "user", "content": "Name three primary colours."}, {"role": "assistant", "content": "x"}]}
        {"messages": [{"role": "user", "content": "What is 12 times 7?"}, {"role": "assistant", "content": "y"}]}

        """, to: "prompts.jsonl")
        var outputs: [String] = []
        for m in [gguf, folder] {
            let out = tempDir + "/gen-\(outputs.count).jsonl"
            let r = try run(["generate", "--model", m, "--input", input, "--out", out, "--max-new-tokens", "24",
                             "--date", "2026-11-29", "--threads", "2", "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
            outputs.append(String(decoding: try FileIO.readAll(path: out), as: UTF8.self))
        }
        let lines = outputs[0].split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        for line in lines {
            let v = try JSONParser.parse(bytes: Array(line.utf8))
            let answer = v["messages"]?.arrayValue?.last?["content"]?.stringValue ?? ""
            XCTAssertFalse(answer.isEmpty || answer == "x" || answer == "y", String(line))
        }
        XCTAssertEqual(outputs[0], outputs[1])
    }
}

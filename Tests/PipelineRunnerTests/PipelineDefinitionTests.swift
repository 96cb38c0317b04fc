import EagleCore
import Foundation
import PipelineRunner
import XCTest

final class PipelineDefinitionTests: XCTestCase {
    func parse(_ text: String) throws -> PipelineDefinition {
        try PipelineDefinition(json: try JSONParser.parse(text), file: "p.json", directory: "/data/pipelines")
    }

    func message(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testPathsResolveAgainstTheFileAndStagesRunInCanonicalOrder() throws {
        let d = try parse("""
        {"model": "../models/m.gguf", "out": "/abs/out", "date": "2026-11-29",
         "stages": {"vocab": {"size": 64}, "tokenize": {"input": ["a.jsonl", "../b.json"], "mask_mode": "assistant", "truncate": true}}}
        """)
        XCTAssertEqual(d.model, "/data/models/m.gguf")
        XCTAssertEqual(d.out, "/abs/out")
        XCTAssertEqual(d.stages, [.tokenize, .vocab])
        XCTAssertEqual(d.options[.tokenize]!.paths("input"), ["/data/pipelines/a.jsonl", "/data/b.json"])
        // Command arguments in written order; paths resolved; true → flag.
        XCTAssertEqual(d.options[.tokenize]!.commandArguments(skipping: ["input"]), ["--mask-mode", "assistant", "--truncate"])
        XCTAssertEqual(d.options[.vocab]!.commandArguments(), ["--size", "64"])
        XCTAssertEqual(d.date, "2026-11-29")
    }

    func testUnknownKeysAndBadValuesNameTheKeyPath() {
        let base = #""model": "m", "out": "o""#
        XCTAssertEqual(message("{\(base), \"stages\": {\"tokenize\": {\"input\": \"x\", \"mask\": \"assistant\"}}}"),
                       "p.json: stages.tokenize.mask: unknown key (known for tokenize: input, format, mask_mode, system_prompt, max_length, truncate, any_roles, ignore_tools, drop_duplicates, shard_size)")
        XCTAssertEqual(message("{\(base), \"stage\": {}}"),
                       "p.json: stage: unknown key (known: model, out, threads, date, description, stages, slurm)")
        XCTAssertEqual(message("{\(base), \"slurm\": [1]}"), "p.json: slurm: expected an object (job resources for eagleprep slurm), found an array")
        XCTAssertEqual(message("{\(base), \"slurm\": {\"partition\": \"cpu\"}, \"stages\": {\"tokenize\": {\"input\": \"x\"}}}"), "no error")
        XCTAssertEqual(message("{\(base), \"stages\": {\"tokenise\": {}}}"),
                       "p.json: stages.tokenise: unknown stage (known: generate, tokenize, vocab, dump, train, eval)")
        XCTAssertEqual(message("{\(base), \"stages\": {\"tokenize\": {\"input\": \"x\", \"max_length\": \"long\"}}}"),
                       "p.json: stages.tokenize.max_length: expected an integer in 1...16777216, found \"long\"")
        XCTAssertEqual(message("{\(base), \"stages\": {\"tokenize\": {\"input\": \"x\", \"mask_mode\": \"all\"}}}"),
                       "p.json: stages.tokenize.mask_mode: expected one of reference, assistant, found \"all\"")
        XCTAssertEqual(message("{\(base), \"stages\": {\"tokenize\": {\"input\": []}}}"),
                       "p.json: stages.tokenize.input: expected a path or a non-empty array of paths, found []")
        XCTAssertEqual(message("{\"out\": \"o\", \"stages\": {}}"), "p.json: model: required: a path to the target model")
        XCTAssertEqual(message("{\(base), \"stages\": {\"vocab\": {\"size\": 8}}}"), "p.json: stages.vocab: needs a tokenize stage")
        XCTAssertEqual(message("{\(base), \"stages\": {\"tokenize\": {}}}"),
                       "p.json: stages.tokenize.input: required when the pipeline has no generate stage")
        XCTAssertEqual(message("{\(base), \"threads\": 0, \"stages\": {}}"), "p.json: threads: expected an integer in 1...1024, found 0")
        XCTAssertEqual(message("[1]"), "p.json: expected a JSON object, found an array")
    }

    /// `draft_threshold` is a number or "auto", passed to `eval` as written.
    func testNumberOrWordKeys() throws {
        let base = #""model": "m", "out": "o", "stages": {"tokenize": {"input": "x"}, "vocab": {"size": 64}, "dump": {}, "train": {}, "eval": {"input": "p", "draft_threshold": "#
        for (written, argument) in [("0.25", "0.25"), ("\"auto\"", "auto")] {
            let d = try parse("{\(base)\(written)}}}")
            XCTAssertEqual(d.options[.eval]!.commandArguments(skipping: ["input"]), ["--draft-threshold", argument])
        }
        XCTAssertEqual(message("{\(base)\"often\"}}}"), "p.json: stages.eval.draft_threshold: expected a number or auto, found \"often\"")
        XCTAssertEqual(message("{\(base)true}}}"), "p.json: stages.eval.draft_threshold: expected a number or auto, found true")
    }

    func testShippedPipelinesParse() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        for name in ["sample", "smollm2"] {
            let d = try PipelineDefinition.load(path: root + "/pipelines/\(name).json")
            XCTAssertEqual(d.stages.first, .generate, name)
            XCTAssertTrue(d.stages.contains(.dump), name)
        }
    }
}

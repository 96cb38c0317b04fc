import PipelineRunner
import TestSupport
import XCTest

final class CommandLineTests: CLITestCase {
    func testHelpListsCommandsAndExitsZero() throws {
        for args in [["help"], ["--help"]] {
            let r = try run(args)
            XCTAssertEqual(r.status, 0)
            for c in ["encode", "decode", "gguf-info", "bench"] { XCTAssertTrue(r.stdout.contains("  \(c) "), "\(args): \(c)") }
        }
        let r = try run(["help", "encode"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("Usage: eagleprep encode --tokenizer PATH"), r.stdout)
        XCTAssertEqual(try run(["encode", "--help"]).stdout, r.stdout)
    }

    /// Every pipeline key a stage passes on as a command option (`tree_nodes` → `--tree-nodes`) is an option of
    /// that stage's command, so no pipeline file can hand `run` an option its command rejects.
    func testEveryPipelineOptionIsAnOptionOfItsCommand() throws {
        for stage in StageName.allCases {
            let help = try run(["help", stage.rawValue])
            XCTAssertEqual(help.status, 0, help.stderr)
            for key in PipelineSchema.keys(of: stage) where key.isCommandOption {
                XCTAssertTrue(help.stdout.contains("--\(key.optionName) ") || help.stdout.contains("--\(key.optionName)\n"),
                              "\(stage): the pipeline key \(key.name) has no --\(key.optionName) in 'eagleprep help \(stage)'")
            }
        }
    }

    func testUsageErrorsExitTwoWithMessageOnStderr() throws {
        let cases: [([String], String)] = [
            ([], "Usage: eagleprep <command>"),
            (["frobnicate"], "unknown command 'frobnicate'"),
            (["encode"], "missing required option '--tokenizer'"),
            (["encode", "--tokenizr", "x"], "did you mean --tokenizer?"),
            (["encode", "--tokenizer"], "needs a value PATH"),
            (["encode", "--tokenizer", "x", "--threads", "zero"], "expects an integer"),
            (["gguf-info"], "expected exactly one GGUF file"),
        ]
        for (args, fragment) in cases {
            let r = try run(args)
            XCTAssertEqual(r.status, 2, "\(args)")
            XCTAssertEqual(r.stdout, "", "\(args)")
            XCTAssertTrue(r.stderr.contains(fragment), "\(args): \(r.stderr)")
        }
    }

    func testRuntimeFailureExitsOneNamingTheFile() throws {
        let r = try run(["gguf-info", tempDir + "/missing.gguf"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("missing.gguf: open failed"), r.stderr)
        let notGGUF = try write("hello world, not a gguf file at all", to: "x.gguf")
        let r2 = try run(["gguf-info", notGGUF])
        XCTAssertEqual(r2.status, 1)
        XCTAssertTrue(r2.stderr.contains("x.gguf: magic at byte 0"), r2.stderr)
    }

    func testGGUFInfoOnRealModel() throws {
        let gguf = try TestSupport.smolLM2GGUF()
        let r = try run(["gguf-info", gguf, "--tensors"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("GGUF v3, "), r.stdout)
        XCTAssertTrue(r.stdout.contains("general.architecture = \"llama\""), r.stdout)
        XCTAssertTrue(r.stdout.contains("tensor token_embd.weight q8_0 [576, 49152]"), r.stdout)
    }
}

import EagleCore
import Foundation
import Shards
import TargetDump
import TestSupport
import XCTest

extension DumpStageTests {
    /// Runs `executable args…`, returning the exit status and stdout+stderr together.
    func runProcess(_ executable: String, _ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A Python with numpy and zstandard: $EAGLEPREP_PYTHON, the venv of scripts/python-env.sh, or python3.
    /// None: fails under CI=true (CI makes the venv), skips elsewhere.
    func pythonWithReaderDependencies() throws -> String {
        let env = ProcessInfo.processInfo.environment
        var candidates = [TestSupport.packageRoot + "/.cache/python-env/bin/python"]
        if let p = env["EAGLEPREP_PYTHON"] { candidates.insert(p, at: 0) }
        for dir in (env["PATH"] ?? "").split(separator: ":") { candidates.append("\(dir)/python3") }
        for c in candidates where FileManager.default.isExecutableFile(atPath: c) {
            if let r = try? runProcess(c, ["-c", "import numpy, zstandard"]), r.status == 0 { return c }
        }
        let reason = "no Python with numpy and zstandard (run scripts/python-env.sh, or set EAGLEPREP_PYTHON)"
        if TestSupport.isCI {
            XCTFail("CI=true and " + reason)
            throw XCTSkip(reason)
        }
        throw XCTSkip(reason + "; skipping (this fails under CI=true)")
    }

    /// pipelines/python reads the shards of a real (tiny-model) dump exactly as `eagleprep inspect --out` exports
    /// them: every array's name, dtype, shape and bytes; for both signals, three aux dtypes and a merged manifest;
    /// plus its out-of-range and checksum errors.
    func testPythonReaderEqualsInspectExports() throws {
        let python = try pythonWithReaderDependencies()
        var binary = Bundle(for: DumpStageTests.self).bundleURL
        if binary.pathExtension == "xctest" { binary.deleteLastPathComponent() }
        let eagleprep = binary.appendingPathComponent("eagleprep").path
        guard FileManager.default.isExecutableFile(atPath: eagleprep) else { return XCTFail("the eagleprep binary is not built at \(eagleprep)") }
        let tokens = try makeTokens()
        let m = try model()
        _ = try stage(tokens, m, out: dir + "/logits", auxDType: .bf16).run()
        _ = try stage(tokens, m, out: dir + "/hidden", auxDType: .f16, signal: .hidden).run()
        _ = try stage(tokens, m, out: dir + "/w0", auxDType: .f32, worker: (0, 2)).run()
        _ = try stage(tokens, m, out: dir + "/w1", auxDType: .f32, worker: (1, 2)).run()
        _ = try DumpMerge.merge(workerDirectories: [dir + "/w0", dir + "/w1"], outputDirectory: dir + "/merged")
        try FileManager.default.copyItem(atPath: dir + "/logits", toPath: dir + "/corrupt")

        let script = TestSupport.packageRoot + "/pipelines/python/tests/compare_exports.py"
        for name in ["logits", "hidden", "merged"] {
            var pairs: [String] = []
            for k in [0, 5, 11] {
                let out = dir + "/\(name)-\(k).safetensors"
                let r = try runProcess(eagleprep, ["inspect", dir + "/" + name, "--sample", "\(k)", "--out", out])
                XCTAssertEqual(r.status, 0, r.output)
                pairs.append("\(k)=\(out)")
            }
            let extra = name == "logits" ? ["--corrupt-copy", dir + "/corrupt"] : []
            let r = try runProcess(python, [script, dir + "/" + name] + pairs + extra)
            XCTAssertEqual(r.status, 0, "\(name):\n\(r.output)")
            XCTAssertTrue(r.output.hasSuffix("ok\n"), "\(name):\n\(r.output)")
            XCTAssertTrue(r.output.contains("sample 11: "), r.output)
            if name == "logits" { XCTAssertTrue(r.output.contains("corrupt record:"), r.output) }
        }
    }
}

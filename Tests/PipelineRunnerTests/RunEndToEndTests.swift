import EagleCore
import Foundation
import TestSupport
import XCTest

/// `eagleprep run` on the miniature pipeline, as a user runs it: the built binary as a subprocess.
final class RunEndToEndTests: XCTestCase {
    struct Run {
        var status: Int32
        var killed: Bool
        var stdout: String
        var stderr: String
    }

    static var binary: String {
        var dir = Bundle(for: RunEndToEndTests.self).bundleURL
        if dir.pathExtension == "xctest" { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("eagleprep").path
    }

    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "eagleprep-run-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func run(_ args: [String], environment: [String: String] = [:]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "EAGLEPREP_TEST_KILL_AFTER")
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        nonisolated(unsafe) var errData = Data()
        let errReader = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
        errReader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while !errReader.isFinished { usleep(1000) }
        return Run(status: p.terminationStatus, killed: p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL,
                   stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Every regular file under `root`, relative path → bytes; stamps, the report and timing-bearing files excluded.
    func files(_ root: String, excluding: Set<String> = ["stamps", "report.md"]) throws -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        let e = FileManager.default.enumerator(atPath: root)!
        while let rel = e.nextObject() as? String {
            if excluding.contains(where: { rel == $0 || rel.hasPrefix($0 + "/") }) { continue }
            let path = root + "/" + rel
            if FileIO.isDirectory(path) { continue }
            result[rel] = try FileIO.readAll(path: path)
        }
        return result
    }

    func assertSameOutputs(_ a: String, _ b: String, excluding: Set<String> = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let skip = excluding.union(["stamps", "report.md"])
        let fa = try files(a, excluding: skip), fb = try files(b, excluding: skip)
        XCTAssertEqual(fa.keys.sorted(), fb.keys.sorted(), file: file, line: line)
        for (k, v) in fa where fb[k] != v { XCTFail("\(k) differs between \(a) and \(b)", file: file, line: line) }
    }

    /// Runs the tiny pipeline uninterrupted, moves its outputs aside, runs it again killed with SIGKILL at
    /// `killPoint` and once more to finish: the outputs must be byte-identical (shards, vocabulary, drafter, …).
    /// Same output path for both runs, since token shards record their input files' paths.
    func assertKillAndRerunGivesTheSameOutputs(killPoint: String, resumedStage: String, extraStages: String = "",
                                               stageCount: Int = 4, excluding: Set<String> = []) throws {
        let pipeline = try TinyPipeline.write(into: dir, extraStages: extraStages)
        let first = try run(["run", pipeline])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("\(stageCount) stage(s) run, 0 up to date"), first.stdout)
        try assertTidyProgress(first.stderr)
        let reference = dir + "/reference"
        try FileManager.default.moveItem(atPath: dir + "/out", toPath: reference)

        let killed = try run(["run", pipeline], environment: ["EAGLEPREP_TEST_KILL_AFTER": killPoint])
        XCTAssertTrue(killed.killed, "status \(killed.status): \(killed.stderr)")
        XCTAssertTrue(killed.stderr.contains("EAGLEPREP_TEST_KILL_AFTER=\(killPoint): test hook, killing the process"), killed.stderr)
        XCTAssertFalse(FileIO.exists(dir + "/out/stamps/\(resumedStage).done.json"))
        XCTAssertTrue(FileIO.exists(dir + "/out/stamps/\(resumedStage).started.json"))
        let resumed = try run(["run", pipeline])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("] resuming an interrupted run (same inputs and options)"), resumed.stderr)
        // The interrupted stage and the ones after it run; those before it are up to date.
        let before = ["generate", "tokenize", "vocab", "dump", "train", "eval"].firstIndex(of: resumedStage)!
        XCTAssertTrue(resumed.stdout.contains("\(stageCount - before) stage(s) run, \(before) up to date"), resumed.stdout)
        try assertSameOutputs(reference, dir + "/out", excluding: excluding)
    }

    /// The progress display of an uninterrupted run: no line ends in a dangling separator, and each stage's 100 %
    /// line appears exactly once (dump reports its end after its last batch and again after its manifest).
    func assertTidyProgress(_ stderr: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let lines = stderr.split(separator: "\n").map(String.init)
        for l in lines where l.hasSuffix(",") || l.hasSuffix(", ") { XCTFail("dangling separator: '\(l)'", file: file, line: line) }
        let complete = Dictionary(grouping: lines.filter { $0.contains("(100%)") }) { $0.prefix { $0 != "]" } }
        XCTAssertEqual(complete.keys.contains { $0.hasSuffix(" dump") }, true, stderr, file: file, line: line)
        for (stage, printed) in complete where printed.count != 1 {
            XCTFail("\(stage)]: \(printed.count) lines at 100 %:\n" + printed.joined(separator: "\n"), file: file, line: line)
        }
    }

    func testKilledDuringDumpResumesToTheSameOutputs() throws {
        // SIGKILL after 3 of 8 samples: shard 0 complete, shard 1 half written.
        try assertKillAndRerunGivesTheSameOutputs(killPoint: "dump:3", resumedStage: "dump")
        let report = try String(contentsOfFile: dir + "/out/report.md", encoding: .utf8)
        for part in ["## generate", "## tokenize", "## vocab", "## dump", "| samples kept | 8 |", "![coverage](vocab/coverage.svg)", "| dump | resumed |"] {
            XCTAssertTrue(report.contains(part), "report.md lacks \(part):\n\(report)")
        }
        let dumpManifest = try JSONParser.parse(bytes: FileIO.readAll(path: dir + "/out/dump/manifest.json"))
        XCTAssertEqual(dumpManifest["counts"]?["samples"]?.intValue, 8)
        XCTAssertEqual(dumpManifest["shards"]?.arrayValue?.count, 4)
        // Same pipeline again: every stage up to date.
        let again = try run(["run", dir + "/pipeline-out.json", "--quiet"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.stderr, "")
        XCTAssertTrue(again.stdout.contains("0 stage(s) run, 4 up to date"), again.stdout)
    }

/// The whole miniature pipeline, generate to eval; killed after training step 3 (checkpoint at step 2) and run
    /// again: the exported drafter and every other output equal the uninterrupted run's.
    func testKilledDuringTrainResumesToTheSameDrafter() throws {
        let train = #", "train": {"intermediate_size": 128, "heads": 4, "kv_heads": 2, "max_steps": 6, "checkpoint_every": 2, "schedule": "constant", "lr": 0.001, "ttt_steps": 3}"#
        let eval = #", "eval": {"input": "conversations.jsonl", "max_new_tokens": 8, "depth": 3}"#
        try assertKillAndRerunGivesTheSameOutputs(killPoint: "train:3", resumedStage: "train", extraStages: train + eval, stageCount: 6,
                                                  // Timings: per-step seconds, wall-clock decoding times.
                                                  excluding: ["train/metrics.jsonl", "train/loss.svg", "train/accuracy.svg", "eval"])
        XCTAssertTrue(FileIO.exists(dir + "/out/train/model.safetensors"))
        let report = try String(contentsOfFile: dir + "/out/report.md", encoding: .utf8)
        for part in ["## train", "![loss](train/loss.svg)", "## eval", "acceptance length τ", "| train | resumed |"] {
            XCTAssertTrue(report.contains(part), "report.md lacks \(part):\n\(report)")
        }
    }

    func testChangedOptionRedoesOnlyTheAffectedStagesAndBadFilesAreNamed() throws {
        let path = try TinyPipeline.write(into: dir)
        XCTAssertEqual(try run(["run", path, "--quiet", "--to", "vocab"]).status, 0)
        // A bigger vocabulary: vocab is redone, tokenize and generate are not.
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: #""size": 64"#, with: #""size": 80"#)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try run(["run", path, "--to", "vocab"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("1 stage(s) run, 2 up to date"), r.stdout)
        XCTAssertTrue(r.stderr.contains("[3/3 vocab] running (inputs or options changed)"), r.stderr)

        try text.replacingOccurrences(of: #""pad": true"#, with: #""pad": true, "paddding": 1"#).write(toFile: path, atomically: true, encoding: .utf8)
        let bad = try run(["run", path])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("\(path): stages.vocab.paddding: unknown key"), bad.stderr)

        // A failing stage names itself and the cause: a vocabulary bigger than the target's 256 ids.
        try text.replacingOccurrences(of: #""size": 80"#, with: #""size": 300"#).write(toFile: path, atomically: true, encoding: .utf8)
        let failing = try run(["run", path])
        XCTAssertEqual(failing.status, 1)
        XCTAssertTrue(failing.stderr.contains("stage vocab failed: "), failing.stderr)
        XCTAssertFalse(FileIO.exists(dir + "/out/stamps/vocab.done.json"))
    }
}

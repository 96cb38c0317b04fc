import EagleCore
import Foundation
import SafeTensors
import TestSupport
import XCTest

/// `--worker auto` end to end: the commands pick the worker from the environment exactly as `--worker I/N` would,
/// and refuse to start without one.
final class WorkerAutoCommandTests: CLITestCase {
    /// Runs the binary with the test's environment minus every scheduler variable, plus `extra`.
    func run(_ args: [String], environment extra: [String: String]) throws -> Run {
        var env = ProcessInfo.processInfo.environment.filter { k, _ in !k.hasPrefix("SLURM_") && k != "JOB_COMPLETION_INDEX" && k != "EAGLEPREP_WORKER_COUNT" }
        env.merge(extra) { _, new in new }
        let p = Process()
        p.executableURL = Self.binary
        p.arguments = args
        p.environment = env
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: "", stderr: String(decoding: errData, as: UTF8.self))
    }

    func files(_ dir: String) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for n in try FileManager.default.contentsOfDirectory(atPath: dir) { out[n] = try FileIO.readAll(path: dir + "/" + n) }
        return out
    }

    func testTokenizeAndVocabCountsWithAutoEqualExplicitWorker() throws {
        let data = try TestSupport.sharedData()
        let tokenize = ["tokenize", "--model", data + "/models/smollm2-135m-instruct",
                        "--input", data + "/conversations/mt_bench_llama2chat70b.messages.jsonl",
                        "--date", "2026-11-29", "--shard-size", "8", "--quiet", "--threads", "2"]
        // --array=3-4, task 4: worker 1 of 2.
        let array = ["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_MAX": "4", "SLURM_ARRAY_TASK_COUNT": "2"]
        let explicit = tempDir + "/explicit", auto = tempDir + "/auto"
        var r = try run(tokenize + ["--out", explicit, "--worker", "1/2"], environment: [:])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try run(tokenize + ["--out", auto, "--worker", "auto"], environment: array)
        XCTAssertEqual(r.status, 0, r.stderr)
        let expected = try files(explicit)
        XCTAssertEqual(expected.count, 1 + 5)  // 40 of the 80 records, shards of 8
        XCTAssertEqual(try files(auto), expected)
        let manifest = try JSONParser.parse(bytes: expected["manifest.json"]!)
        XCTAssertEqual(manifest["settings"]?["worker"]?.stringValue, "1/2")

        // Without scheduler variables `auto` is refused (usage error, exit 2), naming what it looked for.
        r = try run(tokenize + ["--out", tempDir + "/none", "--worker", "auto"], environment: [:])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("SLURM_ARRAY_TASK_ID") && r.stderr.contains("JOB_COMPLETION_INDEX"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tempDir + "/none/manifest.json"))
        // The Kubernetes form.
        r = try run(tokenize + ["--out", tempDir + "/k8s", "--worker", "auto:2"], environment: ["JOB_COMPLETION_INDEX": "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try files(tempDir + "/k8s"), expected)

        // vocab --counts-only: --part auto and --worker auto count the same shard range as --part 1/2.
        let counts = ["vocab", "--tokens", explicit, "--counts-only", "--quiet"]
        r = try run(counts + ["--part", "1/2", "--out", tempDir + "/explicit.counts"], environment: [:])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try run(counts + ["--part", "auto", "--out", tempDir + "/part.counts"], environment: array)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try run(counts + ["--worker", "auto", "--out", tempDir + "/worker.counts"], environment: array)
        XCTAssertEqual(r.status, 0, r.stderr)
        let part = try FileIO.readAll(path: tempDir + "/explicit.counts")
        XCTAssertEqual(try FileIO.readAll(path: tempDir + "/part.counts"), part)
        XCTAssertEqual(try FileIO.readAll(path: tempDir + "/worker.counts"), part)
        // Shards 2..<5 of 5: the second half, not the whole directory.
        let file = try SafeTensorsFile(path: tempDir + "/explicit.counts")
        XCTAssertEqual(file.metadata["first_shard"], "2")
        XCTAssertEqual(file.metadata["end_shard"], "5")
        r = try run(counts + ["--part", "auto", "--out", tempDir + "/x.counts"], environment: [:])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("SLURM_PROCID"), r.stderr)
        r = try run(counts + ["--part", "0/2", "--worker", "1/2", "--out", tempDir + "/x.counts"], environment: [:])
        XCTAssertEqual(r.status, 2)

        // merge-tokens: workers 0 and 1 joined hold exactly the samples of one unsplit run (as a multiset: the
        // merged order is worker 0's records, then worker 1's), and vocab reads the merged directory.
        let zero = tempDir + "/w0", single = tempDir + "/single", merged = tempDir + "/merged"
        r = try run(tokenize + ["--out", zero, "--worker", "0/2"], environment: [:])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try run(tokenize + ["--out", single], environment: [:])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try run(["merge-tokens", "--out", merged, explicit], environment: [:])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("worker(s) 0/2 missing"), r.stderr)
        r = try run(["merge-tokens", "--out", merged, explicit, zero], environment: [:])
        XCTAssertEqual(r.status, 0, r.stderr)
        func samples(_ dir: String) throws -> [String] {
            let out = try run(["inspect", dir, "--jsonl"])
            XCTAssertEqual(out.status, 0, out.stderr)
            return out.stdout.split(separator: "\n").map(String.init)
        }
        let mergedSamples = try samples(merged), singleSamples = try samples(single)
        XCTAssertEqual(mergedSamples.count, 80)
        XCTAssertEqual(mergedSamples.sorted(), singleSamples.sorted())
        XCTAssertNotEqual(mergedSamples, singleSamples)  // the order does differ
        XCTAssertEqual(Array(mergedSamples.prefix(40)), try samples(zero))
        let mergedManifest = try FileIO.readAll(path: merged + "/manifest.json")
        let m = try JSONParser.parse(bytes: mergedManifest)
        let s = try JSONParser.parse(bytes: FileIO.readAll(path: single + "/manifest.json"))
        XCTAssertEqual(m["counts"], s["counts"])
        XCTAssertEqual(m["settings"]?["workers"]?.intValue, 2)
        XCTAssertNil(m["settings"]?["worker"])
        XCTAssertEqual(m["shards"]?.arrayValue?.count, 10)
        r = try run(["merge-tokens", "--out", merged, zero, explicit], environment: [:])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try FileIO.readAll(path: merged + "/manifest.json"), mergedManifest)
        r = try run(["vocab", "--tokens", merged, "--size", "64", "--out", tempDir + "/vocab", "--quiet"], environment: [:])
        XCTAssertEqual(r.status, 0, r.stderr)
    }
}

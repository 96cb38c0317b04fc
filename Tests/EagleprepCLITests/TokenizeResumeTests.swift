import EagleCore
import Foundation
import TestSupport
import XCTest

final class TokenizeResumeTests: CLITestCase {
    /// A run killed with SIGKILL mid-way and re-run gives byte-identical shards and manifest to an uninterrupted run.
    func testKillNineThenResumeIsByteIdentical() throws {
        let data = try TestSupport.sharedData()
        let input = data + "/conversations/mt_bench_llama2chat70b.messages.jsonl"
        let common = ["tokenize", "--model", data + "/models/smollm2-135m-instruct", "--input", input, "--input", input,
                      "--date", "2026-11-29", "--shard-size", "16", "--quiet", "--threads", "2"]
        let full = tempDir + "/full", killed = tempDir + "/killed"
        XCTAssertEqual(try run(common + ["--out", full]).status, 0)

        let p = Process()
        p.executableURL = Self.binary
        p.arguments = common + ["--out", killed]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: killed + "/tokens-00002.eptok"), p.isRunning, Date() < deadline { usleep(2000) }
        XCTAssertTrue(p.isRunning, "the run finished before it could be killed; use a larger input")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)
        XCTAssertFalse(FileManager.default.fileExists(atPath: killed + "/manifest.json"))

        let resumed = try run(common + ["--out", killed])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let names = try FileManager.default.contentsOfDirectory(atPath: full).sorted()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: killed).sorted(), names)
        XCTAssertEqual(names.count, 1 + 10)  // 160 samples in shards of 16, and the manifest
        for n in names {
            XCTAssertEqual(try FileIO.readAll(path: killed + "/" + n), try FileIO.readAll(path: full + "/" + n), n)
        }
    }
}

import EagleCore
import Foundation
import PipelineRunner
import Synchronization
import XCTest

/// A stand-in stage: writes OUT/<stage>/out.txt = its option "size" (vocab/dump) or input text (tokenize) plus the
/// upstream output, counting its runs; fails when the option says so.
final class RunCounter: Sendable {
    let counts = Mutex<[StageName: Int]>([:])
    func add(_ stage: StageName) { counts.withLock { $0[stage, default: 0] += 1 } }
    var value: [StageName: Int] { counts.withLock { $0 } }
}

struct FakeStage: PipelineStage {
    let name: StageName
    let consumes: [StageName]
    let outputDigestFiles = ["out.txt"]
    let runs: RunCounter

    func isComplete(_ c: StageContext) -> Bool { FileIO.exists(c.directory + "/out.txt") }

    func run(_ c: StageContext) throws {
        runs.add(name)
        if FileIO.exists(c.directory + "/partial") { try "resumed".write(toFile: c.directory + "/resumed", atomically: true, encoding: .utf8) }
        var text = c.options.has("input") ? try String(contentsOfFile: c.options.path("input")!, encoding: .utf8) : ""
        if c.options.bool("all_tokens") == true { throw FileError(path: "all_tokens", message: "this stand-in refuses it") }
        if let size = c.options.int("size") { text += "size \(size)" }
        for u in consumes { text += "|" + (try String(contentsOfFile: c.directory(of: u) + "/out.txt", encoding: .utf8)) }
        try text.write(toFile: c.directory + "/out.txt", atomically: true, encoding: .utf8)
    }

    func report(_ c: StageContext) throws -> ReportSection {
        ReportSection(["output: " + (try String(contentsOfFile: c.directory + "/out.txt", encoding: .utf8))])
    }
}

final class PipelineRunnerTests: XCTestCase {
    var dir: String!
    let counts = RunCounter()

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "pipeline-runner-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "hello".write(toFile: dir + "/in.txt", atomically: true, encoding: .utf8)
        try "model".write(toFile: dir + "/model.bin", atomically: true, encoding: .utf8)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func runner(vocab: Int = 8, fail: Bool = false) throws -> PipelineRunner {
        let text = """
        {"model": "model.bin", "out": "out", "stages": {"tokenize": {"input": "in.txt"}, "vocab": {"size": \(vocab), "all_tokens": \(fail)}, "dump": {"shard_size": 2}}}
        """
        try text.write(toFile: dir + "/p.json", atomically: true, encoding: .utf8)
        let d = try PipelineDefinition.load(path: dir + "/p.json")
        let stages: [any PipelineStage] = [
            FakeStage(name: .tokenize, consumes: [], runs: counts), FakeStage(name: .vocab, consumes: [.tokenize], runs: counts),
            FakeStage(name: .dump, consumes: [.tokenize, .vocab], runs: counts),
        ]
        return PipelineRunner(definition: d, stages: stages, quiet: true, version: "test")
    }

    func outcomes(_ r: PipelineRunner, _ s: StageSelection = StageSelection()) throws -> [StageOutcome] {
        try r.run(s).map(\.1)
    }

    func testSkipRedoResumeAndReport() throws {
        XCTAssertEqual(try outcomes(try runner()), [.ran(reason: "first run"), .ran(reason: "first run"), .ran(reason: "first run")])
        XCTAssertEqual(try String(contentsOfFile: dir + "/out/dump/out.txt", encoding: .utf8), "|hello|size 8|hello")
        // Same inputs and options: all skipped, nothing run again.
        XCTAssertEqual(try outcomes(try runner()), [.skipped, .skipped, .skipped])
        XCTAssertEqual(counts.value, [.tokenize: 1, .vocab: 1, .dump: 1])
        // Another vocab option: vocab redone; dump redone because vocab's output changed; tokenize skipped.
        XCTAssertEqual(try outcomes(try runner(vocab: 9)), [.skipped, .ran(reason: "inputs or options changed"), .ran(reason: "inputs or options changed")])
        // An input file's content changes: everything after it is redone.
        try "bye".write(toFile: dir + "/in.txt", atomically: true, encoding: .utf8)
        XCTAssertEqual(try outcomes(try runner(vocab: 9)).map { $0 == .skipped }, [false, false, false])
        // An output changed behind the runner's back: that stage is redone.
        try "tampered".write(toFile: dir + "/out/vocab/out.txt", atomically: true, encoding: .utf8)
        XCTAssertEqual(try outcomes(try runner(vocab: 9)), [.skipped, .ran(reason: "outputs incomplete or changed"), .skipped])
        // Interrupted: a started stamp with the same fingerprint and no done stamp → resumed in place.
        let r = try runner(vocab: 9)
        let started = dir + "/out/stamps/dump.started.json"
        try FileManager.default.copyItem(atPath: dir + "/out/stamps/dump.done.json", toPath: started)
        try FileManager.default.removeItem(atPath: dir + "/out/stamps/dump.done.json")
        try "x".write(toFile: dir + "/out/dump/partial", atomically: true, encoding: .utf8)
        XCTAssertEqual(try outcomes(r), [.skipped, .skipped, .resumed])
        XCTAssertTrue(FileIO.exists(dir + "/out/dump/resumed"))
        XCTAssertFalse(FileIO.exists(started))
        // --force redoes from scratch (the folder is emptied first).
        XCTAssertEqual(try outcomes(r, StageSelection(force: [.dump])), [.skipped, .skipped, .ran(reason: "--force")])
        XCTAssertFalse(FileIO.exists(dir + "/out/dump/partial"))
        // --from/--to.
        XCTAssertEqual(try outcomes(r, StageSelection(from: .vocab, to: .vocab)), [.notSelected, .skipped, .notSelected])
        let report = try String(contentsOfFile: dir + "/out/report.md", encoding: .utf8)
        XCTAssertTrue(report.contains("| vocab | up to date, skipped |"), report)
        XCTAssertTrue(report.contains("## dump\n\noutput: |bye|size 9|bye"), report)
    }

    func testFailureNamesTheStageAndLeavesNoDoneStamp() throws {
        XCTAssertThrowsError(try runner(fail: true).run()) { error in
            XCTAssertEqual("\(error)", "stage vocab failed: all_tokens: this stand-in refuses it")
        }
        XCTAssertTrue(FileIO.exists(dir + "/out/stamps/tokenize.done.json"))
        XCTAssertFalse(FileIO.exists(dir + "/out/stamps/vocab.done.json"))
        XCTAssertFalse(FileIO.exists(dir + "/out/dump"))
        // --from past a stage that never completed: refused, naming it.
        XCTAssertThrowsError(try runner(fail: true).run(StageSelection(from: .dump))) { error in
            XCTAssertTrue("\(error)".hasPrefix("stage dump needs the outputs of stage vocab, which has no complete outputs"), "\(error)")
        }
        XCTAssertThrowsError(try runner().run(StageSelection(force: [.train]))) { error in
            XCTAssertEqual("\(error)", "stage train is not in \(dir!)/p.json (it has: tokenize, vocab, dump)")
        }
    }
}

import EagleCore
import Foundation
import Shards
import TargetDump
import XCTest

extension DumpStageTests {
    /// All samples of a dataset as (ids, every stored value) keys, to compare datasets as multisets.
    func sampleKeys(_ data: DumpDataset) throws -> [String] {
        var keys: [String] = []
        for (i, r) in try data.openShards().enumerated() {
            XCTAssertEqual(r.count, data.shards[i].samples)
            for k in 0..<r.count { keys.append("\(try r.storedArrays(k).map { "\($0.name):\($0.dtype):\($0.shape):\($0.bytes)" })") }
        }
        return keys
    }

    /// `--worker 0/2` and `1/2` merged hold exactly the samples of one run, none twice. Every sequence runs alone in
    /// its forward pass (tokensPerBatch 1) in all three runs, so the stored bytes are identical, not just close.
    func testWorkerOutputsMergeIntoTheSingleRunDataset() throws {
        let tokens = try makeTokens()
        let m = try model()
        _ = try stage(tokens, m, out: dir + "/single", auxDType: .bf16, tokensPerBatch: 1).run()
        let c0 = try stage(tokens, m, out: dir + "/w0", auxDType: .bf16, worker: (0, 2), tokensPerBatch: 1).run()
        let c1 = try stage(tokens, m, out: dir + "/w1", auxDType: .bf16, worker: (1, 2), tokensPerBatch: 1).run()
        XCTAssertEqual(c0.samples + c1.samples, 12)
        XCTAssertEqual(c0.samples, 6)

        let r = try DumpMerge.merge(workerDirectories: [dir + "/w1", dir + "/w0"], outputDirectory: dir + "/merged")
        XCTAssertEqual(r.samples, 12)
        let manifest = try JSONParser.parse(bytes: FileIO.readAll(path: dir + "/merged/manifest.json"))
        XCTAssertEqual(manifest["shards"]?.arrayValue?.first?["file"], .string("../w0/dump-00000.epdump"))
        let merged = try DumpDataset(path: dir + "/merged")
        XCTAssertEqual(merged.sampleCount, 12)
        let single = try DumpDataset(path: dir + "/single")
        let mergedKeys = try sampleKeys(merged), singleKeys = try sampleKeys(single)
        XCTAssertEqual(Set(mergedKeys).count, 12, "a sample is duplicated")
        XCTAssertEqual(mergedKeys.sorted(), singleKeys.sorted())
        XCTAssertEqual(merged.tokenCount, single.tokenCount)
    }

    func testMergeRefusesMismatchedOrIncompleteWorkers() throws {
        let tokens = try makeTokens()
        let m = try model()
        _ = try stage(tokens, m, out: dir + "/w0", auxDType: .bf16, worker: (0, 2)).run()
        _ = try stage(tokens, m, out: dir + "/w1", auxDType: .bf16, worker: (1, 2)).run()
        _ = try stage(tokens, m, out: dir + "/w1f16", auxDType: .f16, worker: (1, 2)).run()
        _ = try stage(tokens, m, out: dir + "/w0of3", auxDType: .bf16, worker: (0, 3)).run()
        func refused(_ dirs: [String], _ expected: String, line: UInt = #line) {
            XCTAssertThrowsError(try DumpMerge.merge(workerDirectories: dirs.map { dir + "/" + $0 }, outputDirectory: dir + "/merged"), line: line) {
                XCTAssertTrue("\($0)".contains(expected), "\($0)", line: line)
            }
        }
        refused(["w0"], "worker(s) 1/2 missing")
        refused(["w0", "w0"], "are both worker 0/2")
        refused(["w0", "w1f16"], "aux_dtype: was \"bf16\", now \"f16\"")
        refused(["w0", "w0of3"], "different worker counts")
        refused(["w0", "w1", "merged"], "one of the worker directories")
        refused(["w0", "tokens"], "tokens: not a `dump` output")
        // An unfinished worker: its manifest is not complete.
        let path = dir + "/w1/manifest.json"
        var m1 = try JSONParser.parse(bytes: FileIO.readAll(path: path)).objectValue!
        m1["complete"] = .bool(false)
        try FileIO.writeAtomically(path: path, bytes: Array(JSONWriter.string(.object(m1)).utf8))
        refused(["w0", "w1"], "not complete")
        XCTAssertFalse(FileIO.exists(dir + "/merged/manifest.json"))
    }
}

import EagleCore
import Foundation
import Shards
import XCTest

final class DumpDatasetTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "eagleprep-dataset-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir + "/w0", withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(atPath: dir + "/w1", withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(atPath: dir + "/merged", withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    let layout = DumpLayout(hiddenSize: 4, auxLayers: 3, auxDType: .f32, signal: .hidden, hiddenDType: .f32)

    /// A shard whose sample j has ids [tag, j] so every sample is recognisable.
    func shard(_ path: String, tag: Int32, count: Int) throws {
        let w = try DumpShardWriter(path: path, layout: layout)
        for j in 0..<count {
            try w.append(DumpSample(ids: [tag, Int32(j)], lossMask: [0, 1], auxHidden: [Float](repeating: Float(j), count: 2 * 12),
                                    signal: .hidden([Float](repeating: 1, count: 8))))
        }
        try w.finish(metadata: JSONObject())
    }

    func manifest(_ path: String, _ shards: [(String, Int)], complete: Bool = true) throws {
        let m = JSONValue.object(JSONObject([
            ("format", .string("eagleprep-dump")), ("version", .int(1)), ("settings", .object(JSONObject([("signal", .string("hidden"))]))),
            ("layout", layout.json),
            ("shards", .array(shards.map { .object(JSONObject([("file", .string($0.0)), ("samples", .int($0.1))])) })),
            ("counts", .object(JSONObject([("samples", .int(shards.reduce(0) { $0 + $1.1 })), ("tokens", .int(0))]))),
            ("complete", .bool(complete)),
        ]))
        try FileIO.writeAtomically(path: path, bytes: Array(JSONWriter.string(m).utf8))
    }

    /// Shard entries resolve relative to the manifest's directory; global indices run through shards in order.
    func testRelativeShardPathsAndGlobalIndices() throws {
        try shard(dir + "/w0/dump-00000.epdump", tag: 10, count: 3)
        try shard(dir + "/w0/dump-00001.epdump", tag: 11, count: 2)
        try shard(dir + "/w1/dump-00000.epdump", tag: 20, count: 4)
        try manifest(dir + "/w0/manifest.json", [("dump-00000.epdump", 3), ("dump-00001.epdump", 2)])
        try manifest(dir + "/merged/manifest.json", [("../w0/dump-00000.epdump", 3), ("../w0/dump-00001.epdump", 2), ("../w1/dump-00000.epdump", 4)])

        let single = try DumpDataset(path: dir + "/w0")
        XCTAssertEqual(single.sampleCount, 5)
        XCTAssertEqual(single.shards.map(\.path), [dir + "/w0/dump-00000.epdump", dir + "/w0/dump-00001.epdump"])

        let merged = try DumpDataset(path: dir + "/merged/manifest.json")
        XCTAssertEqual(merged.sampleCount, 9)
        XCTAssertEqual(merged.layout, layout)
        let readers = try merged.openShards()
        var seen: [[Int32]] = []
        for k in 0..<9 {
            let (s, i) = try XCTUnwrap(merged.locate(k))
            seen.append(try readers[s].sample(i).ids)
        }
        XCTAssertEqual(seen, [[10, 0], [10, 1], [10, 2], [11, 0], [11, 1], [20, 0], [20, 1], [20, 2], [20, 3]])
        XCTAssertNil(merged.locate(9))
        XCTAssertNil(merged.locate(-1))
    }

    func testBadManifestsAreRefusedNamingTheField() throws {
        try shard(dir + "/w0/dump-00000.epdump", tag: 1, count: 3)
        try manifest(dir + "/w0/manifest.json", [("/abs/dump-00000.epdump", 3)])
        XCTAssertThrowsError(try DumpDataset(path: dir + "/w0")) { XCTAssertTrue("\($0)".contains("shards[0].file"), "\($0)") }
        try manifest(dir + "/w0/manifest.json", [("dump-00000.epdump", 3)], complete: false)
        XCTAssertThrowsError(try DumpDataset(path: dir + "/w0")) { XCTAssertTrue("\($0)".contains("not complete"), "\($0)") }
        try manifest(dir + "/w0/manifest.json", [("dump-00000.epdump", 4)])
        let d = try DumpDataset(path: dir + "/w0")
        XCTAssertThrowsError(try d.openShard(0)) { XCTAssertTrue("\($0)".contains("holds 3 samples"), "\($0)") }
    }
}

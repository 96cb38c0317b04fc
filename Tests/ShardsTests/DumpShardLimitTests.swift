import EagleCore
import Foundation
import Shards
import XCTest

/// Hostile dump shards (issue 10).
final class DumpShardLimitTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "eagleprep-dump-limits-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// One record of `L` tokens with no supervised token (so no stored logit rows) under a layout with the largest
    /// draft vocabulary the metadata allows: a few hundred bytes on disk. Reading it expanded the logits to
    /// `L × 4,194,304` floats (33.5 GB for L = 2,000) and the process died; now it is an error naming the limit.
    func testDenseLogitExpansionIsBounded() throws {
        let L = 2_000, vd = 1 << 22
        let layout = DumpLayout(hiddenSize: 1, auxLayers: 1, auxDType: .f32, signal: .logits, draftVocabSize: vd)
        var raw = BinaryWriter()
        raw.u32(UInt32(L)); raw.u32(0); raw.u64(1); raw.u32(0)  // length, source file, source line, logit rows
        for _ in 0..<L { raw.i32(1) }                                  // ids
        raw.raw([UInt8](repeating: 0, count: L))                      // loss mask: nothing supervised
        raw.raw([UInt8](repeating: 0, count: 4 * L))                  // aux hidden, f32 [L, 1]
        for _ in 0..<L { raw.i32(0) }                                  // target argmax
        let path = dir + "/s.epdump"
        let w = try RecordContainerWriter(path: path, magic: DumpShardFormat.magic, version: DumpShardFormat.version)
        _ = try w.append(raw: raw.bytes, length: L)
        try w.finish(metadata: .object(JSONObject([("layout", layout.json)])))
        XCTAssertLessThan(try FileIO.readAll(path: path).count, 1_000)

        let r = try DumpShardReader(path: path)
        let expected = "\(path): sample[0] at byte 0: 2000 tokens × draft_vocab_size 4194304 exceeds the limit of 1073741824 dense logits"
        XCTAssertThrowsError(try r.sample(0)) { XCTAssertEqual("\($0)", expected) }
        XCTAssertThrowsError(try r.storedArrays(0)) { XCTAssertEqual("\($0)", expected) }
    }
}

import EagleCore
import Foundation
import TokenShards
import XCTest

/// Token shard version 2 (docs/token-shards.md) against an independent writer (Python, numpy + the `xxhash`
/// package: pipelines/reference/formats/token_shard_v2_fixture.py), and its corruption catalogue.
final class TokenShardV2Tests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "eagleprep-shard-v2-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    static var fixtures: String { Bundle.module.resourcePath! + "/Fixtures" }

    func pythonSamples() throws -> [TokenSample] {
        let json = try JSONParser.parse(bytes: FileIO.readAll(path: Self.fixtures + "/python-v2.samples.json"))
        return try XCTUnwrap(json.arrayValue).map { s in
            TokenSample(ids: s["ids"]!.arrayValue!.map { Int32($0.intValue!) }, lossMask: s["loss_mask"]!.arrayValue!.map { UInt8($0.intValue!) },
                        sourceFile: 0, sourceLine: UInt64(s["source_line"]!.intValue!), recordIndex: UInt64(s["record_index"]!.intValue!))
        }
    }

    func testReadsTheShardWrittenByPython() throws {
        let expected = try pythonSamples()
        let r = try TokenShardReader(path: Self.fixtures + "/python-v2.eptok")
        XCTAssertEqual(r.version, 2)
        XCTAssertEqual(r.count, expected.count)
        XCTAssertEqual(r.metadata["tokens"]?.intValue, expected.reduce(0) { $0 + $1.ids.count })
        for (k, s) in expected.enumerated() {
            XCTAssertEqual(try r.sample(k), s, "sample \(k)")
            XCTAssertEqual(r.length(of: k), s.ids.count)
        }
        XCTAssertTrue(expected.contains { $0.ids.isEmpty } && expected.contains { $0.ids.contains(Int32.max) },
                      "the fixture covers an empty sample and the largest id")
    }

    func testWriterReproducesThePythonBytes() throws {
        let samples = try pythonSamples()
        let path = dir + "/swift.eptok"
        let w = try TokenShardWriter(path: path)
        for s in samples { try w.append(s) }
        let tokens = samples.reduce(0) { $0 + $1.ids.count }, supervised = samples.reduce(0) { $0 + $1.lossMask.reduce(0) { $0 + Int($1) } }
        try w.finish(metadata: .object(JSONObject([("tokens", .int(tokens)), ("supervised_tokens", .int(supervised))])))
        XCTAssertEqual(try FileIO.readAll(path: path), try FileIO.readAll(path: Self.fixtures + "/python-v2.eptok"))
    }

    func testWriterRefusesAMaskValueOtherThanZeroOrOne() throws {
        let w = try TokenShardWriter(path: dir + "/m.eptok")
        XCTAssertThrowsError(try w.append(TokenSample(ids: [1, 2, 3], lossMask: [0, 2, 1], sourceFile: 0, sourceLine: 1, recordIndex: 0))) {
            XCTAssertTrue("\($0)".contains("loss_mask[1] of sample 0 is 2, expected 0 or 1"), "\($0)")
        }
    }

    // MARK: corruption catalogue

    /// The version-2 layout read back from the footer (docs/token-shards.md).
    struct Layout {
        var tokens, supervised, spans, samples, metaLength: Int
        var size: Int
        var contextAt: Int { 16 + 4 * supervised }
        var spansAt: Int { 16 + 4 * tokens }
        var tableAt: Int { spansAt + 8 * spans }
        var metaAt: Int { tableAt + 48 * samples }
        var footerAt: Int { size - 64 }
        init(_ b: [UInt8]) {
            size = b.count
            func u64(_ at: Int) -> Int { (0..<8).reduce(0) { $0 | Int(b[at + $1]) << (8 * $1) } }
            tokens = u64(b.count - 64); supervised = u64(b.count - 56); spans = u64(b.count - 48); samples = u64(b.count - 40)
            metaLength = u64(b.count - 32)
        }
    }

    static func put(_ v: UInt64, into b: inout [UInt8], at: Int, bytes n: Int = 8) {
        for i in 0..<n { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
    }

    /// Recomputes the table checksum in the footer after an edit of the table.
    static func resealTable(_ b: inout [UInt8]) {
        let l = Layout(b)
        put(XXHash64.hash(Array(b[l.tableAt..<l.metaAt])), into: &b, at: l.footerAt + 40)
    }

    /// Recomputes sample k's column checksums (and the table's) after an edit of its ids or spans.
    static func resealSample(_ k: Int, _ b: inout [UInt8]) {
        let l = Layout(b)
        func u32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(b[at + $1]) << (8 * $1) } }
        var sup = 0, ctx = 0, span = 0
        for j in 0..<k {
            let e = l.tableAt + 48 * j
            sup += u32(e + 4); ctx += u32(e) - u32(e + 4); span += u32(e + 8)
        }
        let entry = l.tableAt + 48 * k
        let supAt = 16 + 4 * sup, ctxAt = l.contextAt + 4 * ctx, spansAt = l.spansAt + 8 * span
        let supervised = Array(b[supAt..<(supAt + 4 * u32(entry + 4))])
        let context = Array(b[ctxAt..<(ctxAt + 4 * (u32(entry) - u32(entry + 4)))])
        let spans = Array(b[spansAt..<(spansAt + 8 * u32(entry + 8))])
        put(XXHash64.hash(supervised, seed: XXHash64.hash(spans)), into: &b, at: entry + 32)
        put(XXHash64.hash(context), into: &b, at: entry + 40)
        resealTable(&b)
    }

    func testCorruptionsAreDetected() throws {
        let good = try FileIO.readAll(path: Self.fixtures + "/python-v2.eptok")
        let l = Layout(good)
        XCTAssertEqual(l.samples, 7)
        func check(_ name: String, _ mutate: (inout [UInt8]) -> Void, _ fragment: String, atSample k: Int? = nil,
                   line: UInt = #line) throws {
            var b = good
            mutate(&b)
            let p = dir + "/" + name.replacingOccurrences(of: " ", with: "-")
            try FileIO.writeAtomically(path: p, bytes: b)
            do {
                let r = try TokenShardReader(path: p)
                guard let k else { return XCTFail("\(name): opened a corrupt shard", line: line) }
                XCTAssertThrowsError(try r.sample(k), name, line: line) { XCTAssertTrue("\($0)".contains(fragment), "\(name): \($0)", line: line) }
                XCTAssertThrowsError(try r.withColumns(k, .all) { _ in }, name, line: line)
                var buffer: [UInt8] = []
                XCTAssertThrowsError(try r.forEachSample(in: 0..<r.count, .all, buffer: &buffer) { _, _ in }, name, line: line) {
                    XCTAssertTrue("\($0)".contains(fragment), "\(name), bulk read: \($0)", line: line)
                }
            } catch {
                XCTAssertNil(k, "\(name): \(error)", line: line)
                XCTAssertTrue("\(error)".contains(fragment), "\(name): \(error)", line: line)
                XCTAssertTrue("\(error)".hasPrefix(p), "\(name): the error names the file: \(error)", line: line)
            }
        }
        try check("magic", { $0[1] = 0 }, "header.magic at byte 0: not an eagleprep token shard")
        try check("version", { $0[8] = 3 }, "unsupported version 3 (this build reads 1 and 2)")
        try check("flags", { $0[12] = 1 }, "header.flags at byte 12: is 1, expected 0")
        try check("empty", { $0 = [] }, "too short for a token shard (file truncated)")
        try check("header only", { $0 = Array($0[0..<16]) }, "too short for a version-2 token shard")
        try check("truncated", { $0.removeLast(3) }, "footer.magic")
        try check("token count", { b in Self.put(UInt64(l.tokens + 1), into: &b, at: l.footerAt) }, "the file has \(l.size)")
        try check("huge token count", { b in Self.put(1 << 62, into: &b, at: l.footerAt) }, "footer.token_count")
        try check("supervised over tokens", { b in Self.put(UInt64(l.tokens + 1), into: &b, at: l.footerAt + 8) }, "footer.supervised_count")
        try check("huge sample count", { b in Self.put(1 << 40, into: &b, at: l.footerAt + 24) }, "footer.sample_count")
        try check("metadata limit", { b in Self.put((16 << 20) + 1, into: &b, at: l.footerAt + 32) }, "exceeds the limit of 16777216")
        try check("table byte", { b in b[l.tableAt + 13] ^= 1 }, "table at byte \(l.tableAt): checksum mismatch")
        try check("metadata byte", { b in b[l.metaAt + 2] ^= 1 }, "metadata at byte \(l.metaAt): checksum mismatch")
        try check("supervised over length", { b in b[l.tableAt + 4] = 9; Self.resealTable(&b) }, "table[0].supervised")
        try check("span count", { b in b[l.tableAt + 8] = 200; Self.resealTable(&b) }, "table[0].span_count")
        try check("lengths", { b in b[l.tableAt] &+= 1; Self.resealTable(&b) },
                  "hold \(l.tokens + 1) tokens (\(l.supervised) supervised) and \(l.spans) spans, more than the footer's \(l.tokens)")
        // Sample 0 = mask 11001011: 5 supervised ids at byte 16, 3 context ids at contextAt, spans [0,2) [4,5) [6,8).
        try check("supervised id byte", { b in b[16 + 5] ^= 0x40 }, "sample[0].supervised at byte 16: checksum mismatch", atSample: 0)
        try check("context id byte", { b in b[l.contextAt + 1] ^= 0x40 }, "sample[0].context at byte \(l.contextAt): checksum mismatch", atSample: 0)
        try check("overlapping spans", { b in b[l.spansAt + 8] = 1; Self.resealSample(0, &b) }, "sample[0].spans[1]", atSample: 0)
        try check("adjacent spans", { b in b[l.spansAt + 8] = 2; Self.resealSample(0, &b) }, "sample[0].spans[1]", atSample: 0)
        try check("span past the end", { b in b[l.spansAt + 20] = 9; Self.resealSample(0, &b) }, "sample[0].spans[2]", atSample: 0)
        try check("empty span", { b in b[l.spansAt + 4] = 0; Self.resealSample(0, &b) }, "sample[0].spans[0]", atSample: 0)
        try check("spans cover fewer", { b in b[l.spansAt + 4] = 1; Self.resealSample(0, &b) }, "sample[0].spans at byte \(l.spansAt): cover 4 positions, the table says 5 supervised", atSample: 0)
    }

    /// Reading only the supervised column checks only its checksum: a corrupt context column does not stop
    /// supervised counting, and is reported when the sample is read whole.
    func testSupervisedViewReadsOnlyItsColumn() throws {
        var b = try FileIO.readAll(path: Self.fixtures + "/python-v2.eptok")
        let l = Layout(b)
        b[l.contextAt] ^= 1
        let p = dir + "/ctx.eptok"
        try FileIO.writeAtomically(path: p, bytes: b)
        let r = try TokenShardReader(path: p)
        let expected = try pythonSamples()[0]
        try r.withColumns(0, .supervised) { c in
            XCTAssertEqual(Array(c.supervised), zip(expected.ids, expected.lossMask).filter { $0.1 == 1 }.map(\.0))
        }
        XCTAssertThrowsError(try r.sample(0)) { XCTAssertTrue("\($0)".contains("sample[0].context"), "\($0)") }
    }

    /// The limits a hostile shard hits before anything is allocated for it (issue 10).
    func testLimitsNameTheField() throws {
        var b = try FileIO.readAll(path: Self.fixtures + "/python-v2.eptok")
        let l = Layout(b)
        Self.put(UInt64((16 << 20) + 1), into: &b, at: l.footerAt + 32)
        let p = dir + "/limit.eptok"
        try FileIO.writeAtomically(path: p, bytes: b)
        XCTAssertThrowsError(try TokenShardReader(path: p)) {
            XCTAssertEqual("\($0)", "\(p): footer.metadata_length at byte \(l.footerAt + 32): value 16777217 exceeds the limit of 16777216")
        }
    }
}

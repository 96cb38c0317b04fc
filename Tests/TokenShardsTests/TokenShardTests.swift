import EagleCore
import Foundation
import TokenShards
import XCTest

final class TokenShardTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "eagleprep-shard-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func samples() -> [TokenSample] {
        (0..<50).map { k in
            let n = k == 7 ? 0 : 1 + (k * 37) % 300
            return TokenSample(ids: (0..<n).map { Int32(($0 * 7919 + k) % 128_256) }, lossMask: (0..<n).map { UInt8(($0 + k) % 3 == 0 ? 1 : 0) },
                               sourceFile: UInt32(k % 3), sourceLine: UInt64(k + 1), recordIndex: UInt64(k))
        }
    }

    func writeShard(_ name: String = "s.eptok", version: UInt32 = TokenShardFormat.version) throws -> String {
        let path = dir + "/" + name
        let w = try TokenShardWriter(path: path, version: version)
        for s in samples() { try w.append(s) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing at the final path before finish()")
        try w.finish(metadata: .object(JSONObject([("tokenizer_sha256", .string("abc"))])))
        return path
    }

    func testRoundTripWithRandomAccess() throws {
        for version: UInt32 in [1, 2] { try roundTrip(version: version) }
    }

    func roundTrip(version: UInt32) throws {
        try? FileManager.default.removeItem(atPath: dir + "/s.eptok")
        let r = try TokenShardReader(path: writeShard(version: version))
        XCTAssertEqual(r.version, version)
        XCTAssertEqual(r.count, 50)
        XCTAssertEqual(r.metadata["tokenizer_sha256"], .string("abc"))
        let expected = samples()
        for k in [49, 0, 7, 23] { XCTAssertEqual(try r.sample(k), expected[k], "sample \(k)") }
        XCTAssertEqual(r.length(of: 3), expected[3].ids.count)
        XCTAssertThrowsError(try r.sample(50))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["s.eptok"])
        // The column views: all columns merge back to the sample; the supervised view holds the ids at mask 1.
        for k in 0..<50 {
            try r.withColumns(k, .all) { c in
                let (ids, mask) = c.merged()
                XCTAssertEqual(ids, expected[k].ids, "v\(version) sample \(k)")
                XCTAssertEqual(mask, expected[k].lossMask, "v\(version) sample \(k)")
                XCTAssertEqual(Array(c.spans), TokenColumns.spans(of: expected[k].lossMask))
            }
            try r.withColumns(k, .supervised) { c in
                XCTAssertEqual(Array(c.supervised), zip(expected[k].ids, expected[k].lossMask).filter { $0.1 == 1 }.map(\.0), "v\(version) sample \(k)")
                XCTAssertEqual(c.context.count, 0)
                XCTAssertEqual(c.length, expected[k].ids.count)
            }
        }
    }

    /// The bulk reader (one positional read per column and range, a reused buffer) hands out the same columns.
    func testForEachSampleMatchesRandomAccess() throws {
        let expected = samples()
        for version: UInt32 in [1, 2] {
            try? FileManager.default.removeItem(atPath: dir + "/s.eptok")
            let r = try TokenShardReader(path: writeShard(version: version))
            var buffer: [UInt8] = []
            for range in [0..<50, 3..<17, 49..<50, 7..<8, 20..<20] {
                for part: TokenColumns.Part in [.all, .supervised] {
                    var seen: [Int] = []
                    try r.forEachSample(in: range, part, buffer: &buffer) { k, c in
                        seen.append(k)
                        let supervised = zip(expected[k].ids, expected[k].lossMask).filter { $0.1 == 1 }.map(\.0)
                        XCTAssertEqual(Array(c.supervised), supervised, "v\(version) \(range) sample \(k)")
                        XCTAssertEqual(Array(c.spans), TokenColumns.spans(of: expected[k].lossMask))
                        if part == .all { XCTAssertEqual(c.merged().ids, expected[k].ids, "v\(version) \(range) sample \(k)") }
                    }
                    XCTAssertEqual(seen, Array(range))
                }
            }
        }
    }

    func testSpansAreMaximalRuns() {
        XCTAssertEqual(TokenColumns.spans(of: []), [])
        XCTAssertEqual(TokenColumns.spans(of: [0, 0]), [])
        XCTAssertEqual(TokenColumns.spans(of: [1, 1, 0, 1, 0, 0, 1]), [0, 2, 3, 4, 6, 7])
    }

    func testUnfinishedWriterLeavesNothing() throws {
        for version: UInt32 in [1, 2] {
            let w = try TokenShardWriter(path: dir + "/u.eptok", version: version)
            try w.append(samples()[0])
            withExtendedLifetime(w) { XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/u.eptok.partial")) }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    /// Each corruption of a version-1 shard is detected and named; none crashes.
    func testVersion1CorruptionsAreDetected() throws {
        let good = try FileIO.readAll(path: writeShard(version: 1))
        func check(_ name: String, _ mutate: (inout [UInt8]) -> Void, _ fragment: String, atSample k: Int? = nil) throws {
            var b = good
            mutate(&b)
            let p = dir + "/" + name
            try FileIO.writeAtomically(path: p, bytes: b)
            do {
                let r = try TokenShardReader(path: p)
                guard let k else { return XCTFail("\(name): opened a corrupt shard") }
                XCTAssertThrowsError(try r.sample(k), name) { XCTAssertTrue("\($0)".contains(fragment), "\(name): \($0)") }
            } catch {
                XCTAssertNil(k, "\(name): \(error)")
                XCTAssertTrue("\(error)".contains(fragment), "\(name): \(error)")
            }
        }
        try check("magic", { $0[0] = 0 }, "header.magic")
        try check("version", { $0[8] = 9 }, "unsupported version 9 (this build reads 1 and 2)")
        try check("truncated", { $0.removeLast(10) }, "footer.magic")
        try check("footer count", { b in b[b.count - 16] &+= 1 }, "do not end at the footer")
        // The last record's frame ends where the metadata starts (footer: metadata offset u64 at count − 40).
        try check("payload", { b in
            let metaOffset = (0..<8).reduce(0) { $0 | Int(b[b.count - 40 + $1]) << (8 * $1) }
            b[metaOffset - 5] ^= 0xFF
        }, "checksum mismatch", atSample: 49)
        try check("empty", { $0 = [] }, "file truncated")
    }
}

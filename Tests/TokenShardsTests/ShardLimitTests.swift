import EagleCore
import Foundation
import TokenShards
import XCTest

/// The version-1 container limits a hostile shard hits before anything is allocated for it (issue 10).
final class ShardLimitTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "eagleprep-shard-limits-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// A valid one-sample shard with the footer's u64 at `field` (0 metadata offset, 8 metadata length, 16 index
    /// offset, 24 record count) replaced.
    func shard(patching field: Int, with value: UInt64) throws -> (path: String, footer: Int) {
        let path = dir + "/s.eptok"
        let w = try TokenShardWriter(path: path, version: 1)
        try w.append(TokenSample(ids: [1, 2], lossMask: [0, 1], sourceFile: 0, sourceLine: 1, recordIndex: 0))
        try w.finish(metadata: .object(JSONObject()))
        var bytes = try FileIO.readAll(path: path)
        let footer = bytes.count - 40  // the 40-byte footer (docs/shard-format.md)
        for i in 0..<8 { bytes[footer + field + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        try FileIO.writeAtomically(path: path, bytes: bytes)
        return (path, footer)
    }

    func testMetadataSizeLimit() throws {
        let (path, footer) = try shard(patching: 8, with: (16 << 20) + 1)  // RecordContainer.maxMetadataBytes + 1
        XCTAssertThrowsError(try TokenShardReader(path: path)) {
            XCTAssertEqual("\($0)", "\(path): footer.metadata_length at byte \(footer + 8): value 16777217 exceeds the limit of 16777216")
        }
    }

    func testRecordCountBoundedByTheFile() throws {
        let (path, footer) = try shard(patching: 24, with: 1 << 40)
        XCTAssertThrowsError(try TokenShardReader(path: path)) {
            XCTAssertEqual("\($0)", "\(path): footer.record_count at byte \(footer + 24): value 1099511627776 exceeds the limit of \(footer / 24)")
        }
    }
}

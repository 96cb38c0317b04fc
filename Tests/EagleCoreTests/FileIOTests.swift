import EagleCore
import Foundation
import XCTest

final class FileIOTests: XCTestCase {
    var dir: String!

    override func setUp() {
        dir = NSTemporaryDirectory() + "eagleprep-fileio-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testAtomicWriteReplacesAndLeavesNoTemporaries() throws {
        let path = dir + "/out.bin"
        try FileIO.writeAtomically(path: path, bytes: [1, 2, 3])
        try FileIO.writeAtomically(path: path, bytes: [4, 5])
        XCTAssertEqual(try FileIO.readAll(path: path), [4, 5])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.bin"])
    }

    func testAtomicWriteIntoMissingDirectoryFailsNamingThePath() {
        XCTAssertThrowsError(try FileIO.writeAtomically(path: dir + "/missing/x", bytes: [1])) { error in
            XCTAssertTrue("\(error)".contains("/missing/x.tmp-"), "\(error)")
        }
    }

    func testLineReaderStreamsLinesWithNumbers() throws {
        let path = dir + "/lines.txt"
        // A line longer than the initial 1 MiB buffer exercises growth.
        let long = String(repeating: "x", count: (1 << 20) + 17)
        try FileIO.writeAtomically(path: path, bytes: Array("a\n\nb\r\n\(long)\nlast".utf8))
        let r = try LineReader(path: path)
        var lines: [String] = []
        var numbers: [Int] = []
        while let l = try r.nextLine() { lines.append(String(decoding: l, as: UTF8.self)); numbers.append(r.lineNumber) }
        XCTAssertEqual(lines, ["a", "", "b\r", long, "last"])
        XCTAssertEqual(numbers, [1, 2, 3, 4, 5])
    }

    func testLineReaderLimit() throws {
        let path = dir + "/long.txt"
        try FileIO.writeAtomically(path: path, bytes: Array("ok\n".utf8) + [UInt8](repeating: 0x61, count: 3 << 20))
        let r = try LineReader(path: path, maxLineBytes: 2 << 20)
        XCTAssertNotNil(try r.nextLine())
        XCTAssertThrowsError(try r.nextLine()) { XCTAssertTrue("\($0)".contains("line 2 is longer than"), "\($0)") }
    }

    func testMissingFileErrorNamesPath() {
        XCTAssertThrowsError(try MappedFile(path: dir + "/nope")) { XCTAssertTrue("\($0)".contains("/nope: open failed"), "\($0)") }
    }

    func testParallelMapKeepsOrderAndPropagatesErrors() throws {
        for threads in [1, 2, 7] {
            XCTAssertEqual(try parallelMap(count: 100, threads: threads) { $0 * $0 }, (0..<100).map { $0 * $0 })
        }
        struct Boom: Error {}
        XCTAssertThrowsError(try parallelMap(count: 50, threads: 2) { i -> Int in if i == 30 { throw Boom() }; return i })
    }
}

import XCTest
import ZstdCompression

final class ZstdTests: XCTestCase {
    func testRoundTripThroughLibzstd() throws {
        // Compressible and incompressible halves.
        var input = [UInt8](repeating: 0, count: 200_000)
        var x: UInt32 = 12345
        for i in 100_000..<input.count { x = x &* 1_103_515_245 &+ 12345; input[i] = UInt8(truncatingIfNeeded: x >> 16) }
        for i in 0..<100_000 { input[i] = UInt8(i % 7) }
        let c = try Zstd.compress(input, level: 3)
        XCTAssertLessThan(c.count, 110_000)
        XCTAssertEqual(Array(c.prefix(4)), [0x28, 0xB5, 0x2F, 0xFD])  // zstd frame magic
        XCTAssertEqual(try Zstd.decompress(c, maxSize: input.count), input)
    }

    func testDecompressionIsBounded() throws {
        let c = try Zstd.compress([UInt8](repeating: 7, count: 10_000))
        XCTAssertThrowsError(try Zstd.decompress(c, maxSize: 9_999)) { XCTAssertTrue("\($0)".contains("over the limit"), "\($0)") }
    }

    func testCorruptInputIsATypedError() throws {
        XCTAssertThrowsError(try Zstd.decompress([1, 2, 3, 4, 5, 6, 7, 8], maxSize: 100)) { XCTAssertTrue($0 is ZstdError) }
        var c = try Zstd.compress(Array("hello hello hello hello".utf8))
        c.removeLast(3)
        XCTAssertThrowsError(try Zstd.decompress(c, maxSize: 100)) { XCTAssertTrue($0 is ZstdError, "\($0)") }
    }
}

import EagleCore
import XCTest

final class CRC32Tests: XCTestCase {
    /// The CRC-32/IEEE check value of "123456789" is 0xCBF43926 (zlib's crc32, the catalogue's "check").
    func testCheckValueAndSlicingAgreesWithBytewise() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.checksum([]), 0)
        // Every length 0…40 (the 8-byte loop and the byte tail) against a plain bitwise CRC.
        let data = (0..<40).map { UInt8(truncatingIfNeeded: $0 &* 73 &+ 11) }
        for n in 0...40 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in data[0..<n] {
                c ^= UInt32(b)
                for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            }
            XCTAssertEqual(CRC32.checksum(Array(data[0..<n])), ~c, "length \(n)")
        }
    }
}

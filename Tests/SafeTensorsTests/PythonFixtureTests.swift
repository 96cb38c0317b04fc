import EagleCore
import Foundation
import SafeTensors
import XCTest

/// A file written by the Python `safetensors` library, embedded here (802 bytes, sha256 cf720cbf…eaefb).
/// Generator: `/work/pyref/bin/python pipelines/reference/vocab/safetensors_fixture.py` (safetensors 0.8.0, torch 2.13.0).
final class PythonFixtureTests: XCTestCase {
    static let fixtureBase64 = """
    sAIAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJwdCJ9LCJpNjQiOnsiZHR5cGUiOiJJNjQiLCJzaGFwZSI6WzRdLCJkYXRhX29mZnNl
    dHMiOlswLDMyXX0sImY2NCI6eyJkdHlwZSI6IkY2NCIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzMyLDQ4XX0sImYzMi5tYXRyaXgiOnsi
    ZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzIsM10sImRhdGFfb2Zmc2V0cyI6WzQ4LDcyXX0sImkzMi5zY2FsYXIiOnsiZHR5cGUiOiJJMzIiLCJzaGFw
    ZSI6W10sImRhdGFfb2Zmc2V0cyI6WzcyLDc2XX0sImJmMTYiOnsiZHR5cGUiOiJCRjE2Iiwic2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbNzYs
    ODJdfSwiZjE2Ijp7ImR0eXBlIjoiRjE2Iiwic2hhcGUiOls1XSwiZGF0YV9vZmZzZXRzIjpbODIsOTJdfSwiaTE2Ijp7ImR0eXBlIjoiSTE2Iiwi
    c2hhcGUiOlsyXSwiZGF0YV9vZmZzZXRzIjpbOTIsOTZdfSwiaTgiOnsiZHR5cGUiOiJJOCIsInNoYXBlIjpbM10sImRhdGFfb2Zmc2V0cyI6Wzk2
    LDk5XX0sInU4LmVtcHR5Ijp7ImR0eXBlIjoiVTgiLCJzaGFwZSI6WzIsMF0sImRhdGFfb2Zmc2V0cyI6Wzk5LDk5XX0sInU4LsO8Ijp7ImR0eXBl
    IjoiVTgiLCJzaGFwZSI6WzNdLCJkYXRhX29mZnNldHMiOls5OSwxMDJdfSwiYm9vbCI6eyJkdHlwZSI6IkJPT0wiLCJzaGFwZSI6WzRdLCJkYXRh
    X29mZnNldHMiOlsxMDIsMTA2XX19ICAgAAAAAAAAAID/////////fwAAAAAAAAAA//QBAAAAAABVVVVVVVXVP5x1AIg85Df+AADAPwAAEMBZ2QAz
    AAAAAAAAAIDK8klx+f///4A/ScAIAAA8ALj/ewEAAHwAgP9/gH8AAP8RAQABAQ==
    """

    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "eagleprep-st-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func fixtureBytes() throws -> [UInt8] {
        let text = Self.fixtureBase64.filter { !$0.isWhitespace }
        let data = try XCTUnwrap(Data(base64Encoded: text), "fixture is not valid base64")
        let bytes = [UInt8](data)
        XCTAssertEqual(SHA256.hexDigest(bytes), "cf720cbf27db95c956fdb35580cec16e261ba21293dfd57b4ec3fafce01eaefb")
        return bytes
    }

    func testReadsEveryDTypeWrittenByPython() throws {
        let path = dir + "/python.safetensors"
        try FileIO.writeAtomically(path: path, bytes: fixtureBytes())
        let f = try SafeTensorsFile(path: path)
        XCTAssertEqual(f.metadata, ["format": "pt"])
        XCTAssertEqual(f.names, ["i64", "f64", "f32.matrix", "i32.scalar", "bf16", "f16", "i16", "i8", "u8.empty", "u8.ü", "bool"])
        XCTAssertEqual(try f.int64s("i64"), [Int64.min, Int64.max, 0, 128_255])
        XCTAssertEqual(try f.floats("f32.matrix", shape: [2, 3]), [1.5, -2.25, 3e-8, 0, -0.0, 1e30])
        XCTAssertEqual(try f.floats("f32.matrix")[4].sign, .minus, "-0.0 keeps its sign")
        XCTAssertEqual(try f.floats("f64"), [Float(1.0 / 3.0), -.infinity], "F64 → Float rounds (−1e300 overflows to −inf)")
        XCTAssertEqual(try f.floats("f16"), [1, -0.5, 65504, 0x1p-24, .infinity])
        XCTAssertEqual(try f.floats("bf16"), [1, -3.140625, 0x1p-130])
        XCTAssertEqual(try f.int32s("i32.scalar", shape: []), [-7])
        XCTAssertEqual(try f.info("i16").shape, [2])
        XCTAssertEqual(try f.bytes("i16"), [0x00, 0x80, 0xFF, 0x7F])
        XCTAssertEqual(try f.bytes("i8"), [0x80, 0x7F, 0x00])
        XCTAssertEqual(try f.uint8s("u8.empty", shape: [2, 0]), [])
        XCTAssertEqual(try f.uint8s("u8.ü"), [0, 255, 17])
        XCTAssertEqual(try f.bools("bool"), [true, false, true, true])
        XCTAssertEqual(f.dataStart % 8, 0, "header padded to 8 bytes")
    }

    /// Given the tensors in the file's order and the same metadata, the writer reproduces Python's bytes exactly.
    func testWriterReproducesPythonBytes() throws {
        let original = try fixtureBytes()
        let path = dir + "/python.safetensors"
        try FileIO.writeAtomically(path: path, bytes: original)
        let f = try SafeTensorsFile(path: path)
        var w = SafeTensorsWriter(metadata: [("format", "pt")])
        for t in f.tensors { try w.add(t.name, dtype: t.dtype, shape: t.shape, bytes: f.bytes(t.name)) }
        XCTAssertEqual(w.serialized(), original)
    }
}

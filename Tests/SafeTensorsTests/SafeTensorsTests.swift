import EagleCore
import Foundation
import SafeTensors
import XCTest

final class SafeTensorsTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "eagleprep-st-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testRoundTripKeepsOrderMetadataAndValues() throws {
        var w = SafeTensorsWriter(metadata: [("b", "2"), ("a", "1 ü")])
        try w.add("d2t", int64s: [0, 0, 3, 7])
        try w.add("t2d", bools: [true, false, true])
        try w.add("w", float32s: [1, -2, 0.5, 4], shape: [2, 2])
        try w.add("ids", int32s: [-1, 128_255])
        try w.add("raw", uint8s: [])
        let path = dir + "/a.safetensors"
        try w.write(path: path)
        XCTAssertEqual(w.headerJSON, #"{"__metadata__":{"b":"2","a":"1 ü"},"d2t":{"dtype":"I64","shape":[4],"data_offsets":[0,32]},"t2d":{"dtype":"BOOL","shape":[3],"data_offsets":[32,35]},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[35,51]},"ids":{"dtype":"I32","shape":[2],"data_offsets":[51,59]},"raw":{"dtype":"U8","shape":[0],"data_offsets":[59,59]}}"#)
        let bytes = try FileIO.readAll(path: path)
        XCTAssertEqual((bytes.count - 59) % 8, 0, "header padded to a multiple of 8")
        let f = try SafeTensorsFile(path: path)
        XCTAssertEqual(f.names, ["d2t", "t2d", "w", "ids", "raw"])
        XCTAssertEqual(f.metadata, ["a": "1 ü", "b": "2"])
        XCTAssertEqual(try f.int64s("d2t", shape: [4]), [0, 0, 3, 7])
        XCTAssertEqual(try f.bools("t2d"), [true, false, true])
        XCTAssertEqual(try f.floats("w", shape: [2, 2]), [1, -2, 0.5, 4])
        XCTAssertEqual(try f.int32s("ids"), [-1, 128_255])
        XCTAssertEqual(try f.uint8s("raw"), [])
        XCTAssertEqual(try f.withBytes(of: "t2d") { Array($0) }, [1, 0, 1])
    }

    func testNoMetadataKeyWhenEmpty() throws {
        var w = SafeTensorsWriter()
        try w.add("x", uint8s: [1])
        XCTAssertEqual(w.headerJSON, #"{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#)
        XCTAssertEqual(Array(w.serialized().prefix(8)), [56, 0, 0, 0, 0, 0, 0, 0], "53 bytes of JSON padded to 56")
    }

    func testWriterRejectsBadTensors() throws {
        var w = SafeTensorsWriter()
        try w.add("x", uint8s: [1])
        let cases: [(String, (inout SafeTensorsWriter) throws -> Void, String)] = [
            ("duplicate", { try $0.add("x", uint8s: [2]) }, "tensor 'x': name: added twice"),
            ("reserved", { try $0.add("__metadata__", uint8s: [2]) }, "reserved"),
            ("size", { try $0.add("y", dtype: .i32, shape: [2], bytes: [0, 0, 0]) }, "tensor 'y': data: 3 bytes given but shape [2] of I32 needs 8"),
            ("negative", { try $0.add("z", dtype: .u8, shape: [-1], bytes: []) }, "negative dimension"),
        ]
        for (name, body, fragment) in cases {
            var copy = w
            XCTAssertThrowsError(try body(&copy), name) { e in
                XCTAssertTrue("\(e)".contains(fragment), "\(name): \(e)")
            }
        }
    }

    func testTypedAccessorsCheckDTypeShapeAndName() throws {
        var w = SafeTensorsWriter()
        try w.add("t2d", uint8s: [0, 2])
        let path = dir + "/b.safetensors"
        try w.write(path: path)
        let f = try SafeTensorsFile(path: path)
        let cases: [(String, () throws -> Void, String)] = [
            ("dtype", { _ = try f.int64s("t2d") }, "b.safetensors: tensor 't2d': dtype: is U8, expected I64"),
            ("shape", { _ = try f.uint8s("t2d", shape: [3]) }, "tensor 't2d': shape: is [2], expected [3]"),
            ("missing", { _ = try f.info("d2t") }, "tensor 'd2t': header: no such tensor (the file holds 1: t2d)"),
            ("float", { _ = try f.floats("t2d") }, "dtype: is U8, expected F32, F16, BF16 or F64"),
        ]
        for (name, body, fragment) in cases {
            XCTAssertThrowsError(try body(), name) { XCTAssertTrue("\($0)".contains(fragment), "\(name): \($0)") }
        }
        var wb = SafeTensorsWriter()
        try wb.add("t2d", dtype: .bool, shape: [2], bytes: [0, 2])
        try wb.write(path: path)
        XCTAssertThrowsError(try SafeTensorsFile(path: path).bools("t2d")) {
            XCTAssertTrue("\($0)".hasSuffix("tensor 't2d': data: element 1 is 2, expected 0 or 1"), "\($0)")
        }
    }

    /// One hand-made corrupt file per failure: each is rejected at open with the file, tensor and field named.
    func testCorruptHeadersAreRejectedWithTheirField() throws {
        func file(_ header: String, data: Int = 0, declared: UInt64? = nil) -> [UInt8] {
            var w = BinaryWriter()
            let h = Array(header.utf8)
            w.u64(declared ?? UInt64(h.count))
            w.raw(h)
            w.raw([UInt8](repeating: 0, count: data))
            return w.bytes
        }
        let u8 = #"{"dtype":"U8","shape":[2],"data_offsets":[0,2]}"#
        let cases: [(name: String, bytes: [UInt8], expected: String)] = [
            ("empty file", [], "header_size: file of 0 bytes is too short for the 8-byte header size"),
            ("short size", [1, 0, 0], "header_size: file of 3 bytes is too short"),
            ("huge header size", file("{}", declared: 100_000_001), "header_size: 100000001 exceeds the limit of 100000000 bytes"),
            ("header past EOF", file("{}", declared: 3), "header_size: 3 but only 2 bytes follow (file truncated?)"),
            ("size u64 max", file("{}", declared: .max), "header_size: 18446744073709551615 exceeds the limit"),
            ("not JSON", file("{\"a\":"), "header: invalid JSON: line 1, column 6"),
            ("not an object", file("[1]"), "header: is an array, expected an object"),
            ("invalid UTF-8", file("{\"\u{FF}\":1}").enumerated().map { $0.offset == 10 ? 0xFF : $0.element }, "header: invalid JSON"),
            ("entry not object", file(#"{"a":1}"#), "tensor 'a': header: entry is a number, expected an object"),
            ("missing dtype", file(#"{"a":{"shape":[2],"data_offsets":[0,2]}}"#, data: 2), "tensor 'a': dtype: missing"),
            ("unknown dtype", file(#"{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}"#, data: 2),
             "tensor 'a': dtype: unsupported type 'F8_E4M3'"),
            ("dtype not string", file(#"{"a":{"dtype":4,"shape":[2],"data_offsets":[0,2]}}"#, data: 2), "tensor 'a': dtype: is a number"),
            ("missing shape", file(#"{"a":{"dtype":"U8","data_offsets":[0,2]}}"#, data: 2), "tensor 'a': shape: missing"),
            ("negative dim", file(#"{"a":{"dtype":"U8","shape":[-2],"data_offsets":[0,2]}}"#, data: 2),
             "tensor 'a': shape: dimension 0 is -2, expected a non-negative integer"),
            ("float dim", file(#"{"a":{"dtype":"U8","shape":[2.0],"data_offsets":[0,2]}}"#, data: 2), "shape: dimension 0 is 2.0"),
            ("shape overflow", file(#"{"a":{"dtype":"I64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, data: 8),
             "tensor 'a': shape: [4294967296, 4294967296] × 8 bytes overflows"),
            ("missing offsets", file(#"{"a":{"dtype":"U8","shape":[2]}}"#, data: 2), "tensor 'a': data_offsets: missing"),
            ("three offsets", file(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2,4]}}"#, data: 2),
             "tensor 'a': data_offsets: is [0,2,4], expected [begin, end]"),
            ("negative offset", file(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[-2,0]}}"#, data: 2), "data_offsets: is [-2,0]"),
            ("reversed offsets", file(#"{"a":{"dtype":"U8","shape":[0],"data_offsets":[2,0]}}"#, data: 2),
             "tensor 'a': data_offsets: begin 2 is after end 0"),
            ("size mismatch", file(#"{"a":{"dtype":"I32","shape":[2],"data_offsets":[0,4]}}"#, data: 4),
             "tensor 'a': data_offsets: [0, 4] holds 4 bytes but shape [2] of I32 needs 8"),
            ("gap", file(#"{"a":\#(u8),"b":{"dtype":"U8","shape":[1],"data_offsets":[3,4]}}"#, data: 4),
             "tensor 'b': data_offsets: [3, 4] leaves a gap after the previous tensor, which ends at 2"),
            ("gap at start", file(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#, data: 3), "tensor 'a': data_offsets: [1, 3] leaves a gap"),
            ("overlap", file(#"{"a":\#(u8),"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#, data: 3),
             "tensor 'b': data_offsets: [1, 3] overlaps the previous tensor, which ends at 2"),
            ("trailing data", file(#"{"a":\#(u8)}"#, data: 3), "data_offsets: tensors cover 2 bytes but the data section holds 3 bytes"),
            ("short data", file(#"{"a":\#(u8)}"#, data: 1), "data_offsets: tensors cover 2 bytes but the data section holds 1 bytes"),
            ("duplicate dropping bytes", file(#"{"a":\#(u8),"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#, data: 4),
             "tensor 'a': data_offsets: [2, 4] leaves a gap"),
            ("metadata not object", file(#"{"__metadata__":[]}"#), "__metadata__: is an array, expected an object of strings"),
            ("metadata not string", file(#"{"__metadata__":{"a":1}}"#), "__metadata__: value of 'a' is a number, expected a string"),
            ("unknown field", file(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2],"offsets":[0,2]}}"#, data: 2),
             "tensor 'a': offsets: unknown field"),
            ("deep nesting", file(#"{"__metadata__":{"a":[[[[[[[[[[1]]]]]]]]]]}}"#), "header: invalid JSON"),
        ]
        for c in cases {
            let path = dir + "/" + c.name.replacingOccurrences(of: " ", with: "_") + ".safetensors"
            try FileIO.writeAtomically(path: path, bytes: c.bytes)
            XCTAssertThrowsError(try SafeTensorsFile(path: path), c.name) { error in
                guard let e = error as? SafeTensorsError else { return XCTFail("\(c.name): \(error)") }
                XCTAssertEqual(e.path, path, c.name)
                XCTAssertTrue(e.description.contains(c.expected), "\(c.name): got \(e.description)")
            }
        }
    }

    func testValidEdgeCasesOpen() throws {
        func open(_ header: String, data: [UInt8]) throws -> SafeTensorsFile {
            var w = BinaryWriter()
            w.u64(UInt64(header.utf8.count))
            w.raw(Array(header.utf8))
            w.raw(data)
            let path = dir + "/ok.safetensors"
            try FileIO.writeAtomically(path: path, bytes: w.bytes)
            return try SafeTensorsFile(path: path)
        }
        XCTAssertEqual(try open("{}", data: []).tensors.count, 0, "no tensors")
        XCTAssertEqual(try open(" {}   ", data: []).tensors.count, 0, "whitespace around the header (padding)")
        let unordered = try open(#"{"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#,
                                 data: [1, 2, 3])
        XCTAssertEqual(unordered.names, ["a", "b"], "header order need not be offset order")
        XCTAssertEqual(try unordered.uint8s("b"), [3])
        XCTAssertThrowsError(try SafeTensorsFile(path: dir + "/missing.safetensors")) {
            XCTAssertTrue("\($0)".contains("missing.safetensors: file: open failed"), "\($0)")
        }
    }
}

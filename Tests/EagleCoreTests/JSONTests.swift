import EagleCore
import XCTest

final class JSONTests: XCTestCase {
    func testParsesValuesAndKeepsKeyOrder() throws {
        let v = try JSONParser.parse(#"{"z": 1, "a": [true, null, -2.5e1, "x\u00e9\n"], "m": {"k": 0}}"#)
        XCTAssertEqual(v.objectValue?.keys, ["z", "a", "m"])
        XCTAssertEqual(v["z"], .int(1))
        XCTAssertEqual(v["a"], .array([.bool(true), .null, .double(-25), .string("xé\n")]))
        XCTAssertEqual(v["m"]?["k"], .int(0))
    }

    func testSurrogatePairsAndLoneSurrogates() throws {
        XCTAssertEqual(try JSONParser.parse(#""\ud83d\ude00""#), .string("😀"))
        XCTAssertEqual(try JSONParser.parse(#""\ud83d x""#), .string("\u{FFFD} x"))
    }

    func testErrorsNameLineAndColumn() {
        let cases: [(String, Int, Int, String)] = [
            ("{\n  \"a\": tru\n}", 2, 8, "invalid literal"),
            ("[1, 2,]", 1, 7, "unexpected character ']'"),
            ("{\"a\" 1}", 1, 6, "expected ':'"),
            ("\"abc", 1, 5, "unterminated string"),
            ("[01]", 1, 3, "expected ',' or ']'"),
            ("{} x", 1, 4, "unexpected content"),
        ]
        for (text, line, column, fragment) in cases {
            XCTAssertThrowsError(try JSONParser.parse(text), text) { error in
                guard let e = error as? JSONParseError else { return XCTFail("wrong error type \(error)") }
                XCTAssertEqual(e.line, line, text)
                XCTAssertEqual(e.column, column, text)
                XCTAssertTrue(e.message.contains(fragment), "\(text): \(e.message)")
            }
        }
    }

    func testDepthLimit() {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        XCTAssertThrowsError(try JSONParser.parse(deep)) { error in
            XCTAssertTrue((error as? JSONParseError)?.message.contains("nesting deeper than 256") == true)
        }
        XCTAssertNoThrow(try JSONParser.parse(deep, limits: JSONLimits(maxDepth: 300)))
    }

    func testDocumentSizeLimit() {
        XCTAssertThrowsError(try JSONParser.parse("[1, 2, 3]", limits: JSONLimits(maxBytes: 8))) { error in
            XCTAssertEqual("\(error)", "line 1, column 1: document of 9 bytes exceeds the limit of 8 bytes")
        }
        XCTAssertEqual(try JSONParser.parse("[1, 2, 3]", limits: JSONLimits(maxBytes: 9)), .array([.int(1), .int(2), .int(3)]))
    }

    /// An array ending in a lone backslash inside a string: the scanner stepped past the end of the buffer and read
    /// the byte after it (issue 10). The byte after the scanned range is a newline here, so the old read showed up
    /// as a wrong column.
    func testArrayScannerStopsAtABackslashAtTheEnd() {
        let bytes: [UInt8] = [0x5B, 0x22, 0x5C, 0x0A]  // `["\` and, past the scanned range, a newline
        bytes.withUnsafeBufferPointer { all in
            var it = JSONArrayScanner(bytes: UnsafeBufferPointer(rebasing: all[0..<3])).makeIterator()
            XCTAssertNil(it.next())
            XCTAssertEqual(it.error?.description, "line 1, column 4: unexpected end of input in the top-level array")
        }
    }

    func testInvalidUTF8IsRejected() {
        XCTAssertThrowsError(try JSONParser.parse(bytes: [0x22, 0xC3, 0x28, 0x22]))
    }

    func testWriterEscapesAndRoundTrips() throws {
        let v = JSONValue.object(JSONObject([("t", .string("a\"b\\c\n\u{1}é😀")), ("n", .array([.int(-3), .bool(false), .null]))]))
        let s = JSONWriter.string(v)
        XCTAssertEqual(s, #"{"t":"a\"b\\c\n\u0001é😀","n":[-3,false,null]}"#)
        XCTAssertEqual(try JSONParser.parse(s), v)
    }
}

import EagleCore
import Foundation
import GGUF
import TestSupport
import XCTest

/// Builds GGUF bytes by hand, following the spec, so each field can be corrupted on purpose.
struct GGUFBuilder {
    var bytes: [UInt8] = []
    mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
    mutating func header(version: UInt32 = 3, tensors: UInt64, kvs: UInt64) { bytes += Array("GGUF".utf8); u32(version); u64(tensors); u64(kvs) }
    mutating func kvString(_ k: String, _ v: String) { string(k); u32(8); string(v) }
    mutating func kvU32(_ k: String, _ v: UInt32) { string(k); u32(4); u32(v) }
    mutating func kvStringArray(_ k: String, _ vs: [String]) { string(k); u32(9); u32(8); u64(UInt64(vs.count)); vs.forEach { string($0) } }
    mutating func tensor(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64) {
        string(name); u32(UInt32(dims.count)); dims.forEach { u64($0) }; u32(type); u64(offset)
    }
    mutating func pad(to alignment: Int) { while bytes.count % alignment != 0 { bytes.append(0) } }
}

final class GGUFReaderTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "eagleprep-gguf-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func write(_ b: [UInt8], _ name: String = "t.gguf") throws -> String {
        let p = dir + "/" + name
        try FileIO.writeAtomically(path: p, bytes: b)
        return p
    }

    func validFile() -> GGUFBuilder {
        var b = GGUFBuilder()
        b.header(tensors: 2, kvs: 3)
        b.kvString("general.architecture", "llama")
        b.kvU32("llama.block_count", 2)
        b.kvStringArray("tokenizer.ggml.tokens", ["a", "b", "é"])
        b.tensor("w", dims: [4, 2], type: 0, offset: 0)      // 8 f32 = 32 bytes
        b.tensor("q", dims: [32], type: 8, offset: 32)       // one q8_0 block = 34 bytes
        b.pad(to: 32)
        for i in 0..<8 { b.bytes += withUnsafeBytes(of: Float(i).bitPattern.littleEndian, Array.init) }
        b.bytes += [UInt8](repeating: 1, count: 34)
        return b
    }

    func testReadsMetadataAndTensors() throws {
        let f = try GGUFFile.open(path: write(validFile().bytes))
        XCTAssertEqual(f.version, 3)
        XCTAssertEqual(try f.string("general.architecture"), "llama")
        XCTAssertEqual(try f.integer("llama.block_count"), 2)
        XCTAssertEqual(try f.stringArray("tokenizer.ggml.tokens"), ["a", "b", "é"])
        XCTAssertEqual(f.metadataKeys, ["general.architecture", "llama.block_count", "tokenizer.ggml.tokens"])
        XCTAssertEqual(f.tensors.map(\.name), ["w", "q"])
        XCTAssertEqual(f.tensors[0].byteCount, 32)
        XCTAssertEqual(f.tensors[1].byteCount, 34)
        let w = f.data(of: f.tensors[0])
        XCTAssertEqual((0..<8).map { i in Float(bitPattern: w.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) },
                       (0..<8).map(Float.init))
        XCTAssertThrowsError(try f.integer("general.architecture")) {
            XCTAssertEqual("\($0)".hasSuffix("metadata general.architecture: expected integer, found string"), true, "\($0)")
        }
    }

    /// One hand-made corrupt file per failure, each error naming the field.
    func testCorruptFilesGiveErrorsNamingTheField() throws {
        let good = validFile().bytes
        var badMagic = good; badMagic[0] = 0x58
        var badVersion = good; badVersion[4] = 9
        var hugeCount = GGUFBuilder(); hugeCount.header(tensors: 0, kvs: 1); hugeCount.string("k"); hugeCount.u32(9); hugeCount.u32(4); hugeCount.u64(1 << 40)
        var hugeString = GGUFBuilder(); hugeString.header(tensors: 0, kvs: 1); hugeString.u64(1 << 50)
        var badType = GGUFBuilder(); badType.header(tensors: 0, kvs: 1); badType.string("k"); badType.u32(99)
        var pastEnd = GGUFBuilder(); pastEnd.header(tensors: 1, kvs: 0); pastEnd.tensor("w", dims: [1000], type: 0, offset: 0); pastEnd.pad(to: 32)
        var overflow = GGUFBuilder(); overflow.header(tensors: 1, kvs: 0); overflow.tensor("w", dims: [1 << 31 - 1, 1 << 31 - 1, 1 << 31 - 1], type: 0, offset: 0)
        var badBlock = GGUFBuilder(); badBlock.header(tensors: 1, kvs: 0); badBlock.tensor("q", dims: [33], type: 8, offset: 0)
        var badBool = GGUFBuilder(); badBool.header(tensors: 0, kvs: 1); badBool.string("b"); badBool.u32(7); badBool.bytes.append(5)
        let cases: [(String, [UInt8], String)] = [
            ("magic", badMagic, "magic at byte 0: expected \"GGUF\""),
            ("version", badVersion, "unsupported GGUF version 9"),
            ("truncated", Array(good.prefix(40)), "file truncated"),
            ("array count", hugeCount.bytes, "metadata[k].count"),
            ("string length", hugeString.bytes, "metadata[0].key.length at byte 24: value 1125899906842624 exceeds the limit of 67108864"),
            ("value type", badType.bytes, "unknown metadata value type 99"),
            ("tensor past end", pastEnd.bytes, "extends past the data section"),
            ("size overflow", overflow.bytes, "overflows"),
            ("block multiple", badBlock.bytes, "not a multiple of the block size 32"),
            ("bool", badBool.bytes, "bool must be 0 or 1"),
        ]
        for (name, bytes, fragment) in cases {
            XCTAssertThrowsError(try GGUFFile.open(path: write(bytes, name + ".gguf")), name) { error in
                XCTAssertTrue(error is BinaryFormatError, "\(name): \(type(of: error))")
                XCTAssertTrue("\(error)".contains(fragment), "\(name): \(error)")
                XCTAssertTrue("\(error)".contains(name + ".gguf"), "\(name): error should name the file: \(error)")
            }
        }
    }

    /// Each limit of `GGUFLimits`, hit with a small limit or a tiny file, and its error text.
    func testLimitsGiveErrorsNamingTheLimit() throws {
        var limits = GGUFLimits()
        limits.maxTensors = 2
        limits.maxMetadataEntries = 1
        limits.maxArrayElements = 3
        limits.maxStringBytes = 4
        var manyTensors = GGUFBuilder(); manyTensors.header(tensors: 3, kvs: 0)
        var manyEntries = GGUFBuilder(); manyEntries.header(tensors: 0, kvs: 2)
        var longArray = GGUFBuilder(); longArray.header(tensors: 0, kvs: 1); longArray.kvStringArray("a", ["1", "2", "3", "4"])
        var longString = GGUFBuilder(); longString.header(tensors: 0, kvs: 1); longString.kvString("k", "12345")
        var nested = GGUFBuilder(); nested.header(tensors: 0, kvs: 1); nested.string("n"); nested.u32(9)
        for _ in 0..<4 { nested.u32(9); nested.u64(1) }
        nested.u32(4); nested.u64(1); nested.u32(7)
        let cases: [(String, [UInt8], String)] = [
            ("tensors", manyTensors.bytes, "tensors.gguf: tensor_count at byte 8: value 3 exceeds the limit of 2"),
            ("entries", manyEntries.bytes, "entries.gguf: metadata_kv_count at byte 16: value 2 exceeds the limit of 1"),
            ("array", longArray.bytes, "array.gguf: metadata[a].count at byte 41: value 4 exceeds the limit of 3"),
            ("string", longString.bytes, "string.gguf: metadata[k].length at byte 37: value 5 exceeds the limit of 4"),
            ("nested", nested.bytes, "nested.gguf: metadata[n][0][0][0][0] at byte 85: arrays nested deeper than 4"),
        ]
        for (name, bytes, expected) in cases {
            XCTAssertThrowsError(try GGUFFile.open(path: write(bytes, name + ".gguf"), limits: limits), name) { error in
                XCTAssertEqual("\(error)".replacingOccurrences(of: dir + "/", with: ""), expected, name)
            }
        }
    }

    /// A 24-byte file declaring a million tensors (within `maxTensors`) is refused before anything is reserved
    /// for them (issue 10: it reserved ~60 MB for such a file before reading further).
    func testCountsBeyondTheFileAreRefusedUpFront() throws {
        var b = GGUFBuilder(); b.header(tensors: 1 << 20, kvs: 0)
        XCTAssertThrowsError(try GGUFFile.open(path: write(b.bytes, "counts.gguf"))) { error in
            XCTAssertEqual("\(error)".replacingOccurrences(of: dir + "/", with: ""),
                           "counts.gguf: tensor_count at byte 8: 1048576 tensors cannot fit in the 0 bytes that follow the metadata (file truncated?)")
        }
    }

    func testRealSmolLM2Header() throws {
        let f = try GGUFFile.open(path: TestSupport.smolLM2GGUF())
        XCTAssertEqual(try f.string("general.architecture"), "llama")
        XCTAssertEqual(try f.integer("llama.block_count"), 30)
        XCTAssertEqual(try f.integer("llama.embedding_length"), 576)
        XCTAssertEqual(try f.string("tokenizer.ggml.pre"), "smollm")
        XCTAssertEqual(try f.stringArray("tokenizer.ggml.tokens")?.count, 49152)
        // shared/data/README.md: 210 Q4_1, 61 F32 and 1 Q8_0 tensor (the embedding).
        XCTAssertEqual(f.tensors.count, 272)
        XCTAssertEqual(f.tensors.filter { $0.type == .q4_1 }.count, 210)
        XCTAssertEqual(f.tensors.filter { $0.type == .f32 }.count, 61)
        XCTAssertEqual(f.tensors.filter { $0.type == .q8_0 }.map(\.name), ["token_embd.weight"])
    }
}

import EagleCore
import Foundation
import Shards
import XCTest

final class DumpShardTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "eagleprep-dump-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    struct RNG { var s: UInt64; mutating func next() -> Float { s = s &* 6364136223846793005 &+ 1442695040888963407; return Float(Int64(bitPattern: s) >> 40) / Float(1 << 23) } }

    /// Values representable in `dtype`, so the round trip must be bit-exact.
    func representable(_ n: Int, _ dtype: StorageDType, seed: UInt64) -> [Float] {
        var r = RNG(s: seed)
        return (0..<n).map { _ in
            let x = r.next() * 3
            switch dtype {
            case .f32: return x
            case .bf16: return HalfPrecision.float(bf16: HalfPrecision.bf16(x))
            case .f16: return HalfPrecision.float(f16: HalfPrecision.f16(x))
            }
        }
    }

    func samples(_ layout: DumpLayout) -> [DumpSample] {
        (0..<12).map { k in
            let L = k == 3 ? 1 : 5 + k * 7
            let mask = (0..<L).map { UInt8(($0 * 3 + k) % 4 == 0 ? 0 : 1) }
            let aux = representable(L * layout.auxWidth, layout.auxDType, seed: UInt64(k + 1))
            let signal: DumpSample.Signal
            switch layout.signal {
            case .logits:
                var draft = representable(L * layout.draftVocabSize, .f32, seed: UInt64(100 + k))
                let used = Set(DumpSample.usedLogitRows(mask))
                for u in 0..<L where !used.contains(u) {
                    for j in 0..<layout.draftVocabSize { draft[u * layout.draftVocabSize + j] = 0 }
                }
                signal = .logits(draft: draft, argmax: (0..<L).map { Int32(($0 * 31 + k) % 50_000) })
            case .hidden:
                signal = .hidden(representable(L * layout.hiddenSize, layout.hiddenDType, seed: UInt64(200 + k)))
            }
            return DumpSample(ids: (0..<L).map { Int32(($0 * 7 + k) % 49_152) }, lossMask: mask, auxHidden: aux, signal: signal,
                              sourceFile: UInt32(k % 2), sourceLine: UInt64(k + 1))
        }
    }

    func write(_ layout: DumpLayout, _ name: String = "d.epdump") throws -> String {
        let path = dir + "/" + name
        let w = try DumpShardWriter(path: path, layout: layout)
        for s in samples(layout) { try w.append(s) }
        try w.finish(metadata: JSONObject([("target.architecture", .string("LlamaForCausalLM"))]))
        return path
    }

    func testRoundTripIsBitExactForEveryDTypeAndSignal() throws {
        for dtype in StorageDType.allCases {
            for signal in TargetSignalKind.allCases {
                let layout = DumpLayout(hiddenSize: 8, auxLayers: 3, auxDType: dtype, signal: signal, draftVocabSize: 6, hiddenDType: dtype)
                let r = try DumpShardReader(path: write(layout, "\(dtype)-\(signal).epdump"))
                XCTAssertEqual(r.layout, layout)
                XCTAssertEqual(r.metadata["target.architecture"], .string("LlamaForCausalLM"))
                let expected = samples(layout)
                XCTAssertEqual(r.count, expected.count)
                for k in [11, 0, 3, 6] {
                    let got = try r.sample(k)
                    XCTAssertEqual(got, expected[k], "\(dtype) \(signal) sample \(k)")
                    // Bit-exact, not just ==: compare bit patterns (== would accept -0 vs +0).
                    XCTAssertEqual(got.auxHidden.map(\.bitPattern), expected[k].auxHidden.map(\.bitPattern))
                }
            }
        }
    }

    func testConversionsRoundToNearestEven() {
        // 1 + 2^-8 is exactly halfway between two bf16 values: ties to even (1.0); 1 + 3·2^-9 rounds up.
        XCTAssertEqual(HalfPrecision.float(bf16: HalfPrecision.bf16(1 + 1.0 / 256)), 1)
        XCTAssertEqual(HalfPrecision.float(bf16: HalfPrecision.bf16(1 + 3.0 / 512)), 1 + 1.0 / 128)
        XCTAssertEqual(HalfPrecision.bf16(-2.5), 0xC020)
        XCTAssertTrue(HalfPrecision.float(bf16: HalfPrecision.bf16(.nan)).isNaN)
        XCTAssertEqual(HalfPrecision.f16(65520), 0x7C00)  // overflows to +inf
        XCTAssertEqual(HalfPrecision.float(f16: 0x3C01), 1 + 1.0 / 1024)
    }

    func testShuffleRoundTrip() {
        let bytes: [UInt8] = (0..<24).map { UInt8($0) }
        var planes: [UInt8] = []
        bytes.withUnsafeBytes { ByteShuffle.shuffle($0, width: 4, into: &planes) }
        XCTAssertEqual(Array(planes.prefix(6)), [0, 4, 8, 12, 16, 20])
        XCTAssertEqual(planes.withUnsafeBytes { ByteShuffle.unshuffle($0, width: 4) }, bytes)
    }

    /// A catalogue of corrupt files: each gives its specific error, none crashes.
    func testCorruptFilesGiveSpecificErrors() throws {
        let layout = DumpLayout(hiddenSize: 8, signal: .logits, draftVocabSize: 6)
        let good = try FileIO.readAll(path: write(layout))
        func u64(_ b: [UInt8], _ at: Int) -> Int { (0..<8).reduce(0) { $0 | Int(b[at + $1]) << (8 * $1) } }
        let metaOffset = u64(good, good.count - 40), indexOffset = u64(good, good.count - 24)
        var cases: [(String, (inout [UInt8]) -> Void, String, Int?)] = [
            ("magic", { $0[1] ^= 1 }, "header.magic", nil),
            ("version", { $0[8] = 7 }, "unsupported version 7", nil),
            ("footer magic", { b in b[b.count - 1] ^= 1 }, "footer.magic", nil),
            ("huge count", { b in for i in 0..<8 { b[b.count - 16 + i] = 0xFF } }, "footer.record_count", nil),
            ("index offset", { b in b[b.count - 24] &+= 8 }, "do not end at the footer", nil),
            ("index entry", { b in b[indexOffset] &+= 1 }, "records must be contiguous", nil),
            ("raw size bound", { b in b[indexOffset + 15] = 0x7F }, "index[0].raw_size", nil),
            ("raw size", { b in b[indexOffset + 12] &+= 200 }, "record[0] at byte 16", 0),
            ("metadata", { b in b[metaOffset] = UInt8(ascii: "x") }, "metadata", nil),
            ("frame", { b in b[20] ^= 0x55 }, "checksum mismatch", 0),
        ]
        for cut in [1, 17, 39, 40, good.count / 2, good.count - 1] {
            cases.append(("truncated \(cut)", { b in b.removeLast(cut) }, "truncated", nil))
        }
        for (name, mutate, fragment, sample) in cases {
            var b = good
            mutate(&b)
            let p = dir + "/bad.epdump"
            try FileIO.writeAtomically(path: p, bytes: b)
            do {
                let r = try DumpShardReader(path: p)
                guard let k = sample else { XCTFail("\(name): opened"); continue }
                XCTAssertThrowsError(try r.sample(k), name) { XCTAssertTrue("\($0)".contains(fragment), "\(name): \($0)") }
            } catch {
                XCTAssertNil(sample, "\(name): \(error)")
                XCTAssertTrue(error is BinaryFormatError || error is FileError, "\(name): \(type(of: error))")
                XCTAssertTrue("\(error)".contains(fragment), "\(name): \(error)")
            }
        }
    }
}

import Foundation
import Synchronization
import TestSupport
import Tokenization
import XCTest

/// Long pieces (thousands of bytes in one pre-token: runs of one letter, spaces, tabs, digits, emoji, random
/// letters) go through the heap-based merge, not the linear one; they must still equal HF, and stay fast.
/// Also: `Tokenizer` is used from many threads at once.
final class LongPieceAndConcurrencyTests: XCTestCase {
    static func lcgLetters(_ n: Int, seed: UInt64 = 7) -> String {
        var x = seed
        var s = ""
        for _ in 0 ..< n {
            x = (x &* 1103515245 &+ 12345) % (1 << 31)
            s.unicodeScalars.append(Unicode.Scalar(UInt8(97 + (x >> 16) % 26)))
        }
        return s
    }

    static let texts: [String: String] = [
        "aaaa": String(repeating: "a", count: 3000), "spaces": String(repeating: " ", count: 5000),
        "abab": String(repeating: "ab", count: 1500), "letters": lcgLetters(2000),
        "emoji": String(repeating: "\u{1F642}", count: 500), "tabs": "x" + String(repeating: "\t", count: 300) + "y",
        "ones": String(repeating: "1", count: 1000), "hello": String(repeating: "Hello", count: 400),
    ]

    static func fnv(_ ids: [Int32]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for id in ids {
            for k in 0 ..< 4 {
                h ^= UInt64(UInt32(bitPattern: id) >> (8 * UInt32(k)) & 0xFF)
                h = h &* 0x100_0000_01b3
            }
        }
        return h
    }

    func testLongPiecesMatchHF() throws {
        for (path, cases) in LongPieceCases.expected.sorted(by: { $0.key < $1.key }) {
            let tokenizer = try Fixtures.tokenizer(path)
            for (key, want) in cases.sorted(by: { $0.key < $1.key }) {
                let text = Self.texts[key]!
                let ids = tokenizer.encode(text)
                let summary = "\(path) \(key): \(ids.count) ids, head \(Array(ids.prefix(6))), tail \(Array(ids.suffix(6))); HF \(want.count) ids, head \(want.head), tail \(want.tail)"
                XCTAssertEqual(ids.count, want.count, summary)
                XCTAssertEqual(Self.fnv(ids), want.fnv, summary)
                XCTAssertEqual(Array(ids.prefix(6)), want.head, summary)
                XCTAssertEqual(Array(ids.suffix(6)), want.tail, summary)
                XCTAssertTrue(sameBytes(try tokenizer.decode(ids), text), "\(path) \(key) round trip")
            }
        }
    }

    func testConcurrentEncodingEqualsSerial() throws {
        let tokenizer = try Fixtures.tokenizer("tokenizers/llama-3.2")
        let texts = try Fixtures.goldens("llama-3.2").map(\.text)
        let serial = texts.map { tokenizer.encode($0) }
        let results = Mutex<[[Int32]?]>(Array(repeating: nil, count: texts.count))
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            let encoder = worker % 2 == 0 ? tokenizer.makeEncoder() : nil
            for i in stride(from: worker, to: texts.count, by: 8) {
                let ids = encoder?.encode(texts[i], addSpecialTokens: false) ?? tokenizer.encode(texts[i])
                results.withLock { $0[i] = ids }
            }
        }
        let parallel = results.withLock { $0 }
        for i in texts.indices where parallel[i] != serial[i] {
            _ = assertSameIds(parallel[i] ?? [], serial[i], text: texts[i], "parallel vs serial")
        }
    }
}

/// Expected values from HF tokenizers 0.23.3 (`encode(text, add_special_tokens=False).ids` on the shared
/// tokenizer.json), summarised as count, FNV-1a-64 over the ids as little-endian UInt32, first and last six.
enum LongPieceCases {
    static let expected: [String: [String: (count: Int, fnv: UInt64, head: [Int32], tail: [Int32])]] = [
        "tokenizers/gpt2": [
            "aaaa": (750, 10340486419360564421, [24794, 24794, 24794, 24794, 24794, 24794], [24794, 24794, 24794, 24794, 24794, 24794]),
            "spaces": (5000, 17928923940495373605, [220, 220, 220, 220, 220, 220], [220, 220, 220, 220, 220, 220]),
            "abab": (1500, 11484869984578188669, [397, 397, 397, 397, 397, 397], [397, 397, 397, 397, 397, 397]),
            "letters": (1186, 9664381459750728959, [1326, 330, 2704, 6359, 67, 400], [70, 87, 80, 41345, 707, 316]),
            "emoji": (1000, 4892584830650429365, [8582, 25081, 8582, 25081, 8582, 25081], [8582, 25081, 8582, 25081, 8582, 25081]),
            "tabs": (302, 10296837720209183946, [87, 197, 197, 197, 197, 197], [197, 197, 197, 197, 197, 88]),
            "ones": (250, 7995391011599609449, [26259, 26259, 26259, 26259, 26259, 26259], [26259, 26259, 26259, 26259, 26259, 26259]),
            "hello": (400, 13310758284795485093, [15496, 15496, 15496, 15496, 15496, 15496], [15496, 15496, 15496, 15496, 15496, 15496]),
        ],
        "tokenizers/llama-3.2": [
            "aaaa": (375, 13210560366028055025, [70540, 70540, 70540, 70540, 70540, 70540], [70540, 70540, 70540, 70540, 70540, 70540]),
            "spaces": (40, 1152847300273978625, [58040, 58040, 58040, 58040, 58040, 58040], [58040, 58040, 58040, 58040, 5351, 38244]),
            "abab": (1500, 15565012947892005725, [370, 370, 370, 370, 370, 370], [370, 370, 370, 370, 370, 370]),
            "letters": (1089, 17131418849717506425, [2727, 582, 1517, 4942, 67, 339], [1065, 61057, 80, 2026, 675, 295]),
            "emoji": (1000, 14998493340878362725, [9468, 19044, 9468, 19044, 9468, 19044], [9468, 19044, 9468, 19044, 9468, 19044]),
            "tabs": (21, 8138597232047103043, [87, 28019, 28019, 28019, 28019, 28019], [28019, 28019, 28019, 28019, 10389, 14862]),
            "ones": (334, 14758008714417417369, [5037, 5037, 5037, 5037, 5037, 5037], [5037, 5037, 5037, 5037, 5037, 16]),
            "hello": (400, 1828481219197643685, [9906, 9906, 9906, 9906, 9906, 9906], [9906, 9906, 9906, 9906, 9906, 9906]),
        ],
        "tokenizers/qwen3": [
            "aaaa": (375, 12341327981419469529, [69440, 69440, 69440, 69440, 69440, 69440], [69440, 69440, 69440, 69440, 69440, 69440]),
            "spaces": (40, 9989381211723322076, [56940, 56940, 56940, 56940, 56940, 56940], [56940, 56940, 56940, 56940, 5238, 37144]),
            "abab": (1500, 15565012947892005725, [370, 370, 370, 370, 370, 370], [370, 370, 370, 370, 370, 370]),
            "letters": (1095, 911375304914431322, [2660, 580, 1489, 4837, 67, 339], [1047, 59957, 80, 1984, 672, 295]),
            "emoji": (500, 16417376021257378373, [145080, 145080, 145080, 145080, 145080, 145080], [145080, 145080, 145080, 145080, 145080, 145080]),
            "tabs": (21, 16756974605684451170, [87, 26921, 26921, 26921, 26921, 26921], [26921, 26921, 26921, 26921, 10179, 14522]),
            "ones": (1000, 11681190787837173285, [16, 16, 16, 16, 16, 16], [16, 16, 16, 16, 16, 16]),
            "hello": (400, 11649151424560280357, [9707, 9707, 9707, 9707, 9707, 9707], [9707, 9707, 9707, 9707, 9707, 9707]),
        ],
        "tokenizers/llama-2": [
            "aaaa": (752, 446483121005628412, [263, 27137, 27137, 27137, 27137, 27137], [27137, 27137, 27137, 27137, 7340, 29874]),
            "spaces": (313, 673895360573558798, [462, 462, 462, 462, 462, 462], [462, 462, 462, 462, 462, 3986]),
            "abab": (1500, 12437955602069558631, [633, 370, 370, 370, 370, 370], [370, 370, 370, 370, 370, 370]),
            "letters": (1198, 224099311907547726, [592, 562, 1579, 2395, 29881, 386], [29887, 29916, 29939, 11007, 1450, 300]),
            "emoji": (2001, 5896920026983637742, [29871, 243, 162, 156, 133, 243], [156, 133, 243, 162, 156, 133]),
            "tabs": (302, 6864998809310274426, [921, 12, 12, 12, 12, 12], [12, 12, 12, 12, 12, 29891]),
            "ones": (1001, 5500446483503056174, [29871, 29896, 29896, 29896, 29896, 29896], [29896, 29896, 29896, 29896, 29896, 29896]),
            "hello": (400, 3427009493720140932, [15043, 10994, 10994, 10994, 10994, 10994], [10994, 10994, 10994, 10994, 10994, 10994]),
        ],
    ]
}

import Foundation
import TestSupport
import Tokenization
import XCTest

/// Added-token flags (`lstrip`, `rstrip`, `single_word`, `normalized`, `special`) and leftmost-longest matching,
/// on a tiny byte-level tokenizer whose normalizer maps `X` to `y` (so `normalized` matters).
final class AddedTokenTests: XCTestCase {
    func testFlagsMatchHF() throws {
        let tokenizer = try Tokenizer(json: Array(TinyTokenizers.addedTokenJSON.utf8), source: "added-tokens test")
        for (text, ids, decoded, decodedSkippingSpecial) in AddedTokenCases.cases {
            _ = assertSameIds(tokenizer.encode(text), ids, text: text, "ids")
            let got = try tokenizer.decode(ids)
            XCTAssertTrue(sameBytes(got, decoded),
                          "decode of \(text.debugDescription): \(got.debugDescription), HF \(decoded.debugDescription)")
            XCTAssertTrue(sameBytes(try tokenizer.decode(ids, skipSpecialTokens: true), decodedSkippingSpecial),
                          "decode (skip special) of \(text.debugDescription)")
        }
        XCTAssertEqual(tokenizer.specialTokenIds, [260, 261, 262, 266, 267, 270])
        XCTAssertEqual(tokenizer.token(of: 264), "[y]", "normalized added tokens are spelled in normalized form (HF)")
        XCTAssertEqual(tokenizer.id(of: "[X]"), 264)
        XCTAssertEqual(tokenizer.vocabularySize, 271)
    }

    func testDecodeRejectsUnknownIds() throws {
        let tokenizer = try Tokenizer(json: Array(TinyTokenizers.addedTokenJSON.utf8), source: "added-tokens test")
        XCTAssertThrowsError(try tokenizer.decode([97, 271])) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownTokenId(id: 271, vocabularySize: 271))
        }
        XCTAssertThrowsError(try tokenizer.decode([-1]))
    }
}

/// Small `tokenizer.json` documents built in code.
enum TinyTokenizers {
    /// GPT-2's byte alphabet (`bytes_to_unicode`), in byte order.
    static let byteAlphabet: [String] = {
        let printable = Set(Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF))
        var next = 256
        var table = [Int](repeating: 0, count: 256)
        for b in 0..<256 {
            if printable.contains(b) { table[b] = b } else { table[b] = next; next += 1 }
        }
        return table.map { String(Character(Unicode.Scalar($0)!)) }
    }()

    static func jsonString(_ s: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed]), as: UTF8.self)
            .dropFirst().dropLast().description
    }

    /// A byte-level BPE tokenizer: ids 0–255 are the bytes, 256… the merges `Ġ w`, `o r`, `Ġw or`, `Ġwor d`.
    static func byteLevel(addedTokens: String = "", normalizer: String = "null", preTokenizer: String? = nil,
                          postProcessor: String = "null", decoder: String? = nil, truncation: String = "null",
                          model: String? = nil) -> String {
        var vocab = byteAlphabet.enumerated().map { "\(jsonString($0.element)): \($0.offset)" }
        let merges = [("Ġ", "w"), ("o", "r"), ("Ġw", "or"), ("Ġwor", "d")]
        for (i, m) in merges.enumerated() { vocab.append("\(jsonString(m.0 + m.1)): \(256 + i)") }
        return """
        {"version": "1.0", "truncation": \(truncation), "padding": null, "added_tokens": [\(addedTokens)],
         "normalizer": \(normalizer),
         "pre_tokenizer": \(preTokenizer ?? #"{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}"#),
         "post_processor": \(postProcessor),
         "decoder": \(decoder ?? #"{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true}"#),
         "model": \(model ?? """
                   {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                   "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                   "vocab": {\(vocab.joined(separator: ", "))},
                   "merges": [\(merges.map { "[\(jsonString($0.0)), \(jsonString($0.1))]" }.joined(separator: ", "))]}
                   """)}
        """
    }

    static func addedToken(_ id: Int, _ content: String, lstrip: Bool = false, rstrip: Bool = false,
                           singleWord: Bool = false, normalized: Bool = false, special: Bool = false) -> String {
        #"{"id": \#(id), "content": \#(jsonString(content)), "single_word": \#(singleWord), "lstrip": \#(lstrip), "rstrip": \#(rstrip), "normalized": \#(normalized), "special": \#(special)}"#
    }

    static let addedTokenJSON = byteLevel(
        addedTokens: [
            addedToken(260, "<ls>", lstrip: true, special: true),
            addedToken(261, "<rs>", rstrip: true, special: true),
            addedToken(262, "<both>", lstrip: true, rstrip: true, special: true),
            addedToken(263, "word", singleWord: true),
            addedToken(264, "[X]", normalized: true),
            addedToken(265, "[Z]"),
            addedToken(266, "<ab>", special: true),
            addedToken(267, "<abc>", special: true),
            addedToken(268, "ab"),
            addedToken(269, "bcd"),
            addedToken(270, "sw", lstrip: true, rstrip: true, singleWord: true, normalized: true, special: true),
        ].joined(separator: ",\n"),
        normalizer: #"{"type": "Replace", "pattern": {"String": "X"}, "content": "y"}"#)
}

/// Expected values from HF tokenizers 0.23.3 on the same document (`TinyTokenizers.addedTokenJSON`, written out
/// and loaded with `Tokenizer.from_file`): `encode(text, add_special_tokens=False).ids`,
/// `decode(ids, skip_special_tokens=False)`, `decode(ids, skip_special_tokens=True)`.
enum AddedTokenCases {
    static let cases: [(String, [Int32], String, String)] = [
        ("a <ls> b", [97, 260, 32, 98], "a<ls> b", "a b"),
        ("a<ls>b", [97, 260, 98], "a<ls>b", "ab"),
        ("a \u{9} <ls>b", [97, 260, 98], "a<ls>b", "ab"),
        ("<ls>", [260], "<ls>", ""),
        (" <ls>", [260], "<ls>", ""),
        ("a <rs>   b", [97, 32, 261, 98], "a <rs>b", "a b"),
        ("a<rs>\u{a} b", [97, 261, 98], "a<rs>b", "ab"),
        ("a  <both>  b", [97, 262, 98], "a<both>b", "ab"),
        ("<rs>  <ls>x", [261, 260, 120], "<rs><ls>x", "x"),
        ("word", [263], "word", "word"),
        ("a word b", [97, 32, 263, 32, 98], "a word b", "a word b"),
        ("awordb", [97, 119, 257, 100, 98], "awordb", "awordb"),
        ("a words", [97, 259, 115], "a words", "a words"),
        ("wordy word", [119, 257, 100, 121, 32, 263], "wordy word", "wordy word"),
        ("(word)", [40, 263, 41], "(word)", "(word)"),
        ("word_x", [119, 257, 100, 95, 120], "word_x", "word_x"),
        ("word\u{661}", [119, 257, 100, 217, 161], "word\u{661}", "word\u{661}"),
        ("word\u{e9}", [119, 257, 100, 195, 169], "word\u{e9}", "word\u{e9}"),
        ("xword word", [120, 119, 257, 100, 32, 263], "xword word", "xword word"),
        ("[X] [y] [Z] [z] Xy", [264, 32, 264, 32, 265, 32, 91, 122, 93, 32, 121, 121], "[y] [y] [Z] [z] yy", "[y] [y] [Z] [z] yy"),
        ("<abc> <ab>c> <ab", [267, 32, 266, 99, 62, 32, 60, 268], "<abc> <ab>c> <ab", " c> <ab"),
        ("abcd", [268, 99, 100], "abcd", "abcd"),
        ("xabcdx", [120, 268, 99, 100, 120], "xabcdx", "xabcdx"),
        (" sw ", [270], "sw", ""),
        ("a sw b", [97, 270, 98], "aswb", "ab"),
        ("swx sw", [115, 119, 120, 270], "swxsw", "swx"),
        ("a  sw\u{3000} b", [97, 270, 98], "aswb", "ab"),
        ("X", [121], "y", "y"),
    ]
}

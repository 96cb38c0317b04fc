import Foundation
import TestSupport
import Tokenization
import XCTest

/// SentencePiece-style tokenizers with a `Metaspace` pre-tokenizer (Mistral, newer Llama-2 exports) instead of
/// the `Prepend`/`Replace` normalizer: every `prepend_scheme`, `split` on and off, the legacy
/// `add_prefix_space` field, the `Metaspace` decoder. Built from Llama-2's vocabulary and merges.
final class MetaspaceTests: XCTestCase {
    func testMetaspaceVariantsMatchHF() throws {
        let model = try llama2ModelSection()
        for (preTokenizer, decoder, cases) in MetaspaceCases.variants {
            let json = """
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [\(TinyTokenizers.addedToken(0, "<unk>", special: true)),
                              \(TinyTokenizers.addedToken(1, "<s>", special: true)),
                              \(TinyTokenizers.addedToken(2, "</s>", special: true))],
             "normalizer": null, "pre_tokenizer": \(preTokenizer), "post_processor": null, "decoder": \(decoder),
             "model": \(model)}
            """
            let tokenizer = try Tokenizer(json: Array(json.utf8), source: "metaspace test")
            for (text, ids, decoded) in cases {
                _ = assertSameIds(tokenizer.encode(text), ids, text: text, preTokenizer)
                let got = try tokenizer.decode(ids)
                XCTAssertTrue(sameBytes(got, decoded), "\(preTokenizer) / \(decoder): decode of \(text.debugDescription) gave \(got.debugDescription), HF \(decoded.debugDescription)")
            }
        }
    }

    /// The text of the `model` member of the shared Llama-2 `tokenizer.json` (its last top-level member).
    private func llama2ModelSection() throws -> String {
        let path = try TestSupport.sharedData() + "/tokenizers/llama-2/tokenizer.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let key = try XCTUnwrap(text.range(of: "\n  \"model\": ", options: .backwards))
        let end = try XCTUnwrap(text.range(of: "}", options: .backwards))
        return String(text[key.upperBound ..< end.lowerBound])
    }
}

/// Expected values from HF tokenizers 0.23.3: Llama-2's `tokenizer.json` with `normalizer: null`, the added
/// tokens `<unk> <s> </s>` (`normalized: false`), and the pre-tokenizer / decoder below, loaded with
/// `Tokenizer.from_file`; `encode(text, add_special_tokens=False).ids`, `decode(ids, skip_special_tokens=False)`.
enum MetaspaceCases {
    static let variants: [(String, String, [(String, [Int32], String)])] = [
        (#"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": true}"#, #"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": true}"#, [
            ("Hello world", [15043, 3186], "Hello world"),
            (" Hello", [15043], "Hello"),
            ("Hello  world ", [15043, 29871, 3186, 29871], "Hello  world "),
            ("<s>Hello", [1, 10994], "<s>Hello"),
            ("Hello<s> world", [15043, 1, 3186], "Hello<s> world"),
            ("a\u{a}b", [263, 13, 29890], "a<0x0A>b"),
            ("", [], ""),
            (" ", [29871], ""),
            ("  ", [29871, 29871], " "),
            ("h\u{e9}llo \u{1f600}", [298, 3610, 417, 29871, 243, 162, 155, 131], "h\u{e9}llo <0xF0><0x9F><0x98><0x80>"),
            ("\u{2581}x", [921], "x"),
            ("The quick brown fox jumps over the lazy dog.", [450, 4996, 17354, 1701, 29916, 432, 17204, 975, 278, 17366, 11203, 29889], "The quick brown fox jumps over the lazy dog."),
            ("</s> </s>x", [2, 29871, 2, 29916], "</s> </s>x"),
        ]),
        (#"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}"#, #"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}"#, [
            ("Hello world", [15043, 3186], "Hello world"),
            (" Hello", [15043], "Hello"),
            ("Hello  world ", [15043, 29871, 3186, 29871], "Hello  world "),
            ("<s>Hello", [1, 15043], "<s> Hello"),
            ("Hello<s> world", [15043, 1, 3186], "Hello<s> world"),
            ("a\u{a}b", [263, 13, 29890], "a<0x0A>b"),
            ("", [], ""),
            (" ", [29871], ""),
            ("  ", [29871, 29871], " "),
            ("h\u{e9}llo \u{1f600}", [298, 3610, 417, 29871, 243, 162, 155, 131], "h\u{e9}llo <0xF0><0x9F><0x98><0x80>"),
            ("\u{2581}x", [921], "x"),
            ("The quick brown fox jumps over the lazy dog.", [450, 4996, 17354, 1701, 29916, 432, 17204, 975, 278, 17366, 11203, 29889], "The quick brown fox jumps over the lazy dog."),
            ("</s> </s>x", [2, 29871, 2, 921], "</s> </s> x"),
        ]),
        (#"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": true}"#, #"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": true}"#, [
            ("Hello world", [10994, 3186], "Hello world"),
            (" Hello", [15043], " Hello"),
            ("Hello  world ", [10994, 29871, 3186, 29871], "Hello  world "),
            ("<s>Hello", [1, 10994], "<s>Hello"),
            ("Hello<s> world", [10994, 1, 3186], "Hello<s> world"),
            ("a\u{a}b", [29874, 13, 29890], "a<0x0A>b"),
            ("", [], ""),
            (" ", [29871], " "),
            ("  ", [29871, 29871], "  "),
            ("h\u{e9}llo \u{1f600}", [29882, 3610, 417, 29871, 243, 162, 155, 131], "h\u{e9}llo <0xF0><0x9F><0x98><0x80>"),
            ("\u{2581}x", [921], " x"),
            ("The quick brown fox jumps over the lazy dog.", [1576, 4996, 17354, 1701, 29916, 432, 17204, 975, 278, 17366, 11203, 29889], "The quick brown fox jumps over the lazy dog."),
            ("</s> </s>x", [2, 29871, 2, 29916], "</s> </s>x"),
        ]),
        (#"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}"#, #"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}"#, [
            ("Hello world", [15043, 3186], "Hello world"),
            (" Hello", [15043], "Hello"),
            ("Hello  world ", [15043, 29871, 3186, 29871], "Hello  world "),
            ("<s>Hello", [1, 10994], "<s>Hello"),
            ("Hello<s> world", [15043, 1, 3186], "Hello<s> world"),
            ("a\u{a}b", [263, 13, 29890], "a<0x0A>b"),
            ("", [], ""),
            (" ", [29871], ""),
            ("  ", [259], ""),
            ("h\u{e9}llo \u{1f600}", [298, 3610, 417, 29871, 243, 162, 155, 131], "h\u{e9}llo <0xF0><0x9F><0x98><0x80>"),
            ("\u{2581}x", [921], "x"),
            ("The quick brown fox jumps over the lazy dog.", [450, 4996, 17354, 1701, 29916, 432, 17204, 975, 278, 17366, 11203, 29889], "The quick brown fox jumps over the lazy dog."),
            ("</s> </s>x", [2, 29871, 2, 29916], "</s> </s>x"),
        ]),
        (#"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": false}"#, #"{"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}"#, [
            ("Hello world", [15043, 3186], "Hello world"),
            (" Hello", [15043], "Hello"),
            ("Hello  world ", [15043, 29871, 3186, 29871], "Hello  world "),
            ("<s>Hello", [1, 15043], "<s> Hello"),
            ("Hello<s> world", [15043, 1, 3186], "Hello<s> world"),
            ("a\u{a}b", [263, 13, 29890], "a\u{a}b"),
            ("", [], ""),
            (" ", [29871], ""),
            ("  ", [259], " "),
            ("h\u{e9}llo \u{1f600}", [298, 3610, 417, 29871, 243, 162, 155, 131], "h\u{e9}llo \u{1f600}"),
            ("\u{2581}x", [921], "x"),
            ("The quick brown fox jumps over the lazy dog.", [450, 4996, 17354, 1701, 29916, 432, 17204, 975, 278, 17366, 11203, 29889], "The quick brown fox jumps over the lazy dog."),
            ("</s> </s>x", [2, 29871, 2, 921], "</s> </s> x"),
        ]),
        (#"{"type": "Metaspace", "replacement": "▁", "add_prefix_space": true}"#, #"{"type": "Metaspace", "replacement": "▁", "add_prefix_space": true}"#, [
            ("Hello world", [15043, 3186], "Hello world"),
            (" Hello", [15043], "Hello"),
            ("Hello  world ", [15043, 29871, 3186, 29871], "Hello  world "),
            ("<s>Hello", [1, 15043], "<s> Hello"),
            ("Hello<s> world", [15043, 1, 3186], "Hello<s> world"),
            ("a\u{a}b", [263, 13, 29890], "a<0x0A>b"),
            ("", [], ""),
            (" ", [29871], ""),
            ("  ", [29871, 29871], " "),
            ("h\u{e9}llo \u{1f600}", [298, 3610, 417, 29871, 243, 162, 155, 131], "h\u{e9}llo <0xF0><0x9F><0x98><0x80>"),
            ("\u{2581}x", [921], "x"),
            ("The quick brown fox jumps over the lazy dog.", [450, 4996, 17354, 1701, 29916, 432, 17204, 975, 278, 17366, 11203, 29889], "The quick brown fox jumps over the lazy dog."),
            ("</s> </s>x", [2, 29871, 2, 921], "</s> </s> x"),
        ]),
        (#"{"type": "Metaspace", "replacement": "▁", "add_prefix_space": false, "prepend_scheme": "never"}"#, #"{"type": "Metaspace", "replacement": "▁", "add_prefix_space": false, "prepend_scheme": "never"}"#, [
            ("Hello world", [10994, 3186], "Hello world"),
            (" Hello", [15043], " Hello"),
            ("Hello  world ", [10994, 29871, 3186, 29871], "Hello  world "),
            ("<s>Hello", [1, 10994], "<s>Hello"),
            ("Hello<s> world", [10994, 1, 3186], "Hello<s> world"),
            ("a\u{a}b", [29874, 13, 29890], "a<0x0A>b"),
            ("", [], ""),
            (" ", [29871], " "),
            ("  ", [29871, 29871], "  "),
            ("h\u{e9}llo \u{1f600}", [29882, 3610, 417, 29871, 243, 162, 155, 131], "h\u{e9}llo <0xF0><0x9F><0x98><0x80>"),
            ("\u{2581}x", [921], " x"),
            ("The quick brown fox jumps over the lazy dog.", [1576, 4996, 17354, 1701, 29916, 432, 17204, 975, 278, 17366, 11203, 29889], "The quick brown fox jumps over the lazy dog."),
            ("</s> </s>x", [2, 29871, 2, 29916], "</s> </s>x"),
        ]),
    ]
}

import Foundation
import TestSupport
import Tokenization
import XCTest

/// Post-processors with `add_special_tokens: true`, alone and in `Sequence`s (where HF hands a template's
/// per-piece encodings on as "pairs").
final class PostProcessorTests: XCTestCase {
    func testPostProcessorsMatchHF() throws {
        let added = [TinyTokenizers.addedToken(260, "<s>", special: true),
                     TinyTokenizers.addedToken(261, "</s>", special: true),
                     TinyTokenizers.addedToken(262, "[CLS]", special: true),
                     TinyTokenizers.addedToken(263, "[SEP]", special: true)].joined(separator: ", ")
        for (processor, withText, empty) in PostProcessorCases.cases {
            let json = TinyTokenizers.byteLevel(addedTokens: added, postProcessor: processor)
            let tokenizer = try Tokenizer(json: Array(json.utf8), source: "post-processor test")
            XCTAssertEqual(tokenizer.encode("a word"), [97, 259], processor)
            XCTAssertEqual(tokenizer.encode("a word", addSpecialTokens: true), withText, processor)
            XCTAssertEqual(tokenizer.encode("", addSpecialTokens: true), empty, processor)
        }
    }

    func testBosAndEosFromTemplateAndConfig() throws {
        let llama3 = try Fixtures.tokenizer("tokenizers/llama-3.2")
        XCTAssertEqual(llama3.bosToken, "<|begin_of_text|>")
        XCTAssertEqual(llama3.bosTokenId, 128000)
        XCTAssertEqual(llama3.eosToken, "<|end_of_text|>", "from tokenizer_config.json")
        XCTAssertEqual(llama3.eosTokenId, 128001)
        let qwen = try Fixtures.tokenizer("tokenizers/qwen3")
        XCTAssertNil(qwen.bosToken)
        XCTAssertEqual(qwen.eosToken, "<|im_end|>")
        XCTAssertEqual(qwen.specialTokenIds.count, 14)
        let llama2 = try Fixtures.tokenizer("tokenizers/llama-2")
        XCTAssertEqual(llama2.bosTokenId, 1)
        XCTAssertEqual(llama2.eosTokenId, 2)
        XCTAssertEqual(llama2.byteTokenIds, (3 ..< 259).map(Int32.init))
        let gpt2 = try Fixtures.tokenizer("tokenizers/gpt2")
        XCTAssertEqual(gpt2.byteTokenIds.count, 256)
        XCTAssertEqual(gpt2.vocabularySize, 50257)
        XCTAssertEqual(gpt2.id(of: "Ġthe"), 262)
        XCTAssertEqual(gpt2.token(of: 262), "Ġthe")
        XCTAssertEqual(gpt2.id(of: "<|endoftext|>"), 50256)
    }
}

/// Expected values from HF tokenizers 0.23.3 on `TinyTokenizers.byteLevel` with the added tokens `<s>` (260),
/// `</s>` (261), `[CLS]` (262), `[SEP]` (263) and the post-processor below:
/// `encode("a word", add_special_tokens=True).ids` and `encode("", add_special_tokens=True).ids`.
enum PostProcessorCases {
    static let cases: [(String, [Int32], [Int32])] = [
        (#"{"type": "RobertaProcessing", "sep": ["</s>", 261], "cls": ["<s>", 260], "trim_offsets": true, "add_prefix_space": true}"#,
         [260, 97, 259, 261], [260, 261]),
        (#"{"type": "BertProcessing", "sep": ["[SEP]", 263], "cls": ["[CLS]", 262]}"#,
         [262, 97, 259, 263], [262, 263]),
        (#"{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true}"#,
         [97, 259], []),
        (#"{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}], "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [260], "tokens": ["<s>"]}, "</s>": {"id": "</s>", "ids": [261], "tokens": ["</s>"]}, "[SEP]": {"id": "[SEP]", "ids": [263], "tokens": ["[SEP]"]}}}"#,
         [260, 97, 259, 261], [260, 261]),
        (#"{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "pair": [], "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [262, 260], "tokens": ["[CLS]", "<s>"]}}}"#,
         [262, 260, 97, 259], [262, 260]),
        (#"{"type": "Sequence", "processors": [{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true}, {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}], "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [260], "tokens": ["<s>"]}, "</s>": {"id": "</s>", "ids": [261], "tokens": ["</s>"]}, "[SEP]": {"id": "[SEP]", "ids": [263], "tokens": ["[SEP]"]}}}]}"#,
         [260, 97, 259, 261], [260, 261]),
        (#"{"type": "Sequence", "processors": [{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [260], "tokens": ["<s>"]}, "[SEP]": {"id": "[SEP]", "ids": [263], "tokens": ["[SEP]"]}}}, {"type": "BertProcessing", "sep": ["[SEP]", 263], "cls": ["[CLS]", 262]}]}"#,
         [262, 260, 263, 97, 259, 263], [262, 260, 263, 263]),
        (#"{"type": "Sequence", "processors": [{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}], "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [260], "tokens": ["<s>"]}, "</s>": {"id": "</s>", "ids": [261], "tokens": ["</s>"]}, "[SEP]": {"id": "[SEP]", "ids": [263], "tokens": ["[SEP]"]}}}, {"type": "RobertaProcessing", "sep": ["</s>", 261], "cls": ["<s>", 260], "trim_offsets": true, "add_prefix_space": true}]}"#,
         [260, 260, 261, 261, 97, 259, 261, 261, 261, 261], [260, 260, 261, 261, 261, 261, 261, 261]),
        (#"{"type": "Sequence", "processors": [{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [260], "tokens": ["<s>"]}, "[SEP]": {"id": "[SEP]", "ids": [263], "tokens": ["[SEP]"]}}}, {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [260], "tokens": ["<s>"]}, "[SEP]": {"id": "[SEP]", "ids": [263], "tokens": ["[SEP]"]}}}]}"#,
         [260, 263, 97, 259], [260, 263]),
        (#"{"type": "Sequence", "processors": [{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true}, {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true}]}"#,
         [97, 259], []),
    ]
}

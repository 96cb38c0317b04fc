import EagleCore
import Foundation
@testable import Tokenization

extension FuzzTarget {
    /// `tokenizer.json` loading, then encoding and decoding with the loaded tokenizer.
    /// Input: the tokenizer.json bytes, a 0x00 byte, then the text to encode.
    static let tokenizerJSON = FuzzTarget(name: "tokenizer-json", setUp: {
        warmUpEncoder()
    }, run: { input in
        let (json, text) = input.splitAtNul()
        guard let tokenizer = try? Tokenizer(json: Array(json), source: "fuzz/tokenizer.json") else { return }
        exercise(tokenizer, String(decoding: text, as: UTF8.self))
    }, writeSeeds: { seeds in
        var n = 0
        let sample = "Hello world! Cửa Việt 1234 \n\n  x\ty 😀 <|im_start|>user</s><s>"
        for dir in ["tokenizers/gpt2", "tokenizers/llama-2", "tokenizers/llama-3.2", "tokenizers/qwen3", "models/smollm2-135m-instruct"] {
            let full = try JSONParser.parse(bytes: FileIO.readAll(path: SharedData.path(dir + "/tokenizer.json")))
            let small = try shrinkTokenizer(full, keep: 400)
            try seeds.write(dir.replacingOccurrences(of: "/", with: "_") + ".json", Array(JSONWriter.string(small).utf8) + [0] + Array(sample.utf8))
            n += 1
        }
        return n
    })

    /// Encoding with the real tokenizers (loaded once): any text, with and without special tokens, then decoding.
    static let tokenizerEncode = FuzzTarget(name: "tokenizer-encode", setUp: {
        warmUpEncoder()
        _ = realTokenizers.count
    }, run: { input in
        let text = String(decoding: input, as: UTF8.self)
        for t in realTokenizers { exercise(t, text) }
    }, writeSeeds: { seeds in
        var n = 0
        for file in SharedData.files(in: "conversations", suffix: ".jsonl") {
            let lines = try FileIO.readAll(path: file).split(separator: 0x0A).prefix(20)
            for (i, line) in lines.enumerated() {
                guard let v = try? JSONParser.parse(bytes: Array(line)) else { continue }
                for (j, m) in (v["messages"]?.arrayValue ?? []).enumerated() {
                    guard let s = m["content"]?.stringValue else { continue }
                    try seeds.write("mt_bench.\(i).\(j).txt", Array(s.utf8.prefix(2000)))
                    n += 1
                }
            }
        }
        for (i, s) in ["Cửa Việt", "  \n\n\t x  ", "12345678901234567890", "😀👩‍👩‍👧 ខ្មែរ 中文", "<|im_start|>system\n<|im_end|><s></s>"].enumerated() {
            try seeds.write("special.\(i).txt", Array(s.utf8))
            n += 1
        }
        return n
    })

    /// Builds the encoder's one-time Unicode class table (131,072 scalars classified: seconds under ASan) before
    /// fuzzing starts, so that the first input is not charged with it and the per-input timeout can stay tight.
    static func warmUpEncoder() {
        let table = CharacterClassTable.shared
        _ = table.blockIndex.count + table.blocks.count
    }

    static func exercise(_ tokenizer: Tokenizer, _ text: String) {
        for special in [false, true] {
            let ids = tokenizer.encode(text, addSpecialTokens: special)
            _ = try? tokenizer.decode(ids)
            _ = try? tokenizer.decode(ids, skipSpecialTokens: true)
        }
        _ = tokenizer.preTokenize(text)
    }

    /// The real tokenizers of ../shared/data (or those listed, colon-separated, in `EAGLEPREP_FUZZ_TOKENIZERS`).
    static let realTokenizers: [Tokenizer] = {
        let paths = ["tokenizers/gpt2", "tokenizers/llama-2", "tokenizers/llama-3.2", "tokenizers/qwen3", "models/smollm2-135m-instruct"]
            .map { SharedData.path($0 + "/tokenizer.json") }
        return paths.compactMap { p in
            do { return try Tokenizer.load(path: p) } catch {
                print("eagleprep-fuzz: cannot load \(p): \(error)")
                return nil
            }
        }
    }()

    /// A small tokenizer.json with the same configuration: vocabulary ids below `keep` plus the added tokens'
    /// entries, and the merges among the kept entries.
    static func shrinkTokenizer(_ full: JSONValue, keep: Int) throws -> JSONValue {
        guard case .object(var root) = full, case .object(var model)? = root["model"], let vocab = model["vocab"]?.objectValue else {
            throw FileError(path: "tokenizer.json", message: "no model.vocab")
        }
        let addedIds = Set((root["added_tokens"]?.arrayValue ?? []).compactMap { $0["id"]?.intValue })
        var kept = JSONObject()
        for (token, id) in vocab where (id.intValue ?? .max) < keep || addedIds.contains(id.intValue ?? -1) { kept[token] = id }
        var merges: [JSONValue] = []
        for m in model["merges"]?.arrayValue ?? [] {
            let parts: [String]
            if let s = m.stringValue { parts = s.split(separator: " ", maxSplits: 1).map(String.init) } else {
                parts = (m.arrayValue ?? []).compactMap(\.stringValue)
            }
            if parts.count == 2, kept[parts[0]] != nil, kept[parts[1]] != nil, kept[parts[0] + parts[1]] != nil { merges.append(m) }
        }
        model["vocab"] = .object(kept)
        model["merges"] = .array(merges)
        root["model"] = .object(model)
        return .object(root)
    }
}

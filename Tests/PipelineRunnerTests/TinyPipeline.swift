import EagleCore
import Foundation
import TestSupport

/// A miniature pipeline for end-to-end tests: the 8-layer tiny Llama fixture (H 64, vocabulary 256, random
/// weights; Tests/TargetModelTests/Fixtures/tiny-llama) with a byte-level tokenizer made to fit its 256 ids and a
/// ChatML template, and a few conversations.
enum TinyPipeline {
    /// Ids 0–2 are <|endoftext|>, <|im_start|>, <|im_end|> (the fixture's EOS is 2); ids 3–255 are the byte-level
    /// characters of bytes 0x03–0xFF, so any id the random model emits decodes, and any text re-encodes.
    static var tokenizerJSON: String {
        var byteChars: [Character] = []
        var n = 0
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable { byteChars.append(Character(Unicode.Scalar(UInt8(b)))) } else {
                byteChars.append(Character(Unicode.Scalar(UInt32(256 + n))!))
                n += 1
            }
        }
        var vocab = JSONObject()
        for b in 3..<256 { vocab[String(byteChars[b])] = .int(b) }
        let specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
        for (i, s) in specials.enumerated() { vocab[s] = .int(i) }
        let added: [JSONValue] = specials.enumerated().map { i, s in
            .object(JSONObject([("id", .int(i)), ("content", .string(s)), ("single_word", .bool(false)), ("lstrip", .bool(false)),
                                ("rstrip", .bool(false)), ("normalized", .bool(false)), ("special", .bool(true))]))
        }
        let byteLevel = JSONValue.object(JSONObject([("type", .string("ByteLevel")), ("add_prefix_space", .bool(false)),
                                                     ("trim_offsets", .bool(true)), ("use_regex", .bool(true))]))
        let model = JSONObject([("type", .string("BPE")), ("dropout", .null), ("unk_token", .null), ("continuing_subword_prefix", .null),
                                ("end_of_word_suffix", .null), ("fuse_unk", .bool(false)), ("byte_fallback", .bool(false)),
                                ("ignore_merges", .bool(false)), ("vocab", .object(vocab)), ("merges", .array([]))])
        let root = JSONObject([("version", .string("1.0")), ("truncation", .null), ("padding", .null), ("added_tokens", .array(added)),
                               ("normalizer", .null), ("pre_tokenizer", byteLevel), ("post_processor", .null), ("decoder", byteLevel),
                               ("model", .object(model))])
        return JSONWriter.string(.object(root))
    }

    static let template = """
    {% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}
    """

    static let conversations: [String] = [
        #"{"messages": [{"role": "user", "content": "Name three colours."}]}"#,
        #"{"messages": [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"}, {"role": "user", "content": "And 3+3?"}]}"#,
        #"{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello."}]}"#,
        #"{"messages": [{"role": "user", "content": "Write a haiku about rain."}]}"#,
        #"{"messages": [{"role": "user", "content": "List the days of the week."}]}"#,
        #"{"messages": [{"role": "user", "content": "Why is the sky blue?"}, {"role": "assistant", "content": "Scattering."}, {"role": "user", "content": "Explain more."}]}"#,
        #"{"messages": [{"role": "user", "content": "Translate 'cat' into French."}]}"#,
        #"{"messages": [{"role": "user", "content": "Count from one to five."}]}"#,
    ]

    /// Writes model/, conversations.jsonl and pipeline.json (output root `out`) into `dir`; returns the pipeline path.
    static func write(into dir: String, out: String = "out", extraStages: String = "") throws -> String {
        let fixture = TestSupport.packageRoot + "/Tests/TargetModelTests/Fixtures/tiny-llama"
        let model = dir + "/model"
        if !FileManager.default.fileExists(atPath: model) {
            try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: true)
            for f in ["config.json", "model.safetensors"] { try FileManager.default.copyItem(atPath: fixture + "/" + f, toPath: model + "/" + f) }
            try tokenizerJSON.write(toFile: model + "/tokenizer.json", atomically: true, encoding: .utf8)
            try template.write(toFile: model + "/chat_template.jinja", atomically: true, encoding: .utf8)
            try (conversations.joined(separator: "\n") + "\n").write(toFile: dir + "/conversations.jsonl", atomically: true, encoding: .utf8)
        }
        let pipeline = """
        {
          "model": "model", "out": "\(out)", "threads": 2, "date": "2026-11-29",
          "stages": {
            "generate": {"input": "conversations.jsonl", "max_new_tokens": 12, "batch_size": 3},
            "tokenize": {"mask_mode": "assistant", "system_prompt": "data", "max_length": 200, "shard_size": 3},
            "vocab": {"size": 64, "pad": true},
            "dump": {"shard_size": 2, "batch_tokens": 32, "aux_dtype": "f32"}\(extraStages)
          }
        }
        """
        let path = dir + "/pipeline-\(out).json"
        try pipeline.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

import EagleCore
import Foundation

/// A chat model folder for tests: a tiny fixture's weights (vocabulary 256, e.g. the 8-layer tiny Llama of
/// Tests/TargetModelTests/Fixtures/tiny-llama, random weights) with a byte-level tokenizer made to fit its 256 ids
/// and a ChatML template, so `generate`, `tokenize`, `eval` … run on it as on a real model.
public enum TinyChatModel {
    /// Ids 0–2 are <|endoftext|>, <|im_start|>, <|im_end|> (the fixture's EOS is 2); ids 3–255 are the byte-level
    /// characters of bytes 0x03–0xFF, so any id the random model emits decodes, and any text re-encodes.
    public static var tokenizerJSON: String {
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

    public static let template = """
    {% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}
    """

    /// Writes `fixture`'s config.json and model.safetensors, tokenizer.json and chat_template.jinja into `folder`.
    public static func writeFolder(_ folder: String, weightsFrom fixture: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for f in ["config.json", "model.safetensors"] { try FileManager.default.copyItem(atPath: fixture + "/" + f, toPath: folder + "/" + f) }
        try tokenizerJSON.write(toFile: folder + "/tokenizer.json", atomically: true, encoding: .utf8)
        try template.write(toFile: folder + "/chat_template.jinja", atomically: true, encoding: .utf8)
    }
}

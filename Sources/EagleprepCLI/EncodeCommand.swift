import EagleCore
import Tokenization

struct EncodeCommand: Subcommand {
    static let name = "encode"
    static let summary = "Encode JSONL {\"text\": ...} lines into {\"ids\": [...]} lines with a tokenizer."
    static let usage = "--tokenizer PATH [--special] [--input FILE] [--threads N]"
    static let options: [OptionSpec] = [
        .value("tokenizer", "PATH", "tokenizer.json, a model folder holding one, or a .gguf file."),
        .flag("special", "Add the post-processor's special tokens (e.g. BOS), as add_special_tokens=True."),
        .value("input", "FILE", "JSONL input, one {\"text\": \"...\"} per line (default: standard input)."),
        .value("threads", "N", "Worker threads (default: all cores). Output order never depends on it."),
    ]
    static let discussion = """
    Writes one {"ids": [...]} line per input line, in order, streaming. Blank lines are skipped.
    A malformed line is an error naming its line number. Ids equal Hugging Face tokenizers'
    Tokenizer.encode(text, add_special_tokens=...).ids.
    """

    static func run(_ args: ParsedArguments) throws {
        try args.noPositionals()
        let special = args.flag("special")
        let threads = try args.int("threads", default: JSONLinesMap.defaultThreads(), range: 1...1024)!
        let tokenizer = try Tokenizer.load(path: args.required("tokenizer"))
        let input = args.string("input") ?? "-"
        try JSONLinesMap.run(input: input, output: BufferedOutput(), threads: threads) { value, line in
            guard let text = value["text"]?.stringValue else {
                let found = value["text"].map { $0.typeName } ?? "no \"text\" field"
                throw InputLineError(path: input == "-" ? "<stdin>" : input, line: line,
                                     message: "expected an object with a string field \"text\", found \(found)")
            }
            var out = "{\"ids\":"
            JSONWriter.writeIntArray(tokenizer.encode(text, addSpecialTokens: special), into: &out)
            out += "}"
            return out
        }
    }
}

struct DecodeCommand: Subcommand {
    static let name = "decode"
    static let summary = "Decode JSONL {\"ids\": [...]} lines into {\"text\": ...} lines."
    static let usage = "--tokenizer PATH [--skip-special] [--input FILE] [--threads N]"
    static let options: [OptionSpec] = [
        .value("tokenizer", "PATH", "tokenizer.json, a model folder holding one, or a .gguf file."),
        .flag("skip-special", "Leave special tokens out of the text (skip_special_tokens=True)."),
        .value("input", "FILE", "JSONL input, one {\"ids\": [...]} per line (default: standard input)."),
        .value("threads", "N", "Worker threads (default: all cores)."),
    ]

    static func run(_ args: ParsedArguments) throws {
        try args.noPositionals()
        let skip = args.flag("skip-special")
        let threads = try args.int("threads", default: JSONLinesMap.defaultThreads(), range: 1...1024)!
        let tokenizer = try Tokenizer.load(path: args.required("tokenizer"))
        let input = args.string("input") ?? "-"
        let path = input == "-" ? "<stdin>" : input
        try JSONLinesMap.run(input: input, output: BufferedOutput(), threads: threads) { value, line in
            guard let items = value["ids"]?.arrayValue else {
                throw InputLineError(path: path, line: line, message: "expected an object with an array field \"ids\"")
            }
            var ids: [Int32] = []
            ids.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                guard let v = item.intValue, v >= 0, v < tokenizer.vocabularySize else {
                    throw InputLineError(path: path, line: line,
                        message: "ids[\(i)] is \(JSONWriter.string(item)), expected an integer in 0..<\(tokenizer.vocabularySize)")
                }
                ids.append(Int32(v))
            }
            let text: String
            do { text = try tokenizer.decode(ids, skipSpecialTokens: skip) } catch {
                throw InputLineError(path: path, line: line, message: "\(error)")
            }
            var out = "{\"text\":"
            JSONWriter.writeString(text, into: &out)
            out += "}"
            return out
        }
    }
}

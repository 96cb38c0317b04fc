import EagleCore
import Foundation
import Shards
import TokenShards
import Tokenization
import TrainingData
#if canImport(Glibc)
import Glibc
#endif

struct InspectCommand: Subcommand {
    static let name = "inspect"
    static let summary = "Summarise a tokenize or dump output, view or export one sample, or export token samples as JSONL."
    static let usage = "DIR [--sample K [--tokenizer PATH] [--plain] | --out FILE.safetensors] [--jsonl] [--size-samples N]"
    static let options: [OptionSpec] = [
        .value("sample", "K", "Show sample K (0-based, in output order); tokenize outputs: with its supervised tokens highlighted."),
        .value("out", "FILE", "Dump outputs, with --sample: write the sample's arrays (ids, loss_mask, aux_hidden, and draft_logits + target_argmax or final_hidden) as safetensors in their stored dtypes."),
        .value("tokenizer", "PATH", "Tokenizer for --sample (default: the manifest's model is not stored; ids are shown without it)."),
        .flag("plain", "Mark supervised tokens with ⟦…⟧ instead of colours (the default when stdout is not a terminal)."),
        .flag("jsonl", "Write one {\"ids\": [...], \"loss_mask\": [...]} line per sample, in order."),
        .value("size-samples", "N", "Dump outputs: samples used to estimate stored bytes per component (default 64; 0: skip)."),
    ]
    static let discussion = """
    DIR is a `tokenize` or `dump` output directory (the kind is read from manifest.json's `format`), or for dumps a
    manifest file (e.g. one written by `merge-manifests`).
    """

    static func run(_ args: ParsedArguments) throws {
        guard args.positionals.count == 1 else { throw UsageError("expected exactly one directory") }
        let dir = args.positionals[0]
        let candidate = FileIO.isDirectory(dir) ? dir + "/manifest.json" : dir
        if FileIO.exists(candidate),
           (try? JSONParser.parse(bytes: FileIO.readAll(path: candidate, limit: 1 << 28))["format"]?.stringValue) == DumpDataset.format {
            return try InspectDump.run(path: dir, args: args)
        }
        if args.string("out") != nil { throw UsageError("--out exports dump samples; \(dir) is not a dump output") }
        let manifestPath = dir + "/manifest.json"
        guard FileIO.exists(manifestPath) else { throw FileError(path: dir, message: "no manifest.json: not a finished tokenize output") }
        let manifest = try JSONParser.parse(bytes: FileIO.readAll(path: manifestPath))
        let shards = (manifest["shards"]?.arrayValue ?? []).compactMap { $0["file"]?.stringValue }
        let out = BufferedOutput()
        if args.flag("jsonl") {
            for name in shards {
                let r = try TokenShardReader(path: dir + "/" + name)
                for k in 0..<r.count {
                    let s = try r.sample(k)
                    var line = "{\"ids\":"
                    JSONWriter.writeIntArray(s.ids, into: &line)
                    line += ",\"loss_mask\":"
                    JSONWriter.writeIntArray(s.lossMask, into: &line)
                    line += "}\n"
                    try out.write(line)
                }
            }
        } else if let k = try args.int("sample", range: 0...Int.max) {
            var remaining = k
            var found: TokenSample?
            for name in shards {
                let r = try TokenShardReader(path: dir + "/" + name)
                if remaining < r.count { found = try r.sample(remaining); break }
                remaining -= r.count
            }
            guard let sample = found else { throw UsageError("--sample \(k) is past the last sample") }
            let tokenizer = try args.string("tokenizer").map(Tokenizer.load(path:))
            let colour = !args.flag("plain") && isatty(1) != 0
            try out.write(render(sample, tokenizer: tokenizer, colour: colour, inputs: manifest["settings"]?["inputs"]?.arrayValue ?? []))
        } else {
            let counts = TokenizeCounts(json: manifest["counts"] ?? .null)
            try out.write("\(dir): \(shards.count) shard(s), complete: \(manifest["complete"] == .bool(true))\n")
            for (key, v) in manifest["settings"]?.objectValue ?? JSONObject() where key != "inputs" {
                try out.write("  \(key): \(JSONWriter.string(v))\n")
            }
            for i in manifest["settings"]?["inputs"]?.arrayValue ?? [] {
                try out.write("  input: \(i["path"]?.stringValue ?? "?") (\(i["bytes"]?.intValue ?? 0) bytes)\n")
            }
            try out.write("  " + counts.summary.replacingOccurrences(of: "\n", with: "\n  ") + "\n")
        }
        try out.flush()
    }

    /// The sample as text with supervised positions marked; without a tokenizer, ids are shown.
    static func render(_ s: TokenSample, tokenizer: Tokenizer?, colour: Bool, inputs: [JSONValue]) -> String {
        let source = Int(s.sourceFile) < inputs.count ? inputs[Int(s.sourceFile)]["path"]?.stringValue ?? "?" : "?"
        var text = "\(source):\(s.sourceLine) (record \(s.recordIndex)), \(s.ids.count) tokens, \(s.lossMask.reduce(0) { $0 + Int($1) }) supervised\n"
        text += colour ? "supervised tokens in green\n\n" : "supervised tokens inside ⟦ ⟧\n\n"
        var inSpan = false
        for (id, m) in zip(s.ids, s.lossMask) {
            let on = m == 1
            if on != inSpan {
                text += colour ? (on ? "\u{1B}[42;30m" : "\u{1B}[0m") : (on ? "⟦" : "⟧")
                inSpan = on
            }
            if let t = tokenizer, let piece = try? t.decode([id]) { text += piece } else { text += "[\(id)]" }
        }
        if inSpan { text += colour ? "\u{1B}[0m" : "⟧" }
        return text + "\n"
    }
}

import DraftVocabulary
import EagleCore
import Foundation
import Tokenization

struct VocabCommand: Subcommand {
    static let name = "vocab"
    static let summary = "Token shards → the draft vocabulary (d2t/t2d, SPEC §4), or partial counts and their merge."
    static let usage = "--tokens DIR --size N --out DIR [options] | --tokens DIR --counts-only --out FILE [--part I/K] | --merge FILE… --size N --out DIR"
    static let options: [OptionSpec] = [
        .value("tokens", "DIR", "A finished tokenize output directory (manifest.json + token shards)."),
        .value("size", "N", "Draft vocabulary size N (32000 for the official Llama-3 drafters)."),
        .value("out", "DIR", "Output directory: vocab.safetensors, vocab.json, coverage.svg. With --counts-only: the counts FILE."),
        .value("target-vocab-size", "V", "Target logit width = length of t2d (default: the manifest's vocabulary_size)."),
        .flag("all-tokens", "Count every position instead of the supervised ones (loss_mask = 1); not the reference's rule."),
        .value("pin", "IDS", "Always include these ids (comma-separated; repeatable). Changes d2t: off by default.", repeatable: true),
        .value("pin-file", "FILE", "Always include the ids in FILE: a JSON array, or integers separated by spaces, commas or lines (# comments).", repeatable: true),
        .flag("pin-special", "Always include the tokenizer's special tokens (needs --tokenizer)."),
        .flag("pin-bytes", "Always include the tokenizer's byte tokens, byte-fallback <0xXX> or byte-level (needs --tokenizer)."),
        .value("tokenizer", "PATH", "The tokenizer the tokens were made with, for --pin-special/--pin-bytes (hash checked against the manifest)."),
        .flag("pad", "With fewer distinct tokens than N, fill with the lowest unused ids (peers' behaviour) instead of failing."),
        .flag("counts-only", "Count only, and write a partial counts file to --out (merge files with --merge)."),
        .value("part", "I/K", "With --counts-only: count the I-th (0-based) of K contiguous ranges of the shards; auto[:K]: I and K from Slurm/Kubernetes (docs/scale-out.md)."),
        .value("worker", "I/K", "The same as --part (the name tokenize and dump use)."),
        .value("merge", "FILE", "Merge partial counts files (more files may follow as arguments) instead of counting shards."),
        .value("threads", "N", "Counting threads (default: all cores). The result never depends on it."),
        .flag("quiet", "No progress or summary on standard error."),
    ]
    static let discussion = """
    Counts the token at every supervised position (loss_mask = 1) over all shards, in parallel, keeps the N most
    frequent ids with the reference's tie-break (first occurrence in dataset order), sorts them and writes
    d2t (I64 offsets: target id = i + d2t[i]) and t2d (BOOL, one per target id) to OUT/vocab.safetensors, and
    OUT/vocab.json (sizes, counts, coverage at 1k…32k and N, the token manifest and tokenizer hashes, options) and
    OUT/coverage.svg. Fewer than N distinct tokens is an error naming the count, unless --pad.

    Across machines: run `--counts-only --part I/K --out part-I.counts` for I = 0…K−1 (each needs the manifest and
    its part's shards), then `--merge part-*.counts --size N --out DIR`: the result is byte-identical to one run.
    In a Slurm array, `--part auto` takes I and K from the array (docs/scale-out.md).
    Later stages compare vocab.json with their inputs and refuse a stale vocabulary.
    """

    static func run(_ args: ParsedArguments) throws {
        let threads = try args.int("threads", default: JSONLinesMap.defaultThreads(), range: 1...1024)!
        let quiet = args.flag("quiet")
        let out = try args.required("out")
        if let first = args.string("merge") {
            for name in ["tokens", "counts-only", "part", "worker", "all-tokens"] where args.string(name) != nil || args.flag(name) {
                throw UsageError("--\(name) cannot be combined with --merge (the counts files decide it)")
            }
            let files = [first] + args.positionals
            let merged = try PartialCounts.merge(paths: files)
            if let v = try args.int("target-vocab-size", range: 1...Int(Int32.max)), v != merged.counts.targetVocabSize {
                throw UsageError("--target-vocab-size \(v) differs from the counts files' \(merged.counts.targetVocabSize)")
            }
            let options = try vocabularyOptions(args, tokenizerSHA256: merged.source.tokenizerSHA256, targetVocabSize: merged.counts.targetVocabSize)
            if !quiet { printError("vocab: merged \(files.count) counts files: \(merged.counts.samples) samples, \(merged.counts.tokens) tokens") }
            try write(merged, options: options, out: out, quiet: quiet)
            return
        }
        try args.noPositionals()
        let directory = try TokenDirectory(path: args.required("tokens"))
        let mode: CountMode = args.flag("all-tokens") ? .all : .supervised
        let vocab = try directory.targetVocabularySize(given: args.int("target-vocab-size", range: 1...Int(Int32.max)))
        var shards = 0..<directory.shards.count
        if args.flag("counts-only") {
            for name in ["size", "pin", "pin-file", "tokenizer"] where args.string(name) != nil {
                throw UsageError("--\(name) has no effect with --counts-only; give it to the --merge run")
            }
            for name in ["pin-special", "pin-bytes", "pad"] where args.flag(name) {
                throw UsageError("--\(name) has no effect with --counts-only; give it to the --merge run")
            }
            if args.string("part") != nil, args.string("worker") != nil { throw UsageError("give --part or --worker, not both") }
            if let part = args.string("part") ?? args.string("worker") {
                let (index, count) = try parsePart(part, option: args.string("part") != nil ? "part" : "worker")
                shards = directory.part(index, of: count)
            }
        } else if args.string("part") != nil || args.string("worker") != nil {
            throw UsageError("--\(args.string("part") != nil ? "part" : "worker") needs --counts-only")
        }
        let options = args.flag("counts-only") ? nil : try vocabularyOptions(args, tokenizerSHA256: directory.tokenizerSHA256, targetVocabSize: vocab)
        if !quiet {
            printError("vocab: counting \(mode == .all ? "all" : "supervised") tokens in \(shards.count) of \(directory.shards.count) shards of \(directory.path) (target vocabulary \(vocab) \(args.string("target-vocab-size") == nil ? "from the manifest's vocabulary_size; give --target-vocab-size if the target's logit width differs" : "from --target-vocab-size"), \(threads) threads)")
        }
        let counter = TokenCounter(directory: directory, targetVocabSize: vocab, mode: mode, threads: threads, shards: shards)
        var onProgress: (@Sendable (CountProgress) -> Void)?
        if !quiet {
            onProgress = { (p: CountProgress) in
                let rate: Double = p.seconds > 0 ? Double(p.tokens) / p.seconds / 1e6 : 0
                printError("vocab: \(p.samples)/\(p.totalSamples) samples, \(p.tokens) tokens, \(Int(p.seconds)) s, \(Double(Int(rate * 10)) / 10) M tokens/s")
            }
        }
        let counts = try counter.run(progress: onProgress)
        let partial = PartialCounts(counts: counts, mode: mode, source: CountSource(directory), shards: shards)
        guard let options else {
            try partial.write(path: out)
            if !quiet { printError("vocab: wrote counts of shards \(shards.lowerBound)..<\(shards.upperBound) (\(counts.distinct) distinct ids) to \(out)") }
            return
        }
        try write(partial, options: options, out: out, quiet: quiet)
    }

    /// --size, the pins and --pad, checked before any counting.
    static func vocabularyOptions(_ args: ParsedArguments, tokenizerSHA256: String?, targetVocabSize: Int) throws -> VocabularyOptions {
        guard let size = try args.int("size", range: 1...targetVocabSize) else { throw UsageError("missing required option '--size'") }
        let (pinned, sources) = try pins(args, tokenizerSHA256: tokenizerSHA256)
        if let bad = pinned.first(where: { $0 >= targetVocabSize }) {
            throw UsageError("pinned id \(bad) is outside the target vocabulary 0..<\(targetVocabSize)")
        }
        return VocabularyOptions(size: size, pinned: pinned, pinSources: sources, pad: args.flag("pad"))
    }

    static func write(_ counts: PartialCounts, options: VocabularyOptions, out: String, quiet: Bool) throws {
        let report = try VocabularyOutput.write(counts: counts, options: options, to: out)
        if !quiet { printError("vocab: " + report.summary.replacingOccurrences(of: "\n", with: "\nvocab: ") + "\nvocab: wrote \(out)/vocab.safetensors, vocab.json, coverage.svg") }
    }

    /// Pinned ids from --pin, --pin-file, --pin-special and --pin-bytes, and where they came from.
    static func pins(_ args: ParsedArguments, tokenizerSHA256 recorded: String?) throws -> ([Int], [String]) {
        var ids: [Int] = []
        var sources: [String] = []
        for list in args.strings("pin") {
            for item in list.split(separator: ",") {
                let t = item.trimmingCharacters(in: .whitespaces)
                guard let v = Int(t), v >= 0 else { throw UsageError("--pin expects comma-separated non-negative ids, got '\(t)'") }
                ids.append(v)
            }
            sources.append("--pin")
        }
        for path in args.strings("pin-file") {
            ids += try readIdList(path: path)
            sources.append("file:" + path)
        }
        if args.flag("pin-special") || args.flag("pin-bytes") {
            guard let path = args.string("tokenizer") else { throw UsageError("--pin-special and --pin-bytes need --tokenizer PATH") }
            let digest = try ModelAssets.fileDigest(ModelAssets.tokenizerFile(path))
            if let recorded, recorded != digest {
                throw UsageError("--tokenizer \(path) (sha256 \(digest)) is not the tokenizer the tokens were made with (sha256 \(recorded))")
            }
            let tokenizer = try Tokenizer.load(path: path)
            if args.flag("pin-special") {
                ids += tokenizer.specialTokenIds.map { Int($0) }
                sources.append("special")
            }
            if args.flag("pin-bytes") {
                ids += tokenizer.byteTokenIds.map { Int($0) }
                sources.append("bytes")
            }
        } else if args.string("tokenizer") != nil {
            throw UsageError("--tokenizer is only used with --pin-special or --pin-bytes")
        }
        return (ids, sources)
    }

    /// Ids from a file: a JSON array of integers, or integers separated by whitespace and commas, `#` to end of line
    /// a comment. Errors name the file and the offending text.
    static func readIdList(path: String) throws -> [Int] {
        let text = try FileIO.readString(path: path, limit: 64 << 20)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("[") {
            let value: JSONValue
            do { value = try JSONParser.parse(trimmed) } catch { throw FileError(path: path, message: "invalid JSON: \(error)") }
            return try (value.arrayValue ?? []).enumerated().map { i, item in
                guard let v = item.intValue, v >= 0 else { throw FileError(path: path, message: "element \(i) is \(JSONWriter.string(item)), expected a non-negative id") }
                return v
            }
        }
        var ids: [Int] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            for token in content.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\r" }) {
                guard let v = Int(token), v >= 0 else { throw FileError(path: path, message: "line \(n + 1): '\(token)' is not a non-negative id") }
                ids.append(v)
            }
        }
        return ids
    }

    /// `--part I/K`, `auto` or `auto:K` (the scheduler's environment; see WorkerSelection).
    static func parsePart(_ s: String, option: String = "part") throws -> (Int, Int) {
        let w = try WorkerSelection.parse(s, option: option, environment: ProcessInfo.processInfo.environment)
        return (w.index, w.count)
    }
}

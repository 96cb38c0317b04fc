import EagleCore
import Foundation
import Tokenization
#if canImport(Glibc)
import Glibc
#endif

/// `eagleprep bench tokenizer`: encode throughput on a JSONL text file, for comparison with the Python peers
/// measured by `scripts/bench/`. Prints one JSON object per measurement.
struct BenchCommand: Subcommand {
    static let name = "bench"
    static let summary = "Measure throughput (prints JSON lines; see scripts/bench-*.sh for peer comparisons)."
    static let usage = "tokenizer --tokenizer PATH --text FILE.jsonl [--threads 1,2] [--runs N] [--check-ids FILE]"
    static let options: [OptionSpec] = [
        .value("tokenizer", "PATH", "tokenizer.json, a model folder or a .gguf file."),
        .value("text", "FILE", "JSONL with one {\"text\": ...} document per line."),
        .value("threads", "LIST", "Comma-separated thread counts to measure (default: 1,2)."),
        .value("runs", "N", "Timed runs per thread count after one warm-up; the median is reported (default 3)."),
        .value("check-ids", "FILE", "JSONL {\"ids\": [...]} of the first lines, from a peer; mismatches are counted."),
    ]

    static func run(_ args: ParsedArguments) throws {
        guard args.positionals == ["tokenizer"] else { throw UsageError("expected the benchmark name 'tokenizer'") }
        let tokenizer = try Tokenizer.load(path: args.required("tokenizer"))
        let textPath = try args.required("text")
        let runs = try args.int("runs", default: 3, range: 1...100)!
        let threadList = try (args.string("threads") ?? "1,2").split(separator: ",").map { s throws(UsageError) -> Int in
            guard let n = Int(s), n >= 1 else { throw UsageError("--threads expects a comma-separated list of positive integers") }
            return n
        }
        var docs: [String] = []
        let reader = try LineReader(path: textPath)
        while let line = try reader.nextLine() {
            let v = try JSONParser.parse(bytes: line)
            guard let t = v["text"]?.stringValue else {
                throw InputLineError(path: textPath, line: reader.lineNumber, message: "expected {\"text\": ...}")
            }
            docs.append(t)
        }
        let bytes = docs.reduce(0) { $0 + $1.utf8.count }
        if let check = args.string("check-ids") {
            let r = try LineReader(path: check)
            var compared = 0, mismatched = 0
            while let line = try r.nextLine(), compared < docs.count {
                let ids = (try JSONParser.parse(bytes: line)["ids"]?.arrayValue ?? []).compactMap { $0.intValue }.map(Int32.init)
                if tokenizer.encode(docs[compared]) != ids { mismatched += 1 }
                compared += 1
            }
            print("{\"impl\":\"eagleprep\",\"check\":\"\(check)\",\"compared\":\(compared),\"mismatched\":\(mismatched)}")
        }
        let documents = docs
        for threads in threadList {
            var times: [Double] = []
            var tokens = 0
            for run in 0...runs {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let counts = try parallelMap(count: threads, threads: threads) { w -> Int in
                    let lo = documents.count * w / threads, hi = documents.count * (w + 1) / threads
                    var n = 0
                    for i in lo..<hi { n += tokenizer.encode(documents[i]).count }
                    return n
                }
                let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                tokens = counts.reduce(0, +)
                if run > 0 { times.append(dt) }
            }
            let rates = times.map { Double(bytes) / 1e6 / $0 }
            let median = rates.sorted()[rates.count / 2]
            let runsJSON = rates.map { String(format: "%.3f", $0) }.joined(separator: ",")
            print("{\"impl\":\"eagleprep\",\"threads\":\(threads),\"mb_per_s\":\(String(format: "%.3f", median)),\"runs\":[\(runsJSON)],\"bytes\":\(bytes),\"tokens\":\(tokens),\"peak_rss_mb\":\(String(format: "%.1f", peakRSSMegabytes()))}")
        }
    }

    static func peakRSSMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024  // Linux reports KiB
    }
}

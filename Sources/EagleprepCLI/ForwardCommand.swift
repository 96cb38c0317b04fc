import EagleCore
import Foundation
import LinearAlgebra
import SafeTensors
import TargetModel

/// `eagleprep forward`: every hidden state and the logits of token sequences, for parity debugging against any
/// other implementation; `--benchmark` measures forward throughput on random tokens instead.
struct ForwardCommand: Subcommand {
    static let name = "forward"
    static let summary = "Run the target model on token ids; write every hidden state and the logits (safetensors)."
    static let usage = "--model PATH --input FILE.jsonl --out OUT.safetensors [--threads N] | --model PATH --benchmark [options]"
    static let options: [OptionSpec] = [
        .value("model", "PATH", "Hugging Face model folder (config.json + safetensors) or .gguf file."),
        .value("input", "FILE", "JSONL, one {\"ids\": [...]} per line."),
        .value("out", "FILE", "Output safetensors: k.hidden_states.i [L, H] for i = 0..N and k.logits [L, V], F32, for line k."),
        .value("threads", "N", "Threads for BLAS and the other kernels (default: all cores)."),
        .flag("benchmark", "Measure forward throughput on random tokens; prints one JSON object."),
        .value("sequences", "N", "--benchmark: sequences per packed batch (default 4)."),
        .value("length", "L", "--benchmark: tokens per sequence (default 512)."),
        .value("runs", "N", "--benchmark: timed batches after one warm-up; the median is reported (default 3)."),
        .flag("profile", "--benchmark: also report the time spent between the forward pass's named stages."),
    ]
    static let discussion = """
    Hidden states use Hugging Face numbering: 0 = embeddings, i = the input of layer i (the output of layer i − 1),
    N = after the final norm. The lines run as one packed batch (no padding); each sequence starts at position 0.
    --benchmark also measures the sgemm peak (2048³, median of 5) in the same process and reports the model's
    achieved GFLOP/s against it, and the peak resident memory.
    """

    static func run(_ args: ParsedArguments) throws {
        try args.noPositionals()
        let modelPath = try args.required("model")
        let threads = try args.int("threads", default: System.coreCount, range: 1...1024)!
        if args.flag("benchmark") { return try benchmark(args, modelPath: modelPath, threads: threads) }
        let input = try args.required("input"), out = try args.required("out")
        var sequences: [[Int32]] = []
        var lineNumbers: [Int] = []
        let reader = try LineReader(path: input)
        while let line = try reader.nextLine() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let value: JSONValue
            do { value = try JSONParser.parse(bytes: line) } catch {
                throw InputLineError(path: input, line: reader.lineNumber, message: "invalid JSON: \(error)")
            }
            guard let ids = value["ids"]?.arrayValue, !ids.isEmpty else {
                throw InputLineError(path: input, line: reader.lineNumber, message: "expected {\"ids\": [...]} with at least one id")
            }
            var seq: [Int32] = []
            for v in ids {
                guard let i = v.intValue, i >= 0, i <= Int(Int32.max) else {
                    throw InputLineError(path: input, line: reader.lineNumber, message: "ids must be non-negative integers")
                }
                seq.append(Int32(i))
            }
            sequences.append(seq)
            lineNumbers.append(reader.lineNumber)
        }
        guard !sequences.isEmpty else { throw FileError(path: input, message: "no {\"ids\": [...]} lines") }
        BLAS.threadCount = threads
        let model = try ModelLoader.load(path: modelPath, threads: threads)
        let c = model.configuration
        for (k, seq) in sequences.enumerated() {
            if let bad = seq.first(where: { Int($0) >= c.vocabularySize }) {
                throw InputLineError(path: input, line: lineNumbers[k], message: "id \(bad) is outside the model's vocabulary 0..<\(c.vocabularySize)")
            }
        }
        let n = c.layerCount
        let output = try model.forward(sequences: sequences, options: ForwardOptions(hiddenStates: Array(0...n), finalRows: .all, threads: threads))
        var writer = SafeTensorsWriter(metadata: [("model", modelPath), ("hidden_states", "hugging_face: 0 = embeddings, i = input of layer i, \(n) = after the final norm")])
        var row = 0
        var logits: [Float] = []
        try model.logits(final: output.finalHidden!, rowCount: sequences.reduce(0) { $0 + $1.count }, threads: threads) { logits += $0.values }
        for (k, seq) in sequences.enumerated() {
            let len = seq.count, h = c.hiddenSize, v = c.vocabularySize
            for i in 0...n {
                let states = output.hiddenStates[i]!.buffer[(row * h)..<((row + len) * h)]
                try writer.add("\(k).hidden_states.\(i)", float32s: Array(states), shape: [len, h])
            }
            try writer.add("\(k).logits", float32s: Array(logits[(row * v)..<((row + len) * v)]), shape: [len, v])
            row += len
        }
        try writer.write(path: out)
        printError("forward: \(sequences.count) sequences, \(row) tokens → \(out)")
    }

    static func benchmark(_ args: ParsedArguments, modelPath: String, threads: Int) throws {
        let count = try args.int("sequences", default: 4, range: 1...4096)!
        let length = try args.int("length", default: 512, range: 1...(1 << 20))!
        let runs = try args.int("runs", default: 3, range: 1...100)!
        BLAS.threadCount = threads
        let loadStart = Date()
        let model = try ModelLoader.load(path: modelPath, threads: threads)
        let loadSeconds = Date().timeIntervalSince(loadStart)
        var random = SplitMix64(seed: 1234)
        let v = UInt64(model.configuration.vocabularySize)
        let batch = (0..<count).map { _ in (0..<length).map { _ in Int32(random.next() % v) } }
        let tokens = count * length
        var times: [Double] = []
        var stageSeconds: [String: Double] = [:]
        var last = Date()
        let profile: IntermediateObserver? = args.flag("profile") ? { name, _, _ in
            let now = Date()
            let stage = name.split(separator: ".").last.map(String.init) ?? name
            stageSeconds[stage, default: 0] += now.timeIntervalSince(last)
            last = now
        } : nil
        for run in 0...runs {
            let start = Date()
            last = start
            let out = try model.forward(sequences: batch, options: ForwardOptions(finalRows: .all, threads: threads, observer: profile))
            var argmaxSum = 0
            try model.logits(final: out.finalHidden!, rowCount: tokens, threads: threads) { argmaxSum &+= $0.argmax.reduce(0) { $0 &+ Int($1) } }
            stageSeconds["logits", default: 0] += Date().timeIntervalSince(last)
            if run > 0 { times.append(Date().timeIntervalSince(start)) } else { stageSeconds = [:] }
            _ = argmaxSum
        }
        let median = times.sorted()[times.count / 2]
        let flops = model.flopsPerToken(averageContext: Double(length + 1) / 2) * Double(tokens)
        let peak = try sgemmPeak()
        let gflops = flops / median / 1e9
        let fields: [(String, JSONValue)] = [
            ("impl", .string("eagleprep")), ("model", .string(modelPath)), ("threads", .int(threads)),
            ("sequences", .int(count)), ("length", .int(length)), ("runs", .int(runs)),
            ("seconds_median", .double(median)), ("tokens_per_s", .double(Double(tokens) / median)),
            ("gflops", .double(gflops)), ("sgemm_peak_gflops", .double(peak)), ("fraction_of_peak", .double(gflops / peak)),
            ("load_seconds", .double(loadSeconds)), ("peak_rss_mib", .double(peakResidentMiB())),
        ]
        var object = JSONObject(fields)
        if !stageSeconds.isEmpty {
            object["stage_seconds_per_run"] = .object(JSONObject(stageSeconds.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value / Double(runs))) }))
        }
        print(JSONWriter.string(.object(object)))
    }

    /// Median GFLOP/s of five 2048³ sgemms after one warm-up, with the current BLAS thread count.
    static func sgemmPeak() throws -> Double {
        let n = 2048
        let a = FloatBuffer(count: n * n), b = FloatBuffer(count: n * n), c = FloatBuffer(count: n * n)
        for i in 0..<(n * n) { a.pointer[i] = Float(i % 7) * 0.1; b.pointer[i] = Float(i % 5) * 0.1 }
        var times: [Double] = []
        for run in 0..<6 {
            let start = Date()
            try BLAS.sgemm(m: n, n: n, k: n, a: a.buffer, b: b.buffer, transB: true, c: c.mutableBuffer)
            if run > 0 { times.append(Date().timeIntervalSince(start)) }
        }
        return 2 * Double(n * n * n) / times.sorted()[times.count / 2] / 1e9
    }

    /// VmHWM from /proc/self/status (Linux), in MiB; 0 where unavailable.
    static func peakResidentMiB() -> Double {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb / 1024
    }
}

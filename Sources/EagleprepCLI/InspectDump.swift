import EagleCore
import Foundation
import SafeTensors
import Shards

/// `inspect` on a dump dataset (a `dump` directory or a merged manifest): summary, or one sample exported.
enum InspectDump {
    static func run(path: String, args: ParsedArguments) throws {
        let data = try DumpDataset(path: path)
        let out = BufferedOutput()
        if let k = try args.int("sample", range: 0...Int.max) {
            guard let (s, i) = data.locate(k) else {
                throw UsageError("--sample \(k) is out of range: \(path) holds \(data.sampleCount) samples"
                                 + (data.sampleCount > 0 ? " (0…\(data.sampleCount - 1))" : ""))
            }
            let reader = try data.openShard(s)
            let arrays = try reader.storedArrays(i)
            if let file = args.string("out") {
                try export(arrays, to: file, metadata: [("sample", "\(k)"), ("shard", data.shards[s].file), ("index_in_shard", "\(i)")])
                try out.write("inspect: sample \(k) (\(data.shards[s].file) #\(i)) → \(file)\n")
            } else {
                try out.write("sample \(k): \(data.shards[s].file) #\(i)\n")
            }
            for a in arrays { try out.write("  \(a.name): \(a.dtype) \(a.shape)\n") }
        } else {
            if args.string("out") != nil { throw UsageError("--out needs --sample K") }
            try out.write(try summary(data, path: path, sizeSamples: args.int("size-samples", default: 64, range: 0...Int.max)!))
        }
        try out.flush()
    }

    /// Writes the arrays as safetensors in their stored dtypes (atomically: temporary file, fsync, rename).
    static func export(_ arrays: [StoredArray], to file: String, metadata: [(key: String, value: String)]) throws {
        var w = SafeTensorsWriter(metadata: metadata)
        for a in arrays {
            let dtype: DType = switch a.dtype {
            case "i32": .i32
            case "u8": .u8
            case "bf16": .bf16
            case "f16": .f16
            default: .f32
            }
            try w.add(a.name, dtype: dtype, shape: a.shape, bytes: a.bytes)
        }
        try w.write(path: file)
    }

    static func summary(_ data: DumpDataset, path: String, sizeSamples: Int) throws -> String {
        let l = data.layout, s = data.settings, m = data.manifest
        func v(_ key: String) -> String { s[key].map { $0.stringValue ?? JSONWriter.string($0) } ?? "?" }
        let counts = m["counts"]
        let tokens = counts?["tokens"]?.intValue ?? 0
        let raw = counts?["raw_bytes"]?.intValue ?? 0, stored = counts?["stored_bytes"]?.intValue ?? 0
        let fileBytes = data.shards.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1.path)[.size] as? Int) ?? 0) }
        let perToken = { (b: Int) in String(format: "%.1f", Double(b) / Double(max(tokens, 1))) }
        var t = "\(path): eagleprep-dump, \(data.shards.count) shard(s), complete: true"
        if let from = m["merged_from"]?.arrayValue { t += ", merged from \(from.count) workers" }
        t += "\n  samples: \(data.sampleCount), tokens: \(tokens)"
        t += String(format: " (%.1f per sample)\n", Double(tokens) / Double(max(data.sampleCount, 1)))
        t += "  layout: hidden size \(l.hiddenSize), \(l.auxLayers) aux layers in \(l.auxDType.rawValue) (ids \(v("layers.ids")), \(v("layers.convention"))), signal \(l.signal.rawValue)"
        t += l.signal == .logits ? ", draft vocab \(l.draftVocabSize)\n" : " in \(l.hiddenDType.rawValue)\n"
        for key in s.keys.sorted() where key.hasPrefix("target.") || key.hasSuffix(".sha256") || key.hasSuffix("_sha256") {
            t += "  \(key): \(v(key))\n"
        }
        let level = Int32(m["compression"]?["level"]?.intValue ?? 1)
        t += "  stored: \(String(format: "%.2f", Double(fileBytes) / 1e6)) MB in shard files, \(perToken(fileBytes)) bytes/token; "
        t += "records \(perToken(stored)) bytes/token stored vs \(perToken(raw)) raw, compression ratio "
        t += String(format: "%.3f (zstd level %d, byte-shuffled)\n", Double(raw) / Double(max(stored, 1)), level)
        t += "  SpecForge-style per-token layout (\(l.auxLayers) aux + final hidden, bf16, uncompressed): \((l.auxLayers + 1) * l.hiddenSize * 2) bytes/token\n"
        guard sizeSamples > 0, data.sampleCount > 0 else { return t }
        // Evenly spaced samples; each component compressed on its own at the dump's level.
        let n = min(sizeSamples, data.sampleCount)
        var report = DumpSizeReport()
        var readers: [Int: DumpShardReader] = [:]
        for j in 0..<n {
            let (si, i) = data.locate(j * data.sampleCount / n)!
            if readers[si] == nil { readers = [si: try data.openShard(si)] }
            try report.add(readers[si]!, sample: i, level: level)
        }
        t += "  per token by component (\(report.samples) samples, \(report.tokens) tokens; stored = each component compressed alone, an estimate):\n"
        for c in report.components {
            t += "    " + c.name.padding(toLength: 22, withPad: " ", startingAt: 0)
            t += String(format: " raw %9.1f  stored %9.1f  ratio %.3f\n",
                        Double(c.rawBytes) / Double(report.tokens), Double(c.compressedBytes) / Double(report.tokens),
                        Double(c.rawBytes) / Double(max(c.compressedBytes, 1)))
        }
        t += "    " + "total".padding(toLength: 22, withPad: " ", startingAt: 0)
        t += String(format: " raw %9.1f  stored %9.1f  ratio %.3f (exact, whole records)\n",
                    Double(report.recordRawBytes) / Double(report.tokens), Double(report.recordStoredBytes) / Double(report.tokens),
                    Double(report.recordRawBytes) / Double(max(report.recordStoredBytes, 1)))
        return t
    }
}

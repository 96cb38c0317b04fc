import DraftVocabulary
import EagleCore
import Foundation
import Shards
import TargetModel
import TokenShards

/// Settings of a dump run that decide its output; a run into a directory made with other settings is refused.
public struct DumpSettings: Sendable {
    /// HF `hidden_states` indices of the aux layers (= inputs of those decoder layers), low, mid, high.
    public var auxLayers: [Int]
    public var auxDType: StorageDType = .bf16
    public var signal: TargetSignalKind = .logits
    public var hiddenDType: StorageDType = .bf16
    public var samplesPerShard = 1024
    /// Packed tokens per forward pass (sequences are never split; one longer sequence runs alone).
    public var tokensPerBatch = 4096
    public var workerIndex = 0
    public var workerCount = 1
    public var compressionLevel: Int32 = 1
    /// Target identity, token and vocabulary hashes, recorded in every shard and in the manifest.
    public var identity: JSONObject

    public init(auxLayers: [Int], identity: JSONObject) {
        self.auxLayers = auxLayers
        self.identity = identity
    }

    /// EAGLE-3's aux layers for an N-layer target: {2, ⌊N/2⌋, N−3} (SPEC §5; N ≥ 7 so they are distinct).
    public static func defaultAuxLayers(layerCount n: Int) throws -> [Int] {
        guard n >= 7 else { throw DumpError.tooFewLayers(n) }
        return [2, n / 2, n - 3]
    }

    var json: JSONObject {
        var o = identity
        o["layers.ids"] = .array(auxLayers.map { .int($0) })
        o["layers.convention"] = .string("input_to_layer")
        o["aux_dtype"] = .string(auxDType.rawValue)
        o["signal"] = .string(signal.rawValue)
        o["hidden_dtype"] = .string(hiddenDType.rawValue)
        o["samples_per_shard"] = .int(samplesPerShard)
        o["worker"] = .string("\(workerIndex)/\(workerCount)")
        return o
    }
}

public enum DumpError: Error, CustomStringConvertible {
    case tooFewLayers(Int)
    case settingsDiffer(directory: String, differences: [String])
    case vocabularyMismatch(String)
    /// Writing the output failed (disk full, I/O error…); the partial shard was removed, finished shards are intact.
    case writeFailed(directory: String, underlying: Error)

    public var description: String {
        switch self {
        case .tooFewLayers(let n): "the target has \(n) layers; EAGLE-3's aux layers {2, N/2, N−3} need at least 7"
        case .settingsDiffer(let dir, let diffs):
            "\(dir) holds a dump with other settings; use another --out or delete it. Differences:\n  " + diffs.joined(separator: "\n  ")
        case .vocabularyMismatch(let m): m
        case .writeFailed(let dir, let e):
            "writing the dump into \(dir) failed: \(e)\n(disk full or I/O error? The unfinished shard was removed and the finished "
                + "shards are intact: free space and re-run the same command to resume.)"
        }
    }
}

/// Progress of a running dump.
public struct DumpProgress: Sendable {
    public var samples: Int
    public var samplesTotal: Int
    public var tokens: Int
    public var bytesWritten: Int
    public var rawBytes: Int
    public var seconds: Double
    /// Time in the target (forward pass, logits, gathering the rows) and in writing (encoding, byte shuffle,
    /// compression, write, fsync, rename) so far, this run.
    public var forwardSeconds: Double = 0
    public var writeSeconds: Double = 0
    /// Samples and tokens dumped by this run (a resumed run starts from the kept shards' counts).
    public var samplesThisRun = 0
    public var tokensThisRun = 0
}

/// The `dump` stage: token shards → the frozen target's aux hidden states and target signal → dump shards plus
/// `manifest.json`. Resumable like `tokenize`: each finished shard records the next sample index and the counts.
public struct DumpStage {
    public let model: TargetModel
    public let tokens: TokenDirectory
    /// Sorted draft-vocabulary target ids (σ, SPEC §4), the columns stored for the logits signal.
    public let draftIds: [Int32]
    public let settings: DumpSettings
    public let outputDirectory: String
    public let threads: Int

    public init(model: TargetModel, tokens: TokenDirectory, draftIds: [Int32], settings: DumpSettings, outputDirectory: String, threads: Int) {
        self.model = model
        self.tokens = tokens
        self.draftIds = draftIds
        self.settings = settings
        self.outputDirectory = outputDirectory
        self.threads = threads
    }

    public static func shardName(_ k: Int) -> String { String(format: "dump-%05d.epdump", k) }
    public var manifestPath: String { outputDirectory + "/manifest.json" }

    var layout: DumpLayout {
        DumpLayout(hiddenSize: model.configuration.hiddenSize, auxLayers: settings.auxLayers.count, auxDType: settings.auxDType,
                   signal: settings.signal, draftVocabSize: settings.signal == .logits ? draftIds.count : 0, hiddenDType: settings.hiddenDType)
    }

    public struct Counts: Sendable, Equatable {
        public var samples = 0
        public var tokens = 0
        public var rawBytes = 0
        public var storedBytes = 0
        var json: JSONValue {
            .object(JSONObject([("samples", .int(samples)), ("tokens", .int(tokens)), ("raw_bytes", .int(rawBytes)), ("stored_bytes", .int(storedBytes))]))
        }
        init() {}
        init(json: JSONValue?) {
            samples = json?["samples"]?.intValue ?? 0
            tokens = json?["tokens"]?.intValue ?? 0
            rawBytes = json?["raw_bytes"]?.intValue ?? 0
            storedBytes = json?["stored_bytes"]?.intValue ?? 0
        }
    }

    public func run(onProgress: (DumpProgress) -> Void = { _ in }) throws -> Counts {
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        let settingsJSON = settings.json
        let settingsHash = SHA256.hexDigest(Array(JSONWriter.string(.object(settingsJSON)).utf8))
        if FileIO.exists(manifestPath) {
            let existing = try JSONParser.parse(bytes: FileIO.readAll(path: manifestPath))
            if let old = existing["settings"]?.objectValue, old != settingsJSON {
                throw DumpError.settingsDiffer(directory: outputDirectory, differences: Self.differences(old, settingsJSON))
            }
            if existing["complete"] == .bool(true) { return Counts(json: existing["counts"]) }
        }
        // Resume: keep the leading complete shards written with these settings.
        var counts = Counts()
        var shards: [JSONValue] = []
        var nextSample = 0
        while let r = try? DumpShardReader(path: outputDirectory + "/" + Self.shardName(shards.count)),
              r.metadata["settings_sha256"] == .string(settingsHash), let end = r.metadata["end_sample"]?.intValue {
            counts = Counts(json: r.metadata["counts_after"])
            nextSample = end
            shards.append(Self.shardEntry(shards.count, r.count, r.fileSize))
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: outputDirectory) where name.hasPrefix("dump-") {
            if let k = Int(name.dropFirst("dump-".count).prefix(5)), k >= shards.count || name.hasSuffix(".partial") {
                try FileManager.default.removeItem(atPath: outputDirectory + "/" + name)
            }
        }

        let total = tokens.sampleCount
        let mine = (0..<total).filter { $0 % settings.workerCount == settings.workerIndex }
        var writer: DumpShardWriter?
        var shardRaw = 0
        let start = Date()
        var forwardSeconds = 0.0, writeSeconds = 0.0
        let resumedCounts = counts
        var position = mine.firstIndex { $0 >= nextSample } ?? mine.count
        var readers: [String: TokenShardReader] = [:]
        func tokenSample(_ global: Int) throws -> TokenSample {
            let shard = tokens.shards.last { $0.firstSample <= global }!
            if readers[shard.path] == nil { readers = [shard.path: try TokenShardReader(path: shard.path)] }
            return try readers[shard.path]!.sample(global - shard.firstSample)
        }
        /// Runs a write; on a file error the unfinished shard is dropped (its writer removes the partial file) first.
        func written<T>(_ body: () throws -> T) throws -> T {
            do { return try body() } catch let e as FileError {
                writer = nil
                throw DumpError.writeFailed(directory: outputDirectory, underlying: e)
            }
        }
        func report() {
            onProgress(DumpProgress(samples: counts.samples, samplesTotal: mine.count, tokens: counts.tokens,
                                    bytesWritten: counts.storedBytes + (writer?.bytesWritten ?? 0), rawBytes: counts.rawBytes,
                                    seconds: Date().timeIntervalSince(start), forwardSeconds: forwardSeconds, writeSeconds: writeSeconds,
                                    samplesThisRun: counts.samples - resumedCounts.samples, tokensThisRun: counts.tokens - resumedCounts.tokens))
        }
        func closeShard(endSample: Int) throws {
            guard let w = writer else { return }
            counts.storedBytes += w.bytesWritten
            var meta = settings.identity
            for (k, v) in settingsJSON { meta[k] = v }
            meta["settings_sha256"] = .string(settingsHash)
            meta["end_sample"] = .int(endSample)
            meta["counts_after"] = counts.json
            try written { try w.finish(metadata: meta) }
            shards.append(Self.shardEntry(shards.count, w.sampleCount, (try? FileManager.default.attributesOfItem(atPath: w.path)[.size] as? Int) ?? 0))
            writer = nil
            shardRaw = 0
        }
        while position < mine.count {
            // Pack whole sequences up to the token budget. A batch never crosses a shard boundary, so a resumed run
            // (which starts at one) forms the same batches as an uninterrupted run: the forward pass's float sums
            // depend on the batch's composition, and a resumed dump must write the same bytes.
            var batch: [(global: Int, sample: TokenSample)] = []
            var batchTokens = 0
            while position < mine.count, (writer?.sampleCount ?? 0) + batch.count < settings.samplesPerShard {
                let s = try tokenSample(mine[position])
                if !batch.isEmpty, batchTokens + s.ids.count > settings.tokensPerBatch { break }
                batch.append((mine[position], s))
                batchTokens += s.ids.count
                position += 1
            }
            let t0 = Date()
            let dumped = try dumpBatch(batch.map(\.sample))
            let t1 = Date()
            forwardSeconds += t1.timeIntervalSince(t0)
            for (item, d) in zip(batch, dumped) {
                if writer == nil {
                    let path = outputDirectory + "/" + Self.shardName(shards.count)
                    writer = try written { try DumpShardWriter(path: path, layout: layout, compressionLevel: settings.compressionLevel) }
                }
                let before = writer!.rawBytes
                try written { try writer!.append(d) }
                counts.rawBytes += writer!.rawBytes - before
                shardRaw += writer!.rawBytes - before
                counts.samples += 1
                counts.tokens += d.ids.count
                if writer!.sampleCount == settings.samplesPerShard { try closeShard(endSample: item.global + 1) }
            }
            writeSeconds += Date().timeIntervalSince(t1)
            report()
        }
        let t = Date()
        try closeShard(endSample: total)
        var manifest = JSONObject()
        manifest["format"] = .string("eagleprep-dump")
        manifest["version"] = .int(1)
        manifest["settings"] = .object(settingsJSON)
        manifest["layout"] = layout.json
        manifest["compression"] = .object(JSONObject([("codec", .string("zstd")), ("level", .int(Int(settings.compressionLevel)))]))
        manifest["shards"] = .array(shards)
        manifest["counts"] = counts.json
        manifest["complete"] = .bool(true)
        try written { try FileIO.writeAtomically(path: manifestPath, bytes: Array(JSONWriter.string(.object(manifest)).utf8)) }
        writeSeconds += Date().timeIntervalSince(t)
        report()
        return counts
    }

    /// One packed forward pass over `samples`; aux hidden states of every row, and the target signal.
    func dumpBatch(_ samples: [TokenSample]) throws -> [DumpSample] {
        let c = model.configuration
        let h = c.hiddenSize
        let out = try model.forward(sequences: samples.map(\.ids),
                                    options: ForwardOptions(hiddenStates: settings.auxLayers, finalRows: .all, threads: threads))
        let aux = settings.auxLayers.map { out.hiddenStates[$0]! }
        let final = out.finalHidden!
        var firstRow = 0
        var rowsNeeded: [Int] = []  // packed rows whose logits some loss term reads
        var result: [DumpSample] = []
        for s in samples {
            let L = s.ids.count
            var a = [Float](repeating: 0, count: L * aux.count * h)
            for t in 0..<L {
                for (j, buffer) in aux.enumerated() {
                    let src = UnsafeBufferPointer(start: buffer.pointer + (firstRow + t) * h, count: h)
                    a.replaceSubrange(((t * aux.count + j) * h)..<((t * aux.count + j + 1) * h), with: src)
                }
            }
            let signal: DumpSample.Signal
            if settings.signal == .hidden {
                signal = .hidden(Array(UnsafeBufferPointer(start: final.pointer + firstRow * h, count: L * h)))
            } else {
                signal = .logits(draft: [], argmax: [])
                rowsNeeded += DumpSample.usedLogitRows(s.lossMask).map { firstRow + $0 }
            }
            result.append(DumpSample(ids: s.ids, lossMask: s.lossMask, auxHidden: a, signal: signal,
                                     sourceFile: s.sourceFile, sourceLine: s.sourceLine))
            firstRow += L
        }
        guard settings.signal == .logits else { return result }
        // Logits only for the rows the loss reads, then the full-vocabulary argmax of every row: compute all rows'
        // argmax would need every row's logits, so rows that no loss term reads keep argmax from the same pass.
        let vd = draftIds.count
        let allRows = firstRow
        var draftRows = [Float](repeating: 0, count: rowsNeeded.count * vd)
        var argmax = [Int32](repeating: 0, count: allRows)
        let gathered = FloatBuffer(count: max(allRows, 1) * h)
        // Every row goes through the head (argmax is defined for every position); needed rows keep their columns.
        for r in 0..<allRows { (gathered.pointer + r * h).update(from: final.pointer + r * h, count: h) }
        var neededIndex = [Int: Int]()
        for (i, r) in rowsNeeded.enumerated() { neededIndex[r] = i }
        try model.logits(final: gathered, rowCount: allRows, columns: draftIds, threads: threads) { chunk in
            for (i, r) in chunk.rows.enumerated() {
                argmax[r] = chunk.argmax[i]
                if let j = neededIndex[r] {
                    for col in 0..<vd { draftRows[j * vd + col] = chunk.values[i * vd + col] }
                }
            }
        }
        firstRow = 0
        var needed = 0
        for k in result.indices {
            let L = result[k].ids.count
            var draft = [Float](repeating: 0, count: L * vd)
            for u in DumpSample.usedLogitRows(result[k].lossMask) {
                draft.replaceSubrange((u * vd)..<((u + 1) * vd), with: draftRows[(needed * vd)..<((needed + 1) * vd)])
                needed += 1
            }
            result[k].signal = .logits(draft: draft, argmax: Array(argmax[firstRow..<(firstRow + L)]))
            firstRow += L
        }
        return result
    }

    static func shardEntry(_ k: Int, _ samples: Int, _ bytes: Int) -> JSONValue {
        .object(JSONObject([("file", .string(shardName(k))), ("samples", .int(samples)), ("bytes", .int(bytes))]))
    }

    static func differences(_ old: JSONObject, _ new: JSONObject) -> [String] {
        let keys = old.keys + new.keys.filter { old[$0] == nil }
        return keys.compactMap { k in
            old[k] == new[k] ? nil : "\(k): was \(old[k].map(JSONWriter.string) ?? "absent"), now \(new[k].map(JSONWriter.string) ?? "absent")"
        }
    }
}

import Conversations
import EagleCore
import Foundation
import TokenShards

/// Settings of a tokenize run that decide its output; a run into a directory made with other settings is refused.
public struct TokenizeSettings: Sendable {
    public var inputs: [String]
    public var format: ConversationFormat?
    public var options: SampleOptions
    public var samplesPerShard: Int
    public var workerIndex: Int
    public var workerCount: Int
    /// Drop a sample whose token ids and loss mask equal an earlier one's (counted as rejected `duplicate`), so
    /// repeated conversations are neither over-weighted nor on both sides of a train/validation split. Within
    /// this run (this worker's records) only.
    public var dropDuplicates: Bool
    /// Identity of tokenizer and template (hashes, end-of-turn id), recorded and compared on resume.
    public var identity: JSONObject

    public init(inputs: [String], format: ConversationFormat?, options: SampleOptions, samplesPerShard: Int = 4096,
                workerIndex: Int = 0, workerCount: Int = 1, dropDuplicates: Bool = false, identity: JSONObject) {
        self.inputs = inputs
        self.format = format
        self.options = options
        self.samplesPerShard = samplesPerShard
        self.workerIndex = workerIndex
        self.workerCount = workerCount
        self.dropDuplicates = dropDuplicates
        self.identity = identity
    }

    /// The settings as recorded in the manifest, with each input's size and SHA-256.
    func json() throws -> JSONObject {
        var inputList: [JSONValue] = []
        for path in inputs {
            let (count, digest) = try MappedFile(path: path).withBytes { ($0.count, SHA256.hexDigest($0)) }
            inputList.append(.object(JSONObject([("path", .string(path)), ("bytes", .int(count)), ("sha256", .string(digest))])))
        }
        var o = identity
        o["inputs"] = .array(inputList)
        o["format"] = .string(format?.rawValue ?? "auto")
        o["mask_mode"] = .string(options.maskMode.rawValue)
        o["system_prompt"] = .string(options.systemPrompt.rawValue)
        o["max_length"] = .int(options.maxLength)
        o["over_length"] = .string(options.overLength.rawValue)
        o["require_alternation"] = .bool(options.requireAlternation)
        o["render_tools"] = .bool(options.renderTools)
        o["samples_per_shard"] = .int(samplesPerShard)
        o["worker"] = .string("\(workerIndex)/\(workerCount)")
        if dropDuplicates { o["drop_duplicates"] = .bool(true) }  // absent when off: manifests from before the option stay valid
        return o
    }
}

/// Progress of a running stage, reported after each batch.
public struct StageProgress: Sendable {
    public var records: Int
    public var samples: Int
    public var inputFilesDone: Int
    public var inputFiles: Int
    public var seconds: Double
}

/// The `tokenize` stage: conversations → samples → token shards plus `manifest.json`, streaming, parallel over
/// batches with output order = input order (independent of the thread count), resumable: every finished shard
/// records in its metadata the input position after its last sample and the counts so far, so a re-run keeps the
/// leading complete shards and continues from there.
public struct TokenizeStage {
    public let settings: TokenizeSettings
    public let outputDirectory: String
    public let threads: Int
    public var batchSize = 256

    public init(settings: TokenizeSettings, outputDirectory: String, threads: Int) {
        self.settings = settings
        self.outputDirectory = outputDirectory
        self.threads = threads
    }

    public static func shardName(_ k: Int) -> String { String(format: "tokens-%05d.eptok", k) }
    public var manifestPath: String { outputDirectory + "/manifest.json" }

    private struct Item {
        var record: Int
        var fileIndex: Int
        var result: Result<Conversation, RecordRejection>
    }

    /// Runs (or resumes) the stage. `onRecordProblem` receives `file:line: reason` lines for skipped records.
    public func run(builder: SampleBuilder, onRecordProblem: (String) -> Void = { _ in },
                    onProgress: (StageProgress) -> Void = { _ in }) throws -> TokenizeCounts {
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        let settingsJSON = try settings.json()
        let settingsHash = SHA256.hexDigest(Array(JSONWriter.string(.object(settingsJSON)).utf8))
        if FileIO.exists(manifestPath) {
            let existing = try JSONParser.parse(bytes: FileIO.readAll(path: manifestPath))
            if let old = existing["settings"]?.objectValue, old != settingsJSON {
                throw TokenizeStageError.settingsDiffer(directory: outputDirectory, differences: Self.differences(old, settingsJSON))
            }
            if existing["complete"] == .bool(true) { return TokenizeCounts(json: existing["counts"] ?? .null) }
        }
        var state = RunState(directory: outputDirectory, settingsHash: settingsHash, samplesPerShard: settings.samplesPerShard,
                             duplicates: settings.dropDuplicates ? DuplicateFilter() : nil, inputs: settings.inputs)
        try state.resume()

        let start = Date()
        var batch: [Item] = []
        var record = 0
        func flush() throws {
            let items = batch
            let b = builder
            let outcomes = try parallelMap(count: items.count, threads: threads) { i -> SampleOutcome? in
                guard case .success(let c) = items[i].result else { return nil }
                return b.build(c)
            }
            for (item, outcome) in zip(items, outcomes) {
                try state.add(item.result, outcome, record: item.record, fileIndex: item.fileIndex, report: onRecordProblem)
            }
            batch.removeAll(keepingCapacity: true)
        }
        for (fileIndex, path) in settings.inputs.enumerated() {
            try ConversationReader(path: path, format: settings.format).forEach { result in
                defer { record += 1 }
                guard record >= state.resumeRecord, record % settings.workerCount == settings.workerIndex else { return }
                batch.append(Item(record: record, fileIndex: fileIndex, result: result))
                if batch.count >= batchSize {
                    try flush()
                    onProgress(StageProgress(records: state.counts.read, samples: state.counts.kept, inputFilesDone: fileIndex,
                                             inputFiles: settings.inputs.count, seconds: Date().timeIntervalSince(start)))
                }
            }
        }
        try flush()
        try state.closeShard(endRecord: record)
        var manifest = JSONObject()
        manifest["format"] = .string("eagleprep-tokens")
        manifest["version"] = .int(1)
        manifest["settings"] = .object(settingsJSON)
        manifest["shards"] = .array(state.shards)
        manifest["counts"] = state.counts.json
        manifest["complete"] = .bool(true)
        try FileIO.writeAtomically(path: manifestPath, bytes: Array(JSONWriter.string(.object(manifest)).utf8))
        return state.counts
    }

    /// Shards written so far, the open writer, and the running counts.
    private struct RunState {
        let directory: String
        let settingsHash: String
        let samplesPerShard: Int
        var counts = TokenizeCounts()
        var shards: [JSONValue] = []
        var resumeRecord = 0
        var writer: TokenShardWriter?
        var shardTokens = 0
        var shardSupervised = 0
        var duplicates: DuplicateFilter?
        let inputs: [String]

        init(directory: String, settingsHash: String, samplesPerShard: Int, duplicates: DuplicateFilter?, inputs: [String]) {
            self.directory = directory
            self.settingsHash = settingsHash
            self.samplesPerShard = samplesPerShard
            self.duplicates = duplicates
            self.inputs = inputs
        }

        /// Keeps the leading run of complete shards written with these settings (and this build's shard version);
        /// removes everything after it.
        mutating func resume() throws {
            while let r = try? TokenShardReader(path: directory + "/" + TokenizeStage.shardName(shards.count)),
                  r.version == TokenShardFormat.version, r.metadata["settings_sha256"] == .string(settingsHash),
                  let end = r.metadata["end_record"]?.intValue {
                counts = TokenizeCounts(json: r.metadata["counts_after"] ?? .null)
                resumeRecord = end
                if duplicates != nil {  // the kept samples' keys, so a resumed run drops what a whole run would
                    for k in 0..<r.count {
                        let s = try r.sample(k)
                        _ = duplicates!.insert(ids: s.ids, mask: s.lossMask, file: s.sourceFile, line: s.sourceLine)
                    }
                }
                shards.append(TokenizeStage.shardEntry(shards.count, r.count, r.metadata))
            }
            for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasPrefix("tokens-") {
                if let k = Int(name.dropFirst("tokens-".count).prefix(5)), k >= shards.count || name.hasSuffix(".partial") {
                    try FileManager.default.removeItem(atPath: directory + "/" + name)
                }
            }
        }

        mutating func add(_ result: Result<Conversation, RecordRejection>, _ outcome: SampleOutcome?, record: Int, fileIndex: Int,
                          report: (String) -> Void) throws {
            counts.read += 1
            switch (result, outcome) {
            case (.failure(let e), _):
                counts.invalid[e.reason.rawValue, default: 0] += 1
                report(e.description)
            case (.success(let c), .rejected(let reason, let detail)?):
                counts.rejected[reason.rawValue, default: 0] += 1
                report("\(c.source):\(c.line): \(reason.rawValue): \(detail)")
            case (.success(let c), .sample(let ids, let mask, let truncated, let special)?):
                if duplicates != nil, let earlier = duplicates!.insert(ids: ids, mask: mask, file: UInt32(fileIndex), line: UInt64(c.line)) {
                    counts.rejected["duplicate", default: 0] += 1
                    let path = Int(earlier.file) < inputs.count ? inputs[Int(earlier.file)] : "input \(earlier.file)"
                    report("\(c.source):\(c.line): duplicate: the same tokens and loss mask as \(path):\(earlier.line)")
                    return
                }
                if writer == nil { writer = try TokenShardWriter(path: directory + "/" + TokenizeStage.shardName(shards.count)) }
                let supervised = mask.reduce(0) { $0 + Int($1) }
                counts.kept += 1
                counts.tokens += ids.count
                counts.supervisedTokens += supervised
                if truncated { counts.truncated += 1 }
                if special { counts.specialTokensInContent += 1 }
                shardTokens += ids.count
                shardSupervised += supervised
                try writer!.append(TokenSample(ids: ids, lossMask: mask, sourceFile: UInt32(fileIndex),
                                               sourceLine: UInt64(c.line), recordIndex: UInt64(c.index)))
                if writer!.sampleCount == samplesPerShard { try closeShard(endRecord: record + 1) }
            case (.success, nil):
                preconditionFailure("every decoded record has an outcome")
            }
        }

        mutating func closeShard(endRecord: Int) throws {
            guard let w = writer else { return }
            let meta = JSONObject([("settings_sha256", .string(settingsHash)), ("end_record", .int(endRecord)),
                                   ("tokens", .int(shardTokens)), ("supervised_tokens", .int(shardSupervised)),
                                   ("counts_after", counts.json)])
            try w.finish(metadata: .object(meta))
            shards.append(TokenizeStage.shardEntry(shards.count, w.sampleCount, .object(meta)))
            writer = nil
            shardTokens = 0
            shardSupervised = 0
        }
    }

    static func shardEntry(_ k: Int, _ samples: Int, _ meta: JSONValue) -> JSONValue {
        .object(JSONObject([("file", .string(shardName(k))), ("samples", .int(samples)),
                            ("tokens", meta["tokens"] ?? .null), ("supervised_tokens", meta["supervised_tokens"] ?? .null)]))
    }

    static func differences(_ old: JSONObject, _ new: JSONObject) -> [String] {
        let keys = old.keys + new.keys.filter { old[$0] == nil }
        return keys.compactMap { k in
            old[k] == new[k] ? nil : "\(k): was \(old[k].map(JSONWriter.string) ?? "absent"), now \(new[k].map(JSONWriter.string) ?? "absent")"
        }
    }
}

public enum TokenizeStageError: Error, CustomStringConvertible {
    case settingsDiffer(directory: String, differences: [String])
    public var description: String {
        switch self {
        case .settingsDiffer(let dir, let diffs):
            "\(dir) holds a tokenize run with other settings; use another --out or delete it. Differences:\n  " + diffs.joined(separator: "\n  ")
        }
    }
}

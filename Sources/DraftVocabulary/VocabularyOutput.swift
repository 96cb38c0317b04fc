import EagleCore
import Foundation
import SafeTensors

/// Options that decide a draft vocabulary besides the counts; recorded in `vocab.json`.
public struct VocabularyOptions: Sendable, Equatable {
    /// Draft vocabulary size N.
    public var size: Int
    /// Ids always included (sorted and deduplicated when recorded).
    public var pinned: [Int]
    /// Where the pins came from, for the record (e.g. `--pin`, `special`, `bytes`, `file:PATH`).
    public var pinSources: [String]
    /// Fill missing slots with the lowest unused ids instead of failing.
    public var pad: Bool

    public init(size: Int, pinned: [Int] = [], pinSources: [String] = [], pad: Bool = false) {
        self.size = size
        self.pinned = Array(Set(pinned)).sorted()
        self.pinSources = pinSources
        self.pad = pad
    }
}

/// What `vocab.json` says about a written vocabulary: sizes, the identity of the inputs, the options, counts and
/// coverage. The same counts and options always give the same bytes (one run, any thread count, or a merge).
public struct VocabularyReport: Sendable {
    public static let format = "eagleprep-vocab"
    public static let version = 1
    /// Standard sizes in the coverage table (1k … 32k as powers of two), plus the chosen size.
    public static let coverageSizes = [1024, 2048, 4096, 8192, 16384, 32768]

    public let json: JSONValue
    /// (size, fraction of counted tokens covered); the last entry is the chosen vocabulary.
    public let coverage: [(size: Int, fraction: Double)]
    public let selection: VocabularySelection

    /// Human-readable lines for the terminal.
    public var summary: String {
        let c = json["counts"]
        var s = "draft vocabulary \(selection.size) of \(selection.targetVocabSize) ids from \(c?["distinct"]?.intValue ?? 0) distinct counted ids"
        s += " (\(c?["counted_tokens"]?.intValue ?? 0) counted tokens, \(c?["samples"]?.intValue ?? 0) samples)"
        if !selection.pinned.isEmpty { s += ", \(selection.pinned.count) pinned" }
        if !selection.padded.isEmpty { s += ", \(selection.padded.count) padded" }
        s += "\ncoverage of counted tokens:"
        for (i, (size, f)) in coverage.enumerated() {
            s += "\n  " + (i == coverage.count - 1 ? "chosen \(size)" : CoverageChart.label(size)) + ": " + CoverageChart.percent(f)
        }
        return s
    }
}

/// Writes a draft vocabulary directory.
public enum VocabularyOutput {
    public static let mapsFile = "vocab.safetensors"
    public static let reportFile = "vocab.json"
    public static let chartFile = "coverage.svg"

    /// Chooses the vocabulary from `counts` and writes `vocab.safetensors` (`d2t` I64 [N], `t2d` BOOL [V]),
    /// `coverage.svg` and, last, `vocab.json`, each atomically; a crash never leaves a `vocab.json` describing
    /// files that are not there.
    @discardableResult
    public static func write(counts partial: PartialCounts, options: VocabularyOptions, to directory: String) throws -> VocabularyReport {
        let counts = partial.counts
        let selection = try VocabularySelection(counts: counts, size: options.size, pinned: options.pinned, pad: options.pad)
        try createDirectory(directory)
        let source = partial.source

        var maps = SafeTensorsWriter(metadata: [
            ("format", VocabularyReport.format), ("draft_vocab_size", String(selection.size)),
            ("target_vocab_size", String(selection.targetVocabSize)), ("count", partial.mode.rawValue),
            ("tokens_manifest_sha256", source.tokensManifestSHA256), ("tokenizer_sha256", source.tokenizerSHA256 ?? ""),
            ("mask_mode", source.maskMode ?? ""),
        ])
        try maps.add("d2t", int64s: selection.d2t)
        try maps.add("t2d", bools: selection.t2d)
        let mapsBytes = maps.serialized()
        try FileIO.writeAtomically(path: directory + "/" + mapsFile, bytes: mapsBytes)

        var coverage = VocabularyReport.coverageSizes.filter { $0 <= selection.targetVocabSize }.map { ($0, selection.coverage(top: $0, counts: counts)) }
        coverage.append((selection.size, selection.coverage(counts: counts)))
        let chart = CoverageChart.svg(points: curve(selection, counts), marks: Array(coverage.dropLast()), chosen: coverage.last!,
                                      title: "Draft vocabulary coverage of \(partial.mode == .all ? "all" : "supervised") tokens")
        let chartBytes = Array(chart.utf8)
        try FileIO.writeAtomically(path: directory + "/" + chartFile, bytes: chartBytes)

        let json = reportJSON(partial: partial, options: options, selection: selection, coverage: coverage,
                              files: [(mapsFile, SHA256.hexDigest(mapsBytes)), (chartFile, SHA256.hexDigest(chartBytes))])
        try FileIO.writeAtomically(path: directory + "/" + reportFile, bytes: Array((JSONWriter.string(json) + "\n").utf8))
        return VocabularyReport(json: json, coverage: coverage, selection: selection)
    }

    static func reportJSON(partial: PartialCounts, options: VocabularyOptions, selection: VocabularySelection,
                           coverage: [(size: Int, fraction: Double)], files: [(String, String)]) -> JSONValue {
        let counts = partial.counts
        let source = partial.source
        let byCount = selection.chosen.count - selection.padded.count - selection.pinned.filter { counts.counts[Int($0)] == 0 }.count
        var countsJSON = JSONObject([
            ("samples", .int(counts.samples)), ("tokens", .int(counts.tokens)), ("counted_tokens", .int(Int(counts.countedTokens))),
            ("distinct", .int(selection.ranked.count)), ("chosen_counted", .int(byCount)),
            ("pinned", .int(selection.pinned.count)), ("padded", .int(selection.padded.count)),
        ])
        let chosenCounts = selection.chosen.map { counts.counts[Int($0)] }.filter { $0 > 0 }
        countsJSON["lowest_chosen_count"] = chosenCounts.min().map { .int(Int($0)) } ?? .null
        let isChosen = Set(selection.chosen)
        countsJSON["highest_unchosen_count"] = selection.ranked.first { !isChosen.contains($0) }.map { .int(Int(counts.counts[Int($0)])) } ?? .null
        countsJSON["tie_at_cut"] = selection.tieAtCut(counts: counts).map {
            .object(JSONObject([("count", .int(Int($0.count))), ("ids", .int($0.ids)), ("chosen", .int($0.chosen))]))
        } ?? .null

        let coverageJSON: [JSONValue] = coverage.enumerated().map { i, c in
            var o = JSONObject([("size", .int(c.size)), ("fraction", .double(c.fraction))])
            if i == coverage.count - 1 { o["chosen"] = .bool(true) }
            return .object(o)
        }
        return .object(JSONObject([
            ("format", .string(VocabularyReport.format)), ("version", .int(VocabularyReport.version)),
            ("draft_vocab_size", .int(selection.size)), ("target_vocab_size", .int(selection.targetVocabSize)),
            ("inputs", .object(JSONObject([
                ("tokens_manifest_sha256", .string(source.tokensManifestSHA256)),
                ("tokenizer_sha256", source.tokenizerSHA256.map { .string($0) } ?? .null),
                ("mask_mode", source.maskMode.map { .string($0) } ?? .null),
                ("shards", .int(source.shardCount)),
            ]))),
            ("options", .object(JSONObject([
                ("count", .string(partial.mode.rawValue)),
                ("pinned_ids", .array(options.pinned.map { .int($0) })),
                ("pin_sources", .array(options.pinSources.map { .string($0) })),
                ("pad", .bool(options.pad)),
            ]))),
            ("counts", .object(countsJSON)),
            ("coverage", .array(coverageJSON)),
            ("files", .object(JSONObject(files.map { ($0.0, .object(JSONObject([("sha256", .string($0.1))]))) }))),
        ]))
    }

    /// Coverage of the pure top-n at sizes 2^(k/4) up to the distinct count (or the target size), for the chart.
    static func curve(_ selection: VocabularySelection, _ counts: TokenCounts) -> [(size: Int, fraction: Double)] {
        let total = counts.countedTokens
        let end = max(1, min(selection.targetVocabSize, max(selection.ranked.count, selection.size)))
        var prefix: [UInt64] = [0]
        prefix.reserveCapacity(selection.ranked.count + 1)
        for id in selection.ranked { prefix.append(prefix.last! + counts.counts[Int(id)]) }
        var sizes: [Int] = []
        var k = 16  // 2^(16/4) = 16
        while true {
            let n = Int(Foundation.pow(2, Double(k) / 4).rounded())
            if n >= end { break }
            if sizes.last != n { sizes.append(n) }
            k += 1
        }
        sizes.append(end)
        return sizes.map { n in (n, total == 0 ? 0 : Double(prefix[min(n, prefix.count - 1)]) / Double(total)) }
    }

    static func createDirectory(_ path: String) throws {
        if FileIO.isDirectory(path) { return }
        if FileIO.exists(path) { throw VocabularyError.vocabulary(path: path, message: "exists and is not a directory") }
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw VocabularyError.vocabulary(path: path, message: "cannot create the output directory: \(error.localizedDescription)")
        }
    }
}

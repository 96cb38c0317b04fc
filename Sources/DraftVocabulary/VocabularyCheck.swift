import EagleCore
import SafeTensors

/// What a later stage expects of a draft vocabulary; nil fields are not checked.
public struct VocabularyExpectation: Sendable, Equatable {
    public var tokensManifestSHA256: String?
    public var tokenizerSHA256: String?
    public var maskMode: String?
    public var draftVocabSize: Int?
    public var targetVocabSize: Int?
    public var count: CountMode?
    public var pinned: [Int]?

    public init(tokensManifestSHA256: String? = nil, tokenizerSHA256: String? = nil, maskMode: String? = nil,
                draftVocabSize: Int? = nil, targetVocabSize: Int? = nil, count: CountMode? = nil, pinned: [Int]? = nil) {
        self.tokensManifestSHA256 = tokensManifestSHA256
        self.tokenizerSHA256 = tokenizerSHA256
        self.maskMode = maskMode
        self.draftVocabSize = draftVocabSize
        self.targetVocabSize = targetVocabSize
        self.count = count
        self.pinned = pinned.map { Array(Set($0)).sorted() }
    }

    /// The identity of a token directory (manifest hash, tokenizer hash, mask mode), plus sizes when given.
    public init(tokens: TokenDirectory, draftVocabSize: Int? = nil, targetVocabSize: Int? = nil) {
        self.init(tokensManifestSHA256: tokens.manifestSHA256, tokenizerSHA256: tokens.tokenizerSHA256, maskMode: tokens.maskMode,
                  draftVocabSize: draftVocabSize, targetVocabSize: targetVocabSize)
    }
}

/// Whether a vocabulary directory can be used as is.
public enum VocabularyStatus: Sendable, Equatable {
    /// Present, intact, and made from the expected inputs.
    case current
    /// No (complete) vocabulary there: `vocab.json` is absent. The reason names the path.
    case missing(String)
    /// Present but made from other inputs or modified since: one line per difference.
    case stale([String])
}

/// Staleness detection and loading for later stages. The reference reuses `cache.pt` whatever the data,
/// tokenizer or size (SPEC §4 pitfalls); here a vocabulary is keyed by what made it, and a mismatch is reported.
public enum VocabularyCheck {
    /// Compares `directory/vocab.json` with `expected` and verifies that `vocab.safetensors` is the file it
    /// describes (SHA-256). Never throws: unreadable files are `.stale` with the reason.
    public static func status(of directory: String, expecting expected: VocabularyExpectation) -> VocabularyStatus {
        let reportPath = directory + "/" + VocabularyOutput.reportFile
        guard FileIO.exists(reportPath) else { return .missing("\(reportPath) does not exist") }
        let report: JSONValue
        do { report = try JSONParser.parse(bytes: FileIO.readAll(path: reportPath, limit: 64 << 20)) } catch {
            return .stale(["\(reportPath) is unreadable: \(error)"])
        }
        var reasons: [String] = []
        if report["format"]?.stringValue != VocabularyReport.format || report["version"]?.intValue != VocabularyReport.version {
            return .stale(["\(reportPath) is not an eagleprep-vocab version \(VocabularyReport.version) report"])
        }
        func compare(_ name: String, _ recorded: JSONValue?, _ wanted: JSONValue?) {
            guard let wanted else { return }
            let have = recorded ?? .null
            if have != wanted { reasons.append("\(name): vocabulary has \(JSONWriter.string(have)), expected \(JSONWriter.string(wanted))") }
        }
        let inputs = report["inputs"], options = report["options"]
        compare("tokens_manifest_sha256", inputs?["tokens_manifest_sha256"], expected.tokensManifestSHA256.map { .string($0) })
        compare("tokenizer_sha256", inputs?["tokenizer_sha256"], expected.tokenizerSHA256.map { .string($0) })
        compare("mask_mode", inputs?["mask_mode"], expected.maskMode.map { .string($0) })
        compare("draft_vocab_size", report["draft_vocab_size"], expected.draftVocabSize.map { .int($0) })
        compare("target_vocab_size", report["target_vocab_size"], expected.targetVocabSize.map { .int($0) })
        compare("count", options?["count"], expected.count.map { .string($0.rawValue) })
        compare("pinned_ids", options?["pinned_ids"], expected.pinned.map { .array($0.map { .int($0) }) })

        let mapsPath = directory + "/" + VocabularyOutput.mapsFile
        if let recorded = report["files"]?[VocabularyOutput.mapsFile]?["sha256"]?.stringValue {
            do {
                let digest = SHA256.hexDigest(try FileIO.readAll(path: mapsPath))
                if digest != recorded { reasons.append("\(mapsPath) was changed after vocab.json was written (sha256 \(digest), recorded \(recorded))") }
            } catch {
                reasons.append("\(mapsPath): \(error)")
            }
        } else {
            reasons.append("\(reportPath) records no sha256 for \(VocabularyOutput.mapsFile)")
        }
        return reasons.isEmpty ? .current : .stale(reasons)
    }

    /// Loads and validates `directory/vocab.safetensors`: `d2t` I64 [N] non-decreasing and ≥ 0 with every
    /// `i + d2t[i] < V`, `t2d` BOOL [V] true exactly at those ids.
    public static func loadMaps(directory: String) throws -> (d2t: [Int64], t2d: [Bool]) {
        let path = directory + "/" + VocabularyOutput.mapsFile
        let file = try SafeTensorsFile(path: path)
        let d2tInfo = try file.info("d2t", dtype: .i64)
        let t2dInfo = try file.info("t2d", dtype: .bool)
        guard d2tInfo.shape.count == 1, t2dInfo.shape.count == 1 else {
            throw VocabularyError.vocabulary(path: path, message: "d2t and t2d must be 1-D, found \(d2tInfo.shape) and \(t2dInfo.shape)")
        }
        let d2t = try file.int64s("d2t"), t2d = try file.bools("t2d")
        var expected = [Bool](repeating: false, count: t2d.count)
        var previous: Int64 = 0
        for (i, offset) in d2t.enumerated() {
            let target = Int64(i) + offset
            guard offset >= previous, target < Int64(t2d.count) else {
                throw VocabularyError.vocabulary(path: path, message: "d2t[\(i)] = \(offset) is not a non-decreasing offset to an id below \(t2d.count)")
            }
            expected[Int(target)] = true
            previous = offset
        }
        guard expected == t2d else {
            throw VocabularyError.vocabulary(path: path, message: "t2d does not mark exactly the \(d2t.count) ids of d2t")
        }
        return (d2t, t2d)
    }
}

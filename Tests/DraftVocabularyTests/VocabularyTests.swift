import DraftVocabulary
import EagleCore
import Foundation
import SafeTensors
import XCTest

/// Hand-made cases: the selection rule on a toy corpus, count modes, pins, errors, merge validation, staleness.
final class VocabularyTests: VocabularyTestCase {
    /// Toy corpus over V = 10 (ids, mask). Supervised counts: 7, 5, 2, 9 twice each, 3 and 4 once (10 tokens).
    /// First occurrences: 7 (s0 p1), 5 (s0 p2), 2 (s1 p0), 9 (s1 p2), 3 (s2 p0), 4 (s2 p1).
    let toyIds: [[Int32]] = [[1, 7, 5, 7, 0], [2, 8, 9, 7], [3, 4, 2, 9, 5]]
    let toyMasks: [[UInt8]] = [[0, 1, 1, 1, 0], [1, 0, 1, 0], [1, 1, 1, 1, 1]]

    func toyDirectory(samplesPerShard: Int = 2, vocabularySize: Int? = 10) throws -> String {
        let path = dir + "/toy"
        try VocabularyFixtures.makeTokenDirectory(at: path, ids: toyIds, masks: toyMasks, samplesPerShard: samplesPerShard,
                                                  maskMode: "reference", vocabularySize: vocabularySize)
        return path
    }

    func testSelectionOrderTieBreakAndMaps() throws {
        let out = dir + "/out"
        let report = try build(tokens: try toyDirectory(), out: out, size: 3)
        // Four ids tie at 2 and are ordered by first occurrence: 7 < 5 < 2 < 9; then 3, 4 with 1.
        XCTAssertEqual(report.selection.ranked, [7, 5, 2, 9, 3, 4])
        XCTAssertEqual(report.selection.chosen, [2, 5, 7], "7, 5 and 2 win the tie against 9 by first occurrence")
        let maps = try VocabularyCheck.loadMaps(directory: out)
        XCTAssertEqual(maps.d2t, [2, 4, 5], "d2t[i] = σ_i − i")
        XCTAssertEqual(maps.t2d, [false, false, true, false, false, true, false, true, false, false])
        let json = try JSONParser.parse(bytes: bytes(out + "/vocab.json"))
        XCTAssertEqual(json["counts"]?["counted_tokens"], .int(10))
        XCTAssertEqual(json["counts"]?["distinct"], .int(6))
        XCTAssertEqual(json["counts"]?["tie_at_cut"], .object(JSONObject([("count", .int(2)), ("ids", .int(4)), ("chosen", .int(3))])))
        XCTAssertEqual(json["coverage"]?.arrayValue?.last, .object(JSONObject([("size", .int(3)), ("fraction", .double(0.6)), ("chosen", .bool(true))])))
        XCTAssertEqual(json["coverage"]?.arrayValue?.count, 1, "no standard size fits a target vocabulary of 10")
        let svg = String(decoding: try bytes(out + "/coverage.svg"), as: UTF8.self)
        XCTAssertTrue(svg.hasPrefix("<svg ") && svg.hasSuffix("</svg>\n") && svg.contains("N = 3: 60.00%"), svg)
    }

    func testCountAllPositions() throws {
        let out = dir + "/out"
        let report = try build(tokens: try toyDirectory(), out: out, size: 4, mode: .all)
        // All positions: 7×3, 2×2, 5×2, 9×2, then 1, 0, 8, 3, 4 once in that first-occurrence order.
        XCTAssertEqual(report.selection.ranked, [7, 5, 2, 9, 1, 0, 8, 3, 4])
        XCTAssertEqual(report.selection.chosen, [2, 5, 7, 9])
        XCTAssertEqual(report.json["options"]?["count"], .string("all"))
    }

    func testPinsAreAlwaysChosen() throws {
        let tokens = try toyDirectory()
        let report = try build(tokens: tokens, out: dir + "/out", size: 3, pinned: [0, 9, 9])
        XCTAssertEqual(report.selection.chosen, [0, 7, 9], "pins 0 and 9, then the most frequent id")
        XCTAssertEqual(report.json["options"]?["pinned_ids"], .array([.int(0), .int(9)]))
        assertVocabularyError(try build(tokens: tokens, out: dir + "/bad", size: 3, pinned: [10]), "pinned ids: id 10 is outside the target vocabulary 0..<10")
        assertVocabularyError(try build(tokens: tokens, out: dir + "/bad", size: 2, pinned: [0, 1, 2]), "3 distinct pinned ids do not fit in a draft vocabulary of 2")
        assertVocabularyError(try build(tokens: tokens, out: dir + "/bad", size: 9, pinned: [0]), "only 6 distinct tokens", "(plus 1 pinned ids never counted)", "size 9")
    }

    func testEmptyInputs() throws {
        let none = dir + "/none"
        try VocabularyFixtures.makeTokenDirectory(at: none, ids: [], masks: [], samplesPerShard: 4, maskMode: "reference")
        assertVocabularyError(try build(tokens: none, out: dir + "/o1", size: 8), "empty input: 0 samples, 0 tokens")
        let unmasked = dir + "/unmasked"
        try VocabularyFixtures.makeTokenDirectory(at: unmasked, ids: [[1, 2, 3], []], masks: [[0, 0, 0], []], samplesPerShard: 4, maskMode: "reference")
        assertVocabularyError(try build(tokens: unmasked, out: dir + "/o2", size: 8), "empty input: 2 samples, 3 tokens, and no position was counted")
        XCTAssertEqual(try build(tokens: unmasked, out: dir + "/o3", size: 2, mode: .all).selection.chosen, [1, 2], "all mode counts them")
    }

    func testTokenDirectoryErrors() throws {
        assertVocabularyError(try TokenDirectory(path: dir + "/absent"), "absent/manifest.json", "cannot read the token manifest")
        let unfinished = dir + "/unfinished"
        try VocabularyFixtures.makeTokenDirectory(at: unfinished, ids: toyIds, masks: toyMasks, samplesPerShard: 2, maskMode: "reference", complete: false)
        assertVocabularyError(try TokenDirectory(path: unfinished), "unfinished/manifest.json", "not complete")
        let noSize = dir + "/nosize"
        try VocabularyFixtures.makeTokenDirectory(at: noSize, ids: toyIds, masks: toyMasks, samplesPerShard: 2, maskMode: "reference", vocabularySize: nil)
        let d = try TokenDirectory(path: noSize)
        assertVocabularyError(try d.targetVocabularySize(given: nil), "records no vocabulary_size", "--target-vocab-size")
        XCTAssertEqual(try d.targetVocabularySize(given: 12), 12)
        let toy = try TokenDirectory(path: toyDirectory())
        XCTAssertEqual(try toy.targetVocabularySize(given: nil), 10, "the manifest's vocabulary_size by default")
        XCTAssertEqual(try toy.targetVocabularySize(given: 16), 16, "a wider logit row than the tokenizer is allowed")
        XCTAssertEqual(try toy.targetVocabularySize(given: 8), 8, "and a narrower one (Llama-3.2 tokenizer: 128,257 ids, logit row 128,256)")
        // An id outside the target vocabulary names the shard, the sample and the position.
        assertVocabularyError(try TokenCounter(directory: toy, targetVocabSize: 8).run(), "tokens-00000.eptok: sample 1, position 2: token id 9 is outside the target vocabulary 0..<8")
        // A shard with another sample count than the manifest lists.
        var manifest = try JSONParser.parse(bytes: bytes(toy.path + "/manifest.json")).objectValue!
        var shards = manifest["shards"]!.arrayValue!
        shards[1] = .object(JSONObject([("file", .string("tokens-00001.eptok")), ("samples", .int(2))]))
        manifest["shards"] = .array(shards)
        try FileIO.writeAtomically(path: toy.path + "/manifest.json", bytes: Array(JSONWriter.string(.object(manifest)).utf8))
        assertVocabularyError(try TokenCounter(directory: TokenDirectory(path: toy.path), targetVocabSize: 10).run(), "tokens-00001.eptok: holds 1 samples but the manifest lists 2")
    }

    func partial(_ tokens: String, _ range: Range<Int>, vocab: Int = 10, mode: CountMode = .supervised, name: String) throws -> String {
        let d = try TokenDirectory(path: tokens)
        let c = try TokenCounter(directory: d, targetVocabSize: vocab, mode: mode, shards: range).run()
        let path = dir + "/" + name
        try PartialCounts(counts: c, mode: mode, source: CountSource(d), shards: range).write(path: path)
        return path
    }

    func testMergeValidation() throws {
        let tokens = try toyDirectory(samplesPerShard: 1)  // 3 shards
        let a = try partial(tokens, 0..<1, name: "a"), b = try partial(tokens, 1..<3, name: "b")
        let merged = try PartialCounts.merge(paths: [b, a])
        let whole = try TokenCounter(directory: TokenDirectory(path: tokens), targetVocabSize: 10).run()
        XCTAssertEqual(merged.counts, whole, "merge of parts = one run, whatever the file order")

        let wide = try partial(tokens, 1..<3, vocab: 12, name: "wide")
        assertVocabularyError(try PartialCounts.merge(paths: [a, wide]), "wide: target_vocab_size is 12 but the first counts file has 10")
        let all = try partial(tokens, 1..<3, mode: .all, name: "all")
        assertVocabularyError(try PartialCounts.merge(paths: [a, all]), "all: count is all but the first counts file has supervised")
        let other = dir + "/other"
        try VocabularyFixtures.makeTokenDirectory(at: other, ids: toyIds, masks: toyMasks, samplesPerShard: 1, maskMode: "reference", tokenizerSHA256: "other")
        let foreign = try partial(other, 1..<3, name: "foreign")
        assertVocabularyError(try PartialCounts.merge(paths: [a, foreign]), "foreign: tokens_manifest_sha256 is")
        let overlap = try partial(tokens, 0..<2, name: "overlap")
        assertVocabularyError(try PartialCounts.merge(paths: [overlap, b]), "counts shards 1..<3, but shards from 1 to 1 are already counted by another file")
        assertVocabularyError(try PartialCounts.merge(paths: [b]), "shards 0..<1 of 3 are in no counts file")
        assertVocabularyError(try PartialCounts.merge(paths: [a]), "shards 1..<3 of 3 are in no counts file")
        assertVocabularyError(try PartialCounts.merge(paths: []), "no counts files given")
    }

    func testCorruptCountsFilesAreRejected() throws {
        func file(_ name: String, ids: [Int64], counts: [Int64], keys: [Int64], metadata: [(String, String)]? = nil) throws -> String {
            var w = SafeTensorsWriter(metadata: metadata ?? [
                ("format", "eagleprep-vocab-counts"), ("version", "1"), ("target_vocab_size", "10"), ("count", "supervised"),
                ("tokens_manifest_sha256", "m"), ("tokenizer_sha256", ""), ("mask_mode", ""), ("shard_count", "1"),
                ("first_shard", "0"), ("end_shard", "1"), ("samples", "1"), ("tokens", "3"),
            ])
            try w.add("ids", int64s: ids)
            try w.add("counts", int64s: counts)
            try w.add("first_keys", int64s: keys)
            let path = dir + "/" + name
            try w.write(path: path)
            return path
        }
        XCTAssertEqual(try PartialCounts(path: file("ok", ids: [1, 4], counts: [2, 1], keys: [0, 3])).counts.countedTokens, 3)
        assertVocabularyError(try PartialCounts(path: file("order", ids: [4, 1], counts: [1, 1], keys: [0, 1])), "order: ids[1] = 1 is not ascending inside 0..<10")
        assertVocabularyError(try PartialCounts(path: file("range", ids: [10], counts: [1], keys: [0])), "ids[0] = 10 is not ascending inside 0..<10")
        assertVocabularyError(try PartialCounts(path: file("zero", ids: [1], counts: [0], keys: [0])), "counts[0] = 0 for id 1, expected > 0")
        assertVocabularyError(try PartialCounts(path: file("meta", ids: [], counts: [], keys: [], metadata: [("format", "x")])), "meta: __metadata__.format is 'x', expected 'eagleprep-vocab-counts'")
        XCTAssertThrowsError(try PartialCounts(path: file("shape", ids: [1, 2], counts: [1], keys: [0, 1]))) {
            XCTAssertTrue("\($0)".contains("tensor 'counts': shape: is [1], expected [2]"), "\($0)")
        }
    }

    func testStalenessDetection() throws {
        let tokens = try toyDirectory()
        let out = dir + "/vocab"
        XCTAssertEqual(VocabularyCheck.status(of: out, expecting: VocabularyExpectation()), .missing("\(out)/vocab.json does not exist"))
        try build(tokens: tokens, out: out, size: 3)
        let directory = try TokenDirectory(path: tokens)
        let expectation = VocabularyExpectation(tokens: directory, draftVocabSize: 3, targetVocabSize: 10)
        XCTAssertEqual(expectation.tokenizerSHA256, "tok-sha")
        XCTAssertEqual(VocabularyCheck.status(of: out, expecting: expectation), .current)

        var other = expectation
        other.draftVocabSize = 4
        other.tokenizerSHA256 = "new-tokenizer"
        other.count = .all
        XCTAssertEqual(VocabularyCheck.status(of: out, expecting: other), .stale([
            #"tokenizer_sha256: vocabulary has "tok-sha", expected "new-tokenizer""#,
            "draft_vocab_size: vocabulary has 3, expected 4",
            #"count: vocabulary has "supervised", expected "all""#,
        ]))

        // New token data (another tokenize run) changes the manifest hash.
        try VocabularyFixtures.makeTokenDirectory(at: tokens, ids: toyIds + [[1]], masks: toyMasks + [[1]], samplesPerShard: 2, maskMode: "reference")
        let newTokens = try TokenDirectory(path: tokens)
        guard case .stale(let reasons) = VocabularyCheck.status(of: out, expecting: VocabularyExpectation(tokens: newTokens)) else {
            return XCTFail("new tokens must make the vocabulary stale")
        }
        XCTAssertTrue(reasons.count == 1 && reasons[0].hasPrefix("tokens_manifest_sha256: vocabulary has"), "\(reasons)")

        // Maps changed behind vocab.json's back.
        var maps = SafeTensorsWriter()
        try maps.add("d2t", int64s: [0, 0, 0])
        try maps.add("t2d", bools: [true, true, true] + [Bool](repeating: false, count: 7))
        try maps.write(path: out + "/vocab.safetensors")
        guard case .stale(let tampered) = VocabularyCheck.status(of: out, expecting: expectation) else { return XCTFail("tampering undetected") }
        XCTAssertTrue(tampered.last!.contains("vocab.safetensors was changed after vocab.json was written"), "\(tampered)")
        XCTAssertEqual(try VocabularyCheck.loadMaps(directory: out).d2t, [0, 0, 0], "still a valid map")

        var broken = SafeTensorsWriter()
        try broken.add("d2t", int64s: [1, 0])
        try broken.add("t2d", bools: [false, true, false])
        try broken.write(path: out + "/vocab.safetensors")
        assertVocabularyError(try VocabularyCheck.loadMaps(directory: out), "d2t[1] = 0 is not a non-decreasing offset")
    }

    func testCountsDoNotDependOnThreadsOrUnits() throws {
        let tokens = try toyDirectory(samplesPerShard: 1)
        let d = try TokenDirectory(path: tokens)
        let reference = try TokenCounter(directory: d, targetVocabSize: 10).run()
        XCTAssertEqual(reference.firstKeys[7], OccurrenceKey.make(sample: 0, position: 1))
        XCTAssertEqual(reference.firstKeys[4], OccurrenceKey.make(sample: 2, position: 1))
        XCTAssertEqual(reference.firstKeys[8], OccurrenceKey.none, "8 is never supervised")
        for threads in [2, 3, 8] {
            var c = TokenCounter(directory: d, targetVocabSize: 10, threads: threads)
            c.unitSamples = 1
            XCTAssertEqual(try c.run(), reference, "\(threads) threads")
        }
    }
}

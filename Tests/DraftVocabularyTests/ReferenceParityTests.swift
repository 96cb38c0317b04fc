@testable import DraftVocabulary
import EagleCore
import Foundation
import SafeTensors
import XCTest

/// SPEC parity item P3: counts, `d2t` (int64) and `t2d` (bool) byte-identical to the reference procedure
/// (`pipelines/reference/vocab_reference.py`) on real tokenized conversations, in both mask modes, at sizes whose
/// cut falls inside a run of equal counts; and the same bytes from 1 thread, 2 threads and a 3-way split + merge.
final class ReferenceParityTests: VocabularyTestCase {
    struct Expected {
        var mode: String
        var size: Int
        var file: String
    }

    func expectedCases() throws -> [Expected] {
        let list = try XCTUnwrap(VocabularyFixtures.manifest()["expected"]?.arrayValue, "fixtures.json: expected")
        let cases = try list.map { e in
            Expected(mode: try XCTUnwrap(e["mode"]?.stringValue), size: try XCTUnwrap(e["size"]?.intValue), file: try XCTUnwrap(e["file"]?.stringValue))
        }
        XCTAssertEqual(Set(cases.map(\.mode)), ["reference", "assistant"], "both mask modes have goldens")
        return cases
    }

    func testMatchesReferenceInBothMaskModesForAnyThreadCountAndSplit() throws {
        let vocab = VocabularyFixtures.targetVocabSize
        for mode in ["reference", "assistant"] {
            let tokens = dir + "/tokens-\(mode)"
            try VocabularyFixtures.makeTokenDirectory(at: tokens, mode: mode, samplesPerShard: 200)
            let directory = try TokenDirectory(path: tokens)
            XCTAssertEqual(directory.shards.count, 9)
            let source = CountSource(directory)

            // Three ways to count: 1 thread; 2 threads with 7-sample work units; a 3-way split through counts files,
            // merged in reverse order.
            let one = try TokenCounter(directory: directory, targetVocabSize: vocab, threads: 1).run()
            var counter = TokenCounter(directory: directory, targetVocabSize: vocab, threads: 2)
            counter.unitSamples = 7
            let two = try counter.run()
            var parts: [String] = []
            for p in 0..<3 {
                let range = directory.part(p, of: 3)
                let c = try TokenCounter(directory: directory, targetVocabSize: vocab, threads: 2, shards: range).run()
                let path = dir + "/\(mode)-part\(p).counts.safetensors"
                try PartialCounts(counts: c, mode: .supervised, source: source, shards: range).write(path: path)
                parts.append(path)
            }
            let merged = try PartialCounts.merge(paths: parts.reversed())
            XCTAssertEqual(two, one, "\(mode): 2 threads vs 1")
            // The same samples in version-1 shards (one zstd frame per sample) count the same.
            try VocabularyFixtures.makeTokenDirectory(at: tokens + "-v1", mode: mode, samplesPerShard: 200, shardVersion: 1)
            let v1 = try TokenCounter(directory: TokenDirectory(path: tokens + "-v1"), targetVocabSize: vocab, threads: 2).run()
            XCTAssertEqual(v1, one, "\(mode): version-1 shards vs version 2")
            // Workers add their 32-bit running counts into the totals before any could overflow; with a tiny limit
            // that happens every few samples, and changes nothing.
            var flushing = TokenCounter(directory: directory, targetVocabSize: vocab, threads: 2)
            flushing.flushTokens = 3000
            XCTAssertEqual(try flushing.run(), one, "\(mode): frequent 32-bit flushes")
            XCTAssertEqual(merged.counts, one, "\(mode): merge vs one run")
            let ways = [("t1", PartialCounts(counts: one, mode: .supervised, source: source, shards: 0..<9)),
                        ("t2", PartialCounts(counts: two, mode: .supervised, source: source, shards: 0..<9)), ("merged", merged)]

            for expected in try expectedCases() where expected.mode == mode {
                let python = try SafeTensorsFile(path: VocabularyFixtures.url(expected.file).path)
                let label = "\(mode) N=\(expected.size)"
                var reports: [String: VocabularyReport] = [:]
                for (name, counts) in ways {
                    reports[name] = try VocabularyOutput.write(counts: counts, options: VocabularyOptions(size: expected.size),
                                                               to: dir + "/\(mode)-\(expected.size)-\(name)")
                }
                let out = dir + "/\(mode)-\(expected.size)-t1"
                let ours = try SafeTensorsFile(path: out + "/vocab.safetensors")
                assertIdentical(try ours.bytes("d2t", dtype: .i64, shape: [expected.size]), try python.bytes("d2t"), "\(label): d2t bytes")
                assertIdentical(try ours.bytes("t2d", dtype: .bool, shape: [vocab]), try python.bytes("t2d"), "\(label): t2d bytes")

                // The ranking itself (most_common order with first-occurrence ties) and the counts.
                let report = try XCTUnwrap(reports["t1"])
                let top = Array(report.selection.ranked.prefix(expected.size)).map { Int64($0) }
                assertIdentical(top, try python.int64s("top_ids"), "\(label): most_common order")
                assertIdentical(top.map { Int64(one.counts[Int($0)]) }, try python.int64s("top_counts"), "\(label): counts")
                let stats = try JSONParser.parse(XCTUnwrap(python.metadata["stats"]))
                XCTAssertEqual(stats["distinct"], .int(one.distinct), "\(label): distinct")
                XCTAssertEqual(stats["counted"], .int(Int(one.countedTokens)), "\(label): counted tokens")

                // The fixture sizes put ties at the cut; the report says so.
                let tie = try XCTUnwrap(report.json["counts"]?["tie_at_cut"]?.objectValue, "\(label): tie at the cut")
                XCTAssertGreaterThan(tie["ids"]?.intValue ?? 0, tie["chosen"]?.intValue ?? 0, "\(label): some tied ids left out")

                for file in ["vocab.safetensors", "vocab.json", "coverage.svg"] {
                    for name in ["t2", "merged"] {
                        assertIdentical(try bytes(dir + "/\(mode)-\(expected.size)-\(name)/" + file), try bytes(out + "/" + file), "\(label): \(file), \(name) vs 1 thread")
                    }
                }
            }
        }
    }

    /// Python's `most_common` would give the same result for a cut between distinct counts; the tie-break matters
    /// only inside a run. This checks that ordering by id (Speculators) would differ on the fixture, so the test
    /// above can fail when the tie-break is wrong.
    func testFixtureTieBreakIsDecisive() throws {
        let tokens = dir + "/tokens"
        try VocabularyFixtures.makeTokenDirectory(at: tokens, mode: "reference", samplesPerShard: 500)
        let directory = try TokenDirectory(path: tokens)
        let counts = try TokenCounter(directory: directory, targetVocabSize: VocabularyFixtures.targetVocabSize, threads: 2).run()
        for expected in try expectedCases() where expected.mode == "reference" {
            let byFirst = Set(counts.ranked().prefix(expected.size))
            let ids = (0..<counts.targetVocabSize).filter { counts.counts[$0] > 0 }
            let byId = Set(ids.sorted { (counts.counts[$0], -$0) > (counts.counts[$1], -$1) }.prefix(expected.size).map { Int32($0) })
            XCTAssertNotEqual(byFirst, byId, "N=\(expected.size): the tie-break must change the set")
        }
    }

    /// P3's second half: fewer distinct tokens than the draft size is an error naming the count (26,053 here).
    func testTooFewDistinctTokensNamesTheCount() throws {
        let tokens = dir + "/tokens"
        try VocabularyFixtures.makeTokenDirectory(at: tokens, mode: "reference", samplesPerShard: 1000)
        let distinct = try XCTUnwrap(VocabularyFixtures.manifest()["sizes"]?["reference"]?.arrayValue?.first?["distinct"]?.intValue)
        assertVocabularyError(try build(tokens: tokens, out: dir + "/out", size: 32000),
                              "only \(distinct) distinct tokens were counted", "fewer than the draft vocabulary size 32000", "--pad")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out/vocab.json"), "nothing written on failure")

        let report = try build(tokens: tokens, out: dir + "/padded", size: 32000, pad: true)
        XCTAssertEqual(report.selection.padded.count, 32000 - distinct)
        let counts = try TokenCounter(directory: TokenDirectory(path: tokens), targetVocabSize: VocabularyFixtures.targetVocabSize).run()
        let unused = (0..<VocabularyFixtures.targetVocabSize).filter { counts.counts[$0] == 0 }.prefix(32000 - distinct).map { Int32($0) }
        XCTAssertEqual(report.selection.padded, Array(unused), "padding takes the lowest unused ids")
        XCTAssertEqual(try VocabularyCheck.loadMaps(directory: dir + "/padded").d2t.count, 32000)
    }
}

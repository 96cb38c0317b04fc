import SpeculativeDecoding
import TargetModel
import XCTest

/// Why greedy verification is exactly lossless: a verification pass of up to maxDepth + 1 rows computes every
/// row's logits bit for bit as a single-token decoding step at that position does (the target's per-row
/// projection kernel sums each element in the same order whatever the row count; attention of short segments
/// is per query).
final class VerificationExactnessTests: XCTestCase {
    func testVerificationRowsEqualSingleStepsBitForBit() throws {
        let target = try Fixtures.target()
        let prompt = prompts(lengths: [21], seed: 9)[0]
        let continuation: [Int32] = [17, 99, 3, 250, 42, 42, 7, 128]  // maxDepth + 1 rows
        XCTAssertEqual(continuation.count, SpeculativeDecoder.maxDepth + 1)
        func logits(steps: [[Int32]]) throws -> [Float] {
            let cache = KVCache(configuration: target.configuration, capacities: [prompt.count + continuation.count])
            _ = try target.forward(tokens: prompt, segments: [Segment(slot: 0, firstRow: 0, count: prompt.count, startPosition: 0)],
                                   cache: cache, options: ForwardOptions(threads: 2))
            var values: [Float] = []
            for step in steps {
                let out = try target.forward(tokens: step, segments: [Segment(slot: 0, firstRow: 0, count: step.count, startPosition: cache.lengths[0])],
                                             cache: cache, options: ForwardOptions(finalRows: .all, threads: 2))
                try target.logits(final: out.finalHidden!, rowCount: step.count, threads: 2) { values += $0.values }
            }
            return values
        }
        // Every row count a chain of depth 1…7 verifies: groups of 4 and tails of 1, 2 or 3 rows.
        for rows in 2...continuation.count {
            let pass = Array(continuation.prefix(rows))
            let together = try logits(steps: [pass])
            let oneByOne = try logits(steps: pass.map { [$0] })
            XCTAssertEqual(together.count, oneByOne.count)
            let differing = zip(together, oneByOne).filter { $0.bitPattern != $1.bitPattern }.count
            XCTAssertEqual(differing, 0, "logits of a \(rows)-row pass differ from single steps in \(differing) places")
        }
    }
}

@testable import EagleprepCLI
import XCTest

/// What the runner adds to the lines its stages' commands print.
final class RunProgressTests: XCTestCase {
    /// `generate` counts records without knowing the total: the runner adds it, and an ETA until the last record
    /// (then nothing: no dangling ", ").
    func testGenerateCountLineGetsTheTotalAndAnETAUntilTheEnd() {
        // As StageProgress.eta: empty once done == total.
        let eta: (Int) -> String = { $0 < 8 ? "ETA 4 s" : "" }
        let partial = GenerateRunStage.annotate("generate: 3 records, 31 tokens, 12.5 tokens/s", total: 8, eta: eta)
        XCTAssertEqual(partial, "generate: 3/8 records, 31 tokens, 12.5 tokens/s, ETA 4 s")
        XCTAssertEqual(GenerateRunStage.annotate("generate: 8 records, 80 tokens, 12.5 tokens/s", total: 8, eta: eta),
                       "generate: 8/8 records, 80 tokens, 12.5 tokens/s")
        XCTAssertEqual(GenerateRunStage.annotate("generate: skipped line 3: no messages", total: 8, eta: eta),
                       "generate: skipped line 3: no messages")
    }
}

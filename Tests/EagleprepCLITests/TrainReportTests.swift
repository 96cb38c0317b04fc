@testable import EagleprepCLI
import XCTest

/// The train stage's rows in `report.md`, drawn from `metrics.jsonl`.
final class TrainReportTests: XCTestCase {
    /// A run ends with a validation record after its last step: the "last step" row must still show the step
    /// (a real run's report showed the validation loss and "nan tokens/s" there), and the throughput covers every step.
    func testLastStepSkipsTheValidationRecordAndThroughputSumsAllSteps() {
        let metrics = """
        {"type":"train","step":1,"loss":12.5,"acc":[0.1,0.05],"tokens":300,"seconds":1.0,"tokens_per_s":300}
        {"type":"valid","step":1,"loss":11.0,"acc":[0.2,0.1],"sequences":4,"tokens":90,"seconds":0.2}
        {"type":"train","step":2,"loss":9.25,"acc":[0.25,0.125],"tokens":500,"seconds":1.5,"tokens_per_s":333}
        {"type":"epoch","epoch":1,"loss":10.0,"acc":[0.2,0.1]}
        {"type":"valid","step":2,"loss":8.5,"acc":[0.3,0.2],"sequences":4,"tokens":90,"seconds":0.2}

        """
        let rows = TrainRunStage.metricsRows(metrics)
        XCTAssertEqual(rows.map(\.0), ["last step", "throughput"])
        XCTAssertEqual(rows[0].1, "step 2: loss 9.2500; accuracy per TTT position: 0.250, 0.125")
        XCTAssertEqual(rows[1].1, "800 tokens in 2 steps, 320 tokens/s")
        XCTAssertTrue(TrainRunStage.metricsRows("{\"type\":\"valid\",\"step\":0,\"loss\":1}\n").isEmpty)
    }
}

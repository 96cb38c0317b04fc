@testable import EagleprepCLI
import XCTest

/// `--worker I/N | auto | auto:N`: every source of the index and count, and every refusal.
final class WorkerSelectionTests: XCTestCase {
    func select(_ spec: String?, _ env: [String: String], option: String = "worker") throws(UsageError) -> WorkerSelection {
        try WorkerSelection.parse(spec, option: option, environment: env)
    }

    /// The refusal's message, which must name what was looked at.
    func refusal(_ spec: String?, _ env: [String: String], file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            let w = try select(spec, env)
            XCTFail("expected a refusal, got \(w)", file: file, line: line)
            return ""
        } catch { return error.message }
    }

    let array = ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_MAX": "6", "SLURM_ARRAY_TASK_COUNT": "4",
                 "SLURM_ARRAY_TASK_STEP": "1", "SLURM_PROCID": "0", "SLURM_NTASKS": "1"]

    func testExplicitAndDefault() throws {
        XCTAssertEqual(try select(nil, array), WorkerSelection(index: 0, count: 1, source: "default"))
        XCTAssertEqual(try select("2/3", array), WorkerSelection(index: 2, count: 3, source: "--worker"))
        XCTAssertEqual(try select("0/1", [:]), WorkerSelection(index: 0, count: 1, source: "--worker"))
        for bad in ["3/3", "-1/3", "1/0", "1", "1/2/3", "a/b", "/2", "1/", "", "automatic", "auto:0", "auto:x"] {
            XCTAssertThrowsError(try select(bad, [:]), bad)
        }
        XCTAssertTrue(refusal("3/3", [:]).contains("'3/3'"))
        XCTAssertTrue(((try? select("3/3", [:], option: "part")) == nil))
        do { _ = try select("9/2", [:], option: "part"); XCTFail() } catch { XCTAssertTrue(error.message.hasPrefix("--part expects")) }
    }

    func testSlurmArrayIndexIsIdMinusMin() throws {
        // --array=3-6: task 5 is worker 2 of 4; SLURM_PROCID=0 / SLURM_NTASKS=1 inside each array task do not matter.
        XCTAssertEqual(try select("auto", array), WorkerSelection(index: 2, count: 4, source: "SLURM_ARRAY_TASK_ID"))
        var a = array
        a["SLURM_ARRAY_TASK_ID"] = "3"
        XCTAssertEqual(try select("auto", a).index, 0)
        a["SLURM_ARRAY_TASK_ID"] = "6"
        XCTAssertEqual(try select("auto", a).index, 3)
        // Without the optional MAX, STEP and NTASKS.
        let minimal = ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "2"]
        XCTAssertEqual(try select("auto", minimal), WorkerSelection(index: 0, count: 2, source: "SLURM_ARRAY_TASK_ID"))
        XCTAssertEqual(try select("auto:4", array), WorkerSelection(index: 2, count: 4, source: "SLURM_ARRAY_TASK_ID"))
    }

    func testSlurmArrayInconsistencies() {
        func with(_ changes: [String: String?]) -> [String: String] {
            var a = array
            for (k, v) in changes { a[k] = v }
            return a
        }
        XCTAssertTrue(refusal("auto", with(["SLURM_ARRAY_TASK_MIN": nil])).contains("SLURM_ARRAY_TASK_MIN"))
        XCTAssertTrue(refusal("auto", with(["SLURM_ARRAY_TASK_COUNT": nil])).contains("SLURM_ARRAY_TASK_COUNT"))
        XCTAssertTrue(refusal("auto", with(["SLURM_ARRAY_TASK_STEP": "2"])).contains("step 2"))
        // --array=3,5,6,9: MAX − MIN + 1 = 7 ≠ COUNT = 4.
        XCTAssertTrue(refusal("auto", with(["SLURM_ARRAY_TASK_MAX": "9"])).contains("not consecutive"))
        XCTAssertTrue(refusal("auto", with(["SLURM_ARRAY_TASK_ID": "2"])).contains("below SLURM_ARRAY_TASK_MIN"))
        XCTAssertTrue(refusal("auto", with(["SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MAX": nil])).contains("outside 0..<4"))
        XCTAssertTrue(refusal("auto", with(["SLURM_ARRAY_TASK_ID": "x"])).contains("SLURM_ARRAY_TASK_ID='x'"))
        XCTAssertTrue(refusal("auto", with(["SLURM_ARRAY_TASK_COUNT": "-4"])).contains("SLURM_ARRAY_TASK_COUNT='-4'"))
        XCTAssertTrue(refusal("auto", with(["SLURM_NTASKS": "2"])).contains("SLURM_NTASKS"))
        XCTAssertTrue(refusal("auto:3", array).contains("disagrees"))
    }

    func testSlurmTasks() throws {
        let step = ["SLURM_PROCID": "3", "SLURM_NTASKS": "8"]
        XCTAssertEqual(try select("auto", step), WorkerSelection(index: 3, count: 8, source: "SLURM_PROCID"))
        XCTAssertEqual(try select("auto:8", step).index, 3)
        XCTAssertTrue(refusal("auto:4", step).contains("disagrees"))
        XCTAssertTrue(refusal("auto", ["SLURM_PROCID": "3"]).contains("SLURM_NTASKS is not"))
        XCTAssertTrue(refusal("auto", ["SLURM_PROCID": "8", "SLURM_NTASKS": "8"]).contains("outside 0..<8"))
        XCTAssertTrue(refusal("auto", ["SLURM_PROCID": "0", "SLURM_NTASKS": "0"]).contains("count of 0"))
        // A plain one-task batch job is worker 0 of 1.
        XCTAssertEqual(try select("auto", ["SLURM_PROCID": "0", "SLURM_NTASKS": "1"]), WorkerSelection(index: 0, count: 1, source: "SLURM_PROCID"))
    }

    func testKubernetesIndexedJob() throws {
        XCTAssertEqual(try select("auto:5", ["JOB_COMPLETION_INDEX": "4"]), WorkerSelection(index: 4, count: 5, source: "JOB_COMPLETION_INDEX"))
        XCTAssertEqual(try select("auto", ["JOB_COMPLETION_INDEX": "1", "EAGLEPREP_WORKER_COUNT": "2"]),
                       WorkerSelection(index: 1, count: 2, source: "JOB_COMPLETION_INDEX"))
        XCTAssertEqual(try select("auto:2", ["JOB_COMPLETION_INDEX": "1", "EAGLEPREP_WORKER_COUNT": "2"]).index, 1)
        XCTAssertTrue(refusal("auto", ["JOB_COMPLETION_INDEX": "1"]).contains("EAGLEPREP_WORKER_COUNT"))
        XCTAssertTrue(refusal("auto:3", ["JOB_COMPLETION_INDEX": "1", "EAGLEPREP_WORKER_COUNT": "2"]).contains("disagrees"))
        XCTAssertTrue(refusal("auto:5", ["JOB_COMPLETION_INDEX": "5"]).contains("outside 0..<5"))
        XCTAssertTrue(refusal("auto", ["JOB_COMPLETION_INDEX": "1", "EAGLEPREP_WORKER_COUNT": "two"]).contains("EAGLEPREP_WORKER_COUNT='two'"))
        // Slurm wins over Kubernetes when both are present (a Slurm job launched from a pod keeps JOB_COMPLETION_INDEX).
        XCTAssertEqual(try select("auto", array.merging(["JOB_COMPLETION_INDEX": "0"]) { a, _ in a }).source, "SLURM_ARRAY_TASK_ID")
    }

    func testNothingSetIsRefusedNamingTheVariables() {
        let message = refusal("auto", ["HOME": "/root", "EAGLEPREP_WORKER_COUNT": "4"])
        for name in ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT", "SLURM_PROCID", "SLURM_NTASKS", "JOB_COMPLETION_INDEX"] {
            XCTAssertTrue(message.contains(name), "\(name) not named in: \(message)")
        }
        XCTAssertTrue(refusal("auto:4", [:]).contains("no scheduler worker variables"))
    }
}

import EagleCore
import Foundation
import XCTest

/// Helpers shared by the test targets.
public enum TestSupport {
    /// The package root (the directory holding Package.swift), found from this source file's path.
    public static var packageRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        return FileManager.default.currentDirectoryPath
    }

    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// `../shared/data` beside the checkout (or `EAGLEPREP_SHARED_DATA`). Missing: fails under CI=true,
    /// otherwise skips the test with the reason.
    public static func sharedData(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let dir = ProcessInfo.processInfo.environment["EAGLEPREP_SHARED_DATA"]
            ?? URL(fileURLWithPath: packageRoot).deletingLastPathComponent().appendingPathComponent("shared/data").path
        return try requirePath(dir, what: "the shared data directory (../shared/data)", file: file, line: line)
    }

    /// The SmolLM2 GGUF fetched by `scripts/setup.sh` into `.cache/models/`.
    public static func smolLM2GGUF(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = ProcessInfo.processInfo.environment["EAGLEPREP_SMOLLM2_GGUF"]
            ?? packageRoot + "/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"
        return try requirePath(path, what: "the SmolLM2 GGUF (run scripts/setup.sh)", file: file, line: line)
    }

    /// Returns `path` if it exists; otherwise fails under CI=true and skips elsewhere, naming what is missing.
    public static func requirePath(_ path: String, what: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        if FileManager.default.fileExists(atPath: path) { return path }
        let reason = "\(what) not found at \(path)"
        if isCI {
            XCTFail("CI=true and " + reason, file: file, line: line)
            throw XCTSkip(reason)  // stop the test after recording the failure
        }
        throw XCTSkip(reason + "; skipping (this fails under CI=true)")
    }
}

/// Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise, reporting the worst element with both values.
public func assertClose(
    _ actual: [Float], _ expected: [Float], atol: Float, rtol: Float, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.count == expected.count else {
        XCTFail("\(message) count \(actual.count) != expected \(expected.count)", file: file, line: line)
        return
    }
    var worst = -1
    var worstExcess: Float = 0
    for i in actual.indices {
        let tol = atol + rtol * abs(expected[i])
        let err = abs(actual[i] - expected[i])
        if !(err <= tol) {  // also catches NaN
            let excess = err.isNaN ? .infinity : err - tol
            if worst < 0 || excess > worstExcess { worst = i; worstExcess = excess }
        }
    }
    if worst >= 0 {
        XCTFail("\(message) worst element [\(worst)]: actual \(actual[worst]) expected \(expected[worst]) (atol \(atol), rtol \(rtol))",
                file: file, line: line)
    }
}

import Foundation
import SafeTensors
import TargetModel
import TestSupport
import XCTest

/// Paths of the committed fixtures (written by pipelines/reference/target_model/make_tiny_fixtures.py).
enum Fixtures {
    static var root: String { Bundle.module.resourcePath! + "/Fixtures" }
    static func path(_ name: String) -> String { root + "/" + name }

    /// Loaded once per test process: loading is cheap but the suite loads each model several times.
    nonisolated(unsafe) private static var cache: [String: TargetModel] = [:]
    private static let lock = NSLock()
    static func model(_ name: String) throws -> TargetModel {
        lock.lock()
        defer { lock.unlock() }
        if let m = cache[name] { return m }
        let m = try ModelLoader.load(path: path(name))
        cache[name] = m
        return m
    }
}

/// A transformers reference file: per sequence k `seq.k.ids`, `seq.k.hidden_states` [N+1, L, H], `seq.k.logits`
/// [L, V]; per greedy prompt k `greedy.k.prompt`, `greedy.k.output`, `greedy.k.min_margin`.
struct ReferenceOutputs {
    let file: SafeTensorsFile

    init(_ name: String) throws { file = try SafeTensorsFile(path: Fixtures.path("reference/\(name).safetensors")) }

    var sequenceCount: Int { file.names.filter { $0.hasPrefix("seq.") && $0.hasSuffix(".ids") }.count }
    var greedyCount: Int { file.names.filter { $0.hasPrefix("greedy.") && $0.hasSuffix(".prompt") }.count }

    func ids(_ k: Int) throws -> [Int32] { try file.int64s("seq.\(k).ids").map { Int32($0) } }
    func hiddenStates(_ k: Int) throws -> (values: [Float], shape: [Int]) {
        (try file.floats("seq.\(k).hidden_states"), try file.info("seq.\(k).hidden_states").shape)
    }
    func logits(_ k: Int) throws -> [Float] { try file.floats("seq.\(k).logits") }
    func greedy(_ k: Int) throws -> (prompt: [Int32], output: [Int32], margin: Float) {
        (try file.int64s("greedy.\(k).prompt").map { Int32($0) }, try file.int64s("greedy.\(k).output").map { Int32($0) },
         try file.floats("greedy.\(k).min_margin")[0])
    }
}

/// Largest |a − b| / (atol + rtol·|b|) and where: ≤ 1 means within tolerance.
func worstRatio(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>, atol: Float, rtol: Float) -> (ratio: Float, index: Int) {
    var worst: Float = 0, at = 0
    for (i, (x, y)) in zip(a, b).enumerated() {
        let r = abs(x - y) / (atol + rtol * abs(y))
        if !(r <= worst) { worst = r.isNaN ? .infinity : r; at = i }
    }
    return (worst, at)
}

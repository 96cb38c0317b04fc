import DraftTraining
import EagleCore
import Foundation
import SpeculativeDecoding
import TargetModel
import XCTest

/// The committed fixtures (written by pipelines/reference/eval/make_eval_fixtures.py): a tiny Llama target
/// (8 layers, H 64, V 256), a drafter trained on its greedy outputs (Vd 64), and the reference decoding runs.
enum Fixtures {
    static var root: String { Bundle.module.resourcePath! + "/Fixtures" }
    static var targetPath: String { root + "/target" }
    static var drafterPath: String { root + "/drafter" }

    nonisolated(unsafe) private static var cachedTarget: TargetModel?
    private static let lock = NSLock()
    static func target() throws -> TargetModel {
        lock.lock()
        defer { lock.unlock() }
        if let t = cachedTarget { return t }
        let t = try ModelLoader.load(path: targetPath)
        cachedTarget = t
        return t
    }

    struct Round: Equatable { var drafted: [Int32]; var accepted: Int; var committed: Int }
    struct Case { var depth: Int; var prompt: [Int32]; var rounds: [Round]; var tokens: [Int32]; var tau: Double
                  var targetMargin: Double; var drafterMargin: Double }

    static func golden() throws -> (maxNewTokens: Int, stopTokens: Set<Int32>, cases: [Case]) {
        let json = try JSONParser.parse(bytes: try FileIO.readAll(path: root + "/golden.json", limit: 1 << 24))
        func ids(_ v: JSONValue?) -> [Int32] { (v?.arrayValue ?? []).map { Int32($0.intValue!) } }
        let cases = (json["cases"]?.arrayValue ?? []).map { c in
            Case(depth: c["depth"]!.intValue!, prompt: ids(c["prompt"]),
                 rounds: (c["rounds"]?.arrayValue ?? []).map { r in
                     Round(drafted: ids(r["drafted"]), accepted: r["accepted"]!.intValue!, committed: r["committed"]!.intValue!)
                 },
                 tokens: ids(c["tokens"]), tau: c["tau"]!.doubleValue!,
                 targetMargin: c["min_target_margin"]!.doubleValue!, drafterMargin: c["min_drafter_margin"]!.doubleValue!)
        }
        return (json["max_new_tokens"]!.intValue!, Set(ids(json["stop_tokens"])), cases)
    }
}

/// A drafter export in a temporary directory: random weights (PyTorch default init, seeded) for `configuration`,
/// a draft vocabulary of the given target ids (ascending), optionally modified before writing.
func writeDrafter(_ configuration: DrafterConfiguration, vocabulary ids: [Int], seed: UInt64 = 5,
                  modify: (inout DrafterWeights) -> Void = { _ in }) throws -> String {
    var weights = DrafterWeights(initializing: configuration, seed: seed)
    modify(&weights)
    let d2t = ids.enumerated().map { Int64($0.element - $0.offset) }
    var t2d = [Bool](repeating: false, count: configuration.targetVocabSize)
    for id in ids { t2d[id] = true }
    let dir = NSTemporaryDirectory() + "eagleprep-drafter-\(UUID().uuidString)"
    try DrafterExport.write(weights: weights, d2t: d2t, t2d: t2d, bosTokenId: 1, eosTokenId: 2, dtype: .f16, to: dir)
    return dir
}

/// The drafter shape of the tiny target (SPEC §13): H 64, 4/2 heads, I 128, V 256.
func tinyDrafterConfiguration(draftVocab: Int = 64, hidden: Int = 64, vocab: Int = 256, auxLayers: Int = 3) -> DrafterConfiguration {
    DrafterConfiguration(hiddenSize: hidden, intermediateSize: 128, headCount: 4, kvHeadCount: 2, targetVocabSize: vocab,
                         draftVocabSize: draftVocab, auxLayers: auxLayers)
}

/// Deterministic prompts of the given lengths (BOS 1, then ids in 3..<256).
func prompts(lengths: [Int], seed: UInt64) -> [[Int32]] {
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    func next() -> Int32 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int32(3 + (state >> 33) % 253)
    }
    return lengths.map { n in [Int32(1)] + (1..<n).map { _ in next() } }
}

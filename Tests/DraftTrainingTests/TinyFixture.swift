import DraftTraining
import EagleCore
import Foundation
import SafeTensors
import XCTest

/// The SPEC §13 tiny configuration and the tensors `pipelines/reference/drafter/make_fixtures.py` wrote.
struct TinyFixture {
    static let configuration = DrafterConfiguration(hiddenSize: 64, intermediateSize: 128, headCount: 4, kvHeadCount: 2,
                                                    targetVocabSize: 256, draftVocabSize: 64)
    static let root = Bundle.module.resourcePath! + "/Fixtures"

    struct Case: Decodable {
        let name: String
        let seq: Int
        let vocab: String
        let variant: String
        let zero_last: Bool
        let weights: String
    }

    enum Signal { case logits, hidden, hiddenPrenorm }

    let inputs: SafeTensorsFile
    let expected: SafeTensorsFile

    init() throws {
        inputs = try SafeTensorsFile(path: Self.root + "/inputs.safetensors")
        expected = try SafeTensorsFile(path: Self.root + "/expected.safetensors")
    }

    var cases: [Case] {
        get throws { try JSONDecoder().decode([Case].self, from: Data(expected.metadata["cases"]!.utf8)) }
    }

    func targetInputs(vocab: String, withHead: Bool = false, prenorm: Bool = false) throws -> TargetInputs {
        var head: TargetHead?
        if withHead {
            head = TargetHead(weight: try inputs.floats("target.lm_head.weight"),
                              normWeight: prenorm ? try inputs.floats("target.norm.weight") : nil, normEps: 1e-5)
        }
        return TargetInputs(embedding: try inputs.floats("embed_tokens.weight"), d2t: try inputs.int64s("\(vocab).d2t"),
                            t2d: try inputs.bools("\(vocab).t2d"), head: head)
    }

    /// Sequence i as a training sample; the logits signal keeps the draft columns of the full logits (ascending
    /// target id, SPEC §4) and the full-vocabulary argmax (first index), as a dump would.
    func sample(_ i: Int, vocab: String, signal: Signal = .logits) throws -> TrainingSample {
        let ids = try inputs.int32s("seq.\(i).ids")
        let mask = try inputs.uint8s("seq.\(i).loss_mask")
        let aux = try inputs.floats("seq.\(i).aux")
        let L = ids.count, V = Self.configuration.targetVocabSize
        switch signal {
        case .logits:
            let full = try inputs.floats("seq.\(i).logits")
            let t2d = try inputs.bools("\(vocab).t2d")
            var draft: [Float] = [], argmax: [Int32] = []
            for u in 0..<L {
                let row = full[(u * V)..<((u + 1) * V)]
                for v in 0..<V where t2d[v] { draft.append(row[row.startIndex + v]) }
                var best = 0
                for v in 1..<V where row[row.startIndex + v] > row[row.startIndex + best] { best = v }
                argmax.append(Int32(best))
            }
            return TrainingSample(ids: ids, lossMask: mask, auxHidden: aux, target: .logits(draft: draft, argmax: argmax))
        case .hidden:
            return TrainingSample(ids: ids, lossMask: mask, auxHidden: aux, target: .hidden(try inputs.floats("seq.\(i).final_hidden")))
        case .hiddenPrenorm:
            return TrainingSample(ids: ids, lossMask: mask, auxHidden: aux,
                                  target: .hidden(try inputs.floats("seq.\(i).final_hidden_prenorm")))
        }
    }

    /// Weights stored under `prefix` (`init.` in inputs, `train.final.` in expected).
    func weights(_ prefix: String) throws -> DrafterWeights {
        let file = prefix == "init." ? inputs : expected
        var values: [Float] = []
        for t in DrafterTensor.allCases { values += try file.floats(prefix + t.name) }
        return try DrafterWeights(configuration: Self.configuration, values: values)
    }

    func expectedTensor(_ name: String) throws -> [Float] { try expected.floats(name) }
}

/// Compares gradients tensor by tensor: ‖Δ‖∞ ≤ rtol·‖ref‖∞ and cosine ≥ minCosine, reporting the worst element.
func assertTensorsClose(_ actual: [Float], _ expected: [Float], relativeToMax rtol: Float, minCosine: Double, _ what: String,
                        file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("\(what): \(actual.count) values, expected \(expected.count)", file: file, line: line)
        return
    }
    let refMax = expected.map(abs).max() ?? 0
    var worst = 0
    var worstErr: Float = -1
    var dot = 0.0, na = 0.0, nb = 0.0
    for i in actual.indices {
        let e = abs(actual[i] - expected[i])
        if !(e <= worstErr) { worst = i; worstErr = e.isNaN ? .infinity : e }
        dot += Double(actual[i]) * Double(expected[i])
        na += Double(actual[i]) * Double(actual[i])
        nb += Double(expected[i]) * Double(expected[i])
    }
    let cosine = na == 0 && nb == 0 ? 1 : dot / (na.squareRoot() * nb.squareRoot())
    if !(worstErr <= rtol * refMax) || !(cosine >= minCosine) {
        XCTFail("\(what): worst [\(worst)] actual \(actual[worst]) expected \(expected[worst]), ‖Δ‖∞ \(worstErr) vs allowed \(rtol) · ‖ref‖∞ \(refMax); cosine \(cosine)",
                file: file, line: line)
    }
}

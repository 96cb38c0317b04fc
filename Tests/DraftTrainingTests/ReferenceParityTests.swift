import DraftTraining
import TestSupport
import XCTest

/// SPEC §13 P7–P9: one TTT forward/backward per fixture case against the PyTorch reference
/// (pipelines/reference/drafter/drafter_ref.py, itself bit-identical to EAGLE's cnets.py on these cases).
final class ReferenceParityTests: XCTestCase {
    static func options(_ c: TinyFixture.Case) -> TTTOptions {
        let variant: AttentionVariant = switch c.variant {
        case "first_upload": .firstUpload
        case "pe_shift": .positionShift
        default: .main
        }
        return TTTOptions(attention: variant, zeroLastPosition: c.zero_last)
    }

    func testLossesAccuraciesAndGradientsMatchTheReference() throws {
        let fixture = try TinyFixture()
        let cases = try fixture.cases
        XCTAssertEqual(cases.count, 9)
        for c in cases {
            let weights = try fixture.weights(c.weights == "init" ? "init." : "train.final.")
            let engine = try DrafterEngine(configuration: TinyFixture.configuration, tttOptions: Self.options(c),
                                           inputs: try fixture.targetInputs(vocab: c.vocab), weights: weights, threads: 2)
            let metrics = try engine.forwardBackward(try fixture.sample(c.seq, vocab: c.vocab))
            // P7: fp32 losses, summed in a different order than torch: |Δ| ≤ 1e-5·|ref| + 1e-7.
            let losses = try fixture.expectedTensor("case.\(c.name).losses")
            for k in 0..<7 {
                let ref = Double(losses[k])
                XCTAssertLessThanOrEqual(abs(metrics.losses[k] - ref), 1e-5 * abs(ref) + 1e-7, "\(c.name) loss_\(k): \(metrics.losses[k]) vs \(ref)")
            }
            // P8: accuracies exactly (the fixture's smallest top-1/top-2 drafter-logit gap is ≥ 1.5e-4, far above
            // fp32 rounding, so no argmax is a near-tie).
            let accs = try fixture.expected.floats("case.\(c.name).accs")  // F64 read as Float for the margin check below
            let accs64 = try Self.doubles(fixture, "case.\(c.name).accs")
            XCTAssertGreaterThan(try fixture.expectedTensor("case.\(c.name).min_margin")[0], 1e-4)
            XCTAssertEqual(accs.count, 7)
            XCTAssertEqual(metrics.accuracies, accs64, "\(c.name) accuracies")
            // P9: every gradient, ‖Δ‖∞ ≤ 1e-4·‖ref‖∞ per tensor and cosine ≥ 0.99999 (fp32 sums in another order).
            let grads = engine.gradientValues
            let layout = engine.layout
            var worstLoss = 0.0, worstGrad: Float = 0
            for k in 0..<7 { worstLoss = max(worstLoss, abs(metrics.losses[k] - Double(losses[k])) / abs(Double(losses[k]))) }
            for t in DrafterTensor.allCases {
                let ref = try fixture.expectedTensor("case.\(c.name).grad.\(t.name)")
                let got = grads[layout.range(t)]
                let err = zip(got, ref).map { abs($0 - $1) }.max()! / ref.map(abs).max()!
                worstGrad = max(worstGrad, err)
            }
            print("parity \(c.name) (rows per step \(engine.lastStepRows)): losses max rel Δ \(worstLoss), gradients max ‖Δ‖∞/‖ref‖∞ \(worstGrad), accuracies \(metrics.accuracies.map { ($0 * 1000).rounded() / 1000 })")
            for t in DrafterTensor.allCases {
                assertTensorsClose(Array(grads[layout.range(t)]), try fixture.expectedTensor("case.\(c.name).grad.\(t.name)"),
                                   relativeToMax: 1e-4, minCosine: 0.99999, "\(c.name) ∂\(t.name)")
            }
        }
    }

    static func doubles(_ f: TinyFixture, _ name: String) throws -> [Double] {
        let raw = try f.expected.bytes(name, dtype: .f64)
        return (0..<(raw.count / 8)).map { i in
            var bits: UInt64 = 0
            for b in (0..<8).reversed() { bits = bits << 8 | UInt64(raw[8 * i + b]) }
            return Double(bitPattern: bits)
        }
    }
}

import DraftTraining
import EagleCore
import TestSupport
import XCTest

/// SPEC §13 P10–P11: the schedule, clipping and AdamW over 10 optimizer steps (2 sequences each, explicit order)
/// against the PyTorch reference (torch.optim.AdamW, clip_grad_norm_).
final class TrainingParityTests: XCTestCase {
    func testTenOptimizerStepsMatchTheReference() throws {
        let f = try TinyFixture()
        let train = f.expected.metadata["train"]!
        let settings = try JSONParser.parse(train)
        let peak = settings["peak_lr"]!.doubleValue!, warmup = settings["warmup"]!.intValue!, total = settings["total"]!.intValue!
        let order = try f.expected.int32s("train.order").map(Int.init)
        let samples = try (0..<3).map { try f.sample($0, vocab: "vocab_a") }
        let options = TrainingOptions(batching: .sequences(2), epochs: 1,
                                      schedule: .reference(peak: peak, warmup: warmup, total: total), order: order, threads: 2)
        let trainer = try DrafterTrainer(configuration: TinyFixture.configuration, inputs: try f.targetInputs(vocab: "vocab_a"),
                                         train: InMemorySampleSource(samples), options: options, weights: try f.weights("init."))
        var records: [StepRecord] = []
        try trainer.run { records.append($0) }
        XCTAssertEqual(records.count, 10)
        // P10: the learning rates, exactly (double, same formula and operation order).
        XCTAssertEqual(records.map(\.learningRate), try ReferenceParityTests.doubles(f, "train.lr"))
        // Gradient norms before clipping (clipping is active: every norm is > 0.5): fp32 gradients, double norm.
        for (r, ref) in zip(records, try ReferenceParityTests.doubles(f, "train.grad_norm")) {
            XCTAssertGreaterThan(ref, 0.5)
            XCTAssertEqual(r.gradientNorm, ref, accuracy: 1e-5 * ref, "step \(r.step) gradient norm")
        }
        // P11: each tensor's total change within 1e-3 of the reference's change (Adam divides by √v, which
        // amplifies fp32 differences in elements with tiny gradients; 1e-3 relative to the largest change).
        let initial = try f.weights("init."), final = trainer.weights
        for t in DrafterTensor.allCases {
            let ref = try f.expectedTensor("train.final.\(t.name)")
            let refDelta = zip(ref, initial[t]).map { $0 - $1 }
            let delta = zip(final[t], initial[t]).map { $0 - $1 }
            assertTensorsClose(delta, refDelta, relativeToMax: 1e-3, minCosine: 0.9999, "Δ\(t.name) after 10 steps")
        }
    }

    func testReferenceScheduleValues() {
        // SPEC §10: s = n − 2; steps 1–2 at 0; step 3 = 3.6898335414202713e-06; step 12001 reaches 5e-5.
        let s = LearningRateSchedule.reference()
        XCTAssertEqual(s.rate(step: 1), 0)
        XCTAssertEqual(s.rate(step: 2), 0)
        XCTAssertEqual(s.rate(step: 3), 3.6898335414202713e-06)
        XCTAssertEqual(s.rate(step: 4), 5.8482477970542735e-06)
        XCTAssertEqual(s.rate(step: 12000), 4.999955637280263e-05)
        XCTAssertEqual(s.rate(step: 12001), 5e-05)
        XCTAssertEqual(s.rate(step: 12002), 5e-05)
        XCTAssertEqual(s.rate(step: 12003), 4.999993654822335e-05)
        XCTAssertEqual(s.rate(step: 800_002), 0)
        let cosine = LearningRateSchedule.cosine(peak: 1e-3, warmup: 10, total: 110, minimum: 1e-5)
        XCTAssertEqual(cosine.rate(step: 1), 1e-4, accuracy: 1e-18)
        XCTAssertEqual(cosine.rate(step: 10), 1e-3, accuracy: 1e-18)
        XCTAssertEqual(cosine.rate(step: 61), 1e-5 + (1e-3 - 1e-5) * 0.5, accuracy: 1e-15)
        XCTAssertEqual(cosine.rate(step: 111), 1e-5, accuracy: 1e-18)
    }

    func testStepsAtLearningRateZeroKeepWeightsButMoveMoments() throws {
        // SPEC §13 P11: steps 1–2 of the reference schedule run at lr 0: θ unchanged, m and v (and n) advance.
        let f = try TinyFixture()
        let samples = try (0..<3).map { try f.sample($0, vocab: "vocab_a") }
        let trainer = try DrafterTrainer(configuration: TinyFixture.configuration, inputs: try f.targetInputs(vocab: "vocab_a"),
                                         train: InMemorySampleSource(samples),
                                         options: TrainingOptions(epochs: 2, maxSteps: 2, order: [0, 1, 2], threads: 2),
                                         weights: try f.weights("init."))
        try trainer.run()
        XCTAssertEqual(trainer.step, 2)
        XCTAssertEqual(trainer.weights, try f.weights("init."))
        let c = trainer.checkpoint()
        XCTAssertEqual(c.adamStep, 2)
        XCTAssertGreaterThan(c.adamM.map(abs).max()!, 0)
        XCTAssertGreaterThan(c.adamV.map(abs).max()!, 0)
    }
}

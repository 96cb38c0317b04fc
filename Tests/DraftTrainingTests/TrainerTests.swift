import DraftTraining
import EagleCore
import Foundation
import SafeTensors
import TestSupport
import XCTest

/// Checkpoints, resume, validation, metrics, charts and --dump-step on the tiny fixture.
final class TrainerTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "draft-training-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    func makeTrainer(_ f: TinyFixture, options: TrainingOptions, output: TrainingOutput?, train trainIds: [Int] = [0, 1, 0, 1],
                     validation validId: Int = 2) throws -> DrafterTrainer {
        let train = InMemorySampleSource(try trainIds.map { try f.sample($0, vocab: "vocab_a") })
        let valid = InMemorySampleSource([try f.sample(validId, vocab: "vocab_a")])
        return try DrafterTrainer(configuration: TinyFixture.configuration, inputs: try f.targetInputs(vocab: "vocab_a"),
                                  train: train, validation: valid, options: options, weights: try f.weights("init."), output: output)
    }

    /// Resuming from a mid-run checkpoint gives bit-identical weights, optimizer state and per-step losses, for
    /// sequence and token-budget batching (steps straddle epoch ends in both).
    func testResumeEqualsUninterruptedRun() throws {
        let f = try TinyFixture()
        let ids = [0, 0, 1, 0, 0]
        for batching in [Batching.sequences(2), .tokens(45)] {
            let options = TrainingOptions(batching: batching, epochs: 2, schedule: .constant(2e-3), seed: 7, threads: 2)
            let a = try makeTrainer(f, options: options, output: TrainingOutput(directory: directory + "/a", charts: false), train: ids, validation: 0)
            var full: [StepRecord] = []
            try a.run { full.append($0) }
            XCTAssertGreaterThanOrEqual(full.count, 3, "\(batching)")

            let outB = TrainingOutput(directory: directory + "/b", charts: false)
            var first = options
            first.maxSteps = 2
            let b1 = try makeTrainer(f, options: first, output: outB, train: ids, validation: 0)
            try b1.run()
            XCTAssertTrue(FileIO.exists(outB.checkpointPath))
            // Lines past the checkpoint (as if the process died after writing them) must be dropped on resume.
            try Self.append(outB.metricsPath, #"{"type":"train","step":3,"ploss":[9]}"# + "\n")
            let b2 = try makeTrainer(f, options: options, output: outB, train: ids, validation: 0)
            try b2.restore(from: try DrafterCheckpoint.read(path: outB.checkpointPath), path: outB.checkpointPath)
            XCTAssertEqual(b2.step, 2)
            var rest: [StepRecord] = []
            try b2.run { rest.append($0) }
            XCTAssertEqual(b2.weights.values.map(\.bitPattern), a.weights.values.map(\.bitPattern), "\(batching): weights")
            XCTAssertEqual(b2.checkpoint().adamV.map(\.bitPattern), a.checkpoint().adamV.map(\.bitPattern), "\(batching): Adam v")
            XCTAssertEqual(rest.map(\.losses), full.dropFirst(2).map(\.losses), "\(batching): losses after resume")
            XCTAssertEqual(rest.map(\.learningRate), full.dropFirst(2).map(\.learningRate))
            let linesA = try Self.trainLines(directory + "/a/metrics.jsonl"), linesB = try Self.trainLines(outB.metricsPath)
            XCTAssertEqual(linesA, linesB, "\(batching): metrics.jsonl losses")
            try FileManager.default.removeItem(atPath: directory + "/a")
            try FileManager.default.removeItem(atPath: outB.directory)
        }
    }

    static func append(_ path: String, _ text: String) throws {
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try h.seekToEnd()
        try h.write(contentsOf: Data(text.utf8))
        try h.close()
    }

    static func trainLines(_ path: String) throws -> [String] {
        try FileIO.readString(path: path).split(separator: "\n").compactMap { line in
            let v = try JSONParser.parse(String(line))
            // Validation lines are left out: a run stopped by --max-steps validates at its last step.
            guard let type = v["type"]?.stringValue, type != "valid" else { return nil }
            return "\(type) \(v["step"]!.intValue!) \(JSONWriter.string(v["ploss"] ?? .null)) \(JSONWriter.string(v["acc"] ?? .null))"
        }
    }

    func testCheckpointOfAnotherRunIsRefusedWithTheDifferences() throws {
        let f = try TinyFixture()
        let out = TrainingOutput(directory: directory, charts: false)
        let t = try makeTrainer(f, options: TrainingOptions(epochs: 1, maxSteps: 1, schedule: .constant(1e-3), threads: 2), output: out)
        try t.run()
        let other = try makeTrainer(f, options: TrainingOptions(epochs: 1, schedule: .constant(1e-3), seed: 43, threads: 2), output: nil)
        XCTAssertThrowsError(try other.restore(from: try DrafterCheckpoint.read(path: out.checkpointPath))) { error in
            XCTAssertTrue("\(error)".contains("seed: checkpoint \"42\", now \"43\""), "\(error)")
        }
        XCTAssertThrowsError(try DrafterCheckpoint.read(path: f.inputs.path)) { error in
            XCTAssertTrue("\(error)".contains("not an eagleprep-drafter-checkpoint file"), "\(error)")
        }
    }

    func testMetricsValidationAndCharts() throws {
        let f = try TinyFixture()
        let out = TrainingOutput(directory: directory)
        let t = try makeTrainer(f, options: TrainingOptions(epochs: 2, schedule: .constant(1e-3), validateEvery: 1, threads: 2), output: out)
        try t.run()
        let records = try FileIO.readString(path: out.metricsPath).split(separator: "\n").map { try JSONParser.parse(String($0)) }
        let train = records.filter { $0["type"]?.stringValue == "train" }
        let valid = records.filter { $0["type"]?.stringValue == "valid" }
        let epochs = records.filter { $0["type"]?.stringValue == "epoch" }
        XCTAssertEqual(train.count, 4)  // 8 sequences, 2 per step
        XCTAssertEqual(valid.count, 4)
        XCTAssertEqual(epochs.map { $0["epoch"]!.intValue! }, [0, 1])
        for r in train {
            XCTAssertEqual(r["ploss"]?.arrayValue?.count, 7)
            XCTAssertEqual(r["acc"]?.arrayValue?.count, 7)
            for key in ["lr", "grad_norm", "tokens_per_s", "loss", "tokens"] { XCTAssertNotNil(r[key], key) }
        }
        XCTAssertEqual(valid.last?["sequences"]?.intValue, 1)
        for chart in [TrainingCharts.lossFile, TrainingCharts.accuracyFile] {
            let svg = try FileIO.readString(path: directory + "/" + chart)
            XCTAssertTrue(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n") && svg.contains("<polyline"), chart)
        }
    }

    /// --dump-step with one sequence per step writes the fixture case's losses, accuracies and gradients.
    func testDumpStepMatchesTheReferenceGradients() throws {
        let f = try TinyFixture()
        let path = directory + "/dump.safetensors"
        let t = try DrafterTrainer(configuration: TinyFixture.configuration, inputs: try f.targetInputs(vocab: "vocab_a"),
                                   train: InMemorySampleSource([try f.sample(1, vocab: "vocab_a")]),
                                   options: TrainingOptions(batching: .sequences(1), epochs: 1, threads: 2),
                                   weights: try f.weights("init."), output: TrainingOutput(directory: directory, dumpStepPath: path))
        try t.run()
        let dump = try SafeTensorsFile(path: path)
        XCTAssertEqual(Set(dump.names), Set(DrafterTensor.allCases.map(\.name) + ["losses", "accuracies"]))
        let losses = try f.expectedTensor("case.seq1.losses")
        let dumped = try dump.floats("losses")
        for k in 0..<7 { XCTAssertEqual(dumped[k], losses[k], accuracy: 1e-5 * abs(losses[k]) + 1e-7) }
        for tensor in DrafterTensor.allCases {
            XCTAssertEqual(try dump.info(tensor.name).shape, tensor.shape(TinyFixture.configuration))
            assertTensorsClose(try dump.floats(tensor.name), try f.expectedTensor("case.seq1.grad.\(tensor.name)"),
                               relativeToMax: 1e-4, minCosine: 0.99999, "dump \(tensor.name)")
        }
    }

    func testHiddenSignalGivesTheLogitSignalsLosses() throws {
        // The "hidden" signal recomputes the target logits with the target's head (and final norm for pre-norm
        // states): same flags and argmaxes here, losses within fp32 recomputation error (1e-5 relative).
        let f = try TinyFixture()
        for (signal, prenorm) in [(TinyFixture.Signal.hidden, false), (.hiddenPrenorm, true)] {
            for seq in 0..<3 {
                let logits = try DrafterEngine(configuration: TinyFixture.configuration, inputs: try f.targetInputs(vocab: "vocab_a"),
                                               weights: try f.weights("init."), threads: 2)
                let hidden = try DrafterEngine(configuration: TinyFixture.configuration,
                                               inputs: try f.targetInputs(vocab: "vocab_a", withHead: true, prenorm: prenorm),
                                               weights: try f.weights("init."), threads: 2)
                let a = try logits.evaluate(try f.sample(seq, vocab: "vocab_a"))
                let b = try hidden.evaluate(try f.sample(seq, vocab: "vocab_a", signal: signal))
                XCTAssertEqual(a.activePositions, b.activePositions, "seq \(seq) \(signal)")
                XCTAssertEqual(a.accuracies, b.accuracies, "seq \(seq) \(signal)")
                for k in 0..<7 { XCTAssertEqual(a.losses[k], b.losses[k], accuracy: 1e-5 * a.losses[k], "seq \(seq) \(signal) loss_\(k)") }
            }
        }
    }

    func testValidationSplitIsSeededAndDisjoint() throws {
        let f = try TinyFixture()
        let source = InMemorySampleSource(try (0..<10).map { try f.sample($0 % 3, vocab: "vocab_a") })
        let (train, valid) = DrafterTrainer.split(source, validationFraction: 0.2, seed: 1)
        let (train2, _) = DrafterTrainer.split(source, validationFraction: 0.2, seed: 1)
        let ti = (train as! SampleSubset).indices, vi = (valid as! SampleSubset).indices
        XCTAssertEqual(vi.count, 2)
        XCTAssertEqual(Set(ti).union(vi), Set(0..<10))
        XCTAssertTrue(Set(ti).isDisjoint(with: vi))
        XCTAssertEqual(ti, (train2 as! SampleSubset).indices)
    }

    /// The held-out indices as `swift_split` in pipelines/python/examples/train_reference_drafter.py computes them
    /// (its own SplitMix64 + Fisher–Yates), so the PyTorch reference trains and validates on the same split.
    func testValidationSplitMatchesThePythonReplica() throws {
        let f = try TinyFixture()
        let one = try f.sample(0, vocab: "vocab_a")
        func held(_ n: Int, _ fraction: Double, _ seed: UInt64) -> [Int] {
            let (_, valid) = DrafterTrainer.split(InMemorySampleSource(Array(repeating: one, count: n)), validationFraction: fraction, seed: seed)
            return (valid as! SampleSubset).indices
        }
        XCTAssertEqual(held(40, 0.1, 42), [8, 11, 25, 34])
        XCTAssertEqual(Array(held(1000, 0.05, 7).prefix(10)), [8, 36, 99, 116, 129, 149, 185, 221, 238, 241])
    }
}

import DraftTraining
import EagleCore
import Foundation
import SafeTensors
import TestSupport
import XCTest

/// SPEC §11 / P12: the serving layout, read back bit for bit.
final class ExportTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "draft-export-\(UUID().uuidString)"
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    func testExportLoadsBackExactly() throws {
        let f = try TinyFixture()
        let weights = try f.weights("train.final.")
        let inputs = try f.targetInputs(vocab: "vocab_b")
        for dtype in ExportDType.allCases {
            let dir = directory + "/" + dtype.rawValue
            try DrafterExport.write(weights: weights, d2t: inputs.d2t, t2d: inputs.t2d, bosTokenId: 1, eosTokenId: 2, dtype: dtype, to: dir)
            let back = try DrafterExport.load(directory: dir)
            XCTAssertEqual(back.dtype, dtype)
            XCTAssertEqual(back.d2t, inputs.d2t)
            XCTAssertEqual(back.t2d, inputs.t2d)
            XCTAssertEqual(back.weights.configuration, TinyFixture.configuration)
            // Exactly the round-to-nearest-even 16-bit values of the fp32 weights.
            let expected = weights.values.map { dtype == .f16 ? Float(Float16($0)) : HalfPrecision.float(bf16: HalfPrecision.bf16($0)) }
            XCTAssertEqual(back.weights.values.map(\.bitPattern), expected.map(\.bitPattern))
            // Keys, dtypes and shapes exactly as SPEC §11: 13 weights + d2t + t2d, no prefix, no embedding.
            let file = try SafeTensorsFile(path: dir + "/model.safetensors")
            XCTAssertEqual(Set(file.names), Set(DrafterTensor.allCases.map(\.name) + ["d2t", "t2d"]))
            XCTAssertEqual(try file.info("d2t").dtype, .i64)
            XCTAssertEqual(try file.info("t2d").dtype, .bool)
            XCTAssertEqual(try file.info("t2d").shape, [256])
            XCTAssertEqual(try file.info("midlayer.self_attn.q_proj.weight").shape, [64, 128])
            XCTAssertEqual(try file.info("lm_head.weight").dtype, dtype == .f16 ? .f16 : .bf16)
            let config = try JSONParser.parse(try FileIO.readString(path: dir + "/config.json"))
            XCTAssertEqual(config["architectures"], .array([.string("LlamaForCausalLMEagle3")]))
            XCTAssertEqual(config["draft_vocab_size"]?.intValue, 64)
            XCTAssertEqual(config["vocab_size"]?.intValue, 256)
            XCTAssertEqual(config["num_hidden_layers"]?.intValue, 1)
            XCTAssertEqual(config["bos_token_id"]?.intValue, 1)
            XCTAssertNil(config["rope_theta"])
            XCTAssertNil(config["head_dim"])
            XCTAssertNil(config["rope_scaling"])
            // The export is a valid --init.
            let reloaded = try DrafterExport.loadInitialWeights(path: dir + "/model.safetensors", configuration: TinyFixture.configuration,
                                                               d2t: inputs.d2t, t2d: inputs.t2d)
            XCTAssertEqual(reloaded, back.weights)
        }
    }

    func testHalfPrecisionRoundsToNearestEven() {
        // 1 + 2⁻¹¹ is halfway between two f16 values: ties to even (1.0); 1 + 3·2⁻¹¹ rounds up to 1 + 2⁻⁹.
        XCTAssertEqual(Float16(Float(1 + 0x1p-11)).bitPattern, 0x3C00)
        XCTAssertEqual(Float16(Float(1 + 3 * 0x1p-11)).bitPattern, 0x3C02)
        XCTAssertEqual(Float16(Float(65520)).bitPattern, 0x7C00)  // overflow to +inf, as PyTorch
        XCTAssertEqual(HalfPrecision.bf16(Float(bitPattern: 0x3F80_8000)), 0x3F80)  // tie → even
        XCTAssertEqual(HalfPrecision.bf16(Float(bitPattern: 0x3F81_8000)), 0x3F82)  // tie → even (up)
    }

    func testInvalidExportsAreRejected() throws {
        let f = try TinyFixture()
        let inputs = try f.targetInputs(vocab: "vocab_a")
        try DrafterExport.write(weights: try f.weights("init."), d2t: inputs.d2t, t2d: inputs.t2d, bosTokenId: nil, eosTokenId: nil,
                                dtype: .f16, to: directory)
        let configPath = directory + "/config.json"
        let good = try FileIO.readString(path: configPath)
        try FileIO.writeAtomically(path: configPath, bytes: Array(good.replacingOccurrences(of: "\"model_type\"", with: "\"rope_theta\":500000.0,\"model_type\"").utf8))
        XCTAssertThrowsError(try DrafterExport.load(directory: directory)) { XCTAssertTrue("\($0)".contains("has rope_theta"), "\($0)") }
        try FileIO.writeAtomically(path: configPath, bytes: Array(good.replacingOccurrences(of: "LlamaForCausalLMEagle3", with: "LlamaForCausalLM").utf8))
        XCTAssertThrowsError(try DrafterExport.load(directory: directory)) { XCTAssertTrue("\($0)".contains("architectures"), "\($0)") }
        try FileIO.writeAtomically(path: configPath, bytes: Array(good.utf8))
        // A model file with a prefixed key (what SGLang would silently ignore).
        var w = SafeTensorsWriter()
        let c = TinyFixture.configuration
        for t in DrafterTensor.allCases {
            try w.add((t == .fc ? "model." : "") + t.name, dtype: .f16, shape: t.shape(c), bytes: [UInt8](repeating: 0, count: 2 * t.shape(c).reduce(1, *)))
        }
        try w.add("d2t", int64s: inputs.d2t)
        try w.add("t2d", bools: inputs.t2d)
        try w.write(path: directory + "/model.safetensors")
        XCTAssertThrowsError(try DrafterExport.load(directory: directory)) { XCTAssertTrue("\($0)".contains("unexpected tensor model.fc.weight"), "\($0)") }
        var bad = inputs
        bad.d2t[5] = -3
        XCTAssertThrowsError(try DrafterExport.write(weights: try f.weights("init."), d2t: bad.d2t, t2d: bad.t2d, bosTokenId: nil,
                                                     eosTokenId: nil, dtype: .f16, to: directory + "/x")) {
            XCTAssertTrue("\($0)".contains("d2t[5] = -3"), "\($0)")
        }
    }
}

extension ExportTests {
    /// The streamed writer (checkpoints, exports) gives the same bytes as `SafeTensorsWriter` for the same tensors.
    func testStreamedFileEqualsSafeTensorsWriter() throws {
        let f = try TinyFixture()
        let checkpoint = DrafterCheckpoint(weights: try f.weights("init."), adamM: try f.weights("train.final.").values,
                                           adamV: try f.weights("init.").values.map { $0 * $0 }, adamStep: 3,
                                           d2t: try f.inputs.int64s("vocab_a.d2t"), t2d: try f.inputs.bools("vocab_a.t2d"),
                                           bosTokenId: 1, eosTokenId: nil, state: .object(JSONObject([("step", .int(3))])))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/c.safetensors"
        try checkpoint.write(path: path)
        let streamed = try SafeTensorsFile(path: path)
        var w = SafeTensorsWriter(metadata: DrafterCheckpoint.format == streamed.metadata["format"]
            ? [("format", streamed.metadata["format"]!), ("version", streamed.metadata["version"]!), ("config", streamed.metadata["config"]!),
               ("rope_theta", streamed.metadata["rope_theta"]!), ("adam_step", streamed.metadata["adam_step"]!), ("state", streamed.metadata["state"]!)]
            : [])
        for t in streamed.tensors { try w.add(t.name, dtype: t.dtype, shape: t.shape, bytes: try streamed.bytes(t.name)) }
        XCTAssertEqual(try FileIO.readAll(path: path), w.serialized())
        let back = try DrafterCheckpoint.read(path: path)
        XCTAssertEqual(back.weights, checkpoint.weights)
        XCTAssertEqual(back.adamM, checkpoint.adamM)
        XCTAssertEqual(back.adamV, checkpoint.adamV)
        XCTAssertEqual(back.adamStep, 3)
        XCTAssertEqual(back.d2t, checkpoint.d2t)
        XCTAssertEqual(back.t2d, checkpoint.t2d)
        XCTAssertEqual(back.bosTokenId, 1)
        XCTAssertEqual(back.state, checkpoint.state)
    }
}

import EagleCore
import Foundation
import SafeTensors
@testable import TargetModel
import TestSupport
import XCTest

/// config.json parsing, load-time verification (one broken copy of the tiny Llama per failure), sharded folders.
final class LoadingTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "eagleprep-model-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func config(_ json: String) throws -> ModelConfiguration {
        try HuggingFaceConfig.parse(try JSONParser.parse(bytes: Array(json.utf8)), source: "config.json")
    }

    let base = #""hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 256"#

    func testConfigDefaultsAndRoPESpellings() throws {
        let plain = try config(#"{"architectures": ["LlamaForCausalLM"], \#(base)}"#)
        XCTAssertEqual(plain.keyValueHeadCount, 4)
        XCTAssertEqual(plain.headDim, 16)
        XCTAssertEqual(plain.rope, RoPEConfiguration(theta: 10000))
        XCTAssertEqual(plain.rmsNormEpsilon, 1e-6)
        XCTAssertFalse(plain.tieWordEmbeddings)

        let legacy = try config(#"{"architectures": ["LlamaForCausalLM"], \#(base), "rope_theta": 500000.0, "rope_scaling": {"type": "linear", "factor": 4.0}}"#)
        XCTAssertEqual(legacy.rope, RoPEConfiguration(theta: 500000, scaling: .linear(factor: 4)))

        let llama3 = try config(#"{"architectures": ["LlamaForCausalLM"], \#(base), "max_position_embeddings": 131072, "rope_theta": 500000.0, "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}"#)
        XCTAssertEqual(llama3.rope, RoPEConfiguration(theta: 500000, scaling: .llama3(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalMaxPositionEmbeddings: 8192)))

        let v5 = try config(#"{"architectures": ["LlamaForCausalLM"], \#(base), "head_dim": null, "rope_parameters": {"rope_type": "default", "rope_theta": 100000.0}, "eos_token_id": [2, 5]}"#)
        XCTAssertEqual(v5.rope, RoPEConfiguration(theta: 100000))
        XCTAssertEqual(v5.eosTokenIds, [2, 5])

        let qwen3 = try config(#"{"architectures": ["Qwen3ForCausalLM"], \#(base), "num_key_value_heads": 2}"#)
        XCTAssertEqual(qwen3.headDim, 128, "Qwen3Config's head_dim default")
        XCTAssertTrue(qwen3.queryKeyNorm)
        let qwen2 = try config(#"{"architectures": ["Qwen2ForCausalLM"], \#(base), "use_sliding_window": false, "sliding_window": 4096}"#)
        XCTAssertTrue(qwen2.attentionBias)
        XCTAssertNil(qwen2.slidingWindow)
        let mistral = try config(#"{"architectures": ["MistralForCausalLM"], \#(base), "sliding_window": 4096}"#)
        XCTAssertEqual(mistral.slidingWindow, 4096)
    }

    func testConfigErrorsNameTheKey() {
        let cases: [(String, String, String)] = [
            (#"{"architectures": ["GPT2LMHeadModel"], \#(base)}"#, "architectures",
             "unsupported architecture 'GPT2LMHeadModel' (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM)"),
            (#"{"architectures": ["LlamaForCausalLM"], "hidden_size": 64}"#, "num_attention_heads", "missing"),
            (#"{"architectures": ["LlamaForCausalLM"], \#(base), "rope_scaling": {"rope_type": "yarn", "factor": 4.0}}"#, "rope_scaling.rope_type",
             "'yarn' is not supported in rope_scaling (supported: default, linear, llama3)"),
            (#"{"architectures": ["LlamaForCausalLM"], \#(base), "hidden_act": "gelu"}"#, "hidden_act", "'gelu' is not supported (expected silu)"),
            (#"{"architectures": ["LlamaForCausalLM"], \#(base), "mlp_bias": true}"#, "mlp_bias", "true is not supported"),
            (#"{"architectures": ["LlamaForCausalLM"], \#(base), "num_key_value_heads": 3}"#, "num_key_value_heads",
             "3 does not divide num_attention_heads 4"),
            (#"{"architectures": ["LlamaForCausalLM"], \#(base), "rope_parameters": {"rope_type": "linear"}}"#, "rope_parameters.factor", "missing"),
            (#"{"architectures": ["LlamaForCausalLM"], \#(base), "vocab_size": "big"}"#, "vocab_size", "is a string, expected an integer"),
        ]
        for (json, key, message) in cases {
            XCTAssertThrowsError(try config(json), key) { error in
                XCTAssertEqual(error as? ModelConfigurationError, ModelConfigurationError(source: "config.json", key: key, message: message))
            }
        }
    }

    /// Copies the tiny Llama into `dir`, passing each tensor through `edit` (nil drops it), plus `extra` tensors.
    func brokenCopy(edit: (String, DType, [Int], [UInt8]) -> (DType, [Int], [UInt8])? = { ($1, $2, $3) },
                    extra: [(String, DType, [Int], [UInt8])] = []) throws -> String {
        let src = Fixtures.path("tiny-llama")
        let f = try SafeTensorsFile(path: src + "/model.safetensors")
        var w = SafeTensorsWriter()
        for t in f.tensors {
            if let (dtype, shape, bytes) = edit(t.name, t.dtype, t.shape, try f.bytes(t.name)) {
                try w.add(t.name, dtype: dtype, shape: shape, bytes: bytes)
            }
        }
        for (n, d, s, b) in extra { try w.add(n, dtype: d, shape: s, bytes: b) }
        try w.write(path: dir + "/model.safetensors")
        try FileIO.writeAtomically(path: dir + "/config.json", bytes: try FileIO.readAll(path: src + "/config.json"))
        return dir
    }

    func testLoadVerificationErrors() throws {
        let target = "model.layers.3.self_attn.k_proj.weight"
        let cases: [(String, () throws -> String, ModelLoadError)] = [
            ("missing", { try self.brokenCopy(edit: { $0 == target ? nil : ($1, $2, $3) }) },
             .missingTensor(source: dir + "/model.safetensors", tensor: target, expectedShape: [32, 64])),
            ("shape", { try self.brokenCopy(edit: { $0 == target ? ($1, [64, 32], $3) : ($1, $2, $3) }) },
             .wrongShape(source: dir + "/model.safetensors", tensor: target, expected: "[32, 64]", actual: "[64, 32]")),
            ("dtype", { try self.brokenCopy(edit: { $0 == target ? (.i32, $2, $3) : ($1, $2, $3) }) },
             .unsupportedType(source: dir + "/model.safetensors", tensor: target, type: "I32")),
            ("unexpected", { try self.brokenCopy(extra: [("model.layers.0.mlp.extra.weight", .f32, [2], [UInt8](repeating: 0, count: 8))]) },
             .unexpectedTensors(source: dir + "/model.safetensors", tensors: ["model.layers.0.mlp.extra.weight"])),
        ]
        for (label, make, expected) in cases {
            let path = try make()
            XCTAssertThrowsError(try ModelLoader.load(path: path), label) { XCTAssertEqual($0 as? ModelLoadError, expected, label) }
            try FileManager.default.removeItem(atPath: dir + "/model.safetensors")
        }
        // Explicitly dropped: the rotary buffer of older checkpoints.
        let ok = try brokenCopy(extra: [("model.layers.0.self_attn.rotary_emb.inv_freq", .f32, [8], [UInt8](repeating: 0, count: 32))])
        XCTAssertNoThrow(try ModelLoader.load(path: ok))
        XCTAssertEqual(ModelLoadError.missingTensor(source: "m", tensor: target, expectedShape: [32, 64]).description,
                       "m: tensor 'model.layers.3.self_attn.k_proj.weight' is missing (expected shape [32, 64])")
    }

    /// A folder with `model.safetensors.index.json` and two shards loads the same weights as the single file.
    func testShardedCheckpoint() throws {
        let src = Fixtures.path("tiny-llama")
        let f = try SafeTensorsFile(path: src + "/model.safetensors")
        var shards = [SafeTensorsWriter(), SafeTensorsWriter()]
        var map = JSONObject()
        for (i, t) in f.tensors.enumerated() {
            try shards[i % 2].add(t.name, dtype: t.dtype, shape: t.shape, bytes: try f.bytes(t.name))
            map[t.name] = .string("model-0000\(i % 2 + 1)-of-00002.safetensors")
        }
        for (i, s) in shards.enumerated() { try s.write(path: dir + "/model-0000\(i + 1)-of-00002.safetensors") }
        let index = JSONValue.object(JSONObject([("metadata", .object(JSONObject())), ("weight_map", .object(map))]))
        try FileIO.writeAtomically(path: dir + "/model.safetensors.index.json", bytes: Array(JSONWriter.string(index).utf8))
        try FileIO.writeAtomically(path: dir + "/config.json", bytes: try FileIO.readAll(path: src + "/config.json"))
        let sharded = try ModelLoader.load(path: dir), single = try Fixtures.model("tiny-llama")
        XCTAssertEqual(sharded.weights.embedding.array, single.weights.embedding.array)
        XCTAssertEqual(sharded.weights.layers[7].qkv.array, single.weights.layers[7].qkv.array)
        XCTAssertEqual(sharded.weights.lmHead.array, single.weights.lmHead.array)
    }

    func testTiedEmbeddingsShareOneBuffer() throws {
        let m = try Fixtures.model("tiny-qwen2")
        XCTAssertTrue(m.configuration.tieWordEmbeddings)
        XCTAssertTrue(m.weights.lmHead === m.weights.embedding)
    }
}

final class AuxiliaryLayerTests: XCTestCase {
    func testEagle3AuxiliaryLayers() throws {
        var c = try Fixtures.model("tiny-llama").configuration
        XCTAssertEqual(try c.eagle3AuxiliaryLayers(), [2, 4, 5])
        c.layerCount = 30
        XCTAssertEqual(try c.eagle3AuxiliaryLayers(), [2, 15, 27], "SmolLM2 (SPEC §5)")
        c.layerCount = 32
        XCTAssertEqual(try c.eagle3AuxiliaryLayers(), [2, 16, 29], "Llama-3.1-8B")
        c.layerCount = 6
        XCTAssertThrowsError(try c.eagle3AuxiliaryLayers())
    }
}

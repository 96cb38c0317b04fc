import EagleCore
import GGUF
import SafeTensors
@testable import TargetModel
import TestSupport
import XCTest

/// GGUF loading: dequantization against gguf-py, the same weights through GGUF and safetensors, and a quantized
/// tiny Llama against transformers running gguf-py's dequantized weights.
final class GGUFModelTests: XCTestCase {
    /// Every decoded element equals gguf-py's `dequantize` bit for bit: same block layouts, same fp32 operations.
    func testDequantizationMatchesGGUFPy() throws {
        let f = try SafeTensorsFile(path: Fixtures.path("dequantization.safetensors"))
        let cases: [(String, WeightEncoding)] = [("Q8_0", .q8_0), ("Q4_0", .q4_0), ("Q4_1", .q4_1), ("Q4_K", .q4_K),
                                                 ("Q6_K", .q6_K), ("F16", .f16), ("BF16", .bf16)]
        for (name, encoding) in cases {
            let raw = try f.uint8s("\(name).bytes")
            let expected = try f.floats("\(name).values")
            XCTAssertEqual(raw.count, encoding.rowBytes(expected.count), name)
            var actual = [Float](repeating: .nan, count: expected.count)
            raw.withUnsafeBytes { src in
                actual.withUnsafeMutableBufferPointer { encoding.decode(src.baseAddress!, count: expected.count, into: $0.baseAddress!) }
            }
            let mismatch = actual.indices.first { actual[$0].bitPattern != expected[$0].bitPattern }
            XCTAssertNil(mismatch, "\(name): element \(mismatch ?? 0) is \(actual[mismatch ?? 0]), gguf-py \(expected[mismatch ?? 0])")
        }
    }

    /// The GGUF holds the BF16 checkpoint's exact values with q/k rows permuted by llama.cpp's converter; after
    /// loading, every weight is bit-identical to the safetensors load.
    func testGGUFAndSafetensorsLoadIdenticalWeights() throws {
        let st = try Fixtures.model("tiny-llama-bf16"), gg = try Fixtures.model("tiny-llama-bf16.gguf")
        let c = st.configuration
        XCTAssertEqual(gg.configuration.layerCount, c.layerCount)
        XCTAssertEqual(gg.configuration.headDim, c.headDim)
        XCTAssertEqual(gg.configuration.keyValueHeadCount, c.keyValueHeadCount)
        XCTAssertEqual(gg.configuration.tieWordEmbeddings, false)
        XCTAssertEqual(gg.configuration.rope.frequencyFactors?.count, c.headDim / 2)
        for spec in WeightSpec.table(for: c) {
            let (a, ao) = st.weights.location(of: spec.role, config: c)
            let (b, bo) = gg.weights.location(of: spec.role, config: gg.configuration)
            let n = spec.shape.reduce(1, *)
            let differs = (0..<n).first { a.pointer[ao + $0].bitPattern != b.pointer[bo + $0].bitPattern }
            XCTAssertNil(differs, "\(spec.huggingFaceName) / \(spec.ggufName) differs at element \(differs ?? 0)")
        }
        // llama.cpp's rope_freqs factors reproduce transformers' llama3 inverse frequencies to an ulp or two.
        let a = st.inverseFrequencies, b = gg.inverseFrequencies
        for i in a.indices { XCTAssertEqual(a[i], b[i], accuracy: a[i] * 4e-7, "inv_freq[\(i)]") }
    }

    /// Same weights, same outputs: the GGUF model against the BF16 checkpoint's transformers reference, with the
    /// tiny-model tolerance (the only difference from the safetensors path is the inverse frequencies above).
    func testBF16GGUFMatchesTransformers() throws {
        try TinyModelParityTests.checkForward(try Fixtures.model("tiny-llama-bf16.gguf"), reference: try ReferenceOutputs("llama-bf16"),
                                              label: "tiny-llama-bf16.gguf", atol: TinyModelParityTests.atol, rtol: TinyModelParityTests.rtol)
    }

    /// Q8_0 / Q4_0 / Q4_1 tensors (q/k Q4_0 and permuted), against transformers on gguf-py's dequantized weights.
    func testQuantizedGGUFMatchesTransformers() throws {
        let m = try Fixtures.model("tiny-llama-quant.gguf")
        try TinyModelParityTests.checkForward(m, reference: try ReferenceOutputs("llama-quant"), label: "tiny-llama-quant.gguf",
                                              atol: TinyModelParityTests.atol, rtol: TinyModelParityTests.rtol)
        let ref = try ReferenceOutputs("llama-quant")
        let cases = try (0..<ref.greedyCount).map { try ref.greedy($0) }
        let out = try Generator(model: m, stopTokens: []).generate(prompts: cases.map(\.prompt), maxNewTokens: 40)
        for (k, c) in cases.enumerated() { XCTAssertEqual(out[k].tokens, c.output, "greedy prompt \(k)") }
    }

    func testUnknownGGUFArchitectureIsNamed() throws {
        var w = BinaryWriter()
        w.raw(Array("GGUF".utf8)); w.u32(3); w.u64(0); w.u64(1)
        let key = "general.architecture", value = "gpt2"
        w.u64(UInt64(key.utf8.count)); w.raw(Array(key.utf8)); w.u32(8); w.u64(UInt64(value.utf8.count)); w.raw(Array(value.utf8))
        let path = NSTemporaryDirectory() + "eagleprep-arch-\(UUID().uuidString).gguf"
        try FileIO.writeAtomically(path: path, bytes: w.bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try ModelLoader.load(path: path)) { error in
            XCTAssertEqual(error as? ModelConfigurationError,
                           ModelConfigurationError(source: path, key: "general.architecture",
                                                   message: "unsupported architecture 'gpt2' (supported: llama, qwen2, qwen3)"))
        }
    }

    func testGGUFRowPermutationInvertsLlamaCppPermute() {
        // llama.cpp: w.reshape(n_head, 2, hd/2, …).swapaxes(1, 2): file row (head, i, j) = 2i + j holds HF row j·hd/2 + i.
        let hd = 8
        XCTAssertEqual((0..<hd).map { WeightSpec.huggingFaceRow(ofGGUFRow: $0, rowsPerHead: hd) }, [0, 4, 1, 5, 2, 6, 3, 7])
        XCTAssertEqual(WeightSpec.huggingFaceRow(ofGGUFRow: hd + 1, rowsPerHead: hd), hd + 4)
    }
}

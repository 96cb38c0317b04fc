import Conversations
import DraftVocabulary
import EagleCore
import Foundation
import Shards
import TargetDump
import TargetModel
import TestSupport
import TokenShards
import TrainingData
import XCTest

/// ChatML by hand, and a byte-level stand-in tokenizer that fits the tiny target's 256-id vocabulary:
/// `<|im_start|>` → 1, `<|im_end|>` → 2, every other UTF-8 byte → its value (bytes 1 and 2 never occur in text).
struct TinyChatML: ConversationRendering {
    func render(messages: [JSONObject], tools: [JSONValue]?, addGenerationPrompt: Bool) throws -> String {
        var s = ""
        for m in messages { s += "<|im_start|>\(m["role"]!.stringValue!)\n\(m["content"]!.stringValue!)<|im_end|>\n" }
        return s + (addGenerationPrompt ? "<|im_start|>assistant\n" : "")
    }
}

let tinyEncode: @Sendable (String) -> [Int32] = { text in
    var ids: [Int32] = []
    var rest = Substring(text)
    while !rest.isEmpty {
        if rest.hasPrefix("<|im_start|>") { ids.append(1); rest = rest.dropFirst(12); continue }
        if rest.hasPrefix("<|im_end|>") { ids.append(2); rest = rest.dropFirst(10); continue }
        ids += String(rest.first!).utf8.map { Int32($0) }
        rest = rest.dropFirst()
    }
    return ids
}

final class DumpStageTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "eagleprep-dumpstage-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func makeTokens() throws -> TokenDirectory {
        let lines = (0..<12).map { i in
            #"{"messages": [{"role": "user", "content": "q\#(i) \#(String(repeating: "x", count: i))"}, {"role": "assistant", "content": "a\#(i) \#(String(repeating: "yz", count: 12 - i))"}]}"#
        }
        let input = dir + "/in.jsonl"
        try FileIO.writeAtomically(path: input, bytes: Array(lines.joined(separator: "\n").utf8))
        let builder = SampleBuilder(renderer: TinyChatML(), encode: tinyEncode, endOfTurnId: 2, specialTokenStrings: ["<|im_start|>", "<|im_end|>"],
                                    options: SampleOptions(systemPrompt: .none))
        let settings = TokenizeSettings(inputs: [input], format: nil, options: SampleOptions(systemPrompt: .none), samplesPerShard: 5,
                                        identity: JSONObject([("tokenizer_sha256", .string("tiny"))]))
        let counts = try TokenizeStage(settings: settings, outputDirectory: dir + "/tokens", threads: 1).run(builder: builder)
        XCTAssertEqual(counts.kept, 12)
        return try TokenDirectory(path: dir + "/tokens")
    }

    func model() throws -> TargetModel {
        try ModelLoader.load(path: TestSupport.packageRoot + "/Tests/TargetModelTests/Fixtures/tiny-llama", threads: 1)
    }

    func stage(_ tokens: TokenDirectory, _ model: TargetModel, out: String, auxDType: StorageDType = .f32, signal: TargetSignalKind = .logits,
               worker: (Int, Int) = (0, 1), tokensPerBatch: Int = 120) -> DumpStage {
        var s = DumpSettings(auxLayers: [2, 4, 5], identity: JSONObject([("target.architecture", .string("tiny"))]))
        s.auxDType = auxDType
        s.signal = signal
        s.hiddenDType = .f32
        s.samplesPerShard = 4
        s.tokensPerBatch = tokensPerBatch
        (s.workerIndex, s.workerCount) = worker
        let draftIds: [Int32] = (0..<48).map { Int32($0 * 5) }
        return DumpStage(model: model, tokens: tokens, draftIds: draftIds, settings: s, outputDirectory: out, threads: 2)
    }

    /// Stored aux hidden states, draft logits and argmax equal a plain forward pass of each sequence alone.
    /// Tolerance: the dump packs several sequences into one forward pass, so BLAS sums in another blocking order;
    /// fp32 on these tiny shapes (H 64) agrees to ~1e-6 — atol 1e-5, rtol 1e-4. Argmax: exact.
    func testStoredValuesEqualTheForwardPass() throws {
        let tokens = try makeTokens()
        let m = try model()
        for signal in TargetSignalKind.allCases {
            let out = dir + "/dump-\(signal)"
            let counts = try stage(tokens, m, out: out, signal: signal).run()
            XCTAssertEqual(counts.samples, 12)
            let manifest = try JSONParser.parse(bytes: FileIO.readAll(path: out + "/manifest.json"))
            let shards = manifest["shards"]!.arrayValue!.map { out + "/" + $0["file"]!.stringValue! }
            XCTAssertEqual(shards.count, 3)
            var k = 0
            for path in shards {
                let r = try DumpShardReader(path: path)
                XCTAssertEqual(r.metadata["layers.ids"], .array([.int(2), .int(4), .int(5)]))
                for i in 0..<r.count {
                    let s = try r.sample(i)
                    let ref = try m.referenceOutputs(sequence: s.ids, threads: 1)
                    let L = s.ids.count, h = 64
                    var aux: [Float] = []
                    for t in 0..<L { for layer in [2, 4, 5] { aux += ref.hiddenStates[layer][(t * h)..<((t + 1) * h)] } }
                    assertClose(s.auxHidden, aux, atol: 1e-5, rtol: 1e-4, "sample \(k) aux")
                    switch s.signal {
                    case .logits(let draft, let argmax):
                        let v = 256
                        XCTAssertEqual(argmax, (0..<L).map { t in Int32(ref.logits[(t * v)..<((t + 1) * v)].indices.max { ref.logits[$0] < ref.logits[$1] || (ref.logits[$0] == ref.logits[$1] && $0 > $1) }! - t * v) })
                        let used = Set(DumpSample.usedLogitRows(s.lossMask))
                        var expected = [Float](repeating: 0, count: L * 48)
                        for u in used { for j in 0..<48 { expected[u * 48 + j] = ref.logits[u * v + j * 5] } }
                        assertClose(draft, expected, atol: 1e-5, rtol: 1e-4, "sample \(k) draft logits")
                    case .hidden(let final):
                        assertClose(final, ref.hiddenStates[8], atol: 1e-5, rtol: 1e-4, "sample \(k) final hidden")
                    }
                    k += 1
                }
            }
            XCTAssertEqual(k, 12)
        }
    }

    func testResumeIsByteIdenticalAndOtherSettingsAreRefused() throws {
        let tokens = try makeTokens()
        let m = try model()
        let full = dir + "/full", resumed = dir + "/resumed"
        _ = try stage(tokens, m, out: full, auxDType: .bf16).run()
        _ = try stage(tokens, m, out: resumed, auxDType: .bf16).run()
        // Lose the manifest and the last shard, leave a partial file: the re-run restores identical bytes.
        try FileManager.default.removeItem(atPath: resumed + "/manifest.json")
        try FileManager.default.removeItem(atPath: resumed + "/" + DumpStage.shardName(2))
        try FileIO.writeAtomically(path: resumed + "/" + DumpStage.shardName(2) + ".partial", bytes: [9, 9])
        _ = try stage(tokens, m, out: resumed, auxDType: .bf16).run()
        let names = try FileManager.default.contentsOfDirectory(atPath: full).sorted()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: resumed).sorted(), names)
        for n in names { XCTAssertEqual(try FileIO.readAll(path: resumed + "/" + n), try FileIO.readAll(path: full + "/" + n), n) }
        XCTAssertThrowsError(try stage(tokens, m, out: full, auxDType: .f16).run()) {
            XCTAssertTrue("\($0)".contains("aux_dtype: was \"bf16\", now \"f16\""), "\($0)")
        }
    }
}

import Conversations
import DraftTraining
import DraftVocabulary
import EagleCore
import Foundation
import SafeTensors
import Shards
import TargetDump
import TargetModel
import TestSupport
import TokenShards
import TrainingData
import XCTest

/// ChatML by hand and a byte-level stand-in tokenizer that fits the tiny target's 256 ids (`<|im_start|>` → 1,
/// `<|im_end|>` → 2, other UTF-8 bytes → their value), as in the dump stage's tests.
private struct TinyChatML: ConversationRendering {
    func render(messages: [JSONObject], tools: [JSONValue]?, addGenerationPrompt: Bool) throws -> String {
        var s = ""
        for m in messages { s += "<|im_start|>\(m["role"]!.stringValue!)\n\(m["content"]!.stringValue!)<|im_end|>\n" }
        return s + (addGenerationPrompt ? "<|im_start|>assistant\n" : "")
    }
}

private let tinyEncode: @Sendable (String) -> [Int32] = { text in
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

/// Training from dump shards: tiny target (Tests/TargetModelTests/Fixtures/tiny-llama, H 64, V 256, 8 layers) →
/// token shards → `DumpStage` → `DumpShardSource` → the trainer.
final class DumpShardSourceTests: XCTestCase {
    var dir = ""
    static let modelPath = TestSupport.packageRoot + "/Tests/TargetModelTests/Fixtures/tiny-llama"
    /// Draft vocabulary of the tiny drafter (Vd 64): every fourth id.
    static let draftIds = (0..<64).map { $0 * 4 }

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "eagleprep-trainshards-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    // MARK: fixtures

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
        _ = try TokenizeStage(settings: settings, outputDirectory: dir + "/tokens", threads: 1).run(builder: builder)
        return try TokenDirectory(path: dir + "/tokens")
    }

    /// `DIR/vocab.safetensors` with d2t/t2d of `ids`; returns its SHA-256.
    @discardableResult
    func writeVocabulary(_ path: String, ids: [Int] = draftIds) throws -> String {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var t2d = [Bool](repeating: false, count: 256)
        for id in ids { t2d[id] = true }
        var w = SafeTensorsWriter()
        try w.add("d2t", int64s: ids.enumerated().map { Int64($0.element - $0.offset) })
        try w.add("t2d", bools: t2d)
        try w.write(path: path + "/" + VocabularyOutput.mapsFile)
        return SHA256.hexDigest(try FileIO.readAll(path: path + "/" + VocabularyOutput.mapsFile))
    }

    struct Dump {
        var path: String
        var model: TargetModel
    }

    /// Dumps the 12 tiny samples (4 per shard: 3 shards) with the identity `eagleprep dump` records.
    func dump(_ name: String, tokens: TokenDirectory, model: TargetModel, auxDType: StorageDType, signal: TargetSignalKind,
              hiddenDType: StorageDType = .bf16, vocabSHA256: String) throws -> String {
        let c = model.configuration
        var identity = JSONObject()
        identity["target.architecture"] = .string(c.architecture.description)
        identity["target.model_sha256"] = .string("tiny-model-digest")
        identity["target.num_layers"] = .int(c.layerCount)
        identity["target.hidden_size"] = .int(c.hiddenSize)
        identity["target.vocab_size"] = .int(c.vocabularySize)
        identity["vocab.sha256"] = .string(vocabSHA256)
        var s = DumpSettings(auxLayers: [2, 4, 5], identity: identity)
        s.auxDType = auxDType
        s.signal = signal
        s.hiddenDType = hiddenDType
        s.samplesPerShard = 4
        s.tokensPerBatch = 120
        let out = dir + "/" + name
        _ = try DumpStage(model: model, tokens: tokens, draftIds: Self.draftIds.map { Int32($0) }, settings: s, outputDirectory: out,
                          threads: 2).run()
        return out
    }

    /// The three dumps the tests share: bf16 aux + logits, f16 aux + bf16 final hidden, f32 aux + f32 hidden.
    func makeDumps() throws -> (tokens: TokenDirectory, model: TargetModel, vocab: String, vocabSHA256: String, dumps: [String]) {
        let tokens = try makeTokens()
        let model = try ModelLoader.load(path: Self.modelPath, threads: 1)
        let vocab = dir + "/vocab"
        let sha = try writeVocabulary(vocab)
        let dumps = [
            try dump("d-bf16-logits", tokens: tokens, model: model, auxDType: .bf16, signal: .logits, vocabSHA256: sha),
            try dump("d-f16-hidden", tokens: tokens, model: model, auxDType: .f16, signal: .hidden, hiddenDType: .bf16, vocabSHA256: sha),
            try dump("d-f32-hidden", tokens: tokens, model: model, auxDType: .f32, signal: .hidden, hiddenDType: .f32, vocabSHA256: sha),
        ]
        return (tokens, model, vocab, sha, dumps)
    }

    /// An independent decoder of the stored records (docs/shard-format.md), written from the format description:
    /// un-shuffles the byte planes and widens bf16 (bits << 16), f16 (Float16) and f32 to fp32.
    static func decodeStored(shard path: String, layout: DumpLayout) throws -> [TrainingSample] {
        let c = try RecordContainerReader(path: path, magic: DumpShardFormat.magic, version: DumpShardFormat.version, kind: "dump shard")
        return try (0..<c.count).map { k in
            let raw = try c.record(k)
            var at = 0
            func u32() -> Int {
                defer { at += 4 }
                return Int(UInt32(raw[at]) | UInt32(raw[at + 1]) << 8 | UInt32(raw[at + 2]) << 16 | UInt32(raw[at + 3]) << 24)
            }
            let L = u32()
            at += 12  // source file u32, source line u64
            let rows = u32()
            let ids = (0..<L).map { _ in Int32(bitPattern: UInt32(u32())) }
            let mask = Array(raw[at..<(at + L)])
            at += L
            func floats(_ n: Int, _ dtype: StorageDType) -> [Float] {
                let w = dtype.byteSize, start = at
                at += n * w
                return (0..<n).map { i in
                    var bits: UInt32 = 0
                    for b in 0..<w { bits |= UInt32(raw[start + b * n + i]) << (8 * b) }
                    switch dtype {
                    case .f32: return Float(bitPattern: bits)
                    case .bf16: return Float(bitPattern: bits << 16)
                    case .f16: return Float(Float16(bitPattern: UInt16(bits)))
                    }
                }
            }
            let aux = floats(L * layout.auxWidth, layout.auxDType)
            let target: TrainingSample.TargetSignal
            switch layout.signal {
            case .logits:
                let vd = layout.draftVocabSize
                let stored = floats(rows * vd, .f32)
                var draft = [Float](repeating: 0, count: L * vd)
                var j = 0
                for u in 1..<max(L, 1) where mask[u - 1] == 1 {
                    for i in 0..<vd { draft[u * vd + i] = stored[j * vd + i] }
                    j += 1
                }
                XCTAssertEqual(j, rows)
                target = .logits(draft: draft, argmax: (0..<L).map { _ in Int32(bitPattern: UInt32(u32())) })
            case .hidden:
                target = .hidden(floats(L * layout.hiddenSize, layout.hiddenDType))
            }
            XCTAssertEqual(at, raw.count, "\(path) record \(k): bytes left over")
            return TrainingSample(ids: ids, lossMask: mask, auxHidden: aux, target: target)
        }
    }

    /// Every float of a sample as bits (so −0 and 0 differ), ids and mask as they are.
    static func bits(_ s: TrainingSample) -> [UInt32] {
        var out = s.ids.map { UInt32(bitPattern: $0) } + s.lossMask.map { UInt32($0) } + s.auxHidden.map(\.bitPattern)
        switch s.target {
        case .logits(let draft, let argmax): out += [0xFFFF_FFFF] + draft.map(\.bitPattern) + argmax.map { UInt32(bitPattern: $0) }
        case .hidden(let h): out += [0xFFFF_FFFE] + h.map(\.bitPattern)
        }
        return out
    }

    func inputs(_ model: TargetModel, head: Bool) throws -> TargetInputs {
        let frozen = try ModelLoader.frozenTensors(path: Self.modelPath, head: head, threads: 1)
        var t2d = [Bool](repeating: false, count: 256)
        for id in Self.draftIds { t2d[id] = true }
        return TargetInputs(embedding: frozen.embedding, d2t: Self.draftIds.enumerated().map { Int64($0.element - $0.offset) }, t2d: t2d,
                            head: frozen.lmHead.map { TargetHead(weight: $0, normWeight: nil, normEps: 1e-5) })
    }

    // MARK: tests

    /// The source yields exactly the stored values widened to fp32 (bit for bit, every dtype and both signals),
    /// its lengths come from the seek table and equal the token shards', and its identity is the manifest hash.
    func testSamplesEqualTheStoredValuesInFP32() throws {
        let (tokens, _, _, _, dumps) = try makeDumps()
        var tokenLengths: [Int] = []
        for shard in tokens.shards {
            let r = try TokenShardReader(path: shard.path)
            for i in 0..<r.count { tokenLengths.append(try r.sample(i).ids.count) }
        }
        for path in dumps {
            let source = try DumpShardSource(paths: [path])
            XCTAssertEqual(source.count, 12)
            XCTAssertEqual(source.datasets[0].shards.count, 3)
            XCTAssertEqual(source.identity, "dump:" + SHA256.hexDigest(try FileIO.readAll(path: path + "/manifest.json")))
            XCTAssertEqual(try (0..<12).map { try source.length(of: $0) }, tokenLengths, path)
            var expected: [TrainingSample] = []
            for shard in source.datasets[0].shards { expected += try Self.decodeStored(shard: shard.path, layout: source.layout) }
            XCTAssertEqual(expected.count, 12)
            // Random access, in a scrambled order.
            for i in [5, 0, 11, 3, 8, 1, 10, 2, 7, 4, 9, 6] {
                let s = try source.sample(i)
                XCTAssertEqual(Self.bits(s), Self.bits(expected[i]), "\(path) sample \(i)")
                try s.validate(index: i, configuration: TinyFixture.configuration)
            }
            // The values are the stored (narrow) ones, not the forward pass's fp32: bf16 has 16 zero low bits,
            // f16 values survive a round trip through Float16; and they are not trivially zero.
            let aux = try source.sample(3).auxHidden
            XCTAssertGreaterThan(Set(aux).count, 50)
            switch source.layout.auxDType {
            case .bf16: XCTAssertTrue(aux.allSatisfy { $0.bitPattern & 0xFFFF == 0 })
            case .f16: XCTAssertTrue(aux.allSatisfy { Float(Float16($0)) == $0 })
            case .f32: XCTAssertFalse(aux.allSatisfy { $0.bitPattern & 0xFFFF == 0 })
            }
        }
    }

    /// A short training run from the shards equals the same run from the same samples held in memory: identical
    /// losses, accuracies and weights, bit for bit (same data, same order, same kernels: no tolerance), for the
    /// logits signal and the hidden signal (the target's LM head from `ModelLoader.frozenTensors`).
    func testTrainingFromShardsEqualsTrainingFromMemory() throws {
        let (_, model, _, _, dumps) = try makeDumps()
        for path in [dumps[0], dumps[1]] {
            let source = try DumpShardSource(paths: [path])
            var memory: [TrainingSample] = []
            for shard in source.datasets[0].shards { memory += try Self.decodeStored(shard: shard.path, layout: source.layout) }
            let inputs = try inputs(model, head: source.layout.signal == .hidden)
            let options = TrainingOptions(batching: .tokens(150), epochs: 2, maxSteps: 6, schedule: .constant(3e-3), seed: 5, threads: 2)
            func run(_ s: any TrainingSampleSource) throws -> ([StepRecord], DrafterWeights) {
                let trainer = try DrafterTrainer(configuration: TinyFixture.configuration, inputs: inputs, train: s, options: options,
                                                 weights: DrafterWeights(initializing: TinyFixture.configuration, seed: 9))
                var records: [StepRecord] = []
                try trainer.run { records.append($0) }
                return (records, trainer.weights)
            }
            let (a, wa) = try run(source)
            let (b, wb) = try run(InMemorySampleSource(memory))
            XCTAssertEqual(a.count, 6, path)
            XCTAssertEqual(a.map { $0.losses.map(\.bitPattern) }, b.map { $0.losses.map(\.bitPattern) }, path)
            XCTAssertEqual(a.map { $0.accuracies.map(\.bitPattern) }, b.map { $0.accuracies.map(\.bitPattern) }, path)
            XCTAssertEqual(a.map(\.tokens), b.map(\.tokens), path)
            XCTAssertEqual(wa.values.map(\.bitPattern), wb.values.map(\.bitPattern), path)
            // The run learned something (the comparison is not between two no-ops).
            XCTAssertNotEqual(wa.values, DrafterWeights(initializing: TinyFixture.configuration, seed: 9).values)
            XCTAssertTrue(a.allSatisfy { $0.loss.isFinite && $0.loss > 0 })
        }
    }

    /// A vocabulary other than the one the shards were dumped with, a target of another shape or identity, a
    /// drafter that does not fit, and data sets of different targets are refused with both values named.
    func testMismatchedVocabularyModelAndDataAreRefused() throws {
        let (tokens, model, _, sha, dumps) = try makeDumps()
        let source = try DumpShardSource(paths: [dumps[0]])
        XCTAssertTrue(try source.checkVocabulary(sha256: sha, draftVocabSize: 64, path: "vocab"))
        let otherSHA = try writeVocabulary(dir + "/vocab-other", ids: (0..<64).map { $0 * 4 + 1 })
        XCTAssertThrowsError(try source.checkVocabulary(sha256: otherSHA, draftVocabSize: 64, path: dir + "/vocab-other")) {
            let m = "\($0)"
            XCTAssertTrue(m.contains(otherSHA) && m.contains(sha) && m.contains("vocab-other"), m)
        }
        XCTAssertThrowsError(try source.checkVocabulary(sha256: sha, draftVocabSize: 32, path: "v")) {
            XCTAssertTrue("\($0)".contains("32 draft ids") && "\($0)".contains("64 draft columns"), "\($0)")
        }

        let c = model.configuration
        var target = DumpShardSource.TargetIdentity(architecture: c.architecture.description, hiddenSize: 64, vocabSize: 256,
                                                    layerCount: 8, modelSHA256: "tiny-model-digest")
        XCTAssertNoThrow(try source.checkTarget(target, path: "m"))
        target.modelSHA256 = "another-digest"
        XCTAssertThrowsError(try source.checkTarget(target, path: "m")) {
            XCTAssertTrue("\($0)".contains("another-digest") && "\($0)".contains("tiny-model-digest"), "\($0)")
        }
        // A real other target: Qwen2-shaped tiny model.
        let qwen = try ModelLoader.configuration(path: TestSupport.packageRoot + "/Tests/TargetModelTests/Fixtures/tiny-qwen2")
        let qwenIdentity = DumpShardSource.TargetIdentity(architecture: qwen.architecture.description, hiddenSize: qwen.hiddenSize,
                                                          vocabSize: qwen.vocabularySize, layerCount: qwen.layerCount, modelSHA256: nil)
        XCTAssertThrowsError(try source.checkTarget(qwenIdentity, path: "tiny-qwen2")) {
            XCTAssertTrue("\($0)".contains("is not the target the shards were dumped with"), "\($0)")
        }
        XCTAssertThrowsError(try source.checkTarget(.init(architecture: nil, hiddenSize: 32, vocabSize: 256, layerCount: nil, modelSHA256: nil), path: "e")) {
            XCTAssertTrue("\($0)".contains("hidden size is 32 for this model, 64 in the shards"), "\($0)")
        }
        var drafter = TinyFixture.configuration
        drafter.auxLayers = 2
        XCTAssertThrowsError(try source.checkConfiguration(drafter))
        XCTAssertNoThrow(try source.checkConfiguration(TinyFixture.configuration))

        // Data sets of different vocabularies, or of different layouts, do not mix.
        let other = try dump("d-other-vocab", tokens: tokens, model: model, auxDType: .bf16, signal: .logits, vocabSHA256: otherSHA)
        XCTAssertThrowsError(try DumpShardSource(paths: [dumps[0], other])) {
            XCTAssertTrue("\($0)".contains("vocab.sha256") && "\($0)".contains(otherSHA), "\($0)")
        }
        XCTAssertThrowsError(try DumpShardSource(paths: [dumps[0], dumps[1]])) { XCTAssertTrue("\($0)".contains("layout"), "\($0)") }
        // Two compatible sets read as one, in order, under a combined identity.
        let twice = try DumpShardSource(paths: [dumps[0], dumps[0]])
        XCTAssertEqual(twice.count, 24)
        XCTAssertEqual(try twice.sample(13), try source.sample(1))
        XCTAssertNotEqual(twice.identity, source.identity)
    }

    /// Corrupt or inconsistent shards are refused, naming the file: a flipped byte in a record (checksum, also
    /// through the trainer), a truncated shard, a manifest whose counts disagree, an unfinished dump.
    func testCorruptShardsAreRefused() throws {
        let (_, model, _, _, dumps) = try makeDumps()
        let path = dumps[0]
        let shard1 = path + "/" + DumpStage.shardName(1)
        let original = try FileIO.readAll(path: shard1)

        var flipped = original
        flipped[100] ^= 0x40
        try FileIO.writeAtomically(path: shard1, bytes: flipped)
        let source = try DumpShardSource(paths: [path])
        XCTAssertNoThrow(try source.sample(0))
        XCTAssertThrowsError(try source.sample(4)) { XCTAssertTrue("\($0)".contains("checksum mismatch") && "\($0)".contains(shard1), "\($0)") }
        let trainer = try DrafterTrainer(configuration: TinyFixture.configuration, inputs: try inputs(model, head: false), train: source,
                                         options: TrainingOptions(batching: .sequences(12), epochs: 1, schedule: .constant(1e-3), threads: 1),
                                         weights: DrafterWeights(initializing: TinyFixture.configuration, seed: 1))
        XCTAssertThrowsError(try trainer.run()) { XCTAssertTrue("\($0)".contains("checksum mismatch"), "\($0)") }

        try FileIO.writeAtomically(path: shard1, bytes: Array(original.dropLast(10)))
        XCTAssertThrowsError(try DumpShardSource(paths: [path])) { XCTAssertTrue("\($0)".contains(shard1), "\($0)") }
        try FileIO.writeAtomically(path: shard1, bytes: original)
        XCTAssertNoThrow(try DumpShardSource(paths: [path]))

        let manifestPath = path + "/manifest.json"
        let manifest = try FileIO.readString(path: manifestPath)
        try FileIO.writeAtomically(path: manifestPath, bytes: Array(manifest.replacingOccurrences(of: #""samples":4"#, with: #""samples":5"#).utf8))
        XCTAssertThrowsError(try DumpShardSource(paths: [path])) {
            XCTAssertTrue("\($0)".contains("holds 4 samples") && "\($0)".contains("says 5"), "\($0)")
        }
        try FileIO.writeAtomically(path: manifestPath, bytes: Array(manifest.replacingOccurrences(of: #""complete":true"#, with: #""complete":false"#).utf8))
        XCTAssertThrowsError(try DumpShardSource(paths: [path])) { XCTAssertTrue("\($0)".contains("not complete"), "\($0)") }
        try FileManager.default.removeItem(atPath: manifestPath)
        XCTAssertThrowsError(try DumpShardSource(paths: [path])) { XCTAssertTrue("\($0)".contains("manifest.json"), "\($0)") }
    }

    /// Merged manifests name shards relative to the manifest's own directory (`../w0/dump-00000.epdump`); at most
    /// `openReaders` shard readers stay open.
    func testRelativeShardPathsAndBoundedReaders() throws {
        let (_, _, _, _, dumps) = try makeDumps()
        let original = try DumpShardSource(paths: [dumps[0]], openReaders: 2)
        for i in [0, 4, 8, 1, 5] { _ = try original.sample(i) }
        XCTAssertEqual(original.openReaderCount, 2)

        let merged = dir + "/merged"
        try FileManager.default.createDirectory(atPath: merged, withIntermediateDirectories: true)
        let name = (dumps[0] as NSString).lastPathComponent
        let m = try JSONParser.parse(bytes: FileIO.readAll(path: dumps[0] + "/manifest.json"))
        var o = m.objectValue!
        o["shards"] = .array(m["shards"]!.arrayValue!.reversed().map { e in
            var s = e.objectValue!
            s["file"] = .string("../\(name)/" + s["file"]!.stringValue!)
            return .object(s)
        })
        try FileIO.writeAtomically(path: merged + "/manifest.json", bytes: Array(JSONWriter.string(.object(o)).utf8))
        let reversed = try DumpShardSource(paths: [merged + "/manifest.json"])
        XCTAssertEqual(reversed.count, 12)
        XCTAssertEqual(reversed.shards[0], merged + "/../\(name)/" + DumpStage.shardName(2))
        XCTAssertEqual(try reversed.sample(0), try original.sample(8))
        XCTAssertEqual(try reversed.sample(11), try original.sample(3))
        XCTAssertEqual(try reversed.length(of: 0), try original.length(of: 8))
        XCTAssertNotEqual(reversed.identity, original.identity)
    }

    /// `ModelLoader.frozenTensors` reads the same values `ModelLoader.load` does (safetensors folder and quantized
    /// GGUF), bit for bit.
    func testFrozenTensorsEqualTheFullLoad() throws {
        for path in [Self.modelPath, TestSupport.packageRoot + "/Tests/TargetModelTests/Fixtures/tiny-llama-quant.gguf"] {
            let full = try ModelLoader.load(path: path, threads: 1)
            let frozen = try ModelLoader.frozenTensors(path: path, head: true, threads: 2)
            XCTAssertEqual(frozen.configuration, full.configuration)
            XCTAssertEqual(frozen.embedding.map(\.bitPattern), full.weights.embedding.array.map(\.bitPattern), path)
            XCTAssertEqual(frozen.finalNorm?.map(\.bitPattern), full.weights.finalNorm.array.map(\.bitPattern), path)
            XCTAssertEqual(frozen.lmHead?.map(\.bitPattern), full.weights.lmHead.array.map(\.bitPattern), path)
            XCTAssertNil(try ModelLoader.frozenTensors(path: path, head: false).lmHead)
        }
    }
}

import Conversations
import EagleCore
import Foundation
import TokenShards
import TrainingData
import XCTest

/// A ChatML renderer written by hand (what SmolLM2/Qwen templates produce for plain text messages).
struct ChatMLRenderer: ConversationRendering {
    func render(messages: [JSONObject], tools: [JSONValue]?, addGenerationPrompt: Bool) throws -> String {
        var s = ""
        for m in messages { s += "<|im_start|>\(m["role"]!.stringValue!)\n\(m["content"]!.stringValue!)<|im_end|>\n" }
        if addGenerationPrompt { s += "<|im_start|>assistant\n" }
        return s
    }
}

/// A byte-level stand-in tokenizer: `<|im_start|>` → 1000, `<|im_end|>` → 1001, every other UTF-8 byte → its value.
let byteTokenizer: @Sendable (String) -> [Int32] = { text in
    var ids: [Int32] = []
    var rest = Substring(text)
    while !rest.isEmpty {
        if rest.hasPrefix("<|im_start|>") { ids.append(1000); rest = rest.dropFirst(12); continue }
        if rest.hasPrefix("<|im_end|>") { ids.append(1001); rest = rest.dropFirst(10); continue }
        let c = rest.first!
        ids += String(c).utf8.map { Int32($0) }
        rest = rest.dropFirst()
    }
    return ids
}

final class TokenizeStageTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "eagleprep-tokstage-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func builder(_ options: SampleOptions = SampleOptions(systemPrompt: .none)) -> SampleBuilder {
        SampleBuilder(renderer: ChatMLRenderer(), encode: byteTokenizer, endOfTurnId: 1001,
                      specialTokenStrings: ["<|im_start|>", "<|im_end|>"], options: options)
    }

    func testEndOfTurnDetection() throws {
        XCTAssertEqual(try SampleBuilder.detectEndOfTurn(renderer: ChatMLRenderer(), encode: byteTokenizer, specialIds: [1000, 1001]), 1001)
    }

    func testSampleMaskOnChatML() throws {
        let conv = Conversation(source: "x", line: 1, index: 0, messages: [
            JSONObject([("role", .string("user")), ("content", .string("hi"))]),
            JSONObject([("role", .string("assistant")), ("content", .string("yo"))]),
        ])
        guard case .sample(let ids, let mask, false, false) = builder().build(conv) else { return XCTFail("no sample") }
        // <|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo<|im_end|>\n
        let s = 1 + 5 + 2 + 1 + 1 + 1 + 10  // prefix incl. the generation prompt "<|im_start|>assistant\n"
        XCTAssertEqual(Array(ids[s..<(s + 2)]), [121, 111])
        XCTAssertEqual(ids[s + 2], 1001)
        // reference mode, final turn: [s−1, L−1]; L−1 is the "\n" after <|im_end|>
        XCTAssertEqual(mask.indices.filter { mask[$0] == 1 }, Array((s - 1)...(ids.count - 1)))
        XCTAssertEqual(ids.count - 1, s + 3)
    }

    func testRoleRulesAndLengthRule() {
        func conv(_ roles: [String]) -> Conversation {
            Conversation(source: "f", line: 3, index: 0, messages: roles.map { JSONObject([("role", .string($0)), ("content", .string("abc"))]) })
        }
        // Reference: a non-user first message is dropped once; then strict alternation.
        guard case .sample = builder().build(conv(["assistant", "user", "assistant"])) else { return XCTFail() }
        guard case .rejected(.alternation, let d) = builder().build(conv(["user", "user"])) else { return XCTFail() }
        XCTAssertTrue(d.contains("message 1 has role \"user\", expected \"assistant\""), d)
        guard case .rejected(.empty, _) = builder().build(conv(["assistant"])) else { return XCTFail() }
        guard case .sample = builder(SampleOptions(maskMode: .assistant, systemPrompt: .none)).build(conv(["user", "user", "assistant"])) else { return XCTFail() }
        guard case .rejected(.tooLong, let t) = builder(SampleOptions(systemPrompt: .none, maxLength: 10)).build(conv(["user", "assistant"])) else { return XCTFail() }
        XCTAssertTrue(t.contains("over the maximum length 10"), t)
        guard case .sample(let ids, let mask, true, _) = builder(SampleOptions(systemPrompt: .none, maxLength: 10, overLength: .truncate)).build(conv(["user", "assistant"])) else { return XCTFail() }
        XCTAssertEqual(ids.count, 10)
        XCTAssertEqual(mask.count, 10)
    }

    func testSystemPromptPolicies() throws {
        let msgs = [JSONObject([("role", .string("system")), ("content", .string("S"))]), JSONObject([("role", .string("user")), ("content", .string("u"))])]
        func sys(_ p: SystemPromptPolicy) throws -> String? {
            let m = try builder(SampleOptions(systemPrompt: p)).messages(of: msgs).get()
            return m.first?["role"]?.stringValue == "system" ? m.first?["content"]?.stringValue : nil
        }
        // The reference policy: the fixed prompt; a system message in the data is rejected, as the reference does.
        guard case .failure(let e) = builder(SampleOptions(systemPrompt: .reference)).messages(of: msgs) else { return XCTFail() }
        XCTAssertEqual(e.reason, .unknownRole)
        let fixed = try builder(SampleOptions(systemPrompt: .reference)).messages(of: Array(msgs.dropFirst())).get()
        XCTAssertEqual(fixed.first?["content"]?.stringValue, SampleOptions.referenceSystemPrompt)
        XCTAssertEqual(SHA256.hexDigest(Array(SampleOptions.referenceSystemPrompt.utf8)), "d52c188a3c969c4ece4e68846b15aaf27ef75639b76c08bdd71f062e52c7b9fc")
        XCTAssertEqual(try sys(.data), "S")
        XCTAssertNil(try sys(.none))
    }

    func writeInput() throws -> String {
        var lines: [String] = []
        for i in 0..<230 {
            switch i % 23 {
            case 5: lines.append("{broken")
            case 11: lines.append(#"{"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}"#)
            default:
                lines.append(#"{"messages": [{"role": "user", "content": "question \#(i)"}, {"role": "assistant", "content": "answer \#(String(repeating: "z", count: i % 7))"}]}"#)
            }
        }
        let p = dir + "/in.jsonl"
        try FileIO.writeAtomically(path: p, bytes: Array(lines.joined(separator: "\n").utf8))
        return p
    }

    func runStage(_ out: String, input: String, threads: Int, perShard: Int = 40, worker: (Int, Int) = (0, 1)) throws -> TokenizeCounts {
        let settings = TokenizeSettings(inputs: [input], format: nil, options: SampleOptions(systemPrompt: .none), samplesPerShard: perShard,
                                        workerIndex: worker.0, workerCount: worker.1, identity: JSONObject([("tokenizer_sha256", .string("t"))]))
        var stage = TokenizeStage(settings: settings, outputDirectory: out, threads: threads)
        stage.batchSize = 16
        return try stage.run(builder: builder())
    }

    func files(_ d: String) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for n in try FileManager.default.contentsOfDirectory(atPath: d) { out[n] = try FileIO.readAll(path: d + "/" + n) }
        return out
    }

    func testStageCountsOrderThreadsAndResume() throws {
        let input = try writeInput()
        let c1 = try runStage(dir + "/a", input: input, threads: 1)
        XCTAssertEqual(c1.read, 230)
        XCTAssertEqual(c1.invalid, ["invalid_json": 10])
        XCTAssertEqual(c1.rejected, ["role_alternation": 10])
        XCTAssertEqual(c1.kept, 210)
        let a = try files(dir + "/a")
        XCTAssertEqual(a.keys.sorted(), ["manifest.json"] + (0..<6).map { TokenizeStage.shardName($0) })
        // Output order = input order, whatever the thread count.
        _ = try runStage(dir + "/b", input: input, threads: 2)
        XCTAssertEqual(try files(dir + "/b"), a)
        let first = try TokenShardReader(path: dir + "/a/" + TokenizeStage.shardName(0))
        XCTAssertEqual(try first.sample(0).sourceLine, 1)
        XCTAssertEqual(try first.sample(5).sourceLine, 7)  // line 6 was broken

        // Resume: lose the manifest and the last shards, leave a partial file; the re-run restores identical bytes.
        try FileManager.default.removeItem(atPath: dir + "/b/manifest.json")
        try FileManager.default.removeItem(atPath: dir + "/b/" + TokenizeStage.shardName(5))
        try FileManager.default.removeItem(atPath: dir + "/b/" + TokenizeStage.shardName(3))
        try FileIO.writeAtomically(path: dir + "/b/" + TokenizeStage.shardName(4) + ".partial", bytes: [1, 2, 3])
        let c2 = try runStage(dir + "/b", input: input, threads: 2)
        XCTAssertEqual(c2, c1)
        XCTAssertEqual(try files(dir + "/b"), a)

        // Other settings into the same directory: refused, naming the difference.
        XCTAssertThrowsError(try runStage(dir + "/a", input: input, threads: 1, perShard: 50)) { error in
            XCTAssertTrue("\(error)".contains("samples_per_shard: was 40, now 50"), "\(error)")
        }
    }

    /// `dropDuplicates`: records 25… repeat records 0…24 (record 25 + k = record k, so the copies start in a
    /// later shard than their originals); a record with the same question but another answer is not a duplicate.
    /// Only first occurrences are kept, each drop is reported with the earlier line, and a resumed run (the filter
    /// rebuilt from the kept shards) writes the same bytes.
    func testDropDuplicatesKeepsFirstOccurrencesAndResumes() throws {
        var lines: [String] = []
        for i in 0..<60 {
            let k = i % 25
            lines.append(#"{"messages": [{"role": "user", "content": "question \#(k)"}, {"role": "assistant", "content": "answer \#(k)"}]}"#)
        }
        lines.append(#"{"messages": [{"role": "user", "content": "question 3"}, {"role": "assistant", "content": "another answer"}]}"#)
        let input = dir + "/dups.jsonl"
        try FileIO.writeAtomically(path: input, bytes: Array(lines.joined(separator: "\n").utf8))
        func run(_ out: String, drop: Bool) throws -> (TokenizeCounts, [String]) {
            let settings = TokenizeSettings(inputs: [input], format: nil, options: SampleOptions(systemPrompt: .none), samplesPerShard: 10,
                                            dropDuplicates: drop, identity: JSONObject([("tokenizer_sha256", .string("t"))]))
            var stage = TokenizeStage(settings: settings, outputDirectory: out, threads: 2)
            stage.batchSize = 7
            var problems: [String] = []
            let counts = try stage.run(builder: builder(), onRecordProblem: { problems.append($0) })
            return (counts, problems)
        }
        let (all, none) = try run(dir + "/all", drop: false)
        XCTAssertEqual(all.kept, 61)
        XCTAssertEqual(none, [])
        let (kept, problems) = try run(dir + "/dedup", drop: true)
        XCTAssertEqual(kept.kept, 26)
        XCTAssertEqual(kept.rejected, ["duplicate": 35])
        XCTAssertEqual(problems.count, 35)
        XCTAssertTrue(problems[0].hasSuffix(":26: duplicate: the same tokens and loss mask as \(input):1"), problems[0])
        XCTAssertTrue(problems[34].hasSuffix(":60: duplicate: the same tokens and loss mask as \(input):10"), problems[34])
        var lineNumbers: [UInt64] = []
        for k in 0..<3 {
            let r = try TokenShardReader(path: dir + "/dedup/" + TokenizeStage.shardName(k))
            for j in 0..<r.count { lineNumbers.append(try r.sample(j).sourceLine) }
        }
        XCTAssertEqual(lineNumbers, Array(1...25) + [61])
        let manifest = try JSONParser.parse(bytes: FileIO.readAll(path: dir + "/dedup/manifest.json"))
        XCTAssertEqual(manifest["settings"]?["drop_duplicates"], .bool(true))
        XCTAssertNil(try JSONParser.parse(bytes: FileIO.readAll(path: dir + "/all/manifest.json"))["settings"]?["drop_duplicates"])

        // Resume after losing the manifest and the last shard: the same bytes.
        let whole = try files(dir + "/dedup")
        try FileManager.default.removeItem(atPath: dir + "/dedup/manifest.json")
        try FileManager.default.removeItem(atPath: dir + "/dedup/" + TokenizeStage.shardName(2))
        let (again, _) = try run(dir + "/dedup", drop: true)
        XCTAssertEqual(again, kept)
        XCTAssertEqual(try files(dir + "/dedup"), whole)
    }

    func testWorkersSplitTheInput() throws {
        let input = try writeInput()
        let w0 = try runStage(dir + "/w0", input: input, threads: 1, worker: (0, 2))
        let w1 = try runStage(dir + "/w1", input: input, threads: 1, worker: (1, 2))
        XCTAssertEqual(w0.read + w1.read, 230)
        XCTAssertEqual(w0.kept + w1.kept, 210)
        XCTAssertEqual(try TokenShardReader(path: dir + "/w1/" + TokenizeStage.shardName(0)).sample(0).sourceLine, 2)
    }
}

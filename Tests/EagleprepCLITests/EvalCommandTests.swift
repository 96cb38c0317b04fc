import EagleCore
import Foundation
import TestSupport
import XCTest

/// `eagleprep eval` as a user runs it: the tiny Llama target of the speculative-decoding fixtures as a chat model
/// (`TinyChatModel`: byte-level tokenizer, ChatML template) with the drafter trained on its greedy outputs
/// (Tests/SpeculativeDecodingTests/Fixtures), on two prompts.
final class EvalCommandTests: CLITestCase {
    static var fixtures: String { TestSupport.packageRoot + "/Tests/SpeculativeDecodingTests/Fixtures" }
    static let prompts = """
    {"messages": [{"role": "user", "content": "Name three colours."}, {"role": "assistant", "content": "x"}]}
    {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello."}, {"role": "assistant", "content": "y"}]}

    """
    static let maxNew = 16, depth = 3

    func chatModel(weightsFrom fixture: String, name: String) throws -> String {
        let folder = tempDir + "/" + name
        try TinyChatModel.writeFolder(folder, weightsFrom: fixture)
        return folder
    }

    func ints(_ v: JSONValue?) -> [Int] { (v?.arrayValue ?? []).map { $0.intValue ?? -1 } }

    /// The report's figures agree with each other (τ from the per-prompt counts, per-position counts summed over
    /// prompts), every prompt is lossless, and each output is `generate`'s greedy answer to the same conversation.
    func testReportIsConsistentLosslessAndEqualsGreedyGenerate() throws {
        let model = try chatModel(weightsFrom: Self.fixtures + "/target", name: "model")
        let input = try write(Self.prompts, to: "prompts.jsonl")
        let out = tempDir + "/eval.json"
        let r = try run(["eval", "--model", model, "--drafter", Self.fixtures + "/drafter", "--input", input, "--out", out,
                         "--depth", String(Self.depth), "--max-new-tokens", String(Self.maxNew), "--date", "2026-11-29", "--threads", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try JSONParser.parse(bytes: FileIO.readAll(path: out))
        XCTAssertEqual(report["depth"]?.intValue, Self.depth)
        let prompts = try XCTUnwrap(report["prompts"]?.arrayValue)
        XCTAssertEqual(prompts.count, 2)

        // Per prompt. JSON numbers are rounded to 1e-6, hence that tolerance on τ.
        var committedSum = 0, roundSum = 0, acceptedSum = 0
        var positionSums = [[Int]](repeating: [0, 0, 0], count: Self.depth)  // drafted, reached, accepted
        for p in prompts {
            XCTAssertEqual(p["lossless"], .bool(true), "\(p)")
            XCTAssertNil(p["divergence"])
            let newTokens = try XCTUnwrap(p["new_tokens"]?.intValue), rounds = try XCTUnwrap(p["rounds"]?.intValue)
            XCTAssertTrue((1...Self.maxNew).contains(newTokens), "\(newTokens) new tokens")
            let perRound = ints(p["accepted_per_round"])
            XCTAssertEqual(perRound.count, rounds)
            XCTAssertEqual(p["target_forwards"]?.intValue, rounds + 1)  // the prefill, then one per round
            XCTAssertEqual(p["accepted_tokens"]?.intValue, perRound.reduce(0, +))
            // The prefill commits the first token; the rounds commit the others (SPEC §12).
            if rounds > 0 { XCTAssertEqual(try XCTUnwrap(p["tau"]?.doubleValue), Double(newTokens - 1) / Double(rounds), accuracy: 1e-6) }
            let positions = try XCTUnwrap(p["positions"]?.arrayValue)
            var acceptedAtPositions = 0
            for (j, pos) in positions.enumerated() {
                let drafted = pos["drafted"]?.intValue ?? -1, reached = pos["reached"]?.intValue ?? -1, accepted = pos["accepted"]?.intValue ?? -1
                XCTAssertEqual(pos["position"]?.intValue, j + 1)
                XCTAssertTrue(0 <= accepted && accepted <= reached && reached <= drafted && drafted <= rounds, "\(pos)")
                if reached > 0 { XCTAssertEqual(try XCTUnwrap(pos["rate"]?.doubleValue), Double(accepted) / Double(reached), accuracy: 1e-6) }
                acceptedAtPositions += accepted
                positionSums[j][0] += drafted; positionSums[j][1] += reached; positionSums[j][2] += accepted
            }
            XCTAssertEqual(acceptedAtPositions, p["accepted_tokens"]?.intValue)
            committedSum += newTokens - 1
            roundSum += rounds
            acceptedSum += perRound.reduce(0, +)
        }
        // The drafter was trained on this target's greedy outputs: some drafts must be accepted, or the per-position
        // checks above would only ever see zeros.
        XCTAssertGreaterThan(acceptedSum, 0)

        // Overall: sums of the prompts.
        let overall = try XCTUnwrap(report["overall"])
        XCTAssertEqual(overall["prompts"]?.intValue, 2)
        XCTAssertEqual(overall["lossless_prompts"]?.intValue, 2)
        XCTAssertEqual(overall["rounds"]?.intValue, roundSum)
        XCTAssertEqual(overall["new_tokens"]?.intValue, committedSum + 2)
        XCTAssertEqual(try XCTUnwrap(overall["tau"]?.doubleValue), Double(committedSum) / Double(roundSum), accuracy: 1e-6)
        let overallPositions = try XCTUnwrap(overall["positions"]?.arrayValue)
        XCTAssertEqual(overallPositions.map { [$0["drafted"]?.intValue ?? -1, $0["reached"]?.intValue ?? -1, $0["accepted"]?.intValue ?? -1] },
                       Array(positionSums.prefix(overallPositions.count)))

        // The outputs equal plain greedy `generate` on the same conversations (one at a time, as eval decodes).
        let generated = tempDir + "/generated.jsonl"
        let g = try run(["generate", "--model", model, "--input", input, "--out", generated, "--max-new-tokens", String(Self.maxNew),
                         "--batch-size", "1", "--date", "2026-11-29", "--threads", "2", "--quiet"])
        XCTAssertEqual(g.status, 0, g.stderr)
        let answers = try FileIO.readString(path: generated).split(separator: "\n").map {
            try JSONParser.parse(String($0))["messages"]?.arrayValue?.last?["content"]?.stringValue
        }
        XCTAssertEqual(prompts.map { $0["output"]?.stringValue }, answers)
        XCTAssertFalse(answers.contains { $0 == nil || $0 == "x" || $0 == "y" }, "\(answers)")

        // The table: a row per prompt and the overall row, with the JSON's counts and τ.
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(lines.first?.prefix(4), ["prompt", "tokens", "rounds", "tau"])
        for (i, p) in prompts.enumerated() {
            let row = try XCTUnwrap(lines.first { $0.first == String(i) }, r.stdout)
            XCTAssertEqual(row.prefix(4), [String(i), String(p["new_tokens"]!.intValue!), String(p["rounds"]!.intValue!),
                                            String(format: "%.2f", p["tau"]!.doubleValue!)])
            XCTAssertEqual(row.last, "yes")
        }
        let all = try XCTUnwrap(lines.first { $0.first == "all" }, r.stdout)
        XCTAssertEqual(all.prefix(4), ["all", String(committedSum + 2), String(roundSum), String(format: "%.2f", Double(committedSum) / Double(roundSum))])
        XCTAssertEqual(all.last, "2/2")
        XCTAssertTrue(r.stdout.contains("eval: report written to \(out)"), r.stdout)
    }

    /// A drafter made for a target of another hidden size is refused (exit 1) with both sizes; a bad option is a
    /// usage error (exit 2).
    func testMismatchedDrafterAndUsageErrors() throws {
        let other = try chatModel(weightsFrom: TestSupport.packageRoot + "/Tests/TargetModelTests/Fixtures/tiny-mistral", name: "h32")
        let input = try write(Self.prompts, to: "prompts.jsonl")
        let r = try run(["eval", "--model", other, "--drafter", Self.fixtures + "/drafter", "--input", input, "--threads", "2", "--quiet"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("hidden_size is 64 in the drafter but 32 in the target"), r.stderr)
        XCTAssertEqual(r.stdout, "")

        let model = try chatModel(weightsFrom: Self.fixtures + "/target", name: "model")
        let u = try run(["eval", "--model", model, "--drafter", Self.fixtures + "/drafter", "--input", input, "--depth", "99"])
        XCTAssertEqual(u.status, 2, u.stderr)
        XCTAssertTrue(u.stderr.contains("--depth"), u.stderr)
        XCTAssertTrue(u.stderr.contains("Usage: eagleprep eval"), u.stderr)
        let topK = try run(["eval", "--model", model, "--drafter", Self.fixtures + "/drafter", "--input", input, "--top-k", "3"])
        XCTAssertEqual(topK.status, 2, topK.stderr)
        XCTAssertTrue(topK.stderr.contains("give --tree-nodes too"), topK.stderr)
        let missing = try run(["eval", "--model", model, "--input", input])
        XCTAssertEqual(missing.status, 2, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("--drafter"), missing.stderr)
    }

    /// `--every K` picks conversations 0, K, 2K, … of the file (a rejected record still counts), `--limit` the first
    /// N of those; the per-prompt `index` names the conversation and `line` its line.
    func testEveryAndLimitSelectConversations() throws {
        let model = try chatModel(weightsFrom: Self.fixtures + "/target", name: "model")
        let lines = (0..<7).map { i in
            i == 3 ? "{\"messages\": 5}" : "{\"messages\": [{\"role\": \"user\", \"content\": \"Count to \(i).\"}]}"
        }
        let input = try write(lines.joined(separator: "\n") + "\n", to: "seven.jsonl")
        func indices(_ extra: [String]) throws -> [Int] {
            let out = tempDir + "/every.json"
            let r = try run(["eval", "--model", model, "--drafter", Self.fixtures + "/drafter", "--input", input, "--out", out,
                             "--max-new-tokens", "4", "--threads", "2", "--quiet"] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            let report = try JSONParser.parse(bytes: FileIO.readAll(path: out))
            XCTAssertEqual(report["every"]?.intValue, Int(extra.drop { $0 != "--every" }.dropFirst().first ?? "1"))
            return (report["prompts"]?.arrayValue ?? []).map { $0["index"]?.intValue ?? -1 }
        }
        XCTAssertEqual(try indices(["--every", "2"]), [0, 2, 4, 6])
        XCTAssertEqual(try indices(["--every", "3"]), [0, 6])  // conversation 3 is rejected, not replaced
        XCTAssertEqual(try indices(["--every", "2", "--limit", "2"]), [0, 2])
        XCTAssertEqual(try indices(["--limit", "3"]), [0, 1, 2])
    }

    /// `--tree-nodes N --top-k K` and `--draft-threshold P` from the command line. The outputs stay plain greedy decoding
    /// (equal to the chain run's), the report names the tree, and no round verifies more than N drafts.
    func testTreeDraftingAndDraftThresholdAreLosslessAndReported() throws {
        let model = try chatModel(weightsFrom: Self.fixtures + "/target", name: "model")
        let input = try write(Self.prompts, to: "prompts.jsonl")
        func report(_ extra: [String]) throws -> JSONValue {
            let out = tempDir + "/tree.json"
            let r = try run(["eval", "--model", model, "--drafter", Self.fixtures + "/drafter", "--input", input, "--out", out,
                             "--depth", "4", "--max-new-tokens", String(Self.maxNew), "--threads", "2", "--quiet"] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            return try JSONParser.parse(bytes: FileIO.readAll(path: out))
        }
        let chain = try report([]), tree = try report(["--tree-nodes", "7", "--top-k", "2"])
        XCTAssertNil(chain["tree"])
        XCTAssertEqual(tree["tree"]?["nodes"]?.intValue, 7)
        XCTAssertEqual(tree["tree"]?["top_k"]?.intValue, 2)
        XCTAssertEqual(tree["overall"]?["lossless_prompts"]?.intValue, 2)
        let outputs = { (r: JSONValue) in (r["prompts"]?.arrayValue ?? []).map { $0["output"]?.stringValue } }
        XCTAssertEqual(outputs(tree), outputs(chain))
        for p in tree["prompts"]?.arrayValue ?? [] {
            let rounds = try XCTUnwrap(p["rounds"]?.intValue), drafted = try XCTUnwrap(p["drafted_tokens"]?.intValue)
            XCTAssertLessThanOrEqual(drafted, 7 * rounds)
            XCTAssertGreaterThan(drafted, 4 * rounds - 4, "a 7-node tree verifies more drafts per round than a 4-chain")
        }

        // --draft-threshold: recorded, lossless, fewer drafts per round than the full chain; not a probability or auto: refused.
        let sure = try report(["--draft-threshold", "0.5"])
        XCTAssertEqual(sure["draft_threshold"]?.doubleValue, 0.5)
        XCTAssertEqual(outputs(sure), outputs(chain))
        let drafts = { (r: JSONValue) in (r["prompts"]?.arrayValue ?? []).reduce(0) { $0 + ($1["drafted_tokens"]?.intValue ?? 0) } }
        XCTAssertLessThan(drafts(sure), drafts(chain))
        // auto: recorded, lossless.
        let auto = try report(["--draft-threshold", "auto"])
        XCTAssertEqual(auto["draft_threshold"]?.stringValue, "auto")
        XCTAssertEqual(outputs(auto), outputs(chain))
        for bad in ["0", "1", "-1", "x", "Auto"] {
            let r = try run(["eval", "--model", model, "--drafter", Self.fixtures + "/drafter", "--input", input, "--draft-threshold", bad, "--quiet"])
            XCTAssertEqual(r.status, 2, "--draft-threshold \(bad): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("--draft-threshold"), r.stderr)
        }
    }
}

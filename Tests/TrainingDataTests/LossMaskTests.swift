import Conversations
import EagleCore
import TrainingData
import XCTest

final class LossMaskTests: XCTestCase {
    /// A Llama-3-shaped sequence written out by hand (SPEC §3 ids): BOS, system block, then turns
    /// `<|start_header_id|> role <|end_header_id|> \n\n content… <|eot_id|>`.
    func llama3(_ turns: [(String, Int)]) -> (ids: [Int32], spans: [AssistantSpan]) {
        var ids: [Int32] = [128000, 128006, 9125, 128007, 271, 7, 7, 128009]
        var spans: [AssistantSpan] = []
        for (role, n) in turns {
            ids += [128006, role == "user" ? 882 : 78191, 128007, 271]
            let s = ids.count
            ids += Array(repeating: role == "user" ? 5 : 6, count: n)
            if role == "assistant" { spans.append(AssistantSpan(start: s, end: s + n - 1)) }
            ids.append(128009)
        }
        return (ids, spans)
    }

    func positions(_ m: [UInt8]) -> [Int] { m.indices.filter { m[$0] == 1 } }

    func testReferenceModeTable() {
        // user(2) assistant(3) user(1) assistant(2): L = 8 + 7 + 8 + 6 + 7 = 36
        let (ids, spans) = llama3([("user", 2), ("assistant", 3), ("user", 1), ("assistant", 2)])
        XCTAssertEqual(ids.count, 36)
        XCTAssertEqual(spans, [AssistantSpan(start: 19, end: 21), AssistantSpan(start: 33, end: 34)])
        let m = LossMask.compute(length: ids.count, spans: spans, endsWithAssistant: true, mode: .reference)
        // non-final turn: [s−1, e−1] = [18, 20]; final turn: [s−1, L−1] = [32, 35]
        XCTAssertEqual(positions(m), [18, 19, 20, 32, 33, 34, 35])
        // assistant mode: [s−1, e−1] for both turns
        let a = LossMask.compute(length: ids.count, spans: spans, endsWithAssistant: true, mode: .assistant)
        XCTAssertEqual(positions(a), [18, 19, 20, 32, 33])
    }

    func testReferenceModeEndingWithUserTurn() {
        let (ids, spans) = llama3([("user", 2), ("assistant", 3), ("user", 4)])
        let m = LossMask.compute(length: ids.count, spans: spans, endsWithAssistant: false, mode: .reference)
        // final assistant turn: [s−1, e+2] = [18, 23]: content, eot, then the next user header's first token
        XCTAssertEqual(positions(m), [18, 19, 20, 21, 22, 23])
        XCTAssertEqual(ids[22], 128009)
        XCTAssertEqual(ids[23], 128006)
    }

    func testEmptyContentAndNoAssistant() {
        let (ids, spans) = llama3([("user", 2), ("assistant", 0), ("user", 1), ("assistant", 1)])
        XCTAssertEqual(spans[0], AssistantSpan(start: 19, end: 18))
        let m = LossMask.compute(length: ids.count, spans: spans, endsWithAssistant: true, mode: .reference)
        // empty non-final turn: [s−1, e−1] = [18, 17] is empty; final turn [s−1, L−1] = [29, 31]
        XCTAssertEqual(positions(m), [29, 30, 31])
        XCTAssertEqual(LossMask.compute(length: 10, spans: [], endsWithAssistant: false, mode: .reference), [UInt8](repeating: 0, count: 10))
    }
}

final class SpecialTokenDetectionTests: XCTestCase {
    func testSpecialTokenStringsInContentAreCounted() {
        let builder = SampleBuilder(renderer: ChatMLRenderer(), encode: byteTokenizer, endOfTurnId: 1001,
                                    specialTokenStrings: ["<|im_start|>", "<|im_end|>", "</s>"], options: SampleOptions(systemPrompt: .none))
        func flag(_ content: String) -> Bool {
            let c = Conversation(source: "f", line: 1, index: 0, messages: [
                JSONObject([("role", .string("user")), ("content", .string(content))]),
                JSONObject([("role", .string("assistant")), ("content", .string("ok"))]),
            ])
            guard case .sample(_, _, _, let special) = builder.build(c) else { return false }
            return special
        }
        XCTAssertTrue(flag("see <|im_end|> here"))
        XCTAssertTrue(flag("é</s>"))
        XCTAssertTrue(flag("</s>"))
        XCTAssertFalse(flag("<|im_end| > and </ s> and <|im_"))
        XCTAssertFalse(flag(""))
    }
}

/// Which positions of a tokenized conversation are supervised (SPEC §3).
public enum MaskMode: String, Sendable, CaseIterable {
    /// The EAGLE-3 reference's mask, bit for bit: `[s_j − 1, e_j − 1]` for non-final assistant turns, the final
    /// turn extended to `L − 1` (conversation ends with the assistant) or to `e_J + 2` (ends with a user turn).
    case reference
    /// Input token and label both assistant-produced: `[s_j − 1, e_j − 1]` for every assistant turn.
    case assistant
}

/// The token span of one assistant turn's content: `start` = s_j (first content token), `end` = e_j (last
/// content token; `start − 1` when the content is empty). `end + 1` holds the end-of-turn token.
public struct AssistantSpan: Sendable, Equatable {
    public var start: Int
    public var end: Int
    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }
}

public enum LossMask {
    /// The loss mask of a sequence of `length` tokens with the given assistant spans (in order).
    /// `endsWithAssistant`: the last message of the conversation is the final assistant turn.
    public static func compute(length: Int, spans: [AssistantSpan], endsWithAssistant: Bool, mode: MaskMode) -> [UInt8] {
        var mask = [UInt8](repeating: 0, count: length)
        func set(_ lo: Int, _ hi: Int) {
            let a = max(lo, 0), b = min(hi, length - 1)
            if a <= b { for t in a...b { mask[t] = 1 } }
        }
        for (j, span) in spans.enumerated() {
            let isFinal = j == spans.count - 1
            switch (mode, isFinal) {
            case (.reference, true) where endsWithAssistant: set(span.start - 1, length - 1)
            case (.reference, true): set(span.start - 1, span.end + 2)
            default: set(span.start - 1, span.end - 1)
            }
        }
        return mask
    }
}

/// Why speculative decoding cannot run: the drafter does not belong to the target, or the request is invalid.
/// Every case names the quantity that disagrees and both values.
public enum SpeculativeDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The drafter export and the target model disagree (`what`: hidden size, vocabulary size, t2d length, …).
    case mismatch(what: String, drafter: String, target: String, hint: String)
    /// An invalid prompt or option.
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .mismatch(let what, let drafter, let target, let hint):
            "the drafter does not fit the target: \(what) is \(drafter) in the drafter but \(target) in the target" + (hint.isEmpty ? "" : " (\(hint))")
        case .invalidRequest(let message): message
        }
    }
}

/// Acceptance figures over a set of rounds (one prompt, or all of them).
///
/// - τ (acceptance length, SPEC §12) = tokens committed by verification rounds / rounds: accepted drafts plus the
///   target's own token per target forward (τ = 1: nothing accepted). The prefill pass's first token is not
///   counted (EAGLE's evaluation scripts divide all new tokens, that one included, by the rounds).
/// - Draft position j (1-based): `drafted[j]` rounds drafted a j-th token, `reached[j]` of them had accepted
///   tokens 1…j−1 (so the target judged token j), `accepted[j]` accepted it. The per-position acceptance rate is
///   `accepted[j] / reached[j]` (EAGLE's "n-α"); `accepted[j] / drafted[j]` is the share of rounds getting past j.
public struct AcceptanceStatistics: Sendable, Equatable {
    public private(set) var rounds = 0
    public private(set) var committedTokens = 0
    public private(set) var acceptedTokens = 0
    public private(set) var draftedTokens = 0
    public private(set) var drafted: [Int] = []
    public private(set) var reached: [Int] = []
    public private(set) var accepted: [Int] = []

    public init() {}

    public init(rounds: [SpeculativeRound]) {
        for r in rounds { add(r) }
    }

    public mutating func add(_ round: SpeculativeRound) {
        rounds += 1
        committedTokens += round.committed
        acceptedTokens += round.accepted
        draftedTokens += round.nodes
        while drafted.count < round.drafted.count {
            drafted.append(0); reached.append(0); accepted.append(0)
        }
        for j in 0..<round.drafted.count {
            drafted[j] += 1
            if round.accepted >= j { reached[j] += 1 }
            if round.accepted > j { accepted[j] += 1 }
        }
    }

    public mutating func merge(_ other: AcceptanceStatistics) {
        rounds += other.rounds
        committedTokens += other.committedTokens
        acceptedTokens += other.acceptedTokens
        draftedTokens += other.draftedTokens
        while drafted.count < other.drafted.count {
            drafted.append(0); reached.append(0); accepted.append(0)
        }
        for j in other.drafted.indices {
            drafted[j] += other.drafted[j]
            reached[j] += other.reached[j]
            accepted[j] += other.accepted[j]
        }
    }

    /// Mean tokens committed per verification round (nil without rounds).
    public var tau: Double? { rounds == 0 ? nil : Double(committedTokens) / Double(rounds) }
    /// `accepted[j] / reached[j]` per draft position (nil where no round reached it).
    public var positionRates: [Double?] { accepted.indices.map { reached[$0] == 0 ? nil : Double(accepted[$0]) / Double(reached[$0]) } }
    /// Accepted drafted tokens / drafted tokens.
    public var draftAcceptance: Double? { draftedTokens == 0 ? nil : Double(acceptedTokens) / Double(draftedTokens) }
}

/// How many drafts a round verifies, beyond the decoder's depth or tree size.
public enum DraftThreshold: Sendable, Equatable {
    /// Stop a branch once the drafter's probability of it (the product of its tokens' draft probabilities from the
    /// root) falls below this, 0 < p < 1.
    case fixed(Double)
    /// Chosen round by round from what the rounds of this generation have cost so far (`AdaptiveDraftBudget`).
    case adaptive
}

/// Chooses, round by round, how many drafts to verify so as to commit the most tokens per second, from the measured
/// wall-clock cost of the rounds so far by the number of rows they verified and the drafter's probabilities (read
/// as the chance that the target accepts the drafts).
///
/// With `R` the rate so far (committed tokens per second of rounds) and `C(r)` the cost of a round that verifies
/// `r` rows (the pending token and `r − 1` drafts), verifying a chain's first `j` drafts is worth
/// `1 + q₁ + … + q_j − R·C(j + 1)` expected tokens, `q_i` the drafter's probability of drafts 1…i. A round verifies
/// the `j` that maximises it: a ratio of expected tokens to expected time is at its best when each round
/// maximises tokens − R·time with `R` that best ratio (Dinkelbach), and the rate so far stands in for it. So a draft
/// is worth verifying when its probability pays for the extra row at the current rate: where a row costs almost
/// nothing (a GPU) every draft is, where rows cost (a CPU) only confident ones are. A tree keeps the nodes whose
/// path probability is at least `R` times the mean cost of a row.
///
/// `C(r)` is a moving average of the rounds that verified `r` rows, linear between the sizes observed (and flat
/// beyond them). The first round verifies everything and the second nothing (a plain step), so that both ends
/// are measured; after that the rounds' own choices keep the estimates current.
public struct AdaptiveDraftBudget: Sendable, Equatable {
    /// Rows of the largest round: the pending token plus the full chain or tree.
    public let maxRows: Int
    /// Weight of a new round in the moving average of its size's cost.
    public static let smoothing = 0.25
    /// `cost[r]`: the moving average of the seconds of rounds that verified `r` rows (index 0 unused).
    public private(set) var cost: [Double?]
    public private(set) var committedTokens = 0
    public private(set) var roundSeconds = 0.0

    public init(maxRows: Int) {
        precondition(maxRows >= 1)
        self.maxRows = maxRows
        cost = Array(repeating: nil, count: maxRows + 1)
    }

    /// A round that verified `rows` rows, committed `committed` tokens and took `seconds` (draft, verification and
    /// the drafter's catch-up).
    public mutating func record(rows: Int, committed: Int, seconds: Double) {
        guard rows >= 1 && rows <= maxRows, seconds.isFinite, seconds >= 0 else { return }
        cost[rows] = cost[rows].map { $0 + Self.smoothing * (seconds - $0) } ?? seconds
        committedTokens += committed
        roundSeconds += seconds
    }

    /// Committed tokens per second of rounds so far; nil before a round was recorded.
    public var rate: Double? { roundSeconds > 0 ? Double(committedTokens) / roundSeconds : nil }

    /// What this round does before the estimates exist: verify everything (nothing measured yet), then nothing
    /// (only larger rounds measured); nil once a plain-step round and a larger one were measured.
    public enum Exploration: Sendable, Equatable { case everything, nothing }
    public var exploration: Exploration? {
        guard cost.contains(where: { $0 != nil }) else { return .everything }
        if maxRows > 1 && cost[1] == nil { return .nothing }
        return nil
    }

    /// The estimated seconds of a round of `rows` rows: its average if measured, else linear between the nearest
    /// measured sizes, else the nearest measured size's.
    public func estimatedCost(rows: Int) -> Double? {
        if let c = cost[rows] { return c }
        let below = (1..<rows).last { cost[$0] != nil }, above = (rows + 1..<maxRows + 1).first { cost[$0] != nil }
        switch (below, above) {
        case let (b?, a?):
            return cost[b]! + (cost[a]! - cost[b]!) * Double(rows - b) / Double(a - b)
        case let (b?, nil): return cost[b]!
        case let (nil, a?): return cost[a]!
        case (nil, nil): return nil
        }
    }

    /// Expected tokens of verifying the first `j` of drafts with cumulative probabilities `q`, less the rate times its
    /// estimated cost.
    func value(_ q: [Double], drafts j: Int, rate: Double) -> Double {
        1 + q.prefix(j).reduce(0, +) - rate * (estimatedCost(rows: j + 1) ?? 0)
    }

    /// How many of a chain's drafts to verify, given `q[i]`: the drafter's probability of drafts 1…i+1 (non-increasing).
    public func chainLength(cumulative q: [Double]) -> Int {
        switch exploration {
        case .everything: return q.count
        case .nothing: return 0
        case nil: break
        }
        guard let rate else { return q.count }
        var best = 0, bestValue = value(q, drafts: 0, rate: rate)
        for j in stride(from: 1, through: q.count, by: 1) {
            let v = value(q, drafts: j, rate: rate)
            if v > bestValue { (best, bestValue) = (j, v) }
        }
        return best
    }

    /// Whether a chain with drafts of cumulative probabilities `q` (non-increasing) should draft another: true when
    /// some longer chain, of at most `maxDrafts`, could still be worth more than the best prefix of this one, each
    /// further draft counted at the last one's probability (an upper bound).
    public func shouldDraftFurther(cumulative q: [Double], maxDrafts: Int) -> Bool {
        guard q.count < maxDrafts else { return false }
        switch exploration {
        case .everything: return true
        case .nothing: return false
        case nil: break
        }
        guard let rate, let last = q.last else { return true }
        let j = q.count
        let best = (0...j).map { value(q, drafts: $0, rate: rate) }.max()!
        let here = value(q, drafts: j, rate: rate)
        return (j + 1...maxDrafts).contains { deeper in
            here + Double(deeper - j) * last - rate * ((estimatedCost(rows: deeper + 1) ?? 0) - (estimatedCost(rows: j + 1) ?? 0)) > best
        }
    }

    /// A tree's floor on a node's path probability: the rate times the mean cost of a row between the smallest and
    /// the largest round measured (0: keep every node; 1: none).
    public var treeFloor: Double {
        switch exploration {
        case .everything: return 0
        case .nothing: return 1
        case nil: break
        }
        guard let rate, let low = (1...maxRows).first(where: { cost[$0] != nil }),
              let high = (1...maxRows).last(where: { cost[$0] != nil }), high > low else { return 0 }
        let perRow = (cost[high]! - cost[low]!) / Double(high - low)
        return min(max(rate * perRow, 0), 1)
    }
}

/// One sequence's TTT results (SPEC §9), per step k.
public struct SampleMetrics: Sendable, Equatable {
    /// `L`.
    public var tokens: Int
    /// `loss_k = −(1/L) Σ_t m_k[t] Σ_i p_i log q_i` (unweighted).
    public var losses: [Double]
    /// `Σ_t m_k[t] · [argmax ℓ = argmax p]`.
    public var hits: [Double]
    /// `Σ_t loss_mask[t+k]` (the accuracy denominator, before the in-vocab flag).
    public var maskCounts: [Double]
    /// `Σ_t m_k[t]`: positions with a loss term.
    public var activePositions: [Int]

    public init(steps: Int, tokens: Int) {
        self.tokens = tokens
        losses = [Double](repeating: 0, count: steps)
        hits = losses
        maskCounts = losses
        activePositions = [Int](repeating: 0, count: steps)
    }

    /// `acc_k = hits / (Σ loss_mask + 1e-6)`, in double, as the reference.
    public var accuracies: [Double] { zip(hits, maskCounts).map { $0 / ($1 + 1e-6) } }

    /// `Σ_k w^k loss_k`, summed in order k = 0, 1, … (w = 0.8 in the reference).
    public func totalLoss(stepWeight w: Double) -> Double {
        var total = 0.0, weight = 1.0
        for l in losses { total += weight * l; weight *= w }
        return total
    }
}

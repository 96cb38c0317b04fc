import EagleCore

/// How sequences are grouped into optimizer steps.
public enum Batching: Sendable, Equatable {
    /// A fixed number of sequences per step, each its own micro-batch (the reference: 2 = gradient accumulation 2
    /// of micro-batch 1). A trailing incomplete window is not applied, as DeepSpeed never steps on it.
    case sequences(Int)
    /// As many consecutive sequences as fit in this many tokens (at least one per step).
    case tokens(Int)
}

/// The global stream of sequences across epochs and its split into optimizer steps (SPEC §10: the accumulation
/// boundary is counted globally, so a step may straddle an epoch end). Position p of the stream is sequence
/// `permutation_e[p mod n]` of epoch `e = p / n`; permutations are Fisher–Yates with SplitMix64 seeded by
/// (seed, epoch), or the identity, or an explicit order (then n is the order's length). Deterministic: the state
/// of the data order is just the stream position.
struct DataOrder {
    let sampleCount: Int
    let epochs: Int
    let seed: UInt64
    let shuffle: Bool
    let explicit: [Int]?
    private var cachedEpoch = -1
    private var cachedPermutation: [Int] = []

    init(sampleCount: Int, epochs: Int, seed: UInt64, shuffle: Bool, explicit: [Int]?) {
        self.sampleCount = sampleCount
        self.epochs = epochs
        self.seed = seed
        self.shuffle = shuffle
        self.explicit = explicit
    }

    /// Sequences per epoch.
    var epochLength: Int { explicit?.count ?? sampleCount }
    var streamLength: Int { epochLength * epochs }

    func epoch(at p: Int) -> Int { p / max(epochLength, 1) }

    mutating func sampleIndex(at p: Int) -> Int {
        if let explicit { return explicit[p % explicit.count] }
        let e = epoch(at: p)
        if e != cachedEpoch {
            cachedPermutation = Self.permutation(count: sampleCount, seed: seed, epoch: e, shuffle: shuffle)
            cachedEpoch = e
        }
        return cachedPermutation[p % sampleCount]
    }

    static func permutation(count n: Int, seed: UInt64, epoch: Int, shuffle: Bool) -> [Int] {
        var order = Array(0..<n)
        guard shuffle, n > 1 else { return order }
        var rng = SplitMix64(seed: seed ^ (UInt64(epoch + 1) &* 0xD1B5_4A32_D192_ED03))
        for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, rng.next(below: i + 1)) }
        return order
    }

    /// The stream positions of the optimizer step starting at `p`, or nil when no complete step remains.
    mutating func window(from p: Int, batching: Batching, length: (Int) throws -> Int) rethrows -> Range<Int>? {
        guard p < streamLength else { return nil }
        switch batching {
        case .sequences(let g):
            return p + g <= streamLength ? p..<(p + g) : nil
        case .tokens(let budget):
            var end = p + 1
            var tokens = try length(sampleIndex(at: p))
            while end < streamLength {
                let next = try length(sampleIndex(at: end))
                if tokens + next > budget { break }
                tokens += next
                end += 1
            }
            return p..<end
        }
    }

    /// Number of optimizer steps the whole stream makes.
    mutating func totalSteps(batching: Batching, length: (Int) throws -> Int) rethrows -> Int {
        var p = 0, steps = 0
        while let w = try window(from: p, batching: batching, length: length) {
            steps += 1
            p = w.upperBound
        }
        return steps
    }
}

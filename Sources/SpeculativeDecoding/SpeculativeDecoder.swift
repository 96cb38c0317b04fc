import EagleCore
import Foundation
import TargetModel

/// One draft-and-verify round: the drafter proposes `drafted.count` tokens in a chain, the target verifies them in
/// one forward pass, the longest prefix equal to the target's own greedy choices is accepted, and the target's
/// next token after it is committed too.
public struct SpeculativeRound: Sendable, Equatable {
    /// The drafted tokens (target ids), in chain order.
    public var drafted: [Int32]
    /// How many drafted tokens the target accepted (0...drafted.count).
    public var accepted: Int
    /// Tokens appended to the output this round: accepted + 1, fewer when a stop token ends the output early.
    public var committed: Int

    public init(drafted: [Int32], accepted: Int, committed: Int) {
        self.drafted = drafted
        self.accepted = accepted
        self.committed = committed
    }
}

public struct SpeculativeResult: Sendable, Equatable {
    /// The new tokens (prompt excluded), ending with a stop token when `stopped`.
    public var tokens: [Int32]
    public var stopped: Bool
    /// The token the prefill pass produced is `tokens[0]`; each round commits the next ones.
    public var rounds: [SpeculativeRound]
    public var timings = SpeculativeTimings()
    /// Target forward passes: the prefill plus one per round.
    public var targetForwards: Int { rounds.count + 1 }
}

/// Wall-clock time of one speculative generation, by phase.
public struct SpeculativeTimings: Sendable, Equatable {
    public var prefill: Double = 0
    public var draft: Double = 0
    public var verify: Double = 0
    public var total: Double = 0
}

/// EAGLE-3 speculative decoding with greedy (temperature 0) verification, one sequence at a time, chain drafting.
///
/// State between rounds, with `n` committed tokens `x[0..<n]` (prompt + output) of which the last, `x[n−1]`, is
/// not yet through the target: the target's KV cache holds positions `0..<n−1`; the drafter's cache holds its
/// positions `0..<n−1`, position t carrying the target's aux features of `x[t]` and the token `x[t+1]` (the
/// alignment of the training-time test, SPEC §8); `last` is the drafter output at position `n−2`.
/// A round: propose d1 from `last`, then d2…dK by feeding each output back with its token at positions n−1…
/// (the drafter attends to its committed positions and the drafts so far); drop the drafted cache entries; run the
/// target over `[x[n−1], d1…dK]` at positions `n−1…n−1+K` capturing aux features; accept the longest prefix with
/// `d_j = argmax_target(row j−1)`, commit it and the target's token after it; drop the target's rejected cache
/// entries; run the drafter over the accepted positions with their real aux features.
public struct SpeculativeDecoder {
    public let target: TargetModel
    public let drafter: DrafterModel
    /// Drafted tokens per round (the chain length K); a round commits 1…K+1 tokens.
    public var depth: Int
    public var stopTokens: Set<Int32>
    public var threads: Int
    let auxLayers: [Int]

    public init(target: TargetModel, drafter: DrafterModel, depth: Int, stopTokens: Set<Int32>, threads: Int = System.coreCount) throws {
        guard depth >= 1 && depth <= SpeculativeDecoder.maxDepth else {
            throw SpeculativeDecodingError.invalidRequest("depth must be in 1...\(SpeculativeDecoder.maxDepth), got \(depth)")
        }
        self.target = target
        self.drafter = drafter
        self.depth = depth
        self.stopTokens = stopTokens
        self.threads = threads
        do { auxLayers = try target.configuration.eagle3AuxiliaryLayers() } catch {
            throw SpeculativeDecodingError.invalidRequest("target: \(error)")
        }
    }

    /// Verification passes of up to `maxDepth + 1` rows take the target's per-row kernels, which compute each row
    /// exactly as a single-token decoding step does, so greedy verification reproduces plain greedy decoding bit
    /// for bit.
    public static let maxDepth = 7

    /// Continues `prompt` by at most `maxNewTokens` tokens, stopping after a stop token.
    public func generate(prompt: [Int32], maxNewTokens: Int) throws -> SpeculativeResult {
        guard !prompt.isEmpty else { throw SpeculativeDecodingError.invalidRequest("empty prompt") }
        guard maxNewTokens >= 1 else { throw SpeculativeDecodingError.invalidRequest("maxNewTokens must be at least 1") }
        let clock = ContinuousClock()
        let begin = clock.now
        var times = SpeculativeTimings()
        let capacity = prompt.count + maxNewTokens + depth + 1
        let targetCache = KVCache(configuration: target.configuration, capacities: [capacity])
        let draftCache = DrafterCache(configuration: drafter.configuration, capacity: capacity)

        // Prefill: the prompt through the target; its last row gives the first new token.
        var t0 = clock.now
        let prefill = try target.forward(tokens: prompt, segments: [Segment(slot: 0, firstRow: 0, count: prompt.count, startPosition: 0)],
                                         cache: targetCache, options: ForwardOptions(hiddenStates: auxLayers, finalRows: .lastOfEachSegment, threads: threads))
        let first = try argmaxRows(prefill, rows: 1)[0]
        var result = SpeculativeResult(tokens: [first], stopped: stopTokens.contains(first), rounds: [])
        if result.stopped || maxNewTokens == 1 {
            times.prefill = seconds(clock.now - t0)
            times.total = seconds(clock.now - begin)
            result.timings = times
            return result
        }
        var last = try drafterCatchUp(aux: prefill, rows: prompt.count, tokens: Array(prompt.dropFirst()) + [first], cache: draftCache)
        times.prefill = seconds(clock.now - t0)

        while true {
            let n = prompt.count + result.tokens.count
            let pending = result.tokens[result.tokens.count - 1]
            let k = min(depth, maxNewTokens - result.tokens.count - 1)

            // Draft a chain of k tokens.
            t0 = clock.now
            var drafted: [Int32] = []
            var hidden = last
            for j in 0..<k {
                if j > 0 { hidden = try drafter.forward(hidden: hidden, tokens: [drafted[j - 1]], cache: draftCache, threads: threads) }
                drafted.append(try drafter.propose(output: hidden.pointer, threads: threads).token)
            }
            draftCache.truncate(to: n - 1)
            times.draft += seconds(clock.now - t0)

            // Verify [x[n−1], d1…dk] in one target pass.
            t0 = clock.now
            let rows = [pending] + drafted
            let verify = try target.forward(tokens: rows, segments: [Segment(slot: 0, firstRow: 0, count: rows.count, startPosition: n - 1)],
                                            cache: targetCache, options: ForwardOptions(hiddenStates: auxLayers, finalRows: .all, threads: threads))
            let choice = try argmaxRows(verify, rows: rows.count)
            var accepted = 0
            while accepted < k && drafted[accepted] == choice[accepted] { accepted += 1 }
            var committed = Array(drafted[..<accepted]) + [choice[accepted]]
            if let stop = committed.firstIndex(where: { stopTokens.contains($0) }) {
                committed.removeSubrange((stop + 1)...)
                result.stopped = true
            }
            targetCache.truncate(slot: 0, to: n + accepted)
            times.verify += seconds(clock.now - t0)
            result.tokens += committed
            result.rounds.append(SpeculativeRound(drafted: drafted, accepted: accepted, committed: committed.count))
            if result.stopped || result.tokens.count >= maxNewTokens {
                times.total = seconds(clock.now - begin)
                result.timings = times
                return result
            }

            // The accepted positions n−1…n−1+accepted through the drafter with their real aux features.
            t0 = clock.now
            last = try drafterCatchUp(aux: verify, rows: accepted + 1, tokens: committed, cache: draftCache)
            times.draft += seconds(clock.now - t0)
        }
    }

    /// Runs the drafter over the first `rows` rows of a target pass (aux features of those positions, fused by
    /// `fc`) with `tokens` (each row's next token) and returns the output of the last row, `[H]`.
    private func drafterCatchUp(aux output: ForwardOutput, rows: Int, tokens: [Int32], cache: DrafterCache) throws -> FloatBuffer {
        let h = target.configuration.hiddenSize, width = auxLayers.count * h
        let aux = FloatBuffer(count: rows * width)
        for (l, layer) in auxLayers.enumerated() {
            let states = output.hiddenStates[layer]!
            for r in 0..<rows { (aux.pointer + r * width + l * h).update(from: states.pointer + r * h, count: h) }
        }
        let fused = try drafter.fuse(aux: aux.pointer, rows: rows, threads: threads)
        let out = try drafter.forward(hidden: fused, tokens: tokens, cache: cache, threads: threads)
        let lastRow = FloatBuffer(count: h)
        lastRow.pointer.update(from: out.pointer + (rows - 1) * h, count: h)
        return lastRow
    }

    /// Full-vocabulary argmax (first index on ties) of each final row of a target pass.
    private func argmaxRows(_ output: ForwardOutput, rows: Int) throws -> [Int32] {
        var ids = [Int32](repeating: 0, count: rows)
        try target.logits(final: output.finalHidden!, rowCount: rows, threads: threads) { chunk in
            for (j, r) in chunk.rows.enumerated() { ids[r] = chunk.argmax[j] }
        }
        return ids
    }
}

func seconds(_ d: Duration) -> Double {
    let c = d.components
    return Double(c.seconds) + Double(c.attoseconds) * 1e-18
}

import EagleCore
import Foundation
import TargetModel

/// One draft-and-verify round: the drafter proposes `drafted.count` tokens in a chain, the target verifies them in
/// one forward pass, the longest prefix equal to the target's own greedy choices is accepted, and the target's
/// next token after it is committed too.
public struct SpeculativeRound: Sendable, Equatable {
    /// The drafted tokens (target ids), in chain order. For a draft tree: the path the target accepted, then the
    /// tree's best-ranked continuation below it (so position j was drafted when `drafted.count ≥ j`).
    public var drafted: [Int32]
    /// How many drafted tokens the target accepted (0...drafted.count).
    public var accepted: Int
    /// Tokens appended to the output this round: accepted + 1, fewer when a stop token ends the output early.
    public var committed: Int
    /// Draft tokens the target verified this round (`drafted.count` for a chain; a tree's node count).
    public var nodes: Int

    public init(drafted: [Int32], accepted: Int, committed: Int, nodes: Int? = nil) {
        self.drafted = drafted
        self.accepted = accepted
        self.committed = committed
        self.nodes = nodes ?? drafted.count
    }
}

/// EAGLE-2's dynamic draft tree: per level, the `topK` candidates with the highest cumulative draft probability
/// are expanded into their `topK` most likely children, up to the decoder's depth; the `nodes` candidates with
/// the highest cumulative probability over all levels are verified in one target pass (a tree mask), and the
/// longest path of the target's own greedy choices is accepted. `topK = 1, nodes = depth` is the chain.
public struct DraftTreeShape: Sendable, Equatable {
    public var topK: Int
    public var nodes: Int

    public init(topK: Int, nodes: Int) {
        self.topK = topK
        self.nodes = nodes
    }

    /// Verification rows are computed by the per-row kernels (bit-exact); their cost grows with the rows.
    public static let maxNodes = 63
    public static let maxTopK = 16
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

/// EAGLE-3 speculative decoding with greedy (temperature 0) verification, one sequence at a time, chain or tree
/// drafting (`DraftTreeShape`).
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
/// A tree round drafts a tree instead of a chain (the drafter's tree nodes attend to their own ancestors), the
/// target verifies all its nodes in one pass with a tree mask, the accepted path is the longest one whose every
/// token is the target's greedy choice after its parent, and that path's cache entries are moved down to
/// consecutive positions before the rest are dropped.
public struct SpeculativeDecoder {
    public let target: TargetModel
    public let drafter: DrafterModel
    /// Drafted tokens per round (the chain length K, or the tree's depth); a round commits 1…K+1 tokens.
    public var depth: Int
    /// Draft a tree of this shape instead of a chain.
    public var tree: DraftTreeShape?
    /// Stop drafting a branch once the drafter's probability of it (the product of its tokens' draft
    /// probabilities from the root) falls below a floor: `.fixed(p)` (0 < p < 1), or `.adaptive`, chosen each round
    /// from the measured cost of rounds (`AdaptiveDraftBudget`). The chain ends there, a tree keeps and expands only
    /// nodes at or above it, and a round may verify no draft at all (a plain step). Fewer verified rows when the
    /// drafter is unsure, so cheaper rounds where a verification pass costs more the more rows it has (a CPU).
    /// Nil: always the full depth (and the tree's full node count).
    public var draftThreshold: DraftThreshold?
    public var stopTokens: Set<Int32>
    public var threads: Int
    let auxLayers: [Int]

    public init(target: TargetModel, drafter: DrafterModel, depth: Int, tree: DraftTreeShape? = nil, draftThreshold: DraftThreshold? = nil,
                stopTokens: Set<Int32>, threads: Int = System.coreCount) throws {
        guard depth >= 1 && depth <= SpeculativeDecoder.maxDepth else {
            throw SpeculativeDecodingError.invalidRequest("depth must be in 1...\(SpeculativeDecoder.maxDepth), got \(depth)")
        }
        if let tree {
            guard tree.topK >= 1 && tree.topK <= min(DraftTreeShape.maxTopK, drafter.configuration.draftVocabSize) else {
                throw SpeculativeDecodingError.invalidRequest("tree top-k must be in 1...\(min(DraftTreeShape.maxTopK, drafter.configuration.draftVocabSize)), got \(tree.topK)")
            }
            guard tree.nodes >= 1 && tree.nodes <= DraftTreeShape.maxNodes else {
                throw SpeculativeDecodingError.invalidRequest("tree nodes must be in 1...\(DraftTreeShape.maxNodes), got \(tree.nodes)")
            }
        }
        if case .fixed(let p) = draftThreshold, !(p > 0 && p < 1) {
            throw SpeculativeDecodingError.invalidRequest("the draft threshold must be a probability strictly between 0 and 1, got \(p)")
        }
        self.target = target
        self.drafter = drafter
        self.depth = depth
        self.tree = tree
        self.draftThreshold = draftThreshold
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
        let base = prompt.count + maxNewTokens + 1
        let targetCache = KVCache(configuration: target.configuration, capacities: [base + (tree?.nodes ?? depth)])
        let draftCache = DrafterCache(configuration: drafter.configuration, capacity: base + depth * (tree?.topK ?? 1))

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
        var last = try drafterCatchUp(aux: prefill, rows: Array(0..<prompt.count), tokens: Array(prompt.dropFirst()) + [first], cache: draftCache)
        times.prefill = seconds(clock.now - t0)
        var budget = draftThreshold == .adaptive ? AdaptiveDraftBudget(maxRows: 1 + (tree?.nodes ?? depth)) : nil

        while true {
            let n = prompt.count + result.tokens.count
            let pending = result.tokens[result.tokens.count - 1]
            let k = min(depth, maxNewTokens - result.tokens.count - 1)

            // Draft k tokens deep: a chain, or a tree. Row 0 of the draft is x[n−1]; `parents` index rows.
            t0 = clock.now
            let roundStart = t0
            let draft: Draft
            if budget?.exploration == .nothing {
                draft = Draft()
            } else if let tree {
                draft = try draftTree(shape: tree, depth: k, last: last, prefix: n - 1, cache: draftCache, floor: logFloor(budget))
            } else {
                draft = try draftChain(depth: k, last: last, cache: draftCache, budget: budget)
            }
            draftCache.truncate(to: n - 1)
            times.draft += seconds(clock.now - t0)

            // Verify [x[n−1], drafts…] in one target pass (a tree mask unless the draft is a chain).
            t0 = clock.now
            let rows = [pending] + draft.tokens
            let isChain = draft.parents.enumerated().allSatisfy { $0.element == $0.offset - 1 }
            let segment = Segment(slot: 0, firstRow: 0, count: rows.count, startPosition: n - 1, parents: isChain ? nil : draft.parents)
            let verify = try target.forward(tokens: rows, segments: [segment], cache: targetCache,
                                            options: ForwardOptions(hiddenStates: auxLayers, finalRows: .all, threads: threads, exactRows: true))
            let choice = try argmaxRows(verify, rows: rows.count)
            // The accepted path: from row 0, step to the child holding the target's choice while there is one.
            var path = [0]
            while let child = (1..<rows.count).first(where: { draft.parents[$0] == path.last! && rows[$0] == choice[path.last!] }) {
                path.append(child)
            }
            let accepted = path.count - 1
            var committed = path.dropFirst().map { rows[$0] } + [choice[path.last!]]
            if let stop = committed.firstIndex(where: { stopTokens.contains($0) }) {
                committed.removeSubrange((stop + 1)...)
                result.stopped = true
            }
            targetCache.moveEntries(slot: 0, from: path.map { n - 1 + $0 }, to: path.indices.map { n - 1 + $0 })
            targetCache.truncate(slot: 0, to: n + accepted)
            times.verify += seconds(clock.now - t0)
            result.tokens += committed
            var shown = path
            while let child = (1..<rows.count).first(where: { draft.parents[$0] == shown.last! }) { shown.append(child) }
            result.rounds.append(SpeculativeRound(drafted: shown.dropFirst().map { rows[$0] }, accepted: accepted,
                                                  committed: committed.count, nodes: draft.tokens.count))
            if result.stopped || result.tokens.count >= maxNewTokens {
                times.total = seconds(clock.now - begin)
                result.timings = times
                return result
            }

            // The accepted positions n−1…n−1+accepted through the drafter with their real aux features.
            t0 = clock.now
            last = try drafterCatchUp(aux: verify, rows: path, tokens: committed, cache: draftCache)
            times.draft += seconds(clock.now - t0)
            budget?.record(rows: rows.count, committed: committed.count, seconds: seconds(clock.now - roundStart))
        }
    }

    /// The floor for a branch's cumulative draft log-probability this round: `log(p)` for a fixed threshold, the
    /// budget's tree floor when adaptive, nil (none) without a threshold.
    private func logFloor(_ budget: AdaptiveDraftBudget?) -> Float? {
        switch draftThreshold {
        case .fixed(let p): return Float(Foundation.log(p))
        case .adaptive: return budget.map { Float(Foundation.log($0.treeFloor)) }
        case nil: return nil
        }
    }

    /// Drafted tokens of one round in verification order, with `parents[r]` the row before row r's token
    /// (row 0: the pending token x[n−1], parent −1; a chain: r − 1). Every parent precedes its children.
    struct Draft {
        var tokens: [Int32] = []
        var parents: [Int] = [-1]
    }

    /// A chain of `depth` greedy drafts, each output fed back with its token at the next position; with a fixed
    /// `draftThreshold`, it ends before the first draft that takes the chain's probability below it; with an
    /// adaptive one, it drafts while a longer chain could still pay and keeps the prefix the `budget` prefers.
    private func draftChain(depth k: Int, last: FloatBuffer, cache: DrafterCache, budget: AdaptiveDraftBudget?) throws -> Draft {
        var draft = Draft()
        var hidden = last
        let floor = budget == nil ? logFloor(nil) : nil  // adaptive: the budget decides instead
        var logProbability: Float = 0
        var cumulative: [Double] = []
        for j in 0..<k {
            if let budget, !budget.shouldDraftFurther(cumulative: cumulative, maxDrafts: k) { break }
            if j > 0 { hidden = try drafter.forward(hidden: hidden, tokens: [draft.tokens[j - 1]], cache: cache, threads: threads) }
            let token: Int32
            if budget != nil || floor != nil {
                let best = try drafter.candidates(output: hidden.pointer, count: 1, threads: threads)[0]
                logProbability += best.logProbability
                if let floor, logProbability < floor { break }
                cumulative.append(Double(Foundation.exp(logProbability)))
                token = best.token
            } else {
                token = try drafter.propose(output: hidden.pointer, threads: threads).token
            }
            draft.tokens.append(token)
            draft.parents.append(j)
        }
        if let budget {
            let keep = budget.chainLength(cumulative: cumulative)
            draft.tokens.removeSubrange(keep...)
            draft.parents.removeSubrange((keep + 1)...)
        }
        return draft
    }

    /// EAGLE-2's dynamic tree (`DraftTreeShape`), `depth` levels deep. Level 1 is the `topK` best tokens after
    /// `last`; each further level expands the `topK` best nodes of the level above (one drafter pass, each node
    /// attending to the committed prefix `0..<prefix` and its ancestors) into their `topK` best children. The
    /// `nodes` best nodes overall by cumulative log-probability (ties: shallower, then earlier) are kept, a node
    /// only with its parent, and ordered by level. With a `draftThreshold`, nodes below it are neither kept nor
    /// expanded.
    private func draftTree(shape: DraftTreeShape, depth: Int, last: FloatBuffer, prefix: Int, cache: DrafterCache, floor: Float?) throws -> Draft {
        struct Node { var token: Int32; var parent: Int; var level: Int; var score: Float; var entry = -1; var output: FloatBuffer? }
        if depth == 0 { return Draft() }
        let h = drafter.configuration.hiddenSize
        let floor = floor ?? -.infinity
        var nodes = try drafter.candidates(output: last.pointer, count: shape.topK, threads: threads).map {
            Node(token: $0.token, parent: -1, level: 1, score: $0.logProbability)
        }.filter { $0.score >= floor }
        func ranked(_ indices: some Sequence<Int>) -> [Int] {
            indices.sorted { a, b in
                let x = nodes[a], y = nodes[b]
                return x.score != y.score ? x.score > y.score : x.level != y.level ? x.level < y.level : a < b
            }
        }
        for level in 1..<max(depth, 1) {
            let expand = Array(ranked(nodes.indices.filter { nodes[$0].level == level }).prefix(shape.topK))
            if expand.isEmpty { break }
            let hidden = FloatBuffer(count: expand.count * h)
            var ancestors: [[Int]] = []
            for (i, v) in expand.enumerated() {
                let parent = nodes[v].parent
                (hidden.pointer + i * h).update(from: (parent < 0 ? last : nodes[parent].output!).pointer, count: h)
                var chain: [Int] = []
                var a = parent
                while a >= 0 { chain.append(nodes[a].entry); a = nodes[a].parent }
                ancestors.append(chain.reversed())
            }
            let start = cache.length
            let out = try drafter.forward(hidden: hidden, tokens: expand.map { nodes[$0].token }, cache: cache, threads: threads,
                                          tree: DraftTreeRows(prefix: prefix, positions: Array(repeating: prefix + level - 1, count: expand.count),
                                                              ancestors: ancestors))
            let children = try drafter.candidates(outputs: out.pointer, rows: expand.count, count: shape.topK, threads: threads)
            for (i, v) in expand.enumerated() {
                let row = FloatBuffer(count: h)
                row.pointer.update(from: out.pointer + i * h, count: h)
                nodes[v].entry = start + i
                nodes[v].output = row
                for c in children[i] where nodes[v].score + c.logProbability >= floor {
                    nodes.append(Node(token: c.token, parent: v, level: level + 1, score: nodes[v].score + c.logProbability))
                }
            }
        }
        var kept: [Int] = []
        var isKept = [Bool](repeating: false, count: nodes.count)
        for v in ranked(nodes.indices) where kept.count < shape.nodes && (nodes[v].parent < 0 || isKept[nodes[v].parent]) {
            kept.append(v)
            isKept[v] = true
        }
        let order = kept.indices.sorted { (nodes[kept[$0]].level, $0) < (nodes[kept[$1]].level, $1) }.map { kept[$0] }
        var row = [Int: Int]()
        var draft = Draft()
        for v in order {
            row[v] = draft.tokens.count + 1
            draft.tokens.append(nodes[v].token)
            draft.parents.append(nodes[v].parent < 0 ? 0 : row[nodes[v].parent]!)
        }
        return draft
    }

    /// Runs the drafter over rows `rows` of a target pass (aux features of those positions, fused by `fc`) at the
    /// next consecutive positions, with `tokens` (each row's next token), and returns the output of the last, `[H]`.
    private func drafterCatchUp(aux output: ForwardOutput, rows: [Int], tokens: [Int32], cache: DrafterCache) throws -> FloatBuffer {
        let h = target.configuration.hiddenSize, width = auxLayers.count * h
        let aux = FloatBuffer(count: rows.count * width)
        for (l, layer) in auxLayers.enumerated() {
            let states = output.hiddenStates[layer]!
            for (i, r) in rows.enumerated() { (aux.pointer + i * width + l * h).update(from: states.pointer + r * h, count: h) }
        }
        let fused = try drafter.fuse(aux: aux.pointer, rows: rows.count, threads: threads)
        let out = try drafter.forward(hidden: fused, tokens: tokens, cache: cache, threads: threads)
        let lastRow = FloatBuffer(count: h)
        lastRow.pointer.update(from: out.pointer + (rows.count - 1) * h, count: h)
        return lastRow
    }

    /// Full-vocabulary argmax (first index on ties) of each final row of a target pass, each row computed as a
    /// single decoding step would compute it.
    private func argmaxRows(_ output: ForwardOutput, rows: Int) throws -> [Int32] {
        var ids = [Int32](repeating: 0, count: rows)
        try target.logits(final: output.finalHidden!, rowCount: rows, threads: threads, exactRows: true) { chunk in
            for (j, r) in chunk.rows.enumerated() { ids[r] = chunk.argmax[j] }
        }
        return ids
    }
}

func seconds(_ d: Duration) -> Double {
    let c = d.components
    return Double(c.seconds) + Double(c.attoseconds) * 1e-18
}

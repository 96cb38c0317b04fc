import EagleCore

/// One prompt for a `ContinuousBatch`: `id` names it to the caller; `stream` is its sampling stream (as
/// `Generator.generate`'s `streams`).
public struct GenerationRequest: Sendable, Equatable {
    public var id: Int
    public var prompt: [Int32]
    public var stream: UInt64

    public init(id: Int, prompt: [Int32], stream: UInt64) {
        self.id = id
        self.prompt = prompt
        self.stream = stream
    }
}

/// Continuous batching: up to `slots` sequences decode together, and a sequence that stops frees its slot at once
/// for the next request, whose prompt is prefilled in the same forward pass as the others' next tokens. A static
/// batch instead decodes until its longest sequence stops, with fewer and fewer rows per pass (on 2 cores the
/// SmolLM2 decoding rate is 151 tokens/s at 8 rows, 207 at 32, 297 at 64).
///
/// Each sequence gets exactly what `Generator.generate` gives its prompt alone (same greedy choices, same sampling
/// stream): rows do not interact, and every kernel computes a row the same way whatever else is in the pass.
public final class ContinuousBatch {
    public let generator: Generator
    public let slots: Int
    public let maxNewTokens: Int

    private struct Active {
        var request: GenerationRequest
        var tokens: [Int32] = []
        var random: SplitMix64
        /// The prompt is not yet in the cache: the next pass prefills it.
        var prefill = true
    }

    private var cache: KVCache
    private var active: [Active?]

    public init(generator: Generator, slots: Int, maxNewTokens: Int) {
        precondition(slots >= 1 && maxNewTokens >= 1, "a continuous batch needs a slot and a token")
        self.generator = generator
        self.slots = slots
        self.maxNewTokens = maxNewTokens
        cache = KVCache(configuration: generator.model.configuration, capacities: Array(repeating: 0, count: slots))
        active = Array(repeating: nil, count: slots)
    }

    /// Slots without a sequence.
    public var freeSlots: Int { active.reduce(0) { $0 + ($1 == nil ? 1 : 0) } }
    /// Sequences admitted and not yet finished.
    public var activeCount: Int { slots - freeSlots }

    /// Puts a request into a free slot; its prompt is prefilled by the next `step`. The slot is the free one with
    /// the least room that holds prompt + `maxNewTokens`; when none does, the roomiest free slot grows.
    public func admit(_ request: GenerationRequest) throws {
        guard !request.prompt.isEmpty else { throw ForwardError.invalidSegments("request \(request.id): the prompt is empty") }
        let free = active.indices.filter { active[$0] == nil }
        precondition(!free.isEmpty, "admit: no free slot (check freeSlots first)")
        let needed = request.prompt.count + maxNewTokens
        let slot = free.filter { cache.capacities[$0] >= needed }.min { cache.capacities[$0] < cache.capacities[$1] }
            ?? free.max { cache.capacities[$0] < cache.capacities[$1] }!
        reserve(needed, slot: slot)
        cache.reset(slot: slot)
        active[slot] = Active(request: request, random: generator.sampling.random(stream: request.stream))
    }

    /// One forward pass over every active sequence (prefilling the newly admitted ones) and one new token for each;
    /// returns the sequences that stopped in it (at a stop token or at `maxNewTokens`), whose slots are free again.
    public func step() throws -> [(GenerationRequest, GenerationResult)] {
        var tokens: [Int32] = [], segments: [Segment] = [], rows: [Int] = []
        for (slot, a) in active.enumerated() {
            guard let a else { continue }
            let input = a.prefill ? a.request.prompt : [a.tokens.last!]
            segments.append(Segment(slot: slot, firstRow: tokens.count, count: input.count, startPosition: cache.lengths[slot]))
            tokens.append(contentsOf: input)
            rows.append(slot)
        }
        guard !rows.isEmpty else { return [] }
        let g = generator
        let out = try g.model.forward(tokens: tokens, segments: segments, cache: cache,
                                      options: ForwardOptions(finalRows: .lastOfEachSegment, threads: g.threads))
        var next = [Int32](repeating: 0, count: rows.count)
        try g.model.logits(final: out.finalHidden!, rowCount: rows.count, threads: g.threads) { chunk in
            for (j, r) in chunk.rows.enumerated() {
                next[r] = Sampler.next(chunk, row: j, options: g.sampling, random: &active[rows[r]]!.random)
            }
        }
        var finished: [(GenerationRequest, GenerationResult)] = []
        for (r, slot) in rows.enumerated() {
            active[slot]!.prefill = false
            active[slot]!.tokens.append(next[r])
            let a = active[slot]!
            if g.stopTokens.contains(next[r]) {
                finished.append((a.request, GenerationResult(tokens: a.tokens, stopReason: .stopToken(next[r]))))
            } else if a.tokens.count >= maxNewTokens {
                finished.append((a.request, GenerationResult(tokens: a.tokens, stopReason: .length)))
            } else {
                continue
            }
            active[slot] = nil
        }
        return finished
    }

    /// Grows `slot` to hold `tokens` (in steps of 256, so that slightly longer prompts do not rebuild the cache
    /// each time): the cache is rebuilt with the active sequences copied over. The cache thus holds, per slot, the
    /// longest prompt + `maxNewTokens` it has served, not that of the longest prompt in every slot.
    private func reserve(_ tokens: Int, slot: Int) {
        guard tokens > cache.capacities[slot] else { return }
        var capacities = cache.capacities
        capacities[slot] = (tokens + 255) / 256 * 256
        let grown = KVCache(configuration: generator.model.configuration, capacities: capacities)
        for (s, a) in active.enumerated() where a != nil && !a!.prefill {
            grown.copy(slot: s, from: cache)
        }
        cache = grown
    }
}

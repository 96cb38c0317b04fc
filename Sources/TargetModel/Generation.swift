import EagleCore
import Foundation

/// How the next token is chosen. `temperature == 0` is greedy (full-vocabulary argmax, first index on ties).
/// Otherwise, in transformers' order of logits warpers: divide by `temperature`, keep the `topK` largest
/// (0: all), keep the smallest set of most likely tokens whose probability reaches `topP` (1: all), and draw
/// from the renormalised softmax with a per-sequence generator seeded from `seed` and the sequence's stream id
/// (by default its index in the request), so a sequence's sample does not depend on what else is in the batch.
public struct SamplingOptions: Sendable, Equatable {
    public var temperature: Float
    public var topP: Float
    public var topK: Int
    public var seed: UInt64

    public init(temperature: Float = 0, topP: Float = 1, topK: Int = 0, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.seed = seed
    }

    public static let greedy = SamplingOptions()
    public var isGreedy: Bool { temperature == 0 }
}

public struct GenerationResult: Sendable, Equatable {
    public enum StopReason: Sendable, Equatable {
        /// Stopped at this stop token (included in `tokens`).
        case stopToken(Int32)
        case length
    }
    /// The new tokens (prompt excluded).
    public var tokens: [Int32]
    public var stopReason: StopReason
}

/// Batched decoding with a KV cache: the prompts are prefilled together as one packed forward pass, then every
/// unfinished sequence advances one token per step, all of them in one packed forward pass of `B` rows.
public struct Generator {
    public let model: TargetModel
    public var stopTokens: Set<Int32>
    public var sampling: SamplingOptions
    public var threads: Int

    public init(model: TargetModel, stopTokens: Set<Int32>, sampling: SamplingOptions = .greedy, threads: Int = System.coreCount) {
        self.model = model
        self.stopTokens = stopTokens
        self.sampling = sampling
        self.threads = threads
    }

    /// Continues each prompt by at most `maxNewTokens` tokens, stopping early at a stop token. `streams[i]` names
    /// prompt i's random stream for sampling (default: i), so a caller can make a sample independent of batching
    /// and resumption. `onToken(i, id)` is called as sequence `i` receives each token (for streaming).
    public func generate(prompts: [[Int32]], maxNewTokens: Int, streams: [UInt64]? = nil,
                         onToken: ((Int, Int32) -> Void)? = nil) throws -> [GenerationResult] {
        precondition(maxNewTokens >= 0, "negative maxNewTokens")
        if prompts.isEmpty { return [] }
        for (i, p) in prompts.enumerated() where p.isEmpty {
            throw ForwardError.invalidSegments("prompt \(i) is empty")
        }
        var results = prompts.map { _ in GenerationResult(tokens: [], stopReason: .length) }
        if maxNewTokens == 0 { return results }
        let cache = KVCache(configuration: model.configuration, capacities: prompts.map { $0.count + maxNewTokens })
        precondition(streams == nil || streams!.count == prompts.count, "one stream id per prompt")
        var random = prompts.indices.map { i in
            sampling.random(stream: streams?[i] ?? UInt64(i))
        }

        var active = Array(prompts.indices)
        var tokens: [Int32] = prompts.flatMap { $0 }
        var segments: [Segment] = []
        var row = 0
        for (i, p) in prompts.enumerated() {
            segments.append(Segment(slot: i, firstRow: row, count: p.count, startPosition: 0))
            row += p.count
        }
        while !active.isEmpty {
            let out = try model.forward(tokens: tokens, segments: segments, cache: cache,
                                        options: ForwardOptions(finalRows: .lastOfEachSegment, threads: threads))
            var next = [Int32](repeating: 0, count: active.count)
            try model.logits(final: out.finalHidden!, rowCount: active.count, threads: threads) { chunk in
                for (j, r) in chunk.rows.enumerated() {
                    next[r] = Sampler.next(chunk, row: j, options: sampling, random: &random[active[r]])
                }
            }
            var stillActive: [Int] = []
            tokens = []
            segments = []
            for (r, i) in active.enumerated() {
                let id = next[r]
                results[i].tokens.append(id)
                onToken?(i, id)
                if stopTokens.contains(id) {
                    results[i].stopReason = .stopToken(id)
                } else if results[i].tokens.count < maxNewTokens {
                    segments.append(Segment(slot: i, firstRow: tokens.count, count: 1, startPosition: cache.lengths[i]))
                    tokens.append(id)
                    stillActive.append(i)
                }
            }
            active = stillActive
        }
        return results
    }
}

extension SamplingOptions {
    /// The generator of sampling stream `stream` (a request's own, so its draws do not depend on batching).
    func random(stream: UInt64) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ stream &* 0xD1B5_4A32_D192_ED03)
        return SplitMix64(seed: mixer.next())
    }
}

/// Temperature, top-k, top-p and a draw, on one row of logits.
enum Sampler {
    /// The next token of row `j` of a logits chunk: its argmax when greedy, else a draw.
    static func next(_ chunk: LogitsChunk, row j: Int, options: SamplingOptions, random: inout SplitMix64) -> Int32 {
        if options.isGreedy { return chunk.argmax[j] }
        let values = UnsafeBufferPointer(rebasing: chunk.values[(j * chunk.columnCount)..<((j + 1) * chunk.columnCount)])
        return sample(logits: values, options: options, random: &random)
    }

    static func sample(logits: UnsafeBufferPointer<Float>, options o: SamplingOptions, random: inout SplitMix64) -> Int32 {
        var candidates: [(id: Int32, logit: Float)] = logits.enumerated().map { (Int32($0.offset), $0.element / o.temperature) }
        // Sort by logit descending, id ascending (a total order, so equal seeds give equal draws).
        candidates.sort { $0.logit > $1.logit || ($0.logit == $1.logit && $0.id < $1.id) }
        if o.topK > 0 && o.topK < candidates.count { candidates.removeSubrange(o.topK...) }
        let m = candidates[0].logit
        var probabilities = candidates.map { Foundation.exp(Double($0.logit - m)) }
        let total = probabilities.reduce(0, +)
        for i in probabilities.indices { probabilities[i] /= total }
        if o.topP < 1 {
            // transformers TopPLogitsWarper: drop the tokens whose ascending cumulative probability is ≤ 1 − top_p,
            // i.e. keep the most likely tokens until their cumulative probability reaches top_p (at least one).
            var cumulative = 0.0
            var keep = candidates.count
            for (i, p) in probabilities.enumerated() {
                cumulative += p
                if cumulative >= Double(o.topP) { keep = i + 1; break }
            }
            candidates.removeSubrange(keep...)
            probabilities.removeSubrange(keep...)
            let kept = probabilities.reduce(0, +)
            for i in probabilities.indices { probabilities[i] /= kept }
        }
        let u = random.nextUnit()
        var cumulative = 0.0
        for (i, p) in probabilities.enumerated() {
            cumulative += p
            if u < cumulative { return candidates[i].id }
        }
        return candidates[candidates.count - 1].id
    }
}

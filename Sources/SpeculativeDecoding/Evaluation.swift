import Foundation
import TargetModel

/// Where speculative and plain greedy decoding first differ, with the target's logit gap between the two tokens
/// there (recomputed by one full forward pass over the common prefix): a gap near 0 is an fp32 near-tie.
public struct Divergence: Sendable, Equatable {
    /// Index into the new tokens.
    public var index: Int
    public var plainToken: Int32?
    public var speculativeToken: Int32?
    /// logit(plain token) − logit(speculative token) at that position (nil when one output simply ended).
    public var logitGap: Float?
}

/// One prompt decoded both ways: plain greedy (the `Generator`, the baseline and the ground truth) and speculative.
public struct PromptEvaluation: Sendable, Equatable {
    public var promptTokens: Int
    public var plainTokens: [Int32]
    public var speculative: SpeculativeResult
    public var plainSeconds: Double
    public var speculativeSeconds: Double
    /// nil when the outputs are equal token for token (lossless).
    public var divergence: Divergence?

    public var statistics: AcceptanceStatistics { AcceptanceStatistics(rounds: speculative.rounds) }
    public var isLossless: Bool { divergence == nil }
    /// Plain time / speculative time (wall clock, prefill included in both).
    public var speedup: Double { plainSeconds / max(speculativeSeconds, 1e-12) }
}

extension SpeculativeDecoder {
    /// Decodes `prompt` greedily with the target alone, then speculatively, and compares the outputs.
    public func evaluate(prompt: [Int32], maxNewTokens: Int) throws -> PromptEvaluation {
        let generator = Generator(model: target, stopTokens: stopTokens, sampling: .greedy, threads: threads)
        let clock = ContinuousClock()
        let t0 = clock.now
        let plain = try generator.generate(prompts: [prompt], maxNewTokens: maxNewTokens)[0].tokens
        let plainSeconds = seconds(clock.now - t0)
        let speculative = try generate(prompt: prompt, maxNewTokens: maxNewTokens)
        var divergence: Divergence?
        if plain != speculative.tokens {
            let common = min(plain.count, speculative.tokens.count)
            let i = (0..<common).first { plain[$0] != speculative.tokens[$0] } ?? common
            let a = i < plain.count ? plain[i] : nil, b = i < speculative.tokens.count ? speculative.tokens[i] : nil
            var gap: Float?
            if let a, let b {
                let logits = try target.referenceOutputs(sequence: prompt + plain[..<i], threads: threads).logits
                let v = target.configuration.vocabularySize, row = (prompt.count + i - 1) * v
                gap = logits[row + Int(a)] - logits[row + Int(b)]
            }
            divergence = Divergence(index: i, plainToken: a, speculativeToken: b, logitGap: gap)
        }
        return PromptEvaluation(promptTokens: prompt.count, plainTokens: plain, speculative: speculative,
                                plainSeconds: plainSeconds, speculativeSeconds: speculative.timings.total, divergence: divergence)
    }
}

import EagleCore
import Foundation

/// AdamW settings (SPEC §10: β 0.9/0.95, ε 1e-8, weight decay 0, global-norm clipping 0.5).
public struct AdamWOptions: Sendable, Equatable {
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var weightDecay: Double
    /// Global L2 norm the gradients are clipped to; nil: no clipping.
    public var clipNorm: Double?

    public init(beta1: Double = 0.9, beta2: Double = 0.95, epsilon: Double = 1e-8, weightDecay: Double = 0, clipNorm: Double? = 0.5) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.clipNorm = clipNorm
    }
}

/// AdamW over the flat arenas: one loop over all parameters, moments `m`, `v` beside them (same layout).
final class AdamW {
    let options: AdamWOptions
    let m: FloatBuffer
    let v: FloatBuffer
    /// Optimizer steps taken (n of the bias corrections).
    private(set) var stepCount = 0

    init(options: AdamWOptions, parameterCount: Int) {
        self.options = options
        m = FloatBuffer(count: parameterCount)
        v = FloatBuffer(count: parameterCount)
    }

    /// Restores moments and step count (from a checkpoint).
    func restore(m mValues: [Float], v vValues: [Float], stepCount n: Int) {
        m.copy(from: mValues)
        v.copy(from: vValues)
        stepCount = n
    }

    /// ‖g‖₂ over all gradients, accumulated in double.
    static func globalNorm(_ g: FloatBuffer, threads: Int) -> Double {
        let workers = max(1, min(threads, g.count / 65536 + 1))
        var partial = [Double](repeating: 0, count: workers)
        partial.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            parallelRanges(count: g.count, threads: workers) { w, r in
                var s = 0.0
                for i in r { let x = Double(g.base[i]); s += x * x }
                base[w] = s
            }
        }
        return partial.reduce(0, +).squareRoot()
    }

    /// One step with learning rate `lr` (double): clip `g` by `c = min(1, clip / (‖g‖ + 1e-6))` (as
    /// `torch.nn.utils.clip_grad_norm_`), then per element, as `torch.optim.AdamW` (single-tensor path):
    ///     θ ← θ·(1 − lr·wd);  m ← m + (1−β1)(g − m);  v ← β2 v + (1−β2) g²
    ///     θ ← θ − (lr / (1−β1ⁿ)) · m / (√v / √(1−β2ⁿ) + ε)
    /// Returns (‖g‖ before clipping, the clip coefficient).
    @discardableResult
    func step(parameters p: FloatBuffer, gradients g: FloatBuffer, learningRate lr: Double, threads: Int) -> (norm: Double, clip: Float) {
        let norm = Self.globalNorm(g, threads: threads)
        var clip: Float = 1
        if let maxNorm = options.clipNorm {
            clip = Float(min(1, maxNorm / (norm + 1e-6)))
        }
        stepCount += 1
        let n = Double(stepCount)
        let stepSize = Float(lr / (1 - Foundation.pow(options.beta1, n)))
        let bc2Sqrt = Float((1 - Foundation.pow(options.beta2, n)).squareRoot())
        let b1 = Float(1 - options.beta1), b2 = Float(options.beta2), oneMinusB2 = Float(1 - options.beta2)
        let eps = Float(options.epsilon), decay = Float(1 - lr * options.weightDecay)
        let pb = p.base, gb = g.base, mb = m.base, vb = v.base
        parallelRanges(count: p.count, threads: threads) { _, r in
            for i in r {
                let grad = clip == 1 ? gb[i] : gb[i] * clip
                if decay != 1 { pb[i] *= decay }
                mb[i] += b1 * (grad - mb[i])
                vb[i] = vb[i] * b2 + oneMinusB2 * grad * grad
                pb[i] -= stepSize * mb[i] / (vb[i].squareRoot() / bc2Sqrt + eps)
            }
        }
        return (norm, clip)
    }
}

/// Learning rate per optimizer step n = 1, 2, … (double precision).
public enum LearningRateSchedule: Sendable, Equatable {
    /// DeepSpeed `WarmupDecayLR` as the reference configures it (SPEC §10), with s = n − 2: 0 for s < 0, then
    /// `peak · ln(s+1)/ln(warmup)` for s < warmup, then `peak · max(0, (total − s)/(total − warmup))`.
    /// Steps 1 and 2 run at lr 0 (they still advance n, m and v).
    case reference(peak: Double = 5e-5, warmup: Int = 12000, total: Int = 800_000)
    /// Linear warmup to `peak` over `warmup` steps, then cosine decay to `minimum` at step `total`.
    case cosine(peak: Double, warmup: Int, total: Int, minimum: Double)
    case constant(Double)

    public func rate(step n: Int) -> Double {
        switch self {
        case .reference(let peak, let warmup, let total):
            let s = n - 2
            if s < 0 { return 0 }
            if s < warmup { return peak * ((1 / Foundation.log(Double(warmup))) * Foundation.log(Double(s + 1))) }
            return peak * max(0, Double(total - s) / Double(total - warmup))
        case .cosine(let peak, let warmup, let total, let minimum):
            let s = n - 1
            if s < warmup { return peak * Double(s + 1) / Double(warmup) }
            let progress = min(1, Double(s - warmup) / Double(max(1, total - warmup)))
            return minimum + (peak - minimum) * 0.5 * (1 + Foundation.cos(Double.pi * progress))
        case .constant(let lr):
            return lr
        }
    }

    /// A JSON-friendly description (for checkpoints and metrics).
    public var summary: String {
        switch self {
        case .reference(let p, let w, let t): "reference(peak=\(p),warmup=\(w),total=\(t))"
        case .cosine(let p, let w, let t, let m): "cosine(peak=\(p),warmup=\(w),total=\(t),min=\(m))"
        case .constant(let lr): "constant(\(lr))"
        }
    }
}

import EagleCore
import Foundation

/// One optimizer step (a `train` line of metrics.jsonl). Losses and accuracies are means over the step's
/// sequences (the reference logs per micro-batch of one sequence).
public struct StepRecord: Sendable, Equatable {
    public var step: Int
    /// Stream position at the end of the step, in epochs (fractional).
    public var epoch: Double
    public var learningRate: Double
    /// ‖g‖₂ before clipping.
    public var gradientNorm: Double
    public var clipCoefficient: Float
    public var sequences: Int
    public var tokens: Int
    /// Per TTT step k: mean loss_k / mean acc_k.
    public var losses: [Double]
    public var accuracies: [Double]
    /// Mean of Σ_k w^k loss_k.
    public var loss: Double
    /// Wall time of forward, backward and optimizer.
    public var seconds: Double
    /// Peak resident memory of the process so far (Linux VmHWM), measured before any checkpoint of this step.
    public var peakResidentBytes: Int?

    public var tokensPerSecond: Double { seconds > 0 ? Double(tokens) / seconds : 0 }

    var json: JSONValue {
        .object(JSONObject([
            ("type", .string("train")), ("step", .int(step)), ("epoch", .double(epoch)), ("lr", .double(learningRate)),
            ("loss", .double(loss)), ("ploss", .array(losses.map { .double($0) })), ("acc", .array(accuracies.map { .double($0) })),
            ("grad_norm", .double(gradientNorm)), ("clip", .double(Double(clipCoefficient))), ("sequences", .int(sequences)),
            ("tokens", .int(tokens)), ("seconds", .double(seconds)), ("tokens_per_s", .double(tokensPerSecond)),
            ("peak_rss_mib", peakResidentBytes.map { .int($0 >> 20) } ?? .null),
        ]))
    }
}

/// One validation pass (a `valid` line): means over the validation sequences.
public struct ValidationRecord: Sendable, Equatable {
    public var step: Int
    public var sequences: Int
    public var tokens: Int
    public var losses: [Double]
    public var accuracies: [Double]
    public var loss: Double
    public var seconds: Double

    var json: JSONValue {
        .object(JSONObject([
            ("type", .string("valid")), ("step", .int(step)), ("loss", .double(loss)), ("ploss", .array(losses.map { .double($0) })),
            ("acc", .array(accuracies.map { .double($0) })), ("sequences", .int(sequences)), ("tokens", .int(tokens)),
            ("seconds", .double(seconds)),
        ]))
    }
}

/// Sums of per-sequence metrics (epoch means, step means, validation means).
struct MetricSums: Equatable {
    var sequences = 0
    var tokens = 0
    var losses: [Double]
    var accuracies: [Double]
    var loss = 0.0

    init(steps: Int) {
        losses = [Double](repeating: 0, count: steps)
        accuracies = losses
    }

    mutating func add(_ m: SampleMetrics, stepWeight: Double) {
        sequences += 1
        tokens += m.tokens
        for k in losses.indices {
            losses[k] += m.losses[k]
            accuracies[k] += m.accuracies[k]
        }
        loss += m.totalLoss(stepWeight: stepWeight)
    }

    var meanLosses: [Double] { losses.map { $0 / Double(max(sequences, 1)) } }
    var meanAccuracies: [Double] { accuracies.map { $0 / Double(max(sequences, 1)) } }
    var meanLoss: Double { loss / Double(max(sequences, 1)) }

    var json: JSONValue {
        .object(JSONObject([
            ("sequences", .int(sequences)), ("tokens", .int(tokens)), ("loss", .double(loss)),
            ("ploss", .array(losses.map { .double($0) })), ("acc", .array(accuracies.map { .double($0) })),
        ]))
    }

    init(json: JSONValue, steps: Int) throws(DraftTrainingError) {
        guard let s = json["sequences"]?.intValue, let t = json["tokens"]?.intValue, let l = json["loss"]?.doubleValue,
              let pl = json["ploss"]?.arrayValue?.compactMap(\.doubleValue), let a = json["acc"]?.arrayValue?.compactMap(\.doubleValue),
              pl.count == steps, a.count == steps else {
            throw .checkpoint(path: "state", message: "malformed epoch accumulator \(JSONWriter.string(json))")
        }
        sequences = s
        tokens = t
        loss = l
        losses = pl
        accuracies = a
    }
}

/// Peak resident memory of this process (Linux `VmHWM`), in bytes; nil where unavailable.
public enum ProcessMemory {
    public static func peakResidentBytes() -> Int? {
        guard let text = try? FileIO.readString(path: "/proc/self/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
            return digits.map { $0 * 1024 }
        }
        return nil
    }
}

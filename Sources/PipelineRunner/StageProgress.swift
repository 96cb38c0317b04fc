import EagleCore
import Foundation
import Synchronization

/// Progress lines of one stage on standard error: `[k/n stage] 120/300 samples (40%), 1,500 tokens/s, ETA 31 s`,
/// at most one every `interval` seconds (the last one always, and once: a stage may report its end twice, e.g.
/// after its last batch and after its manifest).
public final class StageProgress: Sendable {
    public let stage: StageName
    public let index: Int
    public let count: Int
    public let quiet: Bool
    let interval: Double
    let start = Date()
    private let printed = Mutex<Printed>(Printed())
    private let annotator = Mutex<(@Sendable (String) -> String)?>(nil)

    public init(stage: StageName, index: Int, count: Int, quiet: Bool, interval: Double = 2) {
        self.stage = stage
        self.index = index
        self.count = count
        self.quiet = quiet
        self.interval = interval
    }

    public var prefix: String { "[\(index)/\(count) \(stage)]" }
    public var elapsed: Double { Date().timeIntervalSince(start) }

    /// Lets a stage extend the lines its command prints (e.g. an ETA from a count the command does not know the
    /// total of). Applied to each relayed standard-error line.
    public func annotateLines(_ f: @escaping @Sendable (String) -> String) { annotator.withLock { $0 = f } }

    func annotate(_ line: String) -> String { annotator.withLock { $0 }.map { $0(line) } ?? line }

    /// An ETA for `done` of `total` units at the pace since the stage started.
    public func eta(done: Int, total: Int) -> String {
        guard done > 0, done < total else { return "" }
        return "ETA " + Self.duration(elapsed / Double(done) * Double(total - done))
    }

    /// A line now, whatever the interval.
    public func say(_ message: String) {
        if !quiet { printError(prefix + " " + message) }
    }

    /// `done` of `total` units; `rate` in `rateUnit` per second (omitted if nil); an ETA from the stage's own pace.
    /// `etaSeconds` overrides the ETA (e.g. a resumed stage that knows its own pace this run).
    public func update(done: Int, total: Int?, unit: String, rate: Double? = nil, rateUnit: String = "", extra: String = "",
                       etaSeconds: Double? = nil, force: Bool = false) {
        guard !quiet else { return }
        let now = Date()
        let completion = total.flatMap { done == $0 ? Printed.Completion(done: done, total: $0, unit: unit) : nil }
        let due = printed.withLock { p -> Bool in
            guard force || now.timeIntervalSince(p.time) >= interval, completion == nil || completion != p.completion else { return false }
            p.time = now
            if completion != nil { p.completion = completion }
            return true
        }
        guard due else { return }
        var s = "\(done)"
        if let total { s += "/\(total) \(unit)" + (total > 0 ? String(format: " (%.0f%%)", 100 * Double(done) / Double(total)) : "") } else { s += " \(unit)" }
        if let rate { s += ", " + Self.number(rate) + " \(rateUnit)/s" }
        if !extra.isEmpty { s += ", " + extra }
        if let total, done > 0, done < total {
            s += ", ETA " + Self.duration(etaSeconds ?? elapsed / Double(done) * Double(total - done))
        }
        printError(prefix + " " + s)
    }

    /// When the last line was printed, and the last "all done" count printed.
    struct Printed {
        struct Completion: Equatable {
            var done: Int, total: Int, unit: String
        }
        var time = Date.distantPast
        var completion: Completion?
    }

    public static func number(_ x: Double) -> String {
        x >= 100 ? String(Int(x.rounded())) : x >= 10 ? String(format: "%.1f", x) : String(format: "%.2f", x)
    }

    public static func duration(_ s: Double) -> String {
        guard s.isFinite, s >= 0 else { return "?" }
        if s < 60 { return String(format: "%.0f s", s) }
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%dh%02dm", t / 3600, t / 60 % 60) : String(format: "%dm%02ds", t / 60, t % 60)
    }
}

import EagleCore
import Foundation

/// SVG charts of a run from its metrics records: `loss.svg` (training loss per step, smoothed, and validation
/// loss) and `accuracy.svg` (per-position accuracy acc_0…acc_k, training smoothed, validation dashed).
/// Hand-written SVG, deterministic text.
public enum TrainingCharts {
    public static let lossFile = "loss.svg"
    public static let accuracyFile = "accuracy.svg"

    /// Reads `metricsPath` and writes both charts into `directory` (atomically).
    public static func write(metricsPath: String, to directory: String) throws {
        let records = try MetricsLog.read(path: metricsPath)
        try FileIO.writeAtomically(path: directory + "/" + lossFile, bytes: Array(lossChart(records).utf8))
        try FileIO.writeAtomically(path: directory + "/" + accuracyFile, bytes: Array(accuracyChart(records).utf8))
    }

    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]

    static func points(_ records: [JSONValue], type: String, _ value: (JSONValue) -> Double?) -> [(Double, Double)] {
        records.compactMap { r in
            guard r["type"]?.stringValue == type, let s = r["step"]?.doubleValue, let v = value(r), v.isFinite else { return nil }
            return (s, v)
        }
    }

    /// Trailing moving average over `window` points.
    static func smoothed(_ p: [(Double, Double)], window: Int) -> [(Double, Double)] {
        guard window > 1 else { return p }
        var out: [(Double, Double)] = [], sum = 0.0
        for (i, (x, y)) in p.enumerated() {
            sum += y
            if i >= window { sum -= p[i - window].1 }
            out.append((x, sum / Double(min(i + 1, window))))
        }
        return out
    }

    static func lossChart(_ records: [JSONValue]) -> String {
        let train = points(records, type: "train") { $0["loss"]?.doubleValue }
        let valid = points(records, type: "valid") { $0["loss"]?.doubleValue }
        let w = max(1, train.count / 50)
        return LineChart.svg(title: "Loss (Σ 0.8^k loss_k)", yLabel: "loss", series: [
            .init(name: "train", color: palette[0], points: train, dashed: false, faint: true),
            .init(name: "train (mean of \(w))", color: palette[0], points: smoothed(train, window: w), dashed: false, faint: false),
            .init(name: "validation", color: palette[3], points: valid, dashed: true, faint: false),
        ], yRange: nil)
    }

    static func accuracyChart(_ records: [JSONValue]) -> String {
        let steps = records.first { $0["type"]?.stringValue == "train" }?["acc"]?.arrayValue?.count ?? 0
        let trainCount = records.filter { $0["type"]?.stringValue == "train" }.count
        let w = max(1, trainCount / 50)
        var series: [LineChart.Series] = []
        for k in 0..<steps {
            let color = palette[k % palette.count]
            series.append(.init(name: "acc_\(k)", color: color,
                                points: smoothed(points(records, type: "train") { $0["acc"]?.arrayValue?[k].doubleValue }, window: w),
                                dashed: false, faint: false))
            let v = points(records, type: "valid") { $0["acc"]?.arrayValue?[k].doubleValue }
            if !v.isEmpty { series.append(.init(name: "valid acc_\(k)", color: color, points: v, dashed: true, faint: false)) }
        }
        return LineChart.svg(title: "Per-position accuracy (training: mean of \(w) steps; validation dashed)", yLabel: "accuracy",
                             series: series, yRange: (0, 1))
    }
}

/// A minimal multi-series SVG line chart over optimizer steps.
enum LineChart {
    struct Series {
        var name: String
        var color: String
        var points: [(Double, Double)]
        var dashed: Bool
        var faint: Bool
    }

    static func svg(title: String, yLabel: String, series: [Series], yRange: (Double, Double)?) -> String {
        let width = 720.0, height = 400.0, left = 64.0, right = 150.0, top = 40.0, bottom = 44.0
        let all = series.flatMap(\.points)
        let x0 = all.map(\.0).min() ?? 0, x1 = max(all.map(\.0).max() ?? 1, x0 + 1)
        var (y0, y1) = yRange ?? (all.map(\.1).min() ?? 0, all.map(\.1).max() ?? 1)
        if y1 <= y0 { y1 = y0 + 1 }
        if yRange == nil { let pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad }
        func x(_ v: Double) -> Double { left + (v - x0) / (x1 - x0) * (width - left - right) }
        func y(_ v: Double) -> Double { top + (1 - (v - y0) / (y1 - y0)) * (height - top - bottom) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var s = #"<svg xmlns="http://www.w3.org/2000/svg" width="720" height="400" viewBox="0 0 720 400" font-family="sans-serif" font-size="11">"# + "\n"
        s += #"<rect width="720" height="400" fill="white"/>"# + "\n"
        s += #"<text x="\#(f((left + width - right) / 2))" y="22" text-anchor="middle" font-size="13">\#(escape(title))</text>"# + "\n"
        for i in 0...4 {
            let v = y0 + (y1 - y0) * Double(i) / 4
            s += #"<line x1="\#(f(left))" y1="\#(f(y(v)))" x2="\#(f(width - right))" y2="\#(f(y(v)))" stroke="gainsboro"/>"# + "\n"
            s += #"<text x="\#(f(left - 6))" y="\#(f(y(v) + 4))" text-anchor="end">\#(String(format: "%.3g", v))</text>"# + "\n"
            let sv = x0 + (x1 - x0) * Double(i) / 4
            s += #"<text x="\#(f(x(sv)))" y="\#(f(height - bottom + 16))" text-anchor="middle">\#(Int(sv.rounded()))</text>"# + "\n"
        }
        s += #"<text x="\#(f((left + width - right) / 2))" y="\#(f(height - 8))" text-anchor="middle">optimizer step</text>"# + "\n"
        s += #"<text x="14" y="\#(f((top + height - bottom) / 2))" text-anchor="middle" transform="rotate(-90 14 \#(f((top + height - bottom) / 2)))">\#(escape(yLabel))</text>"# + "\n"
        var legend = 0
        for series in series where !series.points.isEmpty {
            let path = series.points.map { "\(f(x($0.0))),\(f(y($0.1)))" }.joined(separator: " ")
            let style = (series.dashed ? #" stroke-dasharray="5,3""# : "") + (series.faint ? #" stroke-opacity="0.25""# : "")
            if series.points.count == 1 {
                s += #"<circle cx="\#(f(x(series.points[0].0)))" cy="\#(f(y(series.points[0].1)))" r="3" fill="\#(series.color)"/>"# + "\n"
            } else {
                s += #"<polyline points="\#(path)" fill="none" stroke="\#(series.color)" stroke-width="1.5"\#(style)/>"# + "\n"
            }
            let ly = top + 14 * Double(legend)
            s += #"<line x1="\#(f(width - right + 10))" y1="\#(f(ly))" x2="\#(f(width - right + 30))" y2="\#(f(ly))" stroke="\#(series.color)" stroke-width="2"\#(style)/>"# + "\n"
            s += #"<text x="\#(f(width - right + 34))" y="\#(f(ly + 4))">\#(escape(series.name))</text>"# + "\n"
            legend += 1
        }
        return s + "</svg>\n"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

import Foundation

/// A small hand-written SVG line chart of coverage against draft vocabulary size (log scale), with the standard
/// sizes marked and the chosen size highlighted. Deterministic text: equal inputs give equal bytes.
enum CoverageChart {
    static func svg(points: [(size: Int, fraction: Double)], marks: [(size: Int, fraction: Double)],
                    chosen: (size: Int, fraction: Double), title: String) -> String {
        let width = 560.0, height = 320.0
        let left = 56.0, right = 24.0, top = 40.0, bottom = 44.0
        let sizes = (points.map(\.size) + marks.map(\.size) + [chosen.size]).filter { $0 > 0 }
        let lo = Foundation.log2(Double(sizes.min() ?? 1)), hi = max(Foundation.log2(Double(sizes.max() ?? 2)), lo + 1)
        func x(_ size: Int) -> Double { left + (Foundation.log2(Double(max(size, 1))) - lo) / (hi - lo) * (width - left - right) }
        func y(_ f: Double) -> Double { top + (1 - f) * (height - top - bottom) }

        var s = #"<svg xmlns="http://www.w3.org/2000/svg" width="560" height="320" viewBox="0 0 560 320" font-family="sans-serif" font-size="11">"# + "\n"
        s += #"<rect width="560" height="320" fill="white"/>"# + "\n"
        s += #"<text x="280" y="20" text-anchor="middle" font-size="13">\#(escape(title))</text>"# + "\n"
        for f in [0.0, 0.25, 0.5, 0.75, 1.0] {
            s += #"<line x1="\#(fmt(left))" y1="\#(fmt(y(f)))" x2="\#(fmt(width - right))" y2="\#(fmt(y(f)))" stroke="gainsboro"/>"# + "\n"
            s += #"<text x="\#(fmt(left - 6))" y="\#(fmt(y(f) + 4))" text-anchor="end">\#(Int((f * 100).rounded()))%</text>"# + "\n"
        }
        for m in marks {
            s += #"<line x1="\#(fmt(x(m.size)))" y1="\#(fmt(y(0)))" x2="\#(fmt(x(m.size)))" y2="\#(fmt(y(0) + 4))" stroke="dimgray"/>"# + "\n"
            s += #"<text x="\#(fmt(x(m.size)))" y="\#(fmt(y(0) + 16))" text-anchor="middle">\#(label(m.size))</text>"# + "\n"
        }
        s += #"<line x1="\#(fmt(left))" y1="\#(fmt(y(0)))" x2="\#(fmt(width - right))" y2="\#(fmt(y(0)))" stroke="dimgray"/>"# + "\n"
        s += #"<text x="\#(fmt((left + width - right) / 2))" y="\#(fmt(height - 8))" text-anchor="middle">draft vocabulary size (top ids by count, log scale)</text>"# + "\n"
        let path = points.map { "\(fmt(x($0.size))),\(fmt(y($0.fraction)))" }.joined(separator: " ")
        s += #"<polyline points="\#(path)" fill="none" stroke="steelblue" stroke-width="2"/>"# + "\n"
        for m in marks {
            s += #"<circle cx="\#(fmt(x(m.size)))" cy="\#(fmt(y(m.fraction)))" r="3" fill="steelblue"/>"# + "\n"
        }
        let cx = x(chosen.size), cy = y(chosen.fraction)
        s += #"<circle cx="\#(fmt(cx))" cy="\#(fmt(cy))" r="5" fill="none" stroke="crimson" stroke-width="2"/>"# + "\n"
        let anchor = cx > width * 0.6 ? "end" : "start"
        let tx = anchor == "end" ? cx - 8 : cx + 8
        s += #"<text x="\#(fmt(tx))" y="\#(fmt(min(cy + 16, y(0) - 6)))" text-anchor="\#(anchor)" fill="crimson">N = \#(chosen.size): \#(percent(chosen.fraction))</text>"# + "\n"
        s += "</svg>\n"
        return s
    }

    /// "1k", "32k", "8192" → sizes that are multiples of 1024 get a k suffix.
    static func label(_ size: Int) -> String { size >= 1024 && size % 1024 == 0 ? "\(size / 1024)k" : "\(size)" }

    /// A fraction as a percentage with two decimals ("67.83%").
    static func percent(_ f: Double) -> String {
        let hundredths = Int((f * 10000).rounded())
        let frac = hundredths % 100
        return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)%"
    }

    /// One decimal, no exponent: SVG coordinates.
    static func fmt(_ v: Double) -> String {
        let tenths = Int((v * 10).rounded())
        return tenths < 0 ? "-" + fmt(-v) : "\(tenths / 10).\(tenths % 10)"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

import EagleCore
import Foundation
@testable import TargetModel
import TestSupport
import XCTest

/// Kernels against plain scalar definitions.
final class KernelTests: XCTestCase {
    /// Cephes-style exp: within 2 ulp-ish (1.5e-7 relative) of the double-precision value over the clamped range.
    func testVectorExp() {
        var worst = 0.0
        var x: Float = -87
        while x < 88.3 {
            let got = Double(Kernels.exp(Kernels.V8(repeating: x))[3])
            worst = max(worst, abs(got - Foundation.exp(Double(x))) / Foundation.exp(Double(x)))
            x += 0.00731
        }
        XCTAssertLessThan(worst, 1.5e-7)
        XCTAssertEqual(Kernels.exp1(-1000), Kernels.exp1(-87.3), "clamped below")
    }

    func testSoftmaxRMSNormSwiGLU() {
        var row: [Float] = (0..<37).map { Float($0 % 11) * 0.7 - 3 }
        let m = row.max()!
        let expected = row.map { Foundation.exp(Double($0 - m)) }
        let sum = expected.reduce(0, +)
        row.withUnsafeMutableBufferPointer { Kernels.softmax($0.baseAddress!, count: 37) }
        assertClose(row, expected.map { Float($0 / sum) }, atol: 1e-7, rtol: 1e-6, "softmax")

        let x: [Float] = (0..<(3 * 20)).map { Float($0 % 7) - 2.5 }, w: [Float] = (0..<20).map { 1 + Float($0) * 0.01 }
        var out = [Float](repeating: 0, count: 60)
        out.withUnsafeMutableBufferPointer { Kernels.rmsNorm(x, w, $0.baseAddress!, columns: 20, rows: 0..<3, epsilon: 1e-5) }
        var want: [Float] = []
        for r in 0..<3 {
            let xs = x[(r * 20)..<(r * 20 + 20)]
            let scale = 1 / (xs.map { Double($0 * $0) }.reduce(0, +) / 20 + 1e-5).squareRoot()
            want += zip(xs, w).map { Float(Double($1) * Double($0) * scale) }
        }
        assertClose(out, want, atol: 1e-6, rtol: 1e-6, "rmsNorm")

        let gu: [Float] = (0..<(2 * 2 * 19)).map { Float($0 % 13) * 0.9 - 5 }
        var act = [Float](repeating: 0, count: 38)
        act.withUnsafeMutableBufferPointer { Kernels.swiGLU(gu, $0.baseAddress!, width: 19, rows: 0..<2) }
        var wantAct: [Float] = []
        for r in 0..<2 {
            for i in 0..<19 {
                let g = Double(gu[r * 38 + i]), u = Double(gu[r * 38 + 19 + i])
                wantAct.append(Float(g / (1 + Foundation.exp(-g)) * u))
            }
        }
        assertClose(act, wantAct, atol: 1e-6, rtol: 1e-6, "swiGLU")
        var v: [Float] = [1, 5, 5, -2]
        XCTAssertEqual(Kernels.argmax(&v, count: 4), 1, "first index on ties")
    }

    /// Both attention paths (BLAS blocks for long segments, dot products for short ones), with and without a
    /// sliding window, against the definition computed in Double.
    func testAttentionPathsMatchDefinition() throws {
        for window in [nil, 5] as [Int?] {
            var c = try Fixtures.model("tiny-llama").configuration
            c.slidingWindow = window
            let hd = c.headDim
            // Segments: slot 0 prefill of 150 (two BLAS blocks), slot 1 continuing 3 tokens at position 4.
            let segments = [Segment(slot: 0, firstRow: 0, count: 150, startPosition: 0), Segment(slot: 1, firstRow: 150, count: 3, startPosition: 4)]
            let cache = KVCache(configuration: c, capacities: [150, 7])
            var rng = SplitMix64(seed: 3)
            func random() -> Float { Float(rng.nextUnit() * 2 - 1) }
            for slot in 0..<2 {
                for g in 0..<c.keyValueHeadCount {
                    for p in 0..<cache.capacities[slot] * hd {
                        cache.keyBase(layer: 0, slot: slot, head: g)[p] = random()
                        cache.valueBase(layer: 0, slot: slot, head: g)[p] = random()
                    }
                }
            }
            let t = 153
            let q = (0..<(t * c.qDim)).map { _ in random() }  // head-major per segment
            var out = [Float](repeating: 0, count: t * c.qDim)
            try out.withUnsafeMutableBufferPointer { o in
                try Attention.run(segments: segments, q: q, qOffsets: [0, 150 * c.qDim], cache: cache, layer: 0, configuration: c,
                                  out: o.baseAddress!, threads: 2)
            }
            var want = [Float](repeating: 0, count: t * c.qDim)
            for (s, seg) in segments.enumerated() {
                for h in 0..<c.headCount {
                    let g = h / c.groupSize
                    for i in 0..<seg.count {
                        let p = seg.startPosition + i
                        let qi = (s == 0 ? 0 : 150 * c.qDim) + (h * seg.count + i) * hd
                        let keys = Attention.keyRange(position: p, window: window)
                        var scores = keys.map { k -> Double in
                            (0..<hd).map { Double(q[qi + $0]) * Double(cache.keyBase(layer: 0, slot: seg.slot, head: g)[k * hd + $0]) }
                                .reduce(0, +) / Double(hd).squareRoot()
                        }
                        let m = scores.max()!
                        scores = scores.map { Foundation.exp($0 - m) }
                        let sum = scores.reduce(0, +)
                        for d in 0..<hd {
                            var acc = 0.0
                            for (j, k) in keys.enumerated() { acc += scores[j] / sum * Double(cache.valueBase(layer: 0, slot: seg.slot, head: g)[k * hd + d]) }
                            want[(seg.firstRow + i) * c.qDim + h * hd + d] = Float(acc)
                        }
                    }
                }
            }
            assertClose(out, want, atol: 1e-6, rtol: 1e-5, "attention, window \(window.map(String.init) ?? "none")")
        }
    }
}

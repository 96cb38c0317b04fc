import EagleCore
import Foundation

/// cos/sin of RoPE angles `pos · θ_i`, `θ_i = 1 / base^(2i/hd)` in fp32 (SPEC §7), for positions 0..<capacity.
/// Grows on demand (positions reach L − 1 + 6, past 2048).
final class RoPETable {
    let headDim: Int
    let base: Float
    private(set) var capacity = 0
    private let cosines = ScratchBuffer(), sines = ScratchBuffer()
    private let inverseFrequencies: [Float]

    init(headDim: Int, base: Float) {
        self.headDim = headDim
        self.base = base
        // As torch: 1.0 / (base ** (arange(0, hd, 2).float() / hd)), every step in fp32.
        inverseFrequencies = (0..<(headDim / 2)).map { i in 1 / Foundation.pow(base, Float(2 * i) / Float(headDim)) }
    }

    func ensure(positions: Int) {
        guard positions > capacity else { return }
        let half = headDim / 2
        let c = cosines.reserve(positions * half), s = sines.reserve(positions * half)
        for p in 0..<positions {
            for i in 0..<half {
                let angle = Float(p) * inverseFrequencies[i]
                c[p * half + i] = Foundation.cos(angle)
                s[p * half + i] = Foundation.sin(angle)
            }
        }
        capacity = positions
    }

    var cos: UnsafePointer<Float> { UnsafePointer(cosines.base) }
    var sin: UnsafePointer<Float> { UnsafePointer(sines.base) }
}

/// Rotary position embedding, non-interleaved halves (SPEC §7), fused with the token-major → head-major transpose
/// that attention needs: for `i < hd/2`, `x'_i = x_i cos − x_{i+hd/2} sin`, `x'_{i+hd/2} = x_{i+hd/2} cos + x_i sin`.
enum RoPE {
    /// out[heads, N, hd] = RoPE(inp[n, col0 + h·hd + ·], position p(n) + offset); inp rows have stride `stride`;
    /// p(n) = positions[n] (rows of a compacted step), or n when `positions` is nil.
    static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, stride: Int, column col0: Int,
                        heads: Int, rows N: Int, headDim hd: Int, positions: UnsafePointer<Int32>? = nil, positionOffset: Int,
                        table: RoPETable, threads: Int) {
        let half = hd / 2
        let cosT = table.cos, sinT = table.sin
        parallelRanges(count: N, threads: threads) { _, rows in
            for n in rows {
                let pos = (positions.map { Int($0[n]) } ?? n) + positionOffset
                let c = cosT + pos * half, s = sinT + pos * half
                for h in 0..<heads {
                    let x = inp + n * stride + col0 + h * hd, o = out + (h * N + n) * hd
                    for i in 0..<half {
                        o[i] = x[i] * c[i] - x[i + half] * s[i]
                        o[i + half] = x[i + half] * c[i] + x[i] * s[i]
                    }
                }
            }
        }
    }

    /// Backward of `out = RoPE(inp)` (the transposed rotation, by −angle), written token-major:
    /// dinp[n, col0 + h·hd + i] = dout_i cos + dout_{i+hd/2} sin;  dinp[…, i + hd/2] = dout_{i+hd/2} cos − dout_i sin.
    /// Overwrites those columns of dinp.
    static func backward(dinp: UnsafeMutablePointer<Float>, stride: Int, column col0: Int, dout: UnsafePointer<Float>,
                         heads: Int, rows N: Int, headDim hd: Int, positions: UnsafePointer<Int32>? = nil, positionOffset: Int,
                         table: RoPETable, threads: Int) {
        let half = hd / 2
        let cosT = table.cos, sinT = table.sin
        parallelRanges(count: N, threads: threads) { _, rows in
            for n in rows {
                let pos = (positions.map { Int($0[n]) } ?? n) + positionOffset
                let c = cosT + pos * half, s = sinT + pos * half
                for h in 0..<heads {
                    let g = dout + (h * N + n) * hd, dx = dinp + n * stride + col0 + h * hd
                    for i in 0..<half {
                        dx[i] = g[i] * c[i] + g[i + half] * s[i]
                        dx[i + half] = g[i + half] * c[i] - g[i] * s[i]
                    }
                }
            }
        }
    }
}

/// Token-major ↔ head-major copies for values and attention outputs.
enum HeadLayout {
    /// out[heads, N, hd] = inp[n, col0 + h·hd + ·] (row stride `stride`).
    static func split(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, stride: Int, column col0: Int,
                      heads: Int, rows N: Int, headDim hd: Int, threads: Int) {
        parallelRanges(count: N, threads: threads) { _, rows in
            for n in rows {
                for h in 0..<heads { (out + (h * N + n) * hd).update(from: inp + n * stride + col0 + h * hd, count: hd) }
            }
        }
    }

    /// out[g, n] = Σ_{h in group g} inp[h, n, ·] for g < heads / groupSize: the GQA reduction of per-query-head
    /// key/value gradients onto their KV head (groupSize 1 is a plain copy). Row (g, n) of out starts at
    /// `out + g·headStride + n·rowStride` (head-major: `N·hd`, `hd`; token-major: `hd`, row stride). Overwrites.
    static func mergeGroups(out: UnsafeMutablePointer<Float>, headStride: Int, rowStride: Int, inp: UnsafePointer<Float>,
                            heads: Int, groupSize: Int, rows N: Int, headDim hd: Int, threads: Int) {
        parallelRanges(count: N, threads: threads) { _, rows in
            for n in rows {
                for g in 0..<(heads / groupSize) {
                    let o = out + g * headStride + n * rowStride
                    o.update(from: inp + ((g * groupSize) * N + n) * hd, count: hd)
                    var j = 1
                    while j < groupSize {
                        SIMDMath.add(inp + ((g * groupSize + j) * N + n) * hd, into: o, count: hd)
                        j += 1
                    }
                }
            }
        }
    }
}

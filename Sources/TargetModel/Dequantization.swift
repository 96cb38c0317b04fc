import GGUF

/// Element encodings a weight can arrive in, with the conversion of one row to fp32. Quantized layouts follow
/// ggml's `dequantize_row_*` (ggml-quants.c) and gguf-py's `quants.py`, which agree; each block's scales are
/// f16, and the arithmetic is done in the same fp32 order (`d * q + m`, `(d * sc) * q - dmin * m`), so the
/// values equal gguf-py's (and hence transformers' GGUF loader's) exactly.
public enum WeightEncoding: Sendable, Equatable, CustomStringConvertible {
    case f32, f16, bf16
    case q8_0, q4_0, q4_1, q4_K, q6_K

    /// The GGML types eagleprep dequantizes; others are reported by name.
    public init?(ggml: GGMLType) {
        switch ggml {
        case .f32: self = .f32
        case .f16: self = .f16
        case .bf16: self = .bf16
        case .q8_0: self = .q8_0
        case .q4_0: self = .q4_0
        case .q4_1: self = .q4_1
        case .q4_K: self = .q4_K
        case .q6_K: self = .q6_K
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .bf16: "BF16"
        case .q8_0: "Q8_0"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q4_K: "Q4_K"
        case .q6_K: "Q6_K"
        }
    }

    /// (elements per block, bytes per block)
    public var block: (elements: Int, bytes: Int) {
        switch self {
        case .f32: (1, 4)
        case .f16, .bf16: (1, 2)
        case .q8_0: (32, 34)
        case .q4_0: (32, 18)
        case .q4_1: (32, 20)
        case .q4_K: (256, 144)
        case .q6_K: (256, 210)
        }
    }

    /// Bytes of a row of `count` elements (`count` a multiple of the block size).
    public func rowBytes(_ count: Int) -> Int { count / block.elements * block.bytes }

    /// Decodes `count` elements (a multiple of the block size) from `src` into `dst`.
    public func decode(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        switch self {
        case .f32:
            for i in 0..<count { dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case .f16:
            for i in 0..<count { dst[i] = half(src, 2 * i) }
        case .bf16:
            for i in 0..<count {
                dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
            }
        case .q8_0:
            for b in 0..<(count / 32) {
                let p = src + 34 * b, o = dst + 32 * b
                let d = half(p, 0)
                for j in 0..<32 { o[j] = Float(Int8(bitPattern: p.load(fromByteOffset: 2 + j, as: UInt8.self))) * d }
            }
        case .q4_0:
            for b in 0..<(count / 32) {
                let p = src + 18 * b, o = dst + 32 * b
                let d = half(p, 0)
                for j in 0..<16 {
                    let q = p.load(fromByteOffset: 2 + j, as: UInt8.self)
                    o[j] = d * Float(Int(q & 0x0F) - 8)
                    o[j + 16] = d * Float(Int(q >> 4) - 8)
                }
            }
        case .q4_1:
            for b in 0..<(count / 32) {
                let p = src + 20 * b, o = dst + 32 * b
                let d = half(p, 0), m = half(p, 2)
                for j in 0..<16 {
                    let q = p.load(fromByteOffset: 4 + j, as: UInt8.self)
                    o[j] = d * Float(q & 0x0F) + m
                    o[j + 16] = d * Float(q >> 4) + m
                }
            }
        case .q4_K:
            for b in 0..<(count / 256) { decodeQ4K(src + 144 * b, dst + 256 * b) }
        case .q6_K:
            for b in 0..<(count / 256) { decodeQ6K(src + 210 * b, dst + 256 * b) }
        }
    }

    /// ggml `dequantize_row_q4_K`: d, dmin (f16), 12 bytes of packed 6-bit scales and mins, 128 bytes of nibbles;
    /// 8 sub-blocks of 32, sub-blocks 2c and 2c+1 taking the low and high nibbles of bytes 32c..<32c+32.
    private func decodeQ4K(_ p: UnsafeRawPointer, _ o: UnsafeMutablePointer<Float>) {
        let d = half(p, 0), dmin = half(p, 2)
        func byte(_ i: Int) -> UInt8 { p.load(fromByteOffset: 4 + i, as: UInt8.self) }
        for s in 0..<8 {
            let sc: UInt8, mn: UInt8
            if s < 4 {
                sc = byte(s) & 63
                mn = byte(s + 4) & 63
            } else {
                sc = (byte(s + 4) & 0x0F) | ((byte(s - 4) >> 6) << 4)
                mn = (byte(s + 4) >> 4) | ((byte(s) >> 6) << 4)
            }
            let d1 = d * Float(sc), m1 = dmin * Float(mn)
            let chunk = 16 + 32 * (s / 2), shift: UInt8 = s % 2 == 0 ? 0 : 4
            for l in 0..<32 {
                let q = (p.load(fromByteOffset: chunk + l, as: UInt8.self) >> shift) & 0x0F
                o[32 * s + l] = d1 * Float(q) - m1
            }
        }
    }

    /// ggml `dequantize_row_q6_K`: ql[128] (low nibbles), qh[64] (2 high bits), 16 int8 scales, d (f16); two halves
    /// of 128 elements, element 32g + l of a half from nibble g/2 of ql[l + 32(g%2)] and bits 2g of qh[l].
    private func decodeQ6K(_ p: UnsafeRawPointer, _ o: UnsafeMutablePointer<Float>) {
        let d = half(p, 208)
        for h in 0..<2 {
            let ql = 64 * h, qh = 128 + 32 * h, sc = 192 + 8 * h
            for g in 0..<4 {
                for l in 0..<32 {
                    let low = p.load(fromByteOffset: ql + l + 32 * (g % 2), as: UInt8.self) >> (g < 2 ? 0 : 4) & 0x0F
                    let high = (p.load(fromByteOffset: qh + l, as: UInt8.self) >> (2 * g)) & 0x03
                    let q = Int(low | high << 4) - 32
                    let e = 32 * g + l
                    let scale = Float(Int8(bitPattern: p.load(fromByteOffset: sc + e / 16, as: UInt8.self)))
                    o[128 * h + e] = d * scale * Float(q)
                }
            }
        }
    }
}

/// IEEE binary16 at a byte offset, little-endian, widened exactly.
@inline(__always)
func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
    Float(Float16(bitPattern: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
}

/// 16-bit float encodings stored in files: IEEE binary16 (F16) and bfloat16 (BF16), as raw `UInt16` bits.
public enum HalfPrecision {
    /// Float → bfloat16 with round-to-nearest-even, as PyTorch's `tensor.to(torch.bfloat16)`; NaN stays NaN.
    @inline(__always)
    public static func bf16(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    @inline(__always)
    public static func float(bf16 h: UInt16) -> Float { Float(bitPattern: UInt32(h) << 16) }

    /// Float → IEEE binary16, round-to-nearest-even, overflow to ±inf (Swift's `Float16` conversion).
    @inline(__always)
    public static func f16(_ x: Float) -> UInt16 { Float16(x).bitPattern }

    @inline(__always)
    public static func float(f16 h: UInt16) -> Float { Float(Float16(bitPattern: h)) }
}

/// Element types of stored activations.
public enum StorageDType: String, Sendable, CaseIterable {
    case bf16, f16, f32

    public var byteSize: Int { self == .f32 ? 4 : 2 }

    /// Encodes floats little-endian into `out`.
    public func encode(_ values: UnsafeBufferPointer<Float>, into out: inout [UInt8]) {
        out.reserveCapacity(out.count + values.count * byteSize)
        switch self {
        case .f32:
            for v in values { let b = v.bitPattern; out += [UInt8(truncatingIfNeeded: b), UInt8(truncatingIfNeeded: b >> 8), UInt8(truncatingIfNeeded: b >> 16), UInt8(truncatingIfNeeded: b >> 24)] }
        case .bf16:
            for v in values { let h = HalfPrecision.bf16(v); out += [UInt8(truncatingIfNeeded: h), UInt8(truncatingIfNeeded: h >> 8)] }
        case .f16:
            for v in values { let h = HalfPrecision.f16(v); out += [UInt8(truncatingIfNeeded: h), UInt8(truncatingIfNeeded: h >> 8)] }
        }
    }

    /// Decodes `count` little-endian values from `bytes` (which must hold `count · byteSize` bytes).
    public func decode(_ bytes: UnsafeRawBufferPointer, count: Int) -> [Float] {
        precondition(bytes.count >= count * byteSize)
        var out = [Float](repeating: 0, count: count)
        switch self {
        case .f32:
            for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case .bf16:
            for i in 0..<count { out[i] = HalfPrecision.float(bf16: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .f16:
            for i in 0..<count { out[i] = HalfPrecision.float(f16: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        }
        return out
    }
}

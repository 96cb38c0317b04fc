/// An error in a binary file: which file, which field, at which byte offset, and what was expected.
public struct BinaryFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var field: String
    public var offset: Int
    public var message: String

    public init(source: String, field: String, offset: Int, message: String) {
        self.source = source
        self.field = field
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(source): \(field) at byte \(offset): \(message)" }
}

/// Bounds-checked little-endian reads over an immutable byte buffer. Every read names its field so that an
/// error says what was being read where; values are assembled byte by byte (no unaligned or host-endian loads).
public struct BinaryReader {
    public let bytes: UnsafeRawBufferPointer
    public let source: String
    public private(set) var offset: Int

    public init(bytes: UnsafeRawBufferPointer, source: String, offset: Int = 0) {
        self.bytes = bytes
        self.source = source
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }

    public func error(_ field: String, _ message: String, at offset: Int? = nil) -> BinaryFormatError {
        BinaryFormatError(source: source, field: field, offset: offset ?? self.offset, message: message)
    }

    private mutating func take(_ n: Int, _ field: String) throws(BinaryFormatError) -> Int {
        guard n >= 0, n <= remaining else {
            throw error(field, "needs \(n) bytes but only \(remaining) remain (file truncated?)")
        }
        let at = offset
        offset += n
        return at
    }

    public mutating func seek(to newOffset: Int, _ field: String) throws(BinaryFormatError) {
        guard newOffset >= 0, newOffset <= bytes.count else {
            throw error(field, "offset \(newOffset) is outside the file of \(bytes.count) bytes")
        }
        offset = newOffset
    }

    public mutating func skip(_ n: Int, _ field: String) throws(BinaryFormatError) { _ = try take(n, field) }

    public mutating func u8(_ field: String) throws(BinaryFormatError) -> UInt8 { bytes[try take(1, field)] }

    public mutating func u16(_ field: String) throws(BinaryFormatError) -> UInt16 { UInt16(truncatingIfNeeded: try uint(2, field)) }
    public mutating func u32(_ field: String) throws(BinaryFormatError) -> UInt32 { UInt32(truncatingIfNeeded: try uint(4, field)) }
    public mutating func u64(_ field: String) throws(BinaryFormatError) -> UInt64 { try uint(8, field) }
    public mutating func i8(_ field: String) throws(BinaryFormatError) -> Int8 { Int8(bitPattern: try u8(field)) }
    public mutating func i16(_ field: String) throws(BinaryFormatError) -> Int16 { Int16(bitPattern: try u16(field)) }
    public mutating func i32(_ field: String) throws(BinaryFormatError) -> Int32 { Int32(bitPattern: try u32(field)) }
    public mutating func i64(_ field: String) throws(BinaryFormatError) -> Int64 { Int64(bitPattern: try u64(field)) }
    public mutating func f32(_ field: String) throws(BinaryFormatError) -> Float { Float(bitPattern: try u32(field)) }
    public mutating func f64(_ field: String) throws(BinaryFormatError) -> Double { Double(bitPattern: try u64(field)) }

    private mutating func uint(_ n: Int, _ field: String) throws(BinaryFormatError) -> UInt64 {
        let at = try take(n, field)
        var v: UInt64 = 0
        for i in (0..<n).reversed() { v = v << 8 | UInt64(bytes[at + i]) }
        return v
    }

    /// A u64 count or size that must fit in `Int` and be at most `limit`.
    public mutating func count(_ field: String, limit: Int) throws(BinaryFormatError) -> Int {
        let at = offset
        let v = try u64(field)
        guard v <= UInt64(limit) else { throw error(field, "value \(v) exceeds the limit of \(limit)", at: at) }
        return Int(v)
    }

    /// `n` raw bytes as a slice of the underlying buffer (no copy).
    public mutating func slice(_ n: Int, _ field: String) throws(BinaryFormatError) -> UnsafeRawBufferPointer {
        let at = try take(n, field)
        return UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)])
    }

    /// `count` little-endian Int32 values, bounds-checked once for the whole run.
    public mutating func i32Array(_ count: Int, _ field: String) throws(BinaryFormatError) -> [Int32] {
        guard count >= 0, count <= remaining / 4 else {
            throw error(field, "needs \(count) × 4 bytes but only \(remaining) remain (file truncated?)")
        }
        let raw = try slice(count * 4, field)
        return [Int32](unsafeUninitializedCapacity: count) { out, n in
            for i in 0..<count { out[i] = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
            n = count
        }
    }

    /// `n` bytes that must be valid UTF-8.
    public mutating func utf8String(_ n: Int, _ field: String) throws(BinaryFormatError) -> String {
        let at = offset
        let raw = try slice(n, field)
        guard let s = String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw error(field, "is not valid UTF-8", at: at)
        }
        return s
    }
}

import EagleCore

/// A memory-mapped safetensors file (https://github.com/huggingface/safetensors, format of the Python package
/// `safetensors` 0.x): an 8-byte little-endian header size `N`, `N` bytes of JSON header, then the data section.
///
/// The header maps each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to
/// the data section) and may hold `"__metadata__"`, a map of strings to strings. Opening validates everything
/// before any tensor is read, with the same rules as the Rust library and a few stricter ones:
/// - `N` is at most `maxHeaderSize` (the Rust library's 100 MB) and `8 + N` fits in the file;
/// - the header is a JSON object; each tensor entry has exactly the three fields, a known dtype, a shape of
///   non-negative integers whose product times the element size does not overflow, and two offsets
///   `begin <= end`;
/// - sorted by offset, the tensors tile the data section exactly: the first begins at 0, each begins where the
///   previous ended (no gap, no overlap) and the last ends at the end of the file;
/// - each tensor's byte length equals shape × element size.
/// Every error names the file, the tensor and the field. (Stricter than Python: unknown fields in a tensor entry
/// are rejected. A name repeated in the header keeps its last entry, as Python's JSON reading does; the dropped
/// entry's bytes then fail the tiling check unless both entries name the same bytes.)
public struct SafeTensorsFile: Sendable {
    /// Largest accepted header, as the Rust library's `MAX_HEADER_SIZE`.
    public static let maxHeaderSize = 100_000_000

    public let path: String
    /// The `__metadata__` map (empty when absent).
    public let metadata: [String: String]
    /// All tensors, in data-offset order.
    public let tensors: [TensorInfo]
    /// Byte offset of the data section in the file (`8 + N`).
    public let dataStart: Int
    private let file: MappedFile
    private let byName: [String: Int]

    public init(path: String) throws(SafeTensorsError) {
        self.path = path
        do { file = try MappedFile(path: path) } catch {
            throw SafeTensorsError(path: path, field: "file", message: error.message)
        }
        func fail(_ tensor: String?, _ field: String, _ message: String) -> SafeTensorsError {
            SafeTensorsError(path: path, tensor: tensor, field: field, message: message)
        }
        guard file.count >= 8 else { throw fail(nil, "header_size", "file of \(file.count) bytes is too short for the 8-byte header size") }
        var headerSize: UInt64 = 0
        for i in (0..<8).reversed() { headerSize = headerSize << 8 | UInt64(file.bytes[i]) }
        guard headerSize <= UInt64(Self.maxHeaderSize) else {
            throw fail(nil, "header_size", "\(headerSize) exceeds the limit of \(Self.maxHeaderSize) bytes")
        }
        guard Int(headerSize) <= file.count - 8 else {
            throw fail(nil, "header_size", "\(headerSize) but only \(file.count - 8) bytes follow (file truncated?)")
        }
        dataStart = 8 + Int(headerSize)
        let headerBytes = UnsafeRawBufferPointer(rebasing: file.bytes[8..<dataStart]).bindMemory(to: UInt8.self)
        let header: JSONValue
        do { header = try JSONParser.parse(utf8: headerBytes, limits: JSONLimits(maxDepth: 8, maxBytes: Self.maxHeaderSize)) } catch {
            throw fail(nil, "header", "invalid JSON: \(error)")
        }
        guard let object = header.objectValue else { throw fail(nil, "header", "is \(header.typeName), expected an object") }

        var meta: [String: String] = [:]
        var list: [TensorInfo] = []
        for (name, entry) in object {
            if name == "__metadata__" {
                guard let m = entry.objectValue else { throw fail(nil, "__metadata__", "is \(entry.typeName), expected an object of strings") }
                for (k, v) in m {
                    guard let s = v.stringValue else { throw fail(nil, "__metadata__", "value of '\(k)' is \(v.typeName), expected a string") }
                    meta[k] = s
                }
                continue
            }
            list.append(try Self.tensorInfo(name: name, entry: entry, fail: fail))
        }

        // Tiling: sorted by (begin, end), each tensor starts where the previous one ended; the last ends at EOF.
        list.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound) }
        let dataSize = file.count - dataStart
        var next = 0
        for t in list {
            guard t.dataOffsets.lowerBound == next else {
                let what = t.dataOffsets.lowerBound < next ? "overlaps the previous tensor" : "leaves a gap after the previous tensor"
                throw fail(t.name, "data_offsets", "[\(t.dataOffsets.lowerBound), \(t.dataOffsets.upperBound)] \(what), which ends at \(next)")
            }
            next = t.dataOffsets.upperBound
        }
        guard next == dataSize else {
            throw fail(nil, "data_offsets", "tensors cover \(next) bytes but the data section holds \(dataSize) bytes")
        }
        metadata = meta
        tensors = list
        byName = Dictionary(list.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    private static func tensorInfo(name: String, entry: JSONValue,
                                   fail: (String?, String, String) -> SafeTensorsError) throws(SafeTensorsError) -> TensorInfo {
        guard let e = entry.objectValue else { throw fail(name, "header", "entry is \(entry.typeName), expected an object") }
        for key in e.keys where !["dtype", "shape", "data_offsets"].contains(key) {
            throw fail(name, key, "unknown field (expected dtype, shape, data_offsets)")
        }
        guard let dtypeValue = e["dtype"] else { throw fail(name, "dtype", "missing") }
        guard let spelling = dtypeValue.stringValue else { throw fail(name, "dtype", "is \(dtypeValue.typeName), expected a string") }
        guard let dtype = DType(rawValue: spelling) else {
            throw fail(name, "dtype", "unsupported type '\(spelling)' (supported: \(DType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let shapeValue = e["shape"] else { throw fail(name, "shape", "missing") }
        guard let dims = shapeValue.arrayValue else { throw fail(name, "shape", "is \(shapeValue.typeName), expected an array") }
        var shape: [Int] = []
        for (i, d) in dims.enumerated() {
            guard case .int(let v) = d, v >= 0 else { throw fail(name, "shape", "dimension \(i) is \(JSONWriter.string(d)), expected a non-negative integer") }
            shape.append(v)
        }
        guard let offsetsValue = e["data_offsets"] else { throw fail(name, "data_offsets", "missing") }
        guard let pair = offsetsValue.arrayValue, pair.count == 2,
              case .int(let begin) = pair[0], case .int(let end) = pair[1], begin >= 0, end >= 0 else {
            throw fail(name, "data_offsets", "is \(JSONWriter.string(offsetsValue)), expected [begin, end] with non-negative integers")
        }
        guard begin <= end else { throw fail(name, "data_offsets", "begin \(begin) is after end \(end)") }
        var bytes = dtype.byteSize
        for d in shape {
            let (p, overflow) = bytes.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail(name, "shape", "\(shape) × \(dtype.byteSize) bytes overflows") }
            bytes = p
        }
        guard end - begin == bytes else {
            throw fail(name, "data_offsets", "[\(begin), \(end)] holds \(end - begin) bytes but shape \(shape) of \(dtype.rawValue) needs \(bytes)")
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// Tensor names in data-offset order.
    public var names: [String] { tensors.map(\.name) }

    public func contains(_ name: String) -> Bool { byName[name] != nil }

    /// The tensor called `name`; with `dtype` and/or `shape`, also checks them.
    public func info(_ name: String, dtype: DType? = nil, shape: [Int]? = nil) throws(SafeTensorsError) -> TensorInfo {
        guard let i = byName[name] else {
            throw SafeTensorsError(path: path, tensor: name, field: "header", message: "no such tensor (the file holds \(tensors.count): \(names.prefix(8).joined(separator: ", "))\(tensors.count > 8 ? ", …" : ""))")
        }
        let t = tensors[i]
        if let dtype, t.dtype != dtype {
            throw SafeTensorsError(path: path, tensor: name, field: "dtype", message: "is \(t.dtype.rawValue), expected \(dtype.rawValue)")
        }
        if let shape, t.shape != shape {
            throw SafeTensorsError(path: path, tensor: name, field: "shape", message: "is \(t.shape), expected \(shape)")
        }
        return t
    }

    /// Calls `body` with the tensor's bytes, as stored (little-endian), without copying. The pointer is valid only
    /// inside `body`.
    public func withBytes<R>(of name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let t = try info(name)
        return try withExtendedLifetime(file) {
            try body(UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + t.dataOffsets.lowerBound)..<(dataStart + t.dataOffsets.upperBound)]))
        }
    }

    /// The raw bytes of a tensor (a copy).
    public func bytes(_ name: String, dtype: DType? = nil, shape: [Int]? = nil) throws(SafeTensorsError) -> [UInt8] {
        let t = try info(name, dtype: dtype, shape: shape)
        return withExtendedLifetime(file) {
            Array(file.bytes[(dataStart + t.dataOffsets.lowerBound)..<(dataStart + t.dataOffsets.upperBound)])
        }
    }

    /// An I64 tensor's values (any shape, row-major), checked against `shape` when given.
    public func int64s(_ name: String, shape: [Int]? = nil) throws(SafeTensorsError) -> [Int64] {
        let raw = try bytes(name, dtype: .i64, shape: shape)
        return (0..<(raw.count / 8)).map { i in Int64(bitPattern: Self.littleEndian(raw, at: 8 * i, width: 8)) }
    }

    /// An I32 tensor's values.
    public func int32s(_ name: String, shape: [Int]? = nil) throws(SafeTensorsError) -> [Int32] {
        let raw = try bytes(name, dtype: .i32, shape: shape)
        return (0..<(raw.count / 4)).map { i in Int32(truncatingIfNeeded: Int64(bitPattern: Self.littleEndian(raw, at: 4 * i, width: 4))) }
    }

    /// A U8 tensor's values.
    public func uint8s(_ name: String, shape: [Int]? = nil) throws(SafeTensorsError) -> [UInt8] {
        try bytes(name, dtype: .u8, shape: shape)
    }

    /// A BOOL tensor's values; a byte other than 0 or 1 is an error naming its index.
    public func bools(_ name: String, shape: [Int]? = nil) throws(SafeTensorsError) -> [Bool] {
        let raw = try bytes(name, dtype: .bool, shape: shape)
        if let bad = raw.firstIndex(where: { $0 > 1 }) {
            throw SafeTensorsError(path: path, tensor: name, field: "data", message: "element \(bad) is \(raw[bad]), expected 0 or 1")
        }
        return raw.map { $0 == 1 }
    }

    /// A floating-point tensor (F32, F16, BF16 or F64) as `Float` (F16/BF16 exactly, F64 rounded to nearest).
    public func floats(_ name: String, shape: [Int]? = nil) throws(SafeTensorsError) -> [Float] {
        let t = try info(name, shape: shape)
        let raw = try bytes(name)
        let n = t.elementCount
        switch t.dtype {
        case .f32: return (0..<n).map { Float(bitPattern: UInt32(Self.littleEndian(raw, at: 4 * $0, width: 4))) }
        case .f64: return (0..<n).map { Float(Double(bitPattern: Self.littleEndian(raw, at: 8 * $0, width: 8))) }
        case .bf16: return (0..<n).map { Float(bitPattern: UInt32(Self.littleEndian(raw, at: 2 * $0, width: 2)) << 16) }
        case .f16: return (0..<n).map { Self.halfToFloat(UInt16(Self.littleEndian(raw, at: 2 * $0, width: 2))) }
        default:
            throw SafeTensorsError(path: path, tensor: name, field: "dtype", message: "is \(t.dtype.rawValue), expected F32, F16, BF16 or F64")
        }
    }

    @inline(__always) static func littleEndian(_ b: [UInt8], at offset: Int, width: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in (0..<width).reversed() { v = v << 8 | UInt64(b[offset + i]) }
        return v
    }

    /// IEEE binary16 → binary32, exact (subnormals, infinities and NaN payloads included).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = UInt32(h >> 10) & 0x1F
        var mantissa = UInt32(h) & 0x3FF
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }
        if exponent != 0 { return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13) }
        if mantissa == 0 { return Float(bitPattern: sign) }
        var e: UInt32 = 113
        while mantissa & 0x400 == 0 { mantissa <<= 1; e -= 1 }
        return Float(bitPattern: sign | e << 23 | (mantissa & 0x3FF) << 13)
    }
}

import EagleCore

/// A tensor's description in a GGUF file. `dimensions` are in GGUF order (fastest-varying first, i.e. the
/// reverse of PyTorch's shape); `offset` is relative to the data section.
public struct GGUFTensorInfo: Sendable, Equatable {
    public var name: String
    public var dimensions: [Int]
    public var type: GGMLType
    public var offset: Int
    public var byteCount: Int
    public var elementCount: Int
}

/// Limits on what a GGUF header may declare, so a hostile file cannot make the reader allocate without bound.
public struct GGUFLimits: Sendable {
    public var maxMetadataEntries = 1 << 16
    public var maxTensors = 1 << 20
    public var maxStringBytes = 1 << 26
    public var maxArrayElements = 1 << 24
    public var maxArrayDepth = 4
    public var maxDimensions = 8
    public init() {}
}

/// A memory-mapped GGUF file (v2 or v3): metadata, tensor table and raw tensor bytes.
/// Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
public struct GGUFFile: Sendable {
    public let path: String
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    public let dataOffset: Int
    private let file: MappedFile

    public static func open(path: String, limits: GGUFLimits = GGUFLimits()) throws -> GGUFFile {
        try GGUFFile(file: MappedFile(path: path), limits: limits)
    }

    public init(file: MappedFile, limits: GGUFLimits = GGUFLimits()) throws(BinaryFormatError) {
        self.file = file
        self.path = file.path
        var r = BinaryReader(bytes: file.bytes, source: file.path)
        let magic = try r.u32("magic")
        guard magic == 0x4655_4747 else {  // "GGUF" little-endian
            throw r.error("magic", "expected \"GGUF\", found 0x\(String(magic, radix: 16))", at: 0)
        }
        version = try r.u32("version")
        guard version == 2 || version == 3 else {
            throw r.error("version", "unsupported GGUF version \(version) (supported: 2, 3)", at: 4)
        }
        let tensorCount = try r.count("tensor_count", limit: limits.maxTensors)
        let kvCount = try r.count("metadata_kv_count", limit: limits.maxMetadataEntries)
        var md: [String: GGUFValue] = [:]
        var keys: [String] = []
        for i in 0..<kvCount {
            let key = try Self.readString(&r, "metadata[\(i)].key", limits)
            let typeAt = r.offset
            let type = try r.u32("metadata[\(key)].type")
            let value = try Self.readValue(&r, type: type, typeAt: typeAt, field: "metadata[\(key)]", depth: 0, limits)
            if md[key] != nil { throw r.error("metadata[\(key)]", "duplicate key", at: typeAt) }
            md[key] = value
            keys.append(key)
        }
        metadata = md
        metadataKeys = keys

        var align = 32
        if let a = md["general.alignment"] {
            guard let v = a.integer, v > 0, v <= 1 << 20, v & (v - 1) == 0 else {
                throw r.error("general.alignment", "must be a power of two, found \(a)")
            }
            align = v
        }
        alignment = align

        // The count is checked against what the rest of the file can hold before anything is reserved for it:
        // a tensor entry takes at least 32 bytes (name length, n_dimensions, one dimension, type, offset).
        guard tensorCount <= r.remaining / 32 else {
            throw r.error("tensor_count", "\(tensorCount) tensors cannot fit in the \(r.remaining) bytes that follow the metadata (file truncated?)", at: 8)
        }
        var infos: [GGUFTensorInfo] = []
        infos.reserveCapacity(tensorCount)
        for i in 0..<tensorCount {
            let name = try Self.readString(&r, "tensor[\(i)].name", limits)
            let field = "tensor[\(name)]"
            let nDims = Int(try r.u32("\(field).n_dimensions"))
            guard nDims >= 1, nDims <= limits.maxDimensions else {
                throw r.error("\(field).n_dimensions", "\(nDims) is outside 1...\(limits.maxDimensions)")
            }
            var dims: [Int] = []
            for d in 0..<nDims { dims.append(try r.count("\(field).dimensions[\(d)]", limit: Int(Int32.max))) }
            let typeAt = r.offset
            let rawType = try r.u32("\(field).type")
            guard let type = GGMLType(rawValue: rawType) else {
                throw r.error("\(field).type", "unsupported ggml type \(rawType)", at: typeAt)
            }
            let offset = try r.count("\(field).offset", limit: Int.max)
            let elements = try CheckedArithmetic.multiply(dims, field: "\(field).dimensions", source: path)
            let layout = type.blockLayout
            guard dims[0] % layout.elements == 0 else {
                throw r.error("\(field).dimensions", "first dimension \(dims[0]) is not a multiple of the block size \(layout.elements) of \(type)")
            }
            let bytes = try CheckedArithmetic.multiply([elements / layout.elements, layout.bytes], field: "\(field).size", source: path)
            infos.append(GGUFTensorInfo(name: name, dimensions: dims, type: type, offset: offset, byteCount: bytes, elementCount: elements))
        }
        tensors = infos
        let dataStart = try CheckedArithmetic.alignUp(r.offset, to: align, field: "data section", source: path)
        dataOffset = dataStart
        if !infos.isEmpty {
            guard dataStart <= file.count else {
                throw r.error("data section", "starts at \(dataStart) beyond the end of the file (\(file.count) bytes)")
            }
        }
        let dataSize = file.count - min(dataStart, file.count)
        for t in infos {
            guard t.offset % align == 0 else {
                throw r.error("tensor[\(t.name)].offset", "\(t.offset) is not aligned to \(align)")
            }
            let end = try CheckedArithmetic.add(t.offset, t.byteCount, field: "tensor[\(t.name)].offset", source: path)
            guard end <= dataSize else {
                throw r.error("tensor[\(t.name)]", "data [\(t.offset), \(end)) extends past the data section of \(dataSize) bytes")
            }
        }
    }

    /// The raw bytes of a tensor (no copy; valid while this `GGUFFile` is alive).
    public func data(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        let start = dataOffset + tensor.offset
        return UnsafeRawBufferPointer(rebasing: file.bytes[start..<(start + tensor.byteCount)])
    }

    public func tensor(named name: String) -> GGUFTensorInfo? { tensors.first { $0.name == name } }

    // MARK: typed metadata access

    public func string(_ key: String) throws(GGUFMetadataError) -> String? {
        guard let v = metadata[key] else { return nil }
        guard case .string(let s) = v else { throw GGUFMetadataError(path: path, key: key, expected: "string", actual: v.typeName) }
        return s
    }

    public func integer(_ key: String) throws(GGUFMetadataError) -> Int? {
        guard let v = metadata[key] else { return nil }
        guard let i = v.integer else { throw GGUFMetadataError(path: path, key: key, expected: "integer", actual: v.typeName) }
        return i
    }

    public func float(_ key: String) throws(GGUFMetadataError) -> Double? {
        guard let v = metadata[key] else { return nil }
        guard let f = v.float else { throw GGUFMetadataError(path: path, key: key, expected: "number", actual: v.typeName) }
        return f
    }

    public func bool(_ key: String) throws(GGUFMetadataError) -> Bool? {
        guard let v = metadata[key] else { return nil }
        guard case .bool(let b) = v else { throw GGUFMetadataError(path: path, key: key, expected: "bool", actual: v.typeName) }
        return b
    }

    public func stringArray(_ key: String) throws(GGUFMetadataError) -> [String]? {
        try array(key, "string array") { if case .string(let s) = $0 { s } else { nil } }
    }

    public func integerArray(_ key: String) throws(GGUFMetadataError) -> [Int]? {
        try array(key, "integer array") { $0.integer }
    }

    public func floatArray(_ key: String) throws(GGUFMetadataError) -> [Double]? {
        try array(key, "float array") { $0.float }
    }

    private func array<T>(_ key: String, _ expected: String, _ convert: (GGUFValue) -> T?) throws(GGUFMetadataError) -> [T]? {
        guard let v = metadata[key] else { return nil }
        guard case .array(let items) = v else { throw GGUFMetadataError(path: path, key: key, expected: expected, actual: v.typeName) }
        var out: [T] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard let t = convert(item) else {
                throw GGUFMetadataError(path: path, key: "\(key)[\(i)]", expected: expected, actual: item.typeName)
            }
            out.append(t)
        }
        return out
    }

    // MARK: parsing

    private static func readString(_ r: inout BinaryReader, _ field: String, _ limits: GGUFLimits) throws(BinaryFormatError) -> String {
        let n = try r.count("\(field).length", limit: limits.maxStringBytes)
        return try r.utf8String(n, field)
    }

    private static func readValue(
        _ r: inout BinaryReader, type: UInt32, typeAt: Int, field: String, depth: Int, _ limits: GGUFLimits
    ) throws(BinaryFormatError) -> GGUFValue {
        switch type {
        case 0: return .uint8(try r.u8(field))
        case 1: return .int8(try r.i8(field))
        case 2: return .uint16(try r.u16(field))
        case 3: return .int16(try r.i16(field))
        case 4: return .uint32(try r.u32(field))
        case 5: return .int32(try r.i32(field))
        case 6: return .float32(try r.f32(field))
        case 7:
            let b = try r.u8(field)
            guard b <= 1 else { throw r.error(field, "bool must be 0 or 1, found \(b)") }
            return .bool(b == 1)
        case 8: return .string(try readString(&r, field, limits))
        case 9:
            guard depth < limits.maxArrayDepth else { throw r.error(field, "arrays nested deeper than \(limits.maxArrayDepth)") }
            let elemTypeAt = r.offset
            let elemType = try r.u32("\(field).element_type")
            // Every element takes at least one byte, so the count is bounded by what remains of the file.
            let n = try r.count("\(field).count", limit: min(limits.maxArrayElements, r.remaining))
            var items: [GGUFValue] = []
            items.reserveCapacity(n)
            for i in 0..<n {
                items.append(try readValue(&r, type: elemType, typeAt: elemTypeAt, field: "\(field)[\(i)]", depth: depth + 1, limits))
            }
            return .array(items)
        case 10: return .uint64(try r.u64(field))
        case 11: return .int64(try r.i64(field))
        case 12: return .float64(try r.f64(field))
        default: throw r.error("\(field).type", "unknown metadata value type \(type)", at: typeAt)
        }
    }
}

/// A metadata key present with the wrong type.
public struct GGUFMetadataError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var key: String
    public var expected: String
    public var actual: String
    public var description: String { "\(path): metadata \(key): expected \(expected), found \(actual)" }
}

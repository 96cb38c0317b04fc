import EagleCore

/// Builds a safetensors file in memory and writes it atomically.
///
/// Tensors are stored in the order they were added (the Python library instead sorts by dtype size, then
/// name; adding tensors in that order gives its bytes exactly). The header is compact JSON:
/// `{"__metadata__":{…},"name":{"dtype":"I64","shape":[3],"data_offsets":[0,24]},…}` (no `__metadata__` key when
/// the metadata is empty), padded with spaces to a multiple of 8 bytes as the Python library does, so the data
/// section starts 8-byte aligned.
public struct SafeTensorsWriter {
    /// `__metadata__` entries, written in this order.
    public var metadata: [(key: String, value: String)]
    public private(set) var tensors: [TensorInfo] = []
    private var data: [UInt8] = []
    private var names: Set<String> = []

    public init(metadata: [(key: String, value: String)] = []) {
        self.metadata = metadata
    }

    /// Appends a tensor from its little-endian bytes. Precondition-free: a duplicate or reserved name, a negative
    /// dimension or a byte count that does not match shape × dtype size is an error naming the tensor.
    public mutating func add(_ name: String, dtype: DType, shape: [Int], bytes: [UInt8]) throws(SafeTensorsError) {
        func fail(_ field: String, _ message: String) -> SafeTensorsError {
            SafeTensorsError(path: "<writer>", tensor: name, field: field, message: message)
        }
        guard name != "__metadata__" else { throw fail("name", "'__metadata__' is reserved for the metadata map") }
        guard !names.contains(name) else { throw fail("name", "added twice") }
        var size = dtype.byteSize
        for d in shape {
            guard d >= 0 else { throw fail("shape", "\(shape) has a negative dimension") }
            let (p, overflow) = size.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail("shape", "\(shape) overflows") }
            size = p
        }
        guard size == bytes.count else {
            throw fail("data", "\(bytes.count) bytes given but shape \(shape) of \(dtype.rawValue) needs \(size)")
        }
        tensors.append(TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: data.count..<(data.count + size)))
        names.insert(name)
        data.append(contentsOf: bytes)
    }

    /// Appends an I64 tensor (shape `[values.count]` unless given).
    public mutating func add(_ name: String, int64s values: [Int64], shape: [Int]? = nil) throws(SafeTensorsError) {
        var w = BinaryWriter()
        for v in values { w.i64(v) }
        try add(name, dtype: .i64, shape: shape ?? [values.count], bytes: w.bytes)
    }

    /// Appends an I32 tensor.
    public mutating func add(_ name: String, int32s values: [Int32], shape: [Int]? = nil) throws(SafeTensorsError) {
        var w = BinaryWriter()
        for v in values { w.i32(v) }
        try add(name, dtype: .i32, shape: shape ?? [values.count], bytes: w.bytes)
    }

    /// Appends an F32 tensor.
    public mutating func add(_ name: String, float32s values: [Float], shape: [Int]? = nil) throws(SafeTensorsError) {
        var w = BinaryWriter()
        for v in values { w.f32(v) }
        try add(name, dtype: .f32, shape: shape ?? [values.count], bytes: w.bytes)
    }

    /// Appends a BOOL tensor (one byte per element, 0 or 1).
    public mutating func add(_ name: String, bools values: [Bool], shape: [Int]? = nil) throws(SafeTensorsError) {
        try add(name, dtype: .bool, shape: shape ?? [values.count], bytes: values.map { $0 ? 1 : 0 })
    }

    /// Appends a U8 tensor.
    public mutating func add(_ name: String, uint8s values: [UInt8], shape: [Int]? = nil) throws(SafeTensorsError) {
        try add(name, dtype: .u8, shape: shape ?? [values.count], bytes: values)
    }

    /// The header JSON without padding.
    public var headerJSON: String {
        var header = JSONObject()
        if !metadata.isEmpty {
            header["__metadata__"] = .object(JSONObject(metadata.map { ($0.key, JSONValue.string($0.value)) }))
        }
        for t in tensors {
            header[t.name] = .object(JSONObject([
                ("dtype", .string(t.dtype.rawValue)),
                ("shape", .array(t.shape.map { .int($0) })),
                ("data_offsets", .array([.int(t.dataOffsets.lowerBound), .int(t.dataOffsets.upperBound)])),
            ]))
        }
        return JSONWriter.string(.object(header))
    }

    /// The complete file.
    public func serialized() -> [UInt8] {
        var header = Array(headerJSON.utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        var w = BinaryWriter()
        w.u64(UInt64(header.count))
        w.raw(header)
        w.raw(data)
        return w.bytes
    }

    /// Writes the file atomically (temporary file, fsync, rename).
    public func write(path: String) throws(FileError) {
        try FileIO.writeAtomically(path: path, bytes: serialized())
    }
}

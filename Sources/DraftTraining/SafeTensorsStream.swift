#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EagleCore
import SafeTensors

/// The C library's write(2) (the name is shadowed inside `Sink`).
private func posixWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }

/// Writes a safetensors file tensor by tensor, without assembling it in memory (`SafeTensorsWriter` holds the whole
/// file, twice while serialising: for a checkpoint of fp32 weights and two Adam moments that is 6× the parameter
/// bytes on top of the trainer). Same bytes as `SafeTensorsWriter` for the same tensors in the same order: the
/// compact header with `__metadata__` first, padded with spaces to a multiple of 8, then the data. Written to a
/// temporary file in the same directory, fsync'd and renamed into place (atomic).
struct SafeTensorsStream {
    struct Entry {
        var name: String
        var dtype: DType
        var shape: [Int]
        /// Writes exactly shape × dtype size bytes through `sink`.
        var write: (inout Sink) throws -> Void
    }

    /// Buffered writes to a file descriptor.
    struct Sink {
        let fd: Int32
        let path: String
        var buffer: [UInt8] = []
        private(set) var written = 0

        init(fd: Int32, path: String) {
            self.fd = fd
            self.path = path
            buffer.reserveCapacity(1 << 20)
        }

        mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
            if buffer.count + bytes.count > 1 << 20 { try flush() }
            if bytes.count >= 1 << 20 {
                try Self.writeFully(fd: fd, bytes, path: path)
            } else {
                buffer.append(contentsOf: bytes)
            }
            written += bytes.count
        }

        mutating func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

        /// fp32 values, little-endian.
        mutating func write(floats values: ArraySlice<Float>) throws {
            #if _endian(little)
            try values.withUnsafeBytes { try write($0) }
            #else
            var w = BinaryWriter()
            for v in values { w.f32(v) }
            try write(w.bytes)
            #endif
        }

        /// 16-bit encodings of fp32 values (F16/BF16), converted in chunks.
        mutating func write(halves values: ArraySlice<Float>, _ encode: (Float) -> UInt16) throws {
            var chunk = [UInt8](repeating: 0, count: 2 * 65536)
            var i = values.startIndex
            while i < values.endIndex {
                let n = min(65536, values.endIndex - i)
                for j in 0..<n {
                    let h = encode(values[i + j])
                    chunk[2 * j] = UInt8(truncatingIfNeeded: h)
                    chunk[2 * j + 1] = UInt8(truncatingIfNeeded: h >> 8)
                }
                try chunk.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<(2 * n)])) }
                i += n
            }
        }

        mutating func flush() throws {
            try buffer.withUnsafeBytes { try Self.writeFully(fd: fd, $0, path: path) }
            buffer.removeAll(keepingCapacity: true)
        }

        static func writeFully(fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
            var done = 0
            while done < bytes.count {
                let n = posixWrite(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileError(path: path, operation: "write", errno: errno)
                }
                done += n
            }
        }
    }

    static func write(path: String, metadata: [(key: String, value: String)], entries: [Entry]) throws {
        var header = JSONObject()
        if !metadata.isEmpty { header["__metadata__"] = .object(JSONObject(metadata.map { ($0.key, JSONValue.string($0.value)) })) }
        var offset = 0
        var sizes: [Int] = []
        for e in entries {
            let size = e.shape.reduce(e.dtype.byteSize, *)
            sizes.append(size)
            header[e.name] = .object(JSONObject([
                ("dtype", .string(e.dtype.rawValue)), ("shape", .array(e.shape.map { .int($0) })),
                ("data_offsets", .array([.int(offset), .int(offset + size)])),
            ]))
            offset += size
        }
        var headerBytes = Array(JSONWriter.string(.object(header)).utf8)
        headerBytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8))

        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(path: tmp, operation: "open", errno: errno) }
        var ok = false
        defer { if !ok { unlink(tmp) } }
        do {
            defer { close(fd) }
            var sink = Sink(fd: fd, path: tmp)
            var prefix = BinaryWriter()
            prefix.u64(UInt64(headerBytes.count))
            try sink.write(prefix.bytes)
            try sink.write(headerBytes)
            for (e, size) in zip(entries, sizes) {
                let before = sink.written
                try e.write(&sink)
                guard sink.written - before == size else {
                    throw SafeTensorsError(path: path, tensor: e.name, field: "data", message: "\(sink.written - before) bytes written, shape needs \(size)")
                }
            }
            try sink.flush()
            guard fsync(fd) == 0 else { throw FileError(path: tmp, operation: "fsync", errno: errno) }
        }
        guard rename(tmp, path) == 0 else { throw FileError(path: path, operation: "rename", errno: errno) }
        ok = true
        FileIO.syncDirectory(of: path)
    }
}

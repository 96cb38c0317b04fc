#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A buffered writer to a file descriptor (standard output by default). Flushes when the buffer fills and on
/// `flush()`; a write error (e.g. a closed pipe) is thrown, never ignored.
public final class BufferedOutput {
    private let fd: Int32
    private let name: String
    private var buffer: [UInt8] = []
    private let capacity: Int

    public init(fd: Int32 = 1, name: String = "<stdout>", capacity: Int = 1 << 20) {
        self.fd = fd
        self.name = name
        self.capacity = capacity
        buffer.reserveCapacity(capacity)
    }

    public func write(_ s: String) throws(FileError) {
        var s = s
        s.withUTF8 { buffer.append(contentsOf: $0) }
        if buffer.count >= capacity { try flush() }
    }

    public func write(bytes: UnsafeBufferPointer<UInt8>) throws(FileError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= capacity { try flush() }
    }

    public func flush() throws(FileError) {
        guard !buffer.isEmpty else { return }
        try FileIO.writeFully(fd: fd, bytes: buffer, path: name)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Writes a line to standard error (unbuffered).
public func printError(_ message: String) {
    var m = message
    if !m.hasSuffix("\n") { m += "\n" }
    m.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

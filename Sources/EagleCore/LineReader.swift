#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams a file (or standard input) line by line with bounded memory. Lines end at `\n`; a trailing `\r` is
/// kept (JSON treats it as whitespace). A line longer than `maxLineBytes` is an error naming its number.
public final class LineReader {
    public let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var eof = false
    public let maxLineBytes: Int
    /// 1-based number of the line most recently returned.
    public private(set) var lineNumber = 0

    /// `path` "-" reads standard input.
    public init(path: String, maxLineBytes: Int = 256 << 20) throws(FileError) {
        self.path = path == "-" ? "<stdin>" : path
        self.maxLineBytes = maxLineBytes
        if path == "-" {
            fd = 0
            ownsDescriptor = false
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw FileError(path: path, operation: "open", errno: errno) }
            ownsDescriptor = true
            if FileIO.isDirectory(path) {
                close(fd)
                throw FileError(path: path, message: "is a directory, expected a file")
            }
        }
        buffer = [UInt8](repeating: 0, count: 1 << 20)
    }

    deinit { if ownsDescriptor { close(fd) } }

    /// Calls `body` with the next line's bytes (without the `\n`), or returns false at end of input.
    public func next<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R? {
        while true {
            if let nl = findNewline() {
                lineNumber += 1
                let r = try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<nl])) }
                start = nl + 1
                return r
            }
            if eof {
                if start < end {
                    lineNumber += 1
                    let r = try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<end])) }
                    start = end
                    return r
                }
                return nil
            }
            try fill()
        }
    }

    /// The next line as bytes, or nil at end of input.
    public func nextLine() throws -> [UInt8]? { try next { Array($0) } }

    private func findNewline() -> Int? {
        buffer.withUnsafeBufferPointer { b in
            guard start < end, let base = b.baseAddress else { return nil }
            guard let p = memchr(base + start, 0x0A, end - start) else { return nil }
            return base.distance(to: p.assumingMemoryBound(to: UInt8.self))
        }
    }

    private func fill() throws(FileError) {
        if start > 0 {
            let n = end - start
            buffer.withUnsafeMutableBytes { b in _ = memmove(b.baseAddress!, b.baseAddress! + start, n) }
            start = 0
            end = n
        }
        if end == buffer.count {
            guard buffer.count < maxLineBytes else {
                throw FileError(path: path, message: "line \(lineNumber + 1) is longer than \(maxLineBytes) bytes")
            }
            buffer.append(contentsOf: repeatElement(0, count: min(buffer.count, maxLineBytes - buffer.count + 1)))
        }
        while true {
            let n = buffer.withUnsafeMutableBytes { b in read(fd, b.baseAddress! + end, b.count - end) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, operation: "read", errno: errno)
            }
            if n == 0 { eof = true } else { end += n }
            return
        }
    }
}

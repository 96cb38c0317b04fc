#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file open for positional reads (`pread`), shared between threads: each read names its own offset, so there is
/// no shared file position. For reading large parts of a file once, copying into a reused buffer costs less than
/// mapping: no page-table entries to set up and tear down for every 4 KiB page.
public final class PositionalFile: @unchecked Sendable {
    // @unchecked: the descriptor is only used with pread, which does not change shared state; closed in deinit.
    public let path: String
    private let fd: Int32

    public init(path: String) throws(FileError) {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, operation: "open", errno: errno) }
    }

    deinit { close(fd) }

    /// Reads exactly `count` bytes at `offset` into `buffer[at...]` (grown as needed).
    public func read(_ count: Int, at offset: Int, into buffer: inout [UInt8], at start: Int = 0) throws(FileError) {
        if buffer.count < start + count { buffer.append(contentsOf: repeatElement(0, count: start + count - buffer.count)) }
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + start + done, count - done, off_t(offset + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, operation: "read", errno: errno)
            }
            guard n > 0 else { throw FileError(path: path, message: "unexpected end of file at byte \(offset + done) (the file shrank while being read?)") }
            done += n
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and crash-safe whole-file writes.
public enum FileIO {
    /// Reads a whole file, refusing files over `limit` bytes.
    public static func readAll(path: String, limit: Int = 1 << 32) throws(FileError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileError(path: path, operation: "stat", errno: errno) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw FileError(path: path, message: "is a directory, expected a file") }
        guard Int(st.st_size) <= limit else {
            throw FileError(path: path, message: "file of \(st.st_size) bytes exceeds the limit of \(limit) bytes")
        }
        var out = [UInt8]()
        out.reserveCapacity(Int(st.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, operation: "read", errno: errno)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
            if out.count > limit { throw FileError(path: path, message: "file exceeds the limit of \(limit) bytes") }
        }
        return out
    }

    public static func readString(path: String, limit: Int = 1 << 30) throws(FileError) -> String {
        let bytes = try readAll(path: path, limit: limit)
        guard let s = String(validating: bytes, as: UTF8.self) else { throw FileError(path: path, message: "is not valid UTF-8") }
        return s
    }

    /// Writes `bytes` to `path` atomically: a temporary file in the same directory, fsync, rename, fsync of the
    /// directory. A crash leaves either the old file or the new one, never a half-written one.
    public static func writeAtomically(path: String, bytes: [UInt8]) throws(FileError) {
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(path: tmp, operation: "open", errno: errno) }
        var ok = false
        defer { if !ok { unlink(tmp) } }
        do {
            defer { close(fd) }
            try writeFully(fd: fd, bytes: bytes, path: tmp)
            guard fsync(fd) == 0 else { throw FileError(path: tmp, operation: "fsync", errno: errno) }
        }
        guard rename(tmp, path) == 0 else { throw FileError(path: path, operation: "rename", errno: errno) }
        ok = true
        syncDirectory(of: path)
    }

    public static func writeFully(fd: Int32, bytes: [UInt8], path: String) throws(FileError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, operation: "write", errno: errno)
            }
            done += n
        }
    }

    /// Moves a finished, fsynced and closed `partialPath` to `path` and makes the rename durable; a failed rename
    /// removes the partial file, so nothing half-written is left behind.
    public static func moveIntoPlace(_ partialPath: String, _ path: String) throws(FileError) {
        guard rename(partialPath, path) == 0 else {
            let e = FileError(path: path, operation: "rename", errno: errno)
            unlink(partialPath)
            throw e
        }
        syncDirectory(of: path)
    }

    /// fsync of the directory holding `path`, so a rename is durable. Best effort: some file systems refuse it.
    public static func syncDirectory(of path: String) {
        let dir = parentDirectory(of: path)
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    public static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }
}

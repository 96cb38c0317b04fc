#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EagleCore

/// One fuzz target: a name, what it does with each input, and how to build its seed corpus.
struct FuzzTarget: Sendable {
    var name: String
    /// Called once before fuzzing (e.g. to load fixed tokenizers).
    var setUp: @Sendable () -> Void = {}
    /// Runs the code under test on one input. Errors are expected and ignored; only crashes, hangs and
    /// unbounded allocations count.
    var run: @Sendable (UnsafeBufferPointer<UInt8>) -> Void
    /// Writes seed files; returns how many.
    var writeSeeds: @Sendable (SeedWriter) throws -> Int

    static let all: [FuzzTarget] = [
        conversations, tokenizerJSON, tokenizerEncode, jinja, gguf, safetensors, tokenShard, dumpShard, verify,
    ]
}

/// Where the shared real data lives (`../shared/data` from the repository root, or `EAGLEPREP_SHARED_DATA`).
enum SharedData {
    static var root: String {
        if let p = getenv("EAGLEPREP_SHARED_DATA") { return String(cString: p) }
        return "../shared/data"
    }
    static func path(_ relative: String) -> String { root + "/" + relative }

    /// Files directly in `dir` (relative to the shared data root) whose names end with `suffix`, sorted.
    static func files(in dir: String, suffix: String) -> [String] {
        guard let d = opendir(path(dir)) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name.hasSuffix(suffix) { names.append(path(dir) + "/" + name) }
        }
        return names.sorted()
    }
}

/// Writes numbered seed files into a directory.
struct SeedWriter: Sendable {
    let directory: String
    init(directory: String) throws {
        self.directory = directory
        mkdir(directory, 0o755)
        guard FileIO.isDirectory(directory) else { throw FileError(path: directory, message: "cannot create the seed folder") }
    }
    func write(_ name: String, _ bytes: [UInt8]) throws {
        try FileIO.writeAtomically(path: directory + "/" + name, bytes: bytes)
    }
}

/// A scratch file per process, rewritten for each input, for readers that take a path (they memory-map it).
final class ScratchFile: Sendable {
    let directory: String
    init() {
        let base = FileIO.isDirectory("/dev/shm") ? "/dev/shm" : "/tmp"
        directory = "\(base)/eagleprep-fuzz-\(getpid())"
        mkdir(directory, 0o700)
    }
    static let shared = ScratchFile()

    /// Writes `bytes` to `name` in the scratch folder and returns its path.
    @discardableResult
    func write(_ name: String, _ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let path = directory + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { fatalError("eagleprep-fuzz: cannot write \(path)") }  // the harness, not the code under test
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            guard n > 0 else { fatalError("eagleprep-fuzz: short write to \(path)") }
            done += n
        }
        close(fd)
        return path
    }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { write(name, $0) }
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Splits at the first 0x00 byte: (before, after). Without one, everything is `before`.
    func splitAtNul() -> (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) {
        guard let i = firstIndex(of: 0) else { return (self, UnsafeBufferPointer(start: nil, count: 0)) }
        return (UnsafeBufferPointer(rebasing: self[..<i]), UnsafeBufferPointer(rebasing: self[(i + 1)...]))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EagleCore

/// `metrics.jsonl`: one JSON object per line, flushed line by line. Kinds (`"type"`): `train` per optimizer step,
/// `valid` per validation pass, `epoch` per finished epoch (means over its sequences, as the reference logs).
final class MetricsLog {
    let path: String
    private let fd: Int32

    /// Opens for appending. `keepThroughStep`: on resume, lines of later steps (written after the checkpoint by an
    /// interrupted run) are dropped first, so the file reads as one uninterrupted run; nil starts a new file.
    init(path: String, keepThroughStep: Int?) throws {
        self.path = path
        if let keep = keepThroughStep, FileIO.exists(path) {
            let text = try FileIO.readString(path: path)
            var kept = ""
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                guard let v = try? JSONParser.parse(String(line)), let step = v["step"]?.intValue else { continue }  // a torn last line
                if step <= keep { kept += line + "\n" }
            }
            try FileIO.writeAtomically(path: path, bytes: Array(kept.utf8))
        }
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (keepThroughStep == nil ? O_TRUNC : O_APPEND)
        fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw FileError(path: path, operation: "open", errno: errno) }
    }

    deinit { close(fd) }

    func write(_ record: JSONValue) throws {
        try FileIO.writeFully(fd: fd, bytes: Array((JSONWriter.string(record) + "\n").utf8), path: path)
    }

    /// All records of a metrics file (for charts), skipping unparsable lines.
    static func read(path: String) throws -> [JSONValue] {
        try FileIO.readString(path: path).split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
    }
}

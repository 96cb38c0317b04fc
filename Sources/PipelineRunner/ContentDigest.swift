import EagleCore
import Foundation
import Synchronization

/// SHA-256 of what a path holds: a file's bytes, or a folder's regular files (recursively, in name order, each
/// name and content). Digests of big files (a model) are computed once per run.
public final class ContentDigests: Sendable {
    private let cache = Mutex<[String: String]>([:])

    public init() {}

    public func digest(of path: String) throws -> String {
        if let d = cache.withLock({ $0[path] }) { return d }
        var h = SHA256()
        try Self.update(&h, path: path, name: "")
        let d = SHA256.hex(h.finalize())
        cache.withLock { $0[path] = d }
        return d
    }

    /// Forgets digests of paths under `prefix` (outputs a stage is about to rewrite).
    public func forget(under prefix: String) {
        cache.withLock { $0 = $0.filter { !$0.key.hasPrefix(prefix) } }
    }

    static func update(_ h: inout SHA256, path: String, name: String) throws {
        if FileIO.isDirectory(path) {
            let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
            for n in names { try update(&h, path: path + "/" + n, name: name + "/" + n) }
            return
        }
        guard FileIO.exists(path) else { throw FileError(path: path, message: "no such file or folder") }
        h.update(name)
        h.update([0])
        let file = try MappedFile(path: path)
        file.withBytes { h.update($0) }
    }
}

import EagleCore
import Foundation

public enum TokenMergeError: Error, CustomStringConvertible {
    case notAWorkerOutput(String, String)
    case workers(String)
    case settingsDiffer(String, String, [String])
    case output(String)

    public var description: String {
        switch self {
        case .notAWorkerOutput(let dir, let why): "\(dir): not a complete `tokenize` output: \(why)"
        case .workers(let m): m
        case .settingsDiffer(let a, let b, let diffs): "\(b) was tokenized with other settings than \(a):\n  " + diffs.joined(separator: "\n  ")
        case .output(let m): m
        }
    }
}

/// Joins the outputs of `tokenize --worker i/n` (i = 0..<n, each complete, same settings apart from the worker) into
/// one token directory that `vocab` and `dump` read like any other: the worker shards in worker order, hard-linked
/// (copied across file systems) as `tokens-NNNNN.eptok`, and a manifest whose `settings` drop `worker` for
/// `workers: n`, whose counts are the sums, and whose `merged_from` names each worker directory and the SHA-256 of its
/// manifest. Sample order is worker 0's samples, then worker 1's, … (records i, i+n, i+2n, … each).
///
/// Idempotent: a merged manifest already made from the same worker manifests is left alone (`Result.unchanged`);
/// otherwise the directory's `tokens-*` files are replaced and the manifest written last, atomically.
public enum TokenMerge {
    public struct Result: Sendable, Equatable {
        public var manifestPath: String
        public var workers: Int
        public var shards: Int
        public var samples: Int
        public var unchanged: Bool
    }

    public static func merge(workerDirectories: [String], outputDirectory: String) throws -> Result {
        guard !workerDirectories.isEmpty else { throw TokenMergeError.workers("no worker directories given") }
        let fm = FileManager.default
        let outAbs = absolute(outputDirectory)
        struct Part { var dir: String; var index: Int; var count: Int; var manifest: JSONValue; var settings: JSONObject; var sha: String }
        var parts: [Part] = []
        for dir in workerDirectories {
            if absolute(dir) == outAbs {
                throw TokenMergeError.output("--out \(outputDirectory) is one of the worker directories; choose another directory for the merged output")
            }
            let path = dir + "/manifest.json"
            let bytes: [UInt8]
            do { bytes = try FileIO.readAll(path: path, limit: 1 << 30) } catch { throw TokenMergeError.notAWorkerOutput(dir, "\(error)") }
            let manifest: JSONValue
            do { manifest = try JSONParser.parse(bytes: bytes) } catch { throw TokenMergeError.notAWorkerOutput(dir, "\(path): invalid JSON: \(error)") }
            guard manifest["format"]?.stringValue == "eagleprep-tokens", manifest["complete"] == .bool(true) else {
                throw TokenMergeError.notAWorkerOutput(dir, "\(path) is not a complete eagleprep-tokens manifest (finish the tokenize run first)")
            }
            guard manifest["merged_from"] == nil, let settings = manifest["settings"]?.objectValue, let w = settings["worker"]?.stringValue else {
                throw TokenMergeError.notAWorkerOutput(dir, "\(path) has no settings.worker (a merged directory cannot be merged again)")
            }
            let f = w.split(separator: "/")
            guard f.count == 2, let i = Int(f[0]), let n = Int(f[1]), n >= 1, (0..<n).contains(i) else {
                throw TokenMergeError.notAWorkerOutput(dir, "settings.worker is \"\(w)\", expected I/N")
            }
            parts.append(Part(dir: dir, index: i, count: n, manifest: manifest, settings: settings, sha: SHA256.hexDigest(bytes)))
        }
        let n = parts[0].count
        if let other = parts.first(where: { $0.count != n }) {
            throw TokenMergeError.workers("\(parts[0].dir) is worker \(parts[0].index)/\(n) but \(other.dir) is worker \(other.index)/\(other.count): the directories come from different splits")
        }
        var byIndex: [Int: String] = [:]
        for p in parts {
            if let other = byIndex[p.index] { throw TokenMergeError.workers("\(other) and \(p.dir) are both worker \(p.index)/\(n); give each worker's directory once") }
            byIndex[p.index] = p.dir
        }
        let missing = (0..<n).filter { byIndex[$0] == nil }
        guard missing.isEmpty else {
            throw TokenMergeError.workers("worker(s) \(missing.map { "\($0)/\(n)" }.joined(separator: ", ")) missing: give all \(n) directories written by `tokenize --worker I/\(n)` (got \(parts.count))")
        }
        parts.sort { $0.index < $1.index }
        var common = parts[0].settings
        common["worker"] = nil
        for p in parts.dropFirst() {
            var s = p.settings
            s["worker"] = nil
            if s != common { throw TokenMergeError.settingsDiffer(parts[0].dir, p.dir, TokenizeStage.differences(common, s)) }
        }

        let sources: [JSONValue] = parts.map { p in
            .object(JSONObject([("directory", .string(relativePath(from: outAbs, to: absolute(p.dir)))), ("worker", .string("\(p.index)/\(n)")),
                                ("manifest_sha256", .string(p.sha))]))
        }
        let manifestPath = outputDirectory + "/manifest.json"
        if let old = try? JSONParser.parse(bytes: FileIO.readAll(path: manifestPath, limit: 1 << 30)),
           old["complete"] == .bool(true), old["merged_from"] == .array(sources), let shards = old["shards"]?.arrayValue,
           shards.allSatisfy({ $0["file"]?.stringValue.map { fm.fileExists(atPath: outputDirectory + "/" + $0) } ?? false }) {
            return Result(manifestPath: manifestPath, workers: n, shards: shards.count,
                          samples: old["counts"]?["kept"]?.intValue ?? 0, unchanged: true)
        }

        try fm.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        if fm.fileExists(atPath: manifestPath) { try fm.removeItem(atPath: manifestPath) }
        for name in try fm.contentsOfDirectory(atPath: outputDirectory) where name.hasPrefix("tokens-") {
            try fm.removeItem(atPath: outputDirectory + "/" + name)
        }
        var shards: [JSONValue] = []
        var counts = JSONObject()
        for p in parts {
            for entry in p.manifest["shards"]?.arrayValue ?? [] {
                guard let file = entry["file"]?.stringValue, !file.contains("/") else {
                    throw TokenMergeError.notAWorkerOutput(p.dir, "a shards[].file entry is missing or not a plain name")
                }
                let name = TokenizeStage.shardName(shards.count)
                try linkOrCopy(p.dir + "/" + file, outputDirectory + "/" + name)
                var e = entry.objectValue ?? JSONObject()
                e["file"] = .string(name)
                e["worker"] = .int(p.index)
                shards.append(.object(e))
            }
            add(p.manifest["counts"]?.objectValue ?? JSONObject(), into: &counts)
        }
        FileIO.syncDirectory(of: outputDirectory + "/x")
        var settings = common
        settings["workers"] = .int(n)
        var manifest = JSONObject()
        manifest["format"] = .string("eagleprep-tokens")
        manifest["version"] = .int(1)
        manifest["settings"] = .object(settings)
        manifest["shards"] = .array(shards)
        manifest["counts"] = .object(counts)
        manifest["merged_from"] = .array(sources)
        manifest["complete"] = .bool(true)
        try FileIO.writeAtomically(path: manifestPath, bytes: Array(JSONWriter.string(.object(manifest)).utf8))
        return Result(manifestPath: manifestPath, workers: n, shards: shards.count, samples: counts["kept"]?.intValue ?? 0, unchanged: false)
    }

    /// Sums integer counts, recursing into objects (`invalid`, `rejected` by reason); keys keep first-seen order.
    static func add(_ part: JSONObject, into total: inout JSONObject) {
        for (k, v) in part {
            switch (total[k], v) {
            case (nil, _): total[k] = v
            case (.int(let a)?, .int(let b)): total[k] = .int(a + b)
            case (.object(var a)?, .object(let b)):
                add(b, into: &a)
                total[k] = .object(a)
            default: break
            }
        }
    }

    static func linkOrCopy(_ from: String, _ to: String) throws {
        if link(from, to) == 0 { return }
        let e = errno
        guard e == EXDEV || e == EPERM || e == EMLINK else { throw FileError(path: to, operation: "link \(from) to", errno: e) }
        try FileIO.writeAtomically(path: to, bytes: FileIO.readAll(path: from))
    }

    static func absolute(_ path: String) -> String {
        let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        return url.standardizedFileURL.resolvingSymlinksInPath().path
    }

    static func relativePath(from: String, to: String) -> String {
        let a = from.split(separator: "/"), b = to.split(separator: "/")
        var i = 0
        while i < a.count, i < b.count, a[i] == b[i] { i += 1 }
        let parts = Array(repeating: "..", count: a.count - i) + b[i...].map(String.init)
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }
}

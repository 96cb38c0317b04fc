import EagleCore
import Foundation
import Shards

public enum DumpMergeError: Error, CustomStringConvertible {
    case notAWorkerOutput(String, String)
    case workerCounts([String])
    case workerIndices(String)
    case settingsDiffer(String, String, [String])
    case outputIsAWorker(String)

    public var description: String {
        switch self {
        case .notAWorkerOutput(let dir, let why): "\(dir): not a `dump` output: \(why)"
        case .workerCounts(let list): "the directories were written with different worker counts:\n  " + list.joined(separator: "\n  ")
        case .workerIndices(let m): m
        case .settingsDiffer(let a, let b, let diffs):
            "\(b) was dumped with other settings than \(a):\n  " + diffs.joined(separator: "\n  ")
        case .outputIsAWorker(let dir): "--out \(dir) is one of the worker directories; choose another directory for the merged manifest"
        }
    }
}

/// Joins the outputs of `dump --worker i/n` (i = 0..<n, each complete, all with the same settings apart from the
/// worker) into one dataset manifest in `outputDirectory`. The shards stay where they are: each entry's `file` is
/// the shard's path relative to `outputDirectory` (the convention of `DumpDataset`).
public enum DumpMerge {
    public struct Result: Sendable {
        public var manifestPath: String
        public var workers: Int
        public var shards: Int
        public var samples: Int
        public var tokens: Int
    }

    public static func merge(workerDirectories: [String], outputDirectory: String) throws -> Result {
        guard !workerDirectories.isEmpty else { throw DumpMergeError.workerIndices("no worker directories given") }
        let outAbs = absolute(outputDirectory)
        var parts: [(dir: String, index: Int, count: Int, data: DumpDataset)] = []
        for dir in workerDirectories {
            if absolute(dir) == outAbs { throw DumpMergeError.outputIsAWorker(outputDirectory) }
            let data: DumpDataset
            do { data = try DumpDataset(path: dir) } catch { throw DumpMergeError.notAWorkerOutput(dir, "\(error)") }
            guard data.manifestPath.hasSuffix("/manifest.json"), data.manifest["merged_from"] == nil,
                  let w = data.settings["worker"]?.stringValue else {
                throw DumpMergeError.notAWorkerOutput(dir, "its manifest has no settings.worker (a merged manifest cannot be merged again)")
            }
            let f = w.split(separator: "/")
            guard f.count == 2, let i = Int(f[0]), let n = Int(f[1]), n >= 1, (0..<n).contains(i) else {
                throw DumpMergeError.notAWorkerOutput(dir, "settings.worker is \"\(w)\", expected I/N")
            }
            parts.append((dir, i, n, data))
        }
        let n = parts[0].count
        if parts.contains(where: { $0.count != n }) {
            throw DumpMergeError.workerCounts(parts.map { "\($0.dir): worker \($0.index)/\($0.count)" })
        }
        var byIndex: [Int: String] = [:]
        for p in parts {
            if let other = byIndex[p.index] {
                throw DumpMergeError.workerIndices("\(other) and \(p.dir) are both worker \(p.index)/\(n); give each worker's directory once")
            }
            byIndex[p.index] = p.dir
        }
        let missing = (0..<n).filter { byIndex[$0] == nil }
        guard missing.isEmpty else {
            throw DumpMergeError.workerIndices("worker(s) \(missing.map { "\($0)/\(n)" }.joined(separator: ", ")) missing: "
                + "give all \(n) directories written by `dump --worker I/\(n)` (got \(parts.count))")
        }
        parts.sort { $0.index < $1.index }
        var common = parts[0].data.settings
        common["worker"] = nil
        for p in parts.dropFirst() {
            var s = p.data.settings
            s["worker"] = nil
            if s != common { throw DumpMergeError.settingsDiffer(parts[0].dir, p.dir, DumpStage.differences(common, s)) }
            if p.data.layout != parts[0].data.layout {
                throw DumpMergeError.settingsDiffer(parts[0].dir, p.dir, [
                    "layout: was \(JSONWriter.string(parts[0].data.layout.json)), now \(JSONWriter.string(p.data.layout.json))"])
            }
        }

        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        var shards: [JSONValue] = []
        var sources: [JSONValue] = []
        var samples = 0, tokens = 0, raw = 0, stored = 0
        for p in parts {
            let rel = relativePath(from: outAbs, to: absolute(p.data.manifestDirectory))
            for (k, s) in p.data.shards.enumerated() {
                let entry = p.data.manifest["shards"]?.arrayValue?[k]
                shards.append(.object(JSONObject([
                    ("file", .string(rel == "." ? s.file : rel + "/" + s.file)), ("samples", .int(s.samples)),
                    ("bytes", entry?["bytes"] ?? .int(0)), ("worker", .int(p.index)),
                ])))
            }
            let c = p.data.manifest["counts"]
            samples += c?["samples"]?.intValue ?? 0
            tokens += c?["tokens"]?.intValue ?? 0
            raw += c?["raw_bytes"]?.intValue ?? 0
            stored += c?["stored_bytes"]?.intValue ?? 0
            sources.append(.object(JSONObject([
                ("directory", .string(rel)), ("worker", .string("\(p.index)/\(n)")),
                ("manifest_sha256", .string(SHA256.hexDigest(try FileIO.readAll(path: p.data.manifestPath)))),
            ])))
        }
        var settings = common
        settings["workers"] = .int(n)
        var manifest = JSONObject()
        manifest["format"] = .string(DumpDataset.format)
        manifest["version"] = .int(1)
        manifest["settings"] = .object(settings)
        manifest["layout"] = parts[0].data.layout.json
        if let c = parts[0].data.manifest["compression"] { manifest["compression"] = c }
        manifest["shards"] = .array(shards)
        manifest["counts"] = .object(JSONObject([("samples", .int(samples)), ("tokens", .int(tokens)), ("raw_bytes", .int(raw)), ("stored_bytes", .int(stored))]))
        manifest["merged_from"] = .array(sources)
        manifest["complete"] = .bool(true)
        let path = outputDirectory + "/manifest.json"
        try FileIO.writeAtomically(path: path, bytes: Array(JSONWriter.string(.object(manifest)).utf8))
        return Result(manifestPath: path, workers: n, shards: shards.count, samples: samples, tokens: tokens)
    }

    /// `path` made absolute and normalised (`.` and `..` removed, symbolic links resolved where the path exists).
    public static func normalised(_ path: String) -> String { absolute(path) }

    static func absolute(_ path: String) -> String {
        let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        return url.standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// The relative path from directory `from` to `to` (both absolute and normalised), e.g. "../w0".
    public static func relativePath(from: String, to: String) -> String {
        let a = from.split(separator: "/"), b = to.split(separator: "/")
        var i = 0
        while i < a.count, i < b.count, a[i] == b[i] { i += 1 }
        let parts = Array(repeating: "..", count: a.count - i) + b[i...].map(String.init)
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }
}

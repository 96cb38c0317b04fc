import EagleCore
import Foundation
import Shards
import TargetDump
import TokenShards

/// `eagleprep verify DIR…`: reads every record of every shard of tokenize or dump outputs, checking structure,
/// checksums, sizes and the manifest's counts. Exits 1 on any fault, listing each.
struct VerifyCommand: Subcommand {
    static let name = "verify"
    static let summary = "Check every shard, checksum and count of tokenize or dump output directories."
    static let usage = "DIR|MANIFEST [DIR|MANIFEST…]"
    static let options: [OptionSpec] = []

    struct Failed: Error, CustomStringConvertible {
        var count: Int
        var description: String { "\(count) fault(s) found" }
    }

    static func run(_ args: ParsedArguments) throws {
        guard !args.positionals.isEmpty else { throw UsageError("give at least one directory") }
        var faults = 0
        for dir in args.positionals {
            let problems = verify(directory: dir)
            for p in problems { printError("verify: \(p)") }
            faults += problems.count
            print("verify: \(dir): " + (problems.isEmpty ? "ok" : "\(problems.count) fault(s)"))
        }
        if faults > 0 { throw Failed(count: faults) }
    }

    static func verify(directory dir: String) -> [String] {
        let manifestPath = FileIO.isDirectory(dir) ? dir + "/manifest.json" : dir
        let manifest: JSONValue
        do { manifest = try JSONParser.parse(bytes: FileIO.readAll(path: manifestPath, limit: 1 << 28)) } catch { return ["\(manifestPath): \(error)"] }
        guard manifest["complete"] == .bool(true) else { return ["\(manifestPath): the run is not complete"] }
        let format = manifest["format"]?.stringValue ?? ""
        var problems: [String] = []
        var samples = 0, tokens = 0
        switch format {
        case "eagleprep-tokens":
            let dir = FileIO.parentDirectory(of: manifestPath)
            for entry in manifest["shards"]?.arrayValue ?? [] {
                guard let file = entry["file"]?.stringValue, !file.contains("/") else { problems.append("\(manifestPath): a shard entry has no plain file name"); continue }
                let path = dir + "/" + file
                do {
                    let r = try TokenShardReader(path: path)
                    for k in 0..<r.count { tokens += try r.sample(k).ids.count }
                    if let expected = entry["samples"]?.intValue, expected != r.count {
                        problems.append("\(path): holds \(r.count) samples, the manifest says \(expected)")
                    }
                    samples += r.count
                } catch {
                    problems.append("\(error)")
                }
            }
        case DumpDataset.format:
            // Shard entries are relative to the manifest's directory (merged manifests point into worker directories).
            let data: DumpDataset
            do { data = try DumpDataset(path: manifestPath) } catch { return ["\(error)"] }
            var seen = Set<String>()
            for (i, shard) in data.shards.enumerated() {
                let key = DumpMerge.normalised(shard.path)
                if !seen.insert(key).inserted { problems.append("\(manifestPath): shards[\(i)] \(shard.file) is listed twice"); continue }
                do {
                    let r = try data.openShard(i)  // checks the count and the layout against the manifest
                    for k in 0..<r.count { tokens += try r.sample(k).ids.count }
                    if !settingsMatch(r.metadata, data.settings) {
                        problems.append("\(shard.path): its metadata does not match the manifest's settings")
                    }
                    samples += r.count
                } catch {
                    problems.append("\(error)")
                }
            }
        default:
            return ["\(manifestPath): unknown format \"\(format)\""]
        }
        let counts = manifest["counts"]
        let expectedSamples = counts?["kept"]?.intValue ?? counts?["samples"]?.intValue
        if let e = expectedSamples, e != samples, problems.isEmpty { problems.append("\(manifestPath): counts say \(e) samples, the shards hold \(samples)") }
        if let e = counts?["tokens"]?.intValue, e != tokens, problems.isEmpty { problems.append("\(manifestPath): counts say \(e) tokens, the shards hold \(tokens)") }
        return problems
    }

    /// A shard's metadata carries the dump settings; a merged manifest's settings drop `worker` and add `workers`.
    static func settingsMatch(_ metadata: JSONValue, _ settings: JSONObject) -> Bool {
        for (k, v) in settings where k != "worker" && k != "workers" {
            if metadata[k] != v { return false }
        }
        return true
    }
}

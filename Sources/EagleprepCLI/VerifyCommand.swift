import EagleCore
import Foundation
import Shards
import TokenShards

/// `eagleprep verify DIR…`: reads every record of every shard of tokenize or dump outputs, checking structure,
/// checksums, sizes and the manifest's counts. Exits 1 on any fault, listing each.
struct VerifyCommand: Subcommand {
    static let name = "verify"
    static let summary = "Check every shard, checksum and count of tokenize or dump output directories."
    static let usage = "DIR [DIR…]"
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
        let manifestPath = dir + "/manifest.json"
        let manifest: JSONValue
        do { manifest = try JSONParser.parse(bytes: FileIO.readAll(path: manifestPath)) } catch { return ["\(manifestPath): \(error)"] }
        guard manifest["complete"] == .bool(true) else { return ["\(manifestPath): the run is not complete"] }
        let format = manifest["format"]?.stringValue ?? ""
        guard format == "eagleprep-tokens" || format == "eagleprep-dump" else { return ["\(manifestPath): unknown format \"\(format)\""] }
        var problems: [String] = []
        var samples = 0, tokens = 0
        for entry in manifest["shards"]?.arrayValue ?? [] {
            guard let file = entry["file"]?.stringValue, !file.contains("/") else { problems.append("\(manifestPath): a shard entry has no plain file name"); continue }
            let path = dir + "/" + file
            do {
                var n = 0
                if format == "eagleprep-tokens" {
                    let r = try TokenShardReader(path: path)
                    for k in 0..<r.count { tokens += try r.sample(k).ids.count }
                    n = r.count
                } else {
                    let r = try DumpShardReader(path: path)
                    for k in 0..<r.count { tokens += try r.sample(k).ids.count }
                    n = r.count
                }
                if let expected = entry["samples"]?.intValue, expected != n {
                    problems.append("\(path): holds \(n) samples, the manifest says \(expected)")
                }
                samples += n
            } catch {
                problems.append("\(error)")
            }
        }
        let counts = manifest["counts"]
        let expectedSamples = counts?["kept"]?.intValue ?? counts?["samples"]?.intValue
        if let e = expectedSamples, e != samples, problems.isEmpty { problems.append("\(manifestPath): counts say \(e) samples, the shards hold \(samples)") }
        if let e = counts?["tokens"]?.intValue, e != tokens, problems.isEmpty { problems.append("\(manifestPath): counts say \(e) tokens, the shards hold \(tokens)") }
        return problems
    }
}

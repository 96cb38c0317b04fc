import EagleCore
import TargetDump

/// `eagleprep merge-manifests --out DIR WORKER_DIR…`: one dataset manifest over the outputs of `dump --worker i/n`.
struct MergeManifestsCommand: Subcommand {
    static let name = "merge-manifests"
    static let summary = "Join the outputs of `dump --worker I/N` (all N of them) into one dataset manifest."
    static let usage = "--out DIR WORKER_DIR [WORKER_DIR…]"
    static let options: [OptionSpec] = [
        .value("out", "DIR", "Directory for the merged manifest.json (not one of the worker directories)."),
    ]
    static let discussion = """
    Every worker directory must hold a complete `dump` output with the same settings, layout, vocabulary and target
    (only `--worker` differs), and the N directories must be workers 0…N−1 exactly once. The shards are not copied:
    the merged manifest lists them by paths relative to DIR (e.g. ../w0/dump-00000.epdump), so keep the directories
    side by side when moving them. `verify`, `inspect` and the trainers read the merged manifest like a dump directory.
    """

    static func run(_ args: ParsedArguments) throws {
        let out = try args.required("out")
        guard !args.positionals.isEmpty else { throw UsageError("give the worker directories written by `dump --worker I/N`") }
        let r = try DumpMerge.merge(workerDirectories: args.positionals, outputDirectory: out)
        print("merge-manifests: \(r.manifestPath): \(r.workers) workers, \(r.shards) shards, \(r.samples) samples, \(r.tokens) tokens")
    }
}

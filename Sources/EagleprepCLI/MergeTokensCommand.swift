import TrainingData

/// `eagleprep merge-tokens --out DIR WORKER_DIR…`: one token directory from the outputs of `tokenize --worker i/n`.
struct MergeTokensCommand: Subcommand {
    static let name = "merge-tokens"
    static let summary = "Join the outputs of `tokenize --worker I/N` (all N of them) into one token directory for vocab and dump."
    static let usage = "--out DIR WORKER_DIR [WORKER_DIR…]"
    static let options: [OptionSpec] = [
        .value("out", "DIR", "The merged token directory (not one of the worker directories): tokens-NNNNN.eptok and manifest.json."),
    ]
    static let discussion = """
    Every worker directory must hold a complete `tokenize` output with the same settings (only `--worker` differs),
    and the N directories must be workers 0…N−1 exactly once. The shards are hard-linked (copied across file
    systems) into DIR in worker order; the manifest sums the counts and records each worker manifest's SHA-256.
    Running it again with the same worker outputs changes nothing.
    """

    static func run(_ args: ParsedArguments) throws {
        let out = try args.required("out")
        guard !args.positionals.isEmpty else { throw UsageError("give the worker directories written by `tokenize --worker I/N`") }
        let r = try TokenMerge.merge(workerDirectories: args.positionals, outputDirectory: out)
        print("merge-tokens: \(r.manifestPath): \(r.workers) workers, \(r.shards) shards, \(r.samples) samples\(r.unchanged ? " (already merged)" : "")")
    }
}

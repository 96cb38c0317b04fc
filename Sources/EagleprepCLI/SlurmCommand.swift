import EagleCore
import Foundation

/// `eagleprep slurm PIPELINE.json --out DIR`: sbatch scripts for the pipeline's data stages, chained by submit.sh.
struct SlurmCommand: Subcommand {
    static let name = "slurm"
    static let summary = "Write sbatch scripts for a pipeline file: tokenize, vocab counts and dump as job arrays, merges, train; submit.sh chains them."
    static let usage = "PIPELINE.json --out DIR [--eagleprep PATH]"
    static let options: [OptionSpec] = [
        .value("out", "DIR", "Where the scripts go: 1-tokenize.sbatch … 7-train.sbatch and submit.sh (the pipeline's own `out` holds the data)."),
        .value("eagleprep", "PATH", "The eagleprep binary the jobs run (default: this one; slurm.eagleprep in the pipeline file also sets it)."),
    ]
    static let discussion = """
    Jobs, each after the previous one succeeded (--dependency=afterok):
      1 tokenize array (tokenize --worker auto:N → OUT/tokenize/workers/wI)   2 merge-tokens → OUT/tokenize
      3 vocab counts array (vocab --counts-only --part auto:K)                 4 vocab --merge → OUT/vocab
      5 dump array (dump --worker auto:M → OUT/dump/workers/wI)              6 merge-manifests → OUT/dump
      7 train --shards OUT/dump (when the pipeline has a train stage; resumes from its checkpoint)
    Array sizes and resources (partition, account, qos, cpus, memory, time, extra sbatch options) come from the
    pipeline file's `slurm` section (docs/scale-out.md). Every job keeps the work already done, so running
    submit.sh again after a failure redoes only what is missing. The scripts use absolute paths: the binary,
    the model and the data must be reachable at the same paths on the compute nodes (a shared file system).
    """

    static func run(_ args: ParsedArguments) throws {
        guard args.positionals.count == 1 else { throw UsageError("give one PIPELINE.json") }
        let out = try args.required("out")
        let binary = args.string("eagleprep").map(SlurmPlan.absolute) ?? currentExecutable()
        let plan = try SlurmPlan.load(pipeline: args.positionals[0], eagleprep: binary)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for (name, text) in plan.files() {
            let path = out + "/" + name
            try FileIO.writeAtomically(path: path, bytes: Array(text.utf8))
            guard chmod(path, 0o755) == 0 else { throw FileError(path: path, operation: "chmod", errno: errno) }
        }
        print("slurm: wrote \(plan.jobs.count) job scripts and submit.sh to \(out) (data under \(plan.out)):")
        for job in plan.jobs { print("  \(job.file).sbatch: \(job.summary)") }
        print("submit with: \(out)/submit.sh")
    }

    /// The running binary's absolute path (/proc/self/exe), else argv[0] made absolute.
    static func currentExecutable() -> String {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        return SlurmPlan.absolute(CommandLine.arguments[0])
    }
}

import EagleCore
import Foundation

/// The sbatch scripts `eagleprep slurm` writes for a pipeline file (docs/pipelines.md, docs/scale-out.md):
///
/// | job | kind | command | output |
/// |---|---|---|---|
/// | tokenize | array of N | `tokenize --worker auto:N` | `OUT/tokenize/workers/wI` |
/// | tokenize-merge | one | `merge-tokens` | `OUT/tokenize` |
/// | vocab-counts | array of K | `vocab --counts-only --part auto:K` | `OUT/vocab/counts/part-I-of-K-<manifest>.counts` |
/// | vocab-merge | one | `vocab --merge` | `OUT/vocab` |
/// | dump | array of M | `dump --worker auto:M` | `OUT/dump/workers/wI` |
/// | dump-merge | one | `merge-manifests` | `OUT/dump/manifest.json` |
/// | train | one | `train --shards OUT/dump [--resume]` | `OUT/train` |
///
/// Every job is idempotent: tokenize and dump keep complete shards and return at once on a complete output,
/// counts files are keyed by the token manifest's hash and skipped when present, the merges rewrite the same bytes,
/// train resumes from its checkpoint. So resubmitting after a failure redoes only what is missing.
struct SlurmPlan {
    struct Resources: Equatable {
        var partition: String?
        var account: String?
        var qos: String?
        var cpus: Int
        var memory: String?
        var time: String?
        var tasks = 1
        var maxParallel: Int?
        var sbatch: [String] = []
    }

    struct Job: Equatable {
        /// File stem and job-name suffix: `1-tokenize`.
        var file: String
        var name: String
        var array: Bool
        var resources: Resources
        /// Shell lines after the common header.
        var body: [String]
        var summary: String
    }

    var pipelinePath: String
    var out: String
    var eagleprep: String
    var jobNamePrefix: String
    var logDirectory: String
    var setup: [String]
    var jobs: [Job]

    static let arrayJobs = ["tokenize", "vocab", "dump"]
    static let singleJobs = ["tokenize_merge", "vocab_merge", "dump_merge", "train"]
    static let resourceKeys = ["partition", "account", "qos", "cpus", "memory", "time", "sbatch"]
    static let arrayKeys = ["tasks", "max_parallel"]

    // MARK: reading the pipeline file

    static func load(pipeline path: String, eagleprep: String) throws -> SlurmPlan {
        let bytes = try FileIO.readAll(path: path, limit: 64 << 20)
        let root: JSONValue
        do { root = try JSONParser.parse(bytes: bytes) } catch { throw FileError(path: path, message: "invalid JSON: \(error)") }
        return try SlurmPlan(pipeline: root, path: path, eagleprep: eagleprep)
    }

    init(pipeline root: JSONValue, path: String, eagleprep defaultBinary: String) throws {
        func fail(_ key: String, _ message: String) -> FileError { FileError(path: path, message: "\(key): \(message)") }
        guard let top = root.objectValue else { throw FileError(path: path, message: "expected a JSON object") }
        let base = Self.absolute(FileIO.parentDirectory(of: Self.absolute(path)))
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : Self.absolute(base + "/" + p) }
        func string(_ o: JSONObject, _ key: String, _ where_: String) throws -> String? {
            guard let v = o[key] else { return nil }
            guard let s = v.stringValue, !s.isEmpty else { throw fail(where_ + key, "expected a non-empty string, got \(v.typeName)") }
            return s
        }
        guard let model = try string(top, "model", "") else { throw fail("model", "required: the target (.gguf file or model folder)") }
        guard let out = try string(top, "out", "") else { throw fail("out", "required: the output root") }
        let modelPath = resolve(model)
        pipelinePath = Self.absolute(path)
        self.out = resolve(out)
        let threads: Int? = try top["threads"].map { v in
            guard let t = v.intValue, t >= 1 else { throw fail("threads", "expected an integer ≥ 1, got \(JSONWriter.string(v))") }
            return t
        }
        let date = try string(top, "date", "") ?? "2026-01-01"
        guard let stages = top["stages"]?.objectValue else { throw fail("stages", "required: an object with one entry per stage") }
        for (name, _) in stages where !["generate", "tokenize", "vocab", "dump", "train", "eval"].contains(name) {
            throw fail("stages." + name, "unknown stage (known: generate, tokenize, vocab, dump, train, eval)")
        }
        if stages["generate"] != nil {
            throw fail("stages.generate", "`eagleprep slurm` does not run generate; run `eagleprep run PIPELINE --to generate` (or generate on a GPU box), then give stages.tokenize.input")
        }
        if stages["eval"] != nil {
            throw fail("stages.eval", "`eagleprep slurm` does not run eval; run `eagleprep run PIPELINE --from eval` after the train job")
        }
        for needed in ["tokenize", "vocab"] where stages[needed] == nil {
            throw fail("stages." + needed, "required by `eagleprep slurm` (the scripts start at tokenize)")
        }
        if stages["train"] != nil, stages["dump"] == nil { throw fail("stages.train", "needs stages.dump") }

        // The slurm section.
        let slurm = try top["slurm"].map { v in
            guard let o = v.objectValue else { throw fail("slurm", "expected an object, got \(v.typeName)") }
            return o
        } ?? JSONObject()
        let known = ["eagleprep", "job_name", "log_dir", "setup", "defaults"] + Self.arrayJobs + Self.singleJobs
        for (k, _) in slurm where !known.contains(k) {
            throw fail("slurm." + k, "unknown key (known: \(known.joined(separator: ", ")))")
        }
        eagleprep = try string(slurm, "eagleprep", "slurm.").map(resolve) ?? defaultBinary
        jobNamePrefix = try string(slurm, "job_name", "slurm.") ?? "eagleprep"
        logDirectory = try string(slurm, "log_dir", "slurm.").map(resolve) ?? (self.out + "/slurm-logs")
        setup = try slurm["setup"].map { v in
            if let s = v.stringValue { return [s] }
            guard let a = v.arrayValue, let lines = Optional(a.compactMap(\.stringValue)), lines.count == a.count else {
                throw fail("slurm.setup", "expected a string or an array of strings (shell lines run before each command)")
            }
            return lines
        } ?? []
        let defaults = try Self.resources(slurm["defaults"], key: "slurm.defaults", array: false, base: Resources(cpus: threads ?? 1), fail: fail)
        func resources(_ job: String, array: Bool) throws -> Resources {
            try Self.resources(slurm[job], key: "slurm." + job, array: array, base: defaults, fail: fail)
        }
        // Every job's section is checked, also those of stages the pipeline does not have.
        for job in Self.arrayJobs { _ = try resources(job, array: true) }
        for job in Self.singleJobs { _ = try resources(job, array: false) }

        // Stage options → command arguments.
        func arguments(_ stage: String, command: any Subcommand.Type, reserved: Set<String>, only: Set<String>? = nil,
                       skip: Set<String> = [], paths: Set<String> = []) throws -> [String] {
            guard let o = stages[stage]?.objectValue else {
                if stages[stage] == nil { return [] }
                throw fail("stages." + stage, "expected an object")
            }
            var args: [String] = []
            for (key, value) in o {
                let keyPath = "stages.\(stage).\(key)"
                if skip.contains(key) { continue }
                if let only, !only.contains(key) { continue }
                let name = key.replacingOccurrences(of: "_", with: "-")
                guard !reserved.contains(name) else { throw fail(keyPath, "set by `eagleprep slurm` itself; remove it") }
                guard let spec = command.options.first(where: { $0.name == name }) else {
                    let names = command.options.map { $0.name.replacingOccurrences(of: "-", with: "_") }.filter { !reserved.contains($0.replacingOccurrences(of: "_", with: "-")) }
                    throw fail(keyPath, "unknown key (options of \(command.name): \(names.joined(separator: ", ")))")
                }
                if spec.valueName == nil {
                    guard let b = value.boolValue else { throw fail(keyPath, "expected true or false (a flag), got \(value.typeName)") }
                    if b { args.append("--" + name) }
                    continue
                }
                let items: [JSONValue]
                if let a = value.arrayValue {
                    guard spec.repeatable else { throw fail(keyPath, "takes one value, got an array") }
                    items = a
                } else { items = [value] }
                for item in items {
                    var text: String
                    switch item {
                    case .string(let s): text = s
                    case .int, .double: text = JSONWriter.string(item)
                    default: throw fail(keyPath, "expected a string or a number, got \(item.typeName)")
                    }
                    if paths.contains(key) { text = resolve(text) }
                    args += ["--" + name, text]
                }
            }
            return args
        }

        let tok = try resources("tokenize", array: true), tokMerge = try resources("tokenize_merge", array: false)
        let counts = try resources("vocab", array: true), vocabMerge = try resources("vocab_merge", array: false)
        let tokenizeDir = self.out + "/tokenize", vocabDir = self.out + "/vocab", dumpDir = self.out + "/dump"
        guard let inputValue = stages["tokenize"]?["input"] else {
            throw fail("stages.tokenize.input", "required with `eagleprep slurm` (there is no generate job): a conversation file or an array of them")
        }
        let inputs: [String] = try {
            let list = inputValue.arrayValue ?? [inputValue]
            return try list.map { v in
                guard let s = v.stringValue, !s.isEmpty else { throw fail("stages.tokenize.input", "expected a path or an array of paths") }
                return resolve(s)
            }
        }()
        var tokenizeArgs = ["tokenize", "--model", modelPath] + inputs.flatMap { ["--input", $0] } + ["--date", date]
        tokenizeArgs += try arguments("tokenize", command: TokenizeCommand.self,
                                      reserved: ["model", "out", "worker", "threads", "date", "quiet"], skip: ["input"], paths: ["rejects"])
        let workerDir: (String, Int) -> [String] = { dir, n in (0..<n).map { "\(dir)/workers/w\($0)" } }
        let index = "I=$((${SLURM_ARRAY_TASK_ID:?submit this script with sbatch: it is a job array} - SLURM_ARRAY_TASK_MIN))"
        var jobs: [Job] = []
        jobs.append(Job(file: "1-tokenize", name: "tokenize", array: true, resources: tok, body: [
            index,
            Self.command(tokenizeArgs + ["--worker", "auto:\(tok.tasks)", "--threads", String(tok.cpus)]) + " --out " + Self.quote(tokenizeDir + "/workers/w") + "$I",
        ], summary: "tokenize, \(Self.tasks(tok.tasks)): records ≡ I mod \(tok.tasks) → \(tokenizeDir)/workers/wI"))
        jobs.append(Job(file: "2-tokenize-merge", name: "tokenize-merge", array: false, resources: tokMerge, body: [
            Self.command(["merge-tokens", "--out", tokenizeDir] + workerDir(tokenizeDir, tok.tasks)),
        ], summary: "merge-tokens → \(tokenizeDir)"))

        let countKeys: Set<String> = ["all_tokens", "target_vocab_size"]
        let vocabReserved: Set<String> = ["tokens", "out", "counts-only", "part", "worker", "merge", "threads", "quiet"]
        let countArgs = try arguments("vocab", command: VocabCommand.self, reserved: vocabReserved, only: countKeys)
        let mergeArgs = try arguments("vocab", command: VocabCommand.self, reserved: vocabReserved, skip: ["all_tokens"], paths: ["pin_file", "tokenizer"])
        guard stages["vocab"]?["size"] != nil else { throw fail("stages.vocab.size", "required: the draft vocabulary size") }
        let sha = "SHA=$(sha256sum \(Self.quote(tokenizeDir + "/manifest.json")) | cut -c1-16)"
        let countsFile = { (i: String) in Self.quote(vocabDir + "/counts/part-") + i + Self.quote("-of-\(counts.tasks)-") + "$SHA.counts" }
        jobs.append(Job(file: "3-vocab-counts", name: "vocab-counts", array: true, resources: counts, body: [
            index, sha,
            "mkdir -p \(Self.quote(vocabDir + "/counts"))",
            "if [ -f \(countsFile("$I")) ]; then echo \"vocab-counts: part $I of \(counts.tasks) is already counted for token manifest $SHA\"; exit 0; fi",
            Self.command(["vocab", "--tokens", tokenizeDir, "--counts-only", "--part", "auto:\(counts.tasks)", "--threads", String(counts.cpus)] + countArgs)
                + " --out " + countsFile("$I"),
        ], summary: "vocab --counts-only, \(Self.tasks(counts.tasks)) → \(vocabDir)/counts"))
        jobs.append(Job(file: "4-vocab-merge", name: "vocab-merge", array: false, resources: vocabMerge, body: [
            sha,
            Self.command(["vocab", "--out", vocabDir] + mergeArgs) + " --merge " + (0..<counts.tasks).map { countsFile(String($0)) }.joined(separator: " "),
        ], summary: "vocab --merge → \(vocabDir)"))

        if stages["dump"] != nil {
            let dump = try resources("dump", array: true), dumpMerge = try resources("dump_merge", array: false)
            let dumpArgs = try arguments("dump", command: DumpCommand.self, reserved: ["model", "tokens", "vocab", "out", "worker", "threads", "quiet"])
            jobs.append(Job(file: "5-dump", name: "dump", array: true, resources: dump, body: [
                index,
                Self.command(["dump", "--model", modelPath, "--tokens", tokenizeDir, "--vocab", vocabDir, "--worker", "auto:\(dump.tasks)",
                              "--threads", String(dump.cpus)] + dumpArgs) + " --out " + Self.quote(dumpDir + "/workers/w") + "$I",
            ], summary: "dump, \(Self.tasks(dump.tasks)): samples ≡ I mod \(dump.tasks) → \(dumpDir)/workers/wI"))
            jobs.append(Job(file: "6-dump-merge", name: "dump-merge", array: false, resources: dumpMerge, body: [
                Self.command(["merge-manifests", "--out", dumpDir] + workerDir(dumpDir, dump.tasks)),
            ], summary: "merge-manifests → \(dumpDir)/manifest.json"))
        }
        if stages["train"] != nil {
            guard TrainCommand.options.contains(where: { $0.name == "shards" }) else {
                throw fail("stages.train", "this eagleprep's train cannot read dump shards (--shards); drop the train stage or update eagleprep")
            }
            let train = try resources("train", array: false)
            let trainDir = self.out + "/train"
            let trainArgs = try arguments("train", command: TrainCommand.self,
                                          reserved: ["out", "shards", "samples", "synthetic", "threads", "quiet", "resume", "charts"],
                                          paths: ["config", "init", "embedding", "target_head", "validation_shards", "vocab", "model"])
            var given = Set<String>()
            for (k, _) in stages["train"]?.objectValue ?? JSONObject() { given.insert(k) }
            var base = ["train", "--shards", dumpDir, "--out", trainDir, "--threads", String(train.cpus)]
            if !given.contains("model") && TrainCommand.options.contains(where: { $0.name == "model" }) { base += ["--model", modelPath] }
            if !given.contains("vocab") { base += ["--vocab", vocabDir] }
            jobs.append(Job(file: "7-train", name: "train", array: false, resources: train, body: [
                "RESUME=()",
                "if [ -f \(Self.quote(trainDir + "/checkpoint.safetensors")) ]; then RESUME=(--resume); fi",
                Self.command(base + trainArgs) + " \"${RESUME[@]}\"",
            ], summary: "train (resumes from its checkpoint) → \(trainDir)"))
        }
        self.jobs = jobs
    }

    static func resources(_ value: JSONValue?, key: String, array: Bool, base: Resources,
                          fail: (String, String) -> FileError) throws -> Resources {
        guard let value else { return base }
        guard let o = value.objectValue else { throw fail(key, "expected an object, got \(value.typeName)") }
        var r = base
        let known = resourceKeys + (array ? arrayKeys : [])
        for (k, v) in o {
            let path = key + "." + k
            func positive() throws -> Int {
                guard let n = v.intValue, n >= 1 else { throw fail(path, "expected an integer ≥ 1, got \(JSONWriter.string(v))") }
                return n
            }
            func text() throws -> String {
                if let s = v.stringValue, !s.isEmpty, !s.contains(where: { $0.isWhitespace || $0 == "'" || $0 == "\"" }) { return s }
                throw fail(path, "expected a non-empty string without spaces or quotes, got \(JSONWriter.string(v))")
            }
            switch k {
            case "partition": r.partition = try text()
            case "account": r.account = try text()
            case "qos": r.qos = try text()
            case "cpus": r.cpus = try positive()
            case "memory": r.memory = try v.intValue.map { "\($0)M" } ?? text()
            case "time": r.time = try v.intValue.map { String($0) } ?? text()
            case "tasks" where array: r.tasks = try positive()
            case "max_parallel" where array: r.maxParallel = try positive()
            case "sbatch":
                guard let a = v.arrayValue, a.allSatisfy({ ($0.stringValue ?? "").hasPrefix("--") && !($0.stringValue ?? "").contains("\n") }) else {
                    throw fail(path, "expected an array of sbatch options such as [\"--exclusive\", \"--gres=gpu:1\"]")
                }
                r.sbatch = a.compactMap(\.stringValue)
            default:
                throw fail(path, "unknown key (known: \(known.joined(separator: ", ")))")
            }
        }
        return r
    }

    // MARK: writing the scripts

    /// `(file name, text, executable)` of every file `eagleprep slurm` writes.
    func files() -> [(name: String, text: String)] {
        jobs.map { ($0.file + ".sbatch", script($0)) } + [("submit.sh", submitScript())]
    }

    func script(_ job: Job) -> String {
        let r = job.resources
        var s = "#!/bin/bash\n"
        s += "#SBATCH --job-name=\(jobNamePrefix)-\(job.name)\n"
        if job.array { s += "#SBATCH --array=0-\(r.tasks - 1)" + (r.maxParallel.map { "%\($0)" } ?? "") + "\n" }
        s += "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=\(r.cpus)\n"
        if let m = r.memory { s += "#SBATCH --mem=\(m)\n" }
        if let t = r.time { s += "#SBATCH --time=\(t)\n" }
        if let p = r.partition { s += "#SBATCH --partition=\(p)\n" }
        if let a = r.account { s += "#SBATCH --account=\(a)\n" }
        if let q = r.qos { s += "#SBATCH --qos=\(q)\n" }
        for extra in r.sbatch { s += "#SBATCH \(extra)\n" }
        s += "#SBATCH --output=\(logDirectory)/%x-" + (job.array ? "%A_%a" : "%j") + ".out\n"
        s += "#\n# Written by `eagleprep slurm \(pipelinePath)`: \(job.summary).\n"
        s += "# Safe to run again: finished work is kept (see docs/scale-out.md). Submit all jobs with submit.sh.\n"
        s += "set -euo pipefail\n"
        for line in setup { s += line + "\n" }
        s += "EAGLEPREP=\(Self.quote(eagleprep))\n"
        for line in job.body { s += line + "\n" }
        return s
    }

    func submitScript() -> String {
        var s = """
        #!/bin/bash
        # Written by `eagleprep slurm \(pipelinePath)`.
        # Submits the pipeline's jobs in order, each after the previous one succeeded (--dependency=afterok; with
        # --kill-on-invalid-dep=yes a failure cancels the jobs after it instead of leaving them pending forever).
        # Prints "JOB JOBID" per job and writes the same lines to jobs.txt beside this script.
        # After a failure, fix the cause and run this again: each job keeps or skips the work already done.
        # Arguments are passed to every sbatch call (e.g. --partition=debug, --begin=now+1hour).
        set -euo pipefail
        here=$(cd "$(dirname "$0")" && pwd)
        SBATCH=${SBATCH:-sbatch}
        mkdir -p \(Self.quote(logDirectory))
        previous=""
        submitted=""
        submit() {
          local name=$1 script=$2 id
          shift 2
          if [ -n "$previous" ]; then
            id=$("$SBATCH" --parsable --kill-on-invalid-dep=yes --dependency="afterok:$previous" "$@" "$here/$script")
          else
            id=$("$SBATCH" --parsable "$@" "$here/$script")
          fi
          id=${id%%;*}
          echo "$name $id"
          submitted+="$name $id"$'\\n'
          previous=$id
        }

        """
        for job in jobs { s += "submit \(job.name) \(job.file).sbatch \"$@\"\n" }
        s += "printf '%s' \"$submitted\" > \"$here/jobs.txt.tmp\" && mv \"$here/jobs.txt.tmp\" \"$here/jobs.txt\"\n"
        return s
    }

    // MARK: helpers

    static func tasks(_ n: Int) -> String { n == 1 ? "1 array task" : "\(n) array tasks" }

    /// `"$EAGLEPREP" arg…` with every argument single-quoted.
    static func command(_ args: [String]) -> String {
        "\"$EAGLEPREP\" " + args.map(quote).joined(separator: " ")
    }

    /// A shell word: bare when it is made of safe characters, else single-quoted.
    static func quote(_ s: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,+@%")
        if !s.isEmpty, s.allSatisfy({ safe.contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.path
    }
}

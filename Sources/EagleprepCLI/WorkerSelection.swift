import Foundation

/// Which slice of the data one of N machines works on: `--worker I/N` given explicitly, or `--worker auto`, read
/// from the scheduler's environment (`tokenize`, `vocab --counts-only` and `dump` accept it).
///
/// `auto` looks, in this order, at:
/// 1. a Slurm job array: `SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN` of `SLURM_ARRAY_TASK_COUNT` tasks (the array
///    must be dense: step 1, `MAX − MIN + 1 = COUNT`, so `--array=0-7` or `--array=1-8`, not `0-14:2` or `1,5,9`);
/// 2. a Slurm job step of several tasks: `SLURM_PROCID` of `SLURM_NTASKS` (`srun -n N eagleprep …`);
/// 3. a Kubernetes Indexed Job: `JOB_COMPLETION_INDEX`, with the count given as `auto:N` or in
///    `EAGLEPREP_WORKER_COUNT` (Kubernetes does not export the completion count).
///
/// `auto:N` also checks a Slurm count against N. None of them set, a value that is not an integer, an index outside
/// the count, or two sources that disagree is a usage error naming the variables: a guessed `0/1` would make every
/// machine redo the whole dataset.
public struct WorkerSelection: Equatable, Sendable, CustomStringConvertible {
    public var index: Int
    public var count: Int
    /// Where the values came from, for messages: `--worker`, `SLURM_ARRAY_TASK_ID`, …
    public var source: String

    public init(index: Int, count: Int, source: String) {
        self.index = index
        self.count = count
        self.source = source
    }

    public var description: String { "\(index)/\(count)" }

    /// The variables `auto` reads, in the order it tries them.
    public static let environmentVariables = [
        "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_STEP",
        "SLURM_PROCID", "SLURM_NTASKS", "JOB_COMPLETION_INDEX", "EAGLEPREP_WORKER_COUNT",
    ]

    /// `spec` is the option's value: nil (a single worker, 0/1), `I/N`, `auto` or `auto:N`. `option` names the option
    /// in messages (`worker`, `part`).
    public static func parse(_ spec: String?, option: String = "worker", environment: [String: String]) throws(UsageError) -> WorkerSelection {
        guard let spec else { return WorkerSelection(index: 0, count: 1, source: "default") }
        if spec == "auto" { return try fromEnvironment(environment, givenCount: nil, option: option) }
        if spec.hasPrefix("auto:") {
            let n = spec.dropFirst("auto:".count)
            guard let count = Int(n), count >= 1 else { throw UsageError("--\(option) auto:N expects a worker count N ≥ 1, got '\(spec)'") }
            return try fromEnvironment(environment, givenCount: count, option: option)
        }
        let parts = spec.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, i >= 0, i < n else {
            throw UsageError("--\(option) expects I/N with 0 ≤ I < N, auto, or auto:N, got '\(spec)'")
        }
        return WorkerSelection(index: i, count: n, source: "--\(option)")
    }

    static func fromEnvironment(_ env: [String: String], givenCount: Int?, option: String) throws(UsageError) -> WorkerSelection {
        func value(_ name: String) throws(UsageError) -> Int? {
            guard let raw = env[name] else { return nil }
            let s = raw.trimmingCharacters(in: .whitespaces)
            guard let v = Int(s), v >= 0 else { throw UsageError("--\(option) auto: \(name)='\(raw)' is not a non-negative integer") }
            return v
        }
        func checked(_ w: WorkerSelection, _ names: String) throws(UsageError) -> WorkerSelection {
            guard w.count >= 1 else { throw UsageError("--\(option) auto: \(names) give a worker count of \(w.count)") }
            guard w.index < w.count else {
                throw UsageError("--\(option) auto: \(names) give worker index \(w.index), outside 0..<\(w.count)")
            }
            if let givenCount, givenCount != w.count {
                throw UsageError("--\(option) auto:\(givenCount) disagrees with \(names), which give \(w.count) workers")
            }
            return w
        }
        if let id = try value("SLURM_ARRAY_TASK_ID") {
            guard let min = try value("SLURM_ARRAY_TASK_MIN"), let count = try value("SLURM_ARRAY_TASK_COUNT") else {
                throw UsageError("--\(option) auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT are not both set")
            }
            if let step = try value("SLURM_ARRAY_TASK_STEP"), step != 1 {
                throw UsageError("--\(option) auto: the job array has step \(step) (SLURM_ARRAY_TASK_STEP); use a dense array such as --array=0-\(count - 1)")
            }
            if let max = try value("SLURM_ARRAY_TASK_MAX"), max - min + 1 != count {
                throw UsageError("--\(option) auto: the job array \(min)-\(max) has \(count) tasks (SLURM_ARRAY_TASK_MIN/MAX/COUNT), "
                    + "so its ids are not consecutive; use a dense array such as --array=0-\(count - 1)")
            }
            guard id >= min else { throw UsageError("--\(option) auto: SLURM_ARRAY_TASK_ID \(id) is below SLURM_ARRAY_TASK_MIN \(min)") }
            if let tasks = try value("SLURM_NTASKS"), tasks > 1 {
                throw UsageError("--\(option) auto: both a job array (SLURM_ARRAY_TASK_ID) and \(tasks) tasks per job (SLURM_NTASKS) are set; "
                    + "run one task per array element, or give --\(option) I/N")
            }
            return try checked(WorkerSelection(index: id - min, count: count, source: "SLURM_ARRAY_TASK_ID"),
                               "SLURM_ARRAY_TASK_ID=\(id), SLURM_ARRAY_TASK_MIN=\(min), SLURM_ARRAY_TASK_COUNT=\(count)")
        }
        if let rank = try value("SLURM_PROCID") {
            guard let tasks = try value("SLURM_NTASKS") else {
                throw UsageError("--\(option) auto: SLURM_PROCID is set but SLURM_NTASKS is not")
            }
            return try checked(WorkerSelection(index: rank, count: tasks, source: "SLURM_PROCID"),
                               "SLURM_PROCID=\(rank), SLURM_NTASKS=\(tasks)")
        }
        if let index = try value("JOB_COMPLETION_INDEX") {
            let fromEnv = try value("EAGLEPREP_WORKER_COUNT")
            if let givenCount, let fromEnv, givenCount != fromEnv {
                throw UsageError("--\(option) auto:\(givenCount) disagrees with EAGLEPREP_WORKER_COUNT=\(fromEnv)")
            }
            guard let count = givenCount ?? fromEnv else {
                throw UsageError("--\(option) auto: JOB_COMPLETION_INDEX=\(index) is set but the worker count is not: "
                    + "give --\(option) auto:N or set EAGLEPREP_WORKER_COUNT to the job's completions")
            }
            return try checked(WorkerSelection(index: index, count: count, source: "JOB_COMPLETION_INDEX"),
                               "JOB_COMPLETION_INDEX=\(index) with \(count) workers")
        }
        throw UsageError("--\(option) auto: no scheduler worker variables are set (looked for SLURM_ARRAY_TASK_ID with "
            + "SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT, SLURM_PROCID with SLURM_NTASKS, and JOB_COMPLETION_INDEX with "
            + "auto:N or EAGLEPREP_WORKER_COUNT); give --\(option) I/N explicitly")
    }
}

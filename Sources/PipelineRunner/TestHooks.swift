import Foundation

/// Deterministic crash injection for the runner's resume tests (docs/pipelines.md, "Test hooks").
///
/// `EAGLEPREP_TEST_KILL_AFTER=STAGE:N` makes the process SIGKILL itself as soon as stage STAGE reports N units of
/// progress (dump: samples written; train: optimizer steps done). It is meant for tests only: nothing else sets it,
/// and a run that honours it says so on standard error first.
public enum TestHooks {
    public static let killVariable = "EAGLEPREP_TEST_KILL_AFTER"

    static let killPoint: (StageName, Int)? = {
        guard let v = ProcessInfo.processInfo.environment[killVariable] else { return nil }
        let parts = v.split(separator: ":")
        guard parts.count == 2, let stage = StageName(rawValue: String(parts[0])), let n = Int(parts[1]), n >= 0 else { return nil }
        return (stage, n)
    }()

    /// Kills the process (SIGKILL: no cleanup, exactly like a crash or `kill -9`) when the hook names this stage
    /// and `count` has reached its N.
    public static func progress(_ stage: StageName, count: Int) {
        guard let (s, n) = killPoint, s == stage, count >= n else { return }
        let message = "\(killVariable)=\(s):\(n): test hook, killing the process at \(count)\n"
        let fd = StandardErrorRelay.originalDescriptor.load(ordering: .sequentiallyConsistent)
        message.withCString { _ = write(fd, $0, strlen($0)) }
        kill(getpid(), SIGKILL)
    }
}

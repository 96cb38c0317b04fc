import Dispatch
import Foundation
import Synchronization

/// Runs `body(i)` for `i` in `0..<iterations` on Dispatch's worker pool and returns when all are done.
///
/// The kernels of this module hand raw pointers to their workers, which Swift 6 will not let a `@Sendable`
/// closure capture. This is the one place that lifts the restriction: `body` does not escape (the call is
/// synchronous), and every caller gives each iteration a disjoint set of output rows or columns and reads
/// only memory that no iteration writes. Keep it that way when adding callers.
public func parallelFor(_ iterations: Int, _ body: (Int) -> Void) {
    withoutActuallyEscaping(body) { escapable in
        nonisolated(unsafe) let work = escapable
        DispatchQueue.concurrentPerform(iterations: iterations) { work($0) }
    }
}

/// Splits `0..<count` into at most `threads` contiguous ranges and runs `body` on each, in parallel when there is
/// more than one (see `parallelFor` for the rules callers follow).
public func parallelRanges(count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
    let workers = max(1, min(threads, count))
    if workers == 1 {
        if count > 0 { body(0..<count) }
        return
    }
    parallelFor(workers) { w in body((count * w / workers)..<(count * (w + 1) / workers)) }
}

public enum System {
    /// Active processors (the default thread count).
    public static var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}

/// The first error thrown by any of a parallel loop's iterations, rethrown once the loop is over.
final class FirstError: Sendable {
    private let error = Mutex<(any Error)?>(nil)
    func record(_ e: any Error) { error.withLock { if $0 == nil { $0 = e } } }
    func rethrow() throws { if let e = error.withLock({ $0 }) { throw e } }
}

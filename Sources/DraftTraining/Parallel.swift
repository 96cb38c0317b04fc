import Dispatch
import Foundation
import LinearAlgebra

/// Runs `body(i)` for `i` in `0..<iterations` on Dispatch's worker pool and returns when all are done.
///
/// The kernels of this module hand raw pointers to their workers, which Swift 6 will not let a `@Sendable` closure
/// capture. This is the one place that lifts the restriction: `body` does not escape (the call is synchronous), and
/// every caller gives each iteration a disjoint set of output elements and reads only memory no iteration writes.
/// Keep it that way when adding callers.
func parallelFor(_ iterations: Int, _ body: (Int) -> Void) {
    if iterations == 1 { body(0); return }
    withoutActuallyEscaping(body) { escapable in
        nonisolated(unsafe) let work = escapable
        DispatchQueue.concurrentPerform(iterations: iterations) { work($0) }
    }
}

/// Splits `0..<count` into at most `threads` contiguous ranges and runs `body(worker, range)` on each, in parallel
/// when there is more than one. The split depends only on `count` and `threads`, so results are reproducible.
func parallelRanges(count: Int, threads: Int, _ body: (Int, Range<Int>) -> Void) {
    let workers = max(1, min(threads, count))
    if count == 0 { return }
    parallelFor(workers) { w in body(w, (count * w / workers)..<(count * (w + 1) / workers)) }
}

/// Thread settings of one training process.
public enum ComputeThreads {
    /// Active processors: the default for both Dispatch workers and OpenBLAS.
    public static var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// Runs `body` with OpenBLAS limited to one thread (inside `parallelFor` workers, which each call BLAS), then
    /// restores the previous setting.
    static func withSingleThreadedBLAS<R>(_ body: () -> R) -> R {
        let previous = BLAS.threadCount
        if previous != 1 { BLAS.threadCount = 1 }
        defer { if previous != 1 { BLAS.threadCount = previous } }
        return body()
    }
}

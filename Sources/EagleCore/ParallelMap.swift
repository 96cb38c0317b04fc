import Dispatch

/// Order-preserving parallel map over `0..<count` on `threads` workers (Dispatch `concurrentPerform`).
/// Each worker takes a contiguous slice of indices, so output order never depends on the thread count.
/// The first error (by index) is rethrown after all workers finish.
public func parallelMap<T>(count: Int, threads: Int, _ body: @Sendable (Int) throws -> T) throws -> [T] {
    if count == 0 { return [] }
    let workers = max(1, min(threads, count))
    if workers == 1 { return try (0..<count).map(body) }
    let slots = ResultSlots<T>(count: count)
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        let lo = count * w / workers, hi = count * (w + 1) / workers
        for i in lo..<hi {
            do { slots.set(i, .success(try body(i))) } catch { slots.set(i, .failure(error)); return }
        }
    }
    return try slots.collect()
}

/// Runs `body(i)` for `i` in `0..<iterations` on Dispatch's worker pool (one iteration runs on the calling thread)
/// and returns when all are done.
///
/// The numeric kernels (target model, drafter training and inference) hand raw pointers to their workers, which
/// Swift 6 will not let a `@Sendable` closure capture. This is the one place that lifts the restriction: `body`
/// does not escape (the call is synchronous), and every caller gives each iteration a disjoint set of output
/// elements and reads only memory that no iteration writes. Keep it that way when adding callers.
public func parallelFor(_ iterations: Int, _ body: (Int) -> Void) {
    if iterations == 1 { body(0); return }
    withoutActuallyEscaping(body) { escapable in
        nonisolated(unsafe) let work = escapable
        DispatchQueue.concurrentPerform(iterations: iterations) { work($0) }
    }
}

/// Splits `0..<count` into at most `threads` contiguous ranges and runs `body(worker, range)` on each, in parallel
/// when there is more than one (see `parallelFor` for the rules callers follow). The split depends only on
/// `count` and `threads`, so results are reproducible; `worker` (0..<ranges) indexes per-worker scratch space.
public func parallelRanges(count: Int, threads: Int, _ body: (_ worker: Int, _ range: Range<Int>) -> Void) {
    if count <= 0 { return }
    let workers = max(1, min(threads, count))
    parallelFor(workers) { w in body(w, (count * w / workers)..<(count * (w + 1) / workers)) }
}

/// `parallelRanges` for bodies that need only the range.
public func parallelRanges(count: Int, threads: Int, _ body: (_ range: Range<Int>) -> Void) {
    parallelRanges(count: count, threads: threads) { (_: Int, range: Range<Int>) in body(range) }
}

/// Preallocated result storage written at disjoint indices by `parallelMap`'s workers.
private final class ResultSlots<T>: @unchecked Sendable {
    // @unchecked: every index is written by exactly one worker, and read only after concurrentPerform returns,
    // which orders those writes before the reads.
    private let buffer: UnsafeMutableBufferPointer<Result<T, any Error>?>

    init(count: Int) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: nil)
    }

    deinit {
        buffer.deinitialize()
        buffer.deallocate()
    }

    func set(_ i: Int, _ r: Result<T, any Error>) { buffer[i] = r }

    func collect() throws -> [T] {
        var out: [T] = []
        out.reserveCapacity(buffer.count)
        for r in buffer {
            switch r {
            case .success(let v): out.append(v)
            case .failure(let e): throw e
            case nil: break  // a worker stopped after an earlier failure in its slice; that failure comes first
            }
        }
        return out
    }
}

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

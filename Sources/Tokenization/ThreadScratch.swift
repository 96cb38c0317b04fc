#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-thread BPE scratch and word caches for the convenience `Tokenizer.encode` calls, as HF keeps its BPE
/// word cache per thread (`BPE_LOCAL_CACHE` in `models/bpe/model.rs`). Each thread keeps up to `capacity`
/// entries, each tied to a tokenizer by a weak reference: an entry whose tokenizer is gone is reused, and the
/// least recently used one is replaced when all are taken. Nothing here is shared between threads.
final class ThreadScratchPool {
    private static let capacity = 4

    private struct Entry {
        weak var owner: TokenizerPipeline?
        let scratch: BPEScratch
        var lastUse: UInt64
    }

    private var entries: [Entry] = []
    private var clock: UInt64 = 0

    /// The calling thread's pool.
    static var current: ThreadScratchPool {
        if let p = pthread_getspecific(poolKey) {
            return Unmanaged<ThreadScratchPool>.fromOpaque(p).takeUnretainedValue()
        }
        let pool = ThreadScratchPool()
        pthread_setspecific(poolKey, Unmanaged.passRetained(pool).toOpaque())
        return pool
    }

    /// The scratch (with its word cache) this thread uses for `owner`.
    func scratch(for owner: TokenizerPipeline) -> BPEScratch {
        clock += 1
        if let i = entries.firstIndex(where: { $0.owner === owner }) {
            entries[i].lastUse = clock
            return entries[i].scratch
        }
        let fresh = Entry(owner: owner, scratch: BPEScratch(), lastUse: clock)
        if let i = entries.firstIndex(where: { $0.owner == nil }) {
            entries[i] = fresh
        } else if entries.count < Self.capacity {
            entries.append(fresh)
        } else {
            let oldest = entries.indices.min { entries[$0].lastUse < entries[$1].lastUse }!
            entries[oldest] = fresh
        }
        return fresh.scratch
    }
}

/// The thread-specific slot holding each thread's `ThreadScratchPool` (released when the thread exits).
private let poolKey: pthread_key_t = {
    var key = pthread_key_t()
    let rc = pthread_key_create(&key) { p in
        if let p { Unmanaged<ThreadScratchPool>.fromOpaque(p).release() }
    }
    precondition(rc == 0, "pthread_key_create failed: \(rc)")
    return key
}()

/// Per-encoder mutable state: BPE work arrays and a bounded word cache. Owned by one `TokenEncoder` and used
/// from one thread at a time; never shared.
final class BPEScratch {
    /// Words up to this many symbols merge with a linear scan (`ranks` has this capacity).
    static let linearLimit = 64
    /// Buffers grown past this many symbols are released after the word (a 20 MB text without pre-tokenizer
    /// is one word).
    private static let retainedCapacity = 1 << 16

    private(set) var symbols: UnsafeMutablePointer<Int32>
    private(set) var prev: UnsafeMutablePointer<Int32>
    private(set) var next: UnsafeMutablePointer<Int32>
    let ranks: UnsafeMutablePointer<UInt64>
    private var capacity: Int
    /// Heap storage for long words; grows on demand (see `MinHeap`).
    var heap: UnsafeMutablePointer<UInt64>
    var heapCapacity: Int
    var cache = WordCache()

    init() {
        capacity = 256
        symbols = .allocate(capacity: capacity)
        prev = .allocate(capacity: capacity)
        next = .allocate(capacity: capacity)
        ranks = .allocate(capacity: Self.linearLimit)
        heapCapacity = 256
        heap = .allocate(capacity: heapCapacity)
    }

    deinit {
        symbols.deallocate()
        prev.deallocate()
        next.deallocate()
        ranks.deallocate()
        heap.deallocate()
    }

    /// Makes room for words of `n` symbols.
    @inline(__always)
    func reserve(_ n: Int) {
        if n > capacity { resize(n) }
    }

    /// Gives back buffers that one very long word made large.
    @inline(__always)
    func shrinkIfLarge() {
        if capacity > Self.retainedCapacity { resize(256) }
        if heapCapacity > Self.retainedCapacity {
            heap.deallocate()
            heapCapacity = 256
            heap = .allocate(capacity: heapCapacity)
        }
    }

    private func resize(_ n: Int) {
        var c = 256
        while c < n { c *= 2 }
        symbols.deallocate()
        prev.deallocate()
        next.deallocate()
        capacity = c
        symbols = .allocate(capacity: c)
        prev = .allocate(capacity: c)
        next = .allocate(capacity: c)
    }
}

/// A bounded cache of word → ids for words of up to `maxKeyLength` bytes (HF keeps a similar per-thread cache).
/// Starts small and doubles up to `maxEntries`; when full it is cleared, so memory stays bounded (~4 MB).
struct WordCache: ~Copyable {
    static let maxKeyLength = 64
    static let maxEntries = 1 << 15

    /// 0 = empty, else `(hash >> 32) << 32 | (entry + 1)`.
    private var slots: UnsafeMutablePointer<UInt64>
    private var mask: Int
    /// Per entry: key start, key length, ids start, ids count.
    private var entries: UnsafeMutablePointer<UInt32>
    private var count = 0
    private var keys: UnsafeMutablePointer<UInt8>
    private var keyCapacity: Int
    private var keyCount = 0
    private var ids: UnsafeMutablePointer<Int32>
    private var idCapacity: Int
    private var idCount = 0

    init() {
        let slotCount = 1024
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: 0, count: slotCount)
        mask = slotCount - 1
        entries = .allocate(capacity: 4 * slotCount / 2)
        keyCapacity = 8 * slotCount
        keys = .allocate(capacity: keyCapacity)
        idCapacity = 4 * slotCount
        ids = .allocate(capacity: idCapacity)
    }

    deinit {
        slots.deallocate()
        entries.deallocate()
        keys.deallocate()
        ids.deallocate()
    }

    /// Appends the cached ids of `p[0..<n]` to `out` and returns true, or returns false.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64, into out: inout [Int32]) -> Bool {
        let tag = h & 0xFFFF_FFFF_0000_0000
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s == 0 { return false }
            if s & 0xFFFF_FFFF_0000_0000 == tag {
                let e = entries + 4 * (Int(s & 0xFFFF_FFFF) - 1)
                if Int(e[1]) == n && bytesEqual(keys + Int(e[0]), p, n) {
                    out.append(contentsOf: UnsafeBufferPointer(start: ids + Int(e[2]), count: Int(e[3])))
                    return true
                }
            }
            i = (i + 1) & mask
        }
    }

    mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64, ids value: UnsafePointer<Int32>,
                         count m: Int) {
        if (count + 1) * 2 > mask + 1 {
            if mask + 1 < 2 * Self.maxEntries { growSlots() } else { clear() }
        }
        if keyCount + n > keyCapacity {
            if keyCapacity >= Self.maxEntries * Self.maxKeyLength / 4 { clear() }
            if keyCount + n > keyCapacity { growKeys() }
        }
        if idCount + m > idCapacity {
            if idCapacity >= Self.maxEntries * 8 { clear() }
            while idCount + m > idCapacity { growIds() }
        }
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        let e = entries + 4 * count
        e[0] = UInt32(keyCount)
        e[1] = UInt32(n)
        e[2] = UInt32(idCount)
        e[3] = UInt32(m)
        (keys + keyCount).update(from: p, count: n)
        keyCount += n
        (ids + idCount).update(from: value, count: m)
        idCount += m
        count += 1
        slots[i] = h & 0xFFFF_FFFF_0000_0000 | UInt64(count)
    }

    private mutating func clear() {
        slots.update(repeating: 0, count: mask + 1)
        count = 0
        keyCount = 0
        idCount = 0
    }

    private mutating func growSlots() {
        let slotCount = (mask + 1) * 2
        let newSlots = UnsafeMutablePointer<UInt64>.allocate(capacity: slotCount)
        newSlots.initialize(repeating: 0, count: slotCount)
        let newMask = slotCount - 1
        for i in 0 ... mask where slots[i] != 0 {
            let s = slots[i]
            let e = entries + 4 * (Int(s & 0xFFFF_FFFF) - 1)
            let h = keyHash(keys + Int(e[0]), Int(e[1]))
            var j = Int(truncatingIfNeeded: h) & newMask
            while newSlots[j] != 0 { j = (j + 1) & newMask }
            newSlots[j] = s
        }
        slots.deallocate()
        slots = newSlots
        mask = newMask
        let newEntries = UnsafeMutablePointer<UInt32>.allocate(capacity: 4 * slotCount / 2)
        newEntries.update(from: entries, count: 4 * count)
        entries.deallocate()
        entries = newEntries
    }

    private mutating func growKeys() {
        let c = keyCapacity * 2
        let k = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        k.update(from: keys, count: keyCount)
        keys.deallocate()
        keys = k
        keyCapacity = c
    }

    private mutating func growIds() {
        let c = idCapacity * 2
        let v = UnsafeMutablePointer<Int32>.allocate(capacity: c)
        v.update(from: ids, count: idCount)
        ids.deallocate()
        ids = v
        idCapacity = c
    }
}

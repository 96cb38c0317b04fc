/// Flat open-addressing hash tables used on the encoding hot path: byte strings → token id, and token-id pairs →
/// (merge rank, merged id). Built once at load time, then read-only (and so `Sendable`); the hot path reads them
/// through the `…View` structs, which hold unsafe pointers valid inside `withView`.

@inline(__always)
func hashBytes(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
    var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ (UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15)
    let raw = UnsafeRawPointer(p)
    var i = 0
    while i + 8 <= n {
        h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9FB2_1C65_1E98_DF25
        h ^= h >> 29
        i += 8
    }
    if i < n {
        var w: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            w |= UInt64(p[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ w) &* 0x9FB2_1C65_1E98_DF25
        h ^= h >> 29
    }
    h = (h ^ (h >> 32)) &* 0xD6E8_FEB8_6659_FD93
    return h ^ (h >> 32)
}

@inline(__always)
func bytesEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

/// Byte string → Int32. Inserting an existing key replaces its value (as a Rust `HashMap` built by `collect`).
struct ByteStringTable: Sendable {
    /// 0 = empty; otherwise `(hash >> 32) << 32 | (entry + 1)`.
    private var slots: [UInt64]
    private var values: [Int32] = []
    /// Entry `e`'s key is `keys[starts[e] ..< starts[e + 1]]`.
    private var starts: [UInt32] = [0]
    private var keys: [UInt8] = []
    private var mask: Int

    init(minimumCapacity: Int) {
        var capacity = 16
        while capacity < minimumCapacity * 2 { capacity <<= 1 }
        slots = [UInt64](repeating: 0, count: capacity)
        mask = capacity - 1
        values.reserveCapacity(minimumCapacity)
        starts.reserveCapacity(minimumCapacity + 1)
    }

    var count: Int { values.count }

    /// Inserts or replaces. Grows when half full.
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, value: Int32) {
        if (values.count + 1) * 2 > slots.count { grow() }
        let base = key.baseAddress ?? UnsafePointer(bitPattern: 1)!
        let h = hashBytes(base, key.count)
        let tag = h & 0xFFFF_FFFF_0000_0000
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s == 0 { break }
            if s & 0xFFFF_FFFF_0000_0000 == tag {
                let e = Int(s & 0xFFFF_FFFF) - 1
                let a = Int(starts[e]), b = Int(starts[e + 1])
                if b - a == key.count && keys.withUnsafeBufferPointer({ bytesEqual($0.baseAddress! + a, base, key.count) }) {
                    values[e] = value
                    return
                }
            }
            i = (i + 1) & mask
        }
        let e = values.count
        values.append(value)
        keys.append(contentsOf: key)
        starts.append(UInt32(keys.count))
        slots[i] = tag | UInt64(e + 1)
    }

    mutating func insert(_ key: [UInt8], value: Int32) {
        key.withUnsafeBufferPointer { insert($0, value: value) }
    }

    private mutating func grow() {
        let capacity = slots.count * 2
        var newSlots = [UInt64](repeating: 0, count: capacity)
        let newMask = capacity - 1
        keys.withUnsafeBufferPointer { k in
            let base = k.baseAddress ?? UnsafePointer(bitPattern: 1)!
            for e in 0..<values.count {
                let a = Int(starts[e]), b = Int(starts[e + 1])
                let h = hashBytes(base + a, b - a)
                var i = Int(truncatingIfNeeded: h) & newMask
                while newSlots[i] != 0 { i = (i + 1) & newMask }
                newSlots[i] = h & 0xFFFF_FFFF_0000_0000 | UInt64(e + 1)
            }
        }
        slots = newSlots
        mask = newMask
    }

    func lookup(_ key: [UInt8]) -> Int32? {
        withView { v in key.withUnsafeBufferPointer { k in
            let r = v.lookup(k.baseAddress ?? UnsafePointer(bitPattern: 1)!, k.count)
            return r < 0 ? nil : r
        } }
    }

    /// All (key, value) pairs in insertion order.
    func forEach(_ body: (UnsafeBufferPointer<UInt8>, Int32) -> Void) {
        keys.withUnsafeBufferPointer { k in
            let base = k.baseAddress ?? UnsafePointer(bitPattern: 1)!
            for e in 0..<values.count {
                let a = Int(starts[e]), b = Int(starts[e + 1])
                body(UnsafeBufferPointer(start: base + a, count: b - a), values[e])
            }
        }
    }

    func withView<R>(_ body: (ByteStringTableView) throws -> R) rethrows -> R {
        try slots.withUnsafeBufferPointer { s in
            try values.withUnsafeBufferPointer { v in
                try starts.withUnsafeBufferPointer { st in
                    try keys.withUnsafeBufferPointer { k in
                        try body(ByteStringTableView(
                            slots: s.baseAddress!, values: v.baseAddress ?? UnsafePointer(bitPattern: 4)!,
                            starts: st.baseAddress!, keys: k.baseAddress ?? UnsafePointer(bitPattern: 1)!,
                            mask: mask))
                    }
                }
            }
        }
    }
}

struct ByteStringTableView {
    let slots: UnsafePointer<UInt64>
    let values: UnsafePointer<Int32>
    let starts: UnsafePointer<UInt32>
    let keys: UnsafePointer<UInt8>
    let mask: Int

    /// The value of the key `p[0..<n]`, or -1.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
        lookup(p, n, hash: hashBytes(p, n))
    }

    /// As `lookup(_:_:)` with the key's `hashBytes` already computed.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> Int32 {
        let tag = h & 0xFFFF_FFFF_0000_0000
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s == 0 { return -1 }
            if s & 0xFFFF_FFFF_0000_0000 == tag {
                let e = Int(s & 0xFFFF_FFFF) - 1
                let a = Int(starts[e])
                if Int(starts[e + 1]) - a == n && bytesEqual(keys + a, p, n) { return values[e] }
            }
            i = (i + 1) & mask
        }
    }
}

/// (left id, right id) → (rank, merged id), packed as `rank << 32 | merged`. A later insert of the same pair
/// replaces the earlier one, as HF's `MergeMap` built with `collect()` does.
struct PairTable: Sendable {
    /// Interleaved (key, value); key `UInt64.max` = empty.
    private var storage: [UInt64]
    private let shift: UInt64
    private(set) var count = 0

    static let missing = UInt64.max

    init(minimumCapacity: Int) {
        var bits: UInt64 = 4
        while (1 << bits) < minimumCapacity * 2 { bits += 1 }
        storage = [UInt64](repeating: UInt64.max, count: 2 << bits)
        shift = 64 - bits
    }

    @inline(__always)
    static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }

    /// Inserts or replaces; `minimumCapacity` must cover every distinct pair (the table does not grow).
    mutating func insert(_ a: Int32, _ b: Int32, rank: Int32, merged: Int32) {
        let k = Self.key(a, b)
        let mask = storage.count / 2 - 1
        var i = Int(truncatingIfNeeded: (k &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let s = storage[2 * i]
            if s == k || s == UInt64.max {
                if s == UInt64.max { count += 1 }
                storage[2 * i] = k
                storage[2 * i + 1] = UInt64(UInt32(rank)) << 32 | UInt64(UInt32(bitPattern: merged))
                return
            }
            i = (i + 1) & mask
        }
    }

    func withView<R>(_ body: (PairTableView) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer { s in
            try body(PairTableView(storage: s.baseAddress!, mask: s.count / 2 - 1, shift: shift))
        }
    }
}

struct PairTableView {
    let storage: UnsafePointer<UInt64>
    let mask: Int
    let shift: UInt64

    /// `rank << 32 | merged` of the pair, or `PairTable.missing`.
    @inline(__always)
    func lookup(_ a: Int32, _ b: Int32) -> UInt64 {
        let k = PairTable.key(a, b)
        var i = Int(truncatingIfNeeded: (k &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let s = storage[2 * i]
            if s == k { return storage[2 * i + 1] }
            if s == UInt64.max { return PairTable.missing }
            i = (i + 1) & mask
        }
    }
}

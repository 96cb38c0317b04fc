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

/// The hash of a key as the tables use it: keys of up to 8 bytes are packed into one word and mixed (cheap, and
/// the packed word doubles as the key itself); longer keys go through `hashBytes`.
@inline(__always)
func keyHash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
    guard n <= 8 else { return hashBytes(p, n) }
    var h = (packShortKey(p, n) ^ UInt64(truncatingIfNeeded: n) << 59) &* 0x9E37_79B9_7F4A_7C15
    h ^= h >> 32
    return h &* 0xD6E8_FEB8_6659_FD93
}

/// Keys of 1…8 bytes as a little-endian word, zero-padded.
@inline(__always)
func packShortKey(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
    let raw = UnsafeRawPointer(p)
    if n >= 4 {
        let lo = UInt64(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
        let hi = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)))
        return lo | hi << UInt64(8 * (n - 4))
    }
    var k: UInt64 = 0
    for i in 0 ..< n { k |= UInt64(p[i]) << UInt64(8 * i) }
    return k
}

/// Byte string → Int32. Inserting an existing key replaces its value (as a Rust `HashMap` built by `collect`).
///
/// Each slot is two words, so a lookup of a key of up to 8 bytes (most tokens) touches one cache line:
/// - word 0: the key itself, packed (≤ 8 bytes), or `hash >> 32 << 32 | offset in keys` (longer keys);
/// - word 1: `length << 32 | value`, 0 for an empty slot (keys are never empty).
struct ByteStringTable: Sendable {
    private var slots: [UInt64]
    private var keys: [UInt8] = []
    private var mask: Int
    private(set) var count = 0

    init(minimumCapacity: Int) {
        var capacity = 16
        while capacity < minimumCapacity * 2 { capacity <<= 1 }
        slots = [UInt64](repeating: 0, count: 2 * capacity)
        mask = capacity - 1
    }

    /// Inserts or replaces (empty keys are ignored: no piece is ever empty). Grows when half full.
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, value: Int32) {
        guard let p = key.baseAddress, key.count > 0 else { return }
        if (count + 1) * 2 > mask + 1 { grow() }
        let n = key.count
        let h = keyHash(p, n)
        let w0: UInt64
        if n <= 8 {
            w0 = packShortKey(p, n)
        } else {
            w0 = h & 0xFFFF_FFFF_0000_0000 | UInt64(keys.count)
        }
        let w1 = UInt64(n) << 32 | UInt64(UInt32(bitPattern: value))
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[2 * i + 1] != 0 {
            if slots[2 * i + 1] >> 32 == UInt64(n) && sameKey(slots[2 * i], p, n, w0) {
                slots[2 * i + 1] = w1
                return
            }
            i = (i + 1) & mask
        }
        if n > 8 { keys.append(contentsOf: key) }
        slots[2 * i] = w0
        slots[2 * i + 1] = w1
        count += 1
    }

    private func sameKey(_ stored: UInt64, _ p: UnsafePointer<UInt8>, _ n: Int, _ candidate: UInt64) -> Bool {
        if n <= 8 { return stored == candidate }
        guard stored >> 32 == candidate >> 32 else { return false }
        let offset = Int(stored & 0xFFFF_FFFF)
        return keys.withUnsafeBufferPointer { bytesEqual($0.baseAddress! + offset, p, n) }
    }

    mutating func insert(_ key: [UInt8], value: Int32) {
        key.withUnsafeBufferPointer { insert($0, value: value) }
    }

    private mutating func grow() {
        let capacity = (mask + 1) * 2
        var newSlots = [UInt64](repeating: 0, count: 2 * capacity)
        let newMask = capacity - 1
        keys.withUnsafeBufferPointer { k in
            for i in 0 ... mask where slots[2 * i + 1] != 0 {
                let w0 = slots[2 * i], w1 = slots[2 * i + 1]
                let n = Int(w1 >> 32)
                let h: UInt64
                if n <= 8 {
                    var bytes = w0
                    h = withUnsafeBytes(of: &bytes) { keyHash($0.baseAddress!.assumingMemoryBound(to: UInt8.self), n) }
                } else {
                    h = hashBytes(k.baseAddress! + Int(w0 & 0xFFFF_FFFF), n)
                }
                var j = Int(truncatingIfNeeded: h) & newMask
                while newSlots[2 * j + 1] != 0 { j = (j + 1) & newMask }
                newSlots[2 * j] = w0
                newSlots[2 * j + 1] = w1
            }
        }
        slots = newSlots
        mask = newMask
    }

    func lookup(_ key: [UInt8]) -> Int32? {
        withView { v in key.withUnsafeBufferPointer { k in
            guard let p = k.baseAddress, k.count > 0 else { return nil }
            let r = v.lookup(p, k.count)
            return r < 0 ? nil : r
        } }
    }

    func withView<R>(_ body: (ByteStringTableView) throws -> R) rethrows -> R {
        try slots.withUnsafeBufferPointer { s in
            try keys.withUnsafeBufferPointer { k in
                try body(ByteStringTableView(slots: s.baseAddress!, keys: k.baseAddress ?? UnsafePointer(bitPattern: 1)!,
                                             mask: mask))
            }
        }
    }
}

struct ByteStringTableView {
    let slots: UnsafePointer<UInt64>
    let keys: UnsafePointer<UInt8>
    let mask: Int

    /// The value of the key `p[0..<n]` (n > 0), or -1.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
        lookup(p, n, hash: keyHash(p, n))
    }

    /// As `lookup(_:_:)` with the key's `keyHash` already computed.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> Int32 {
        var i = Int(truncatingIfNeeded: h) & mask
        if n <= 8 {
            let k = packShortKey(p, n)
            while true {
                let w1 = slots[2 * i + 1]
                if w1 == 0 { return -1 }
                if slots[2 * i] == k && w1 >> 32 == UInt64(n) { return Int32(truncatingIfNeeded: w1) }
                i = (i + 1) & mask
            }
        }
        let tag = h & 0xFFFF_FFFF_0000_0000
        while true {
            let w1 = slots[2 * i + 1]
            if w1 == 0 { return -1 }
            let w0 = slots[2 * i]
            if w1 >> 32 == UInt64(n) && w0 & 0xFFFF_FFFF_0000_0000 == tag
                && bytesEqual(keys + Int(w0 & 0xFFFF_FFFF), p, n) {
                return Int32(truncatingIfNeeded: w1)
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

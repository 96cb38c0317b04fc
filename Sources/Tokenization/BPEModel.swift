/// The `model` stage: byte-pair encoding as HF `tokenizers`' `BPE`
/// (https://github.com/huggingface/tokenizers/blob/3ba8ad0061a885baf052bbb7bbd22857e73e0c4e/tokenizers/src/models/bpe/model.rs
/// and `word.rs` there), for byte-level vocabularies (GPT-2 alphabet; one initial symbol per byte) and
/// SentencePiece-style ones (one initial symbol per Unicode scalar, `<0xXX>` byte fallback, `<unk>` fusing).
///
/// Merging repeatedly applies the adjacent pair with the lowest merge rank, the leftmost among equals — the
/// order HF's heap (min rank, then min position) produces. Short words use a linear scan, long ones a heap over
/// a linked list, so a 100 kB run of spaces is not quadratic.
struct BPEModel: Sendable {
    /// Encoding key → id. Keys are raw bytes for byte-level vocabularies, the UTF-8 spelling otherwise.
    let vocab: ByteStringTable
    let merges: PairTable
    let isByteLevel: Bool
    /// Byte-level: the id of each single-byte token, or -1.
    let byteIds: [Int32]
    /// SentencePiece `byte_fallback`: the id of each `<0xXX>` token, or -1 (all -1 when off).
    let byteFallbackIds: [Int32]
    let byteFallback: Bool
    /// `unk_token`'s id, or -1 (unknown symbols are then dropped, as HF does).
    let unkId: Int32
    let fuseUnk: Bool
    /// Llama-3's `ignore_merges`: a word that is itself a token is emitted as is, without merging (checked before
    /// the word cache, as HF's `tokenize_with_cache` does). Without it a word that is a token can still come out
    /// in several pieces, e.g. Llama-3's "Cửa Việt" differs.
    let ignoreMerges: Bool
    /// Tokens whose byte-level spelling has characters outside GPT-2's alphabet (so the model can never produce
    /// them); kept for `id(of:)`, keyed by spelling.
    let unmappable: ByteStringTable

    /// Builds the model; `spellings` receives each vocabulary entry's (spelling, id) for the id → token table.
    init(_ c: ModelConfiguration, byteLevel: Bool, path: String,
         spellings: (ArraySlice<UInt8>, Int32) -> Void) throws(TokenizerError) {
        guard c.type == nil || c.type == "BPE" else {
            throw .unsupported(component: "model", type: c.type!, path: path)
        }
        if let d = c.dropout, d != 0 {
            throw .unsupported(component: "model", type: "BPE(dropout: \(d))", path: path)
        }
        if let s = c.continuingSubwordPrefix, !s.isEmpty {
            throw .unsupported(component: "model", type: "BPE(continuing_subword_prefix: \(s.debugDescription))", path: path)
        }
        if let s = c.endOfWordSuffix, !s.isEmpty {
            throw .unsupported(component: "model", type: "BPE(end_of_word_suffix: \(s.debugDescription))", path: path)
        }
        guard c.vocab.count > 0, c.vocab.count == c.vocabIds.count else {
            throw .missingKey(path: path, key: "model.vocab")
        }
        isByteLevel = byteLevel
        ignoreMerges = c.ignoreMerges
        fuseUnk = c.fuseUnk
        byteFallback = c.byteFallback

        // Encoding keys: raw bytes for byte-level vocabularies (spellings outside the alphabet are kept aside).
        var vocab = ByteStringTable(minimumCapacity: c.vocab.count)
        var unmappable = ByteStringTable(minimumCapacity: 4)
        var key: [UInt8] = []
        c.vocab.bytes.withUnsafeBufferPointer { all in
            var start = 0
            for e in 0 ..< c.vocab.count {
                let end = c.vocab.ends[e]
                let spelling = UnsafeBufferPointer(rebasing: all[start ..< end])
                spellings(c.vocab.bytes[start ..< end], c.vocabIds[e])
                key.removeAll(keepingCapacity: true)
                if !byteLevel {
                    vocab.insert(spelling, value: c.vocabIds[e])
                } else if ByteLevelAlphabet.appendRawBytes(ofSpelling: spelling, to: &key) {
                    key.withUnsafeBufferPointer { vocab.insert($0, value: c.vocabIds[e]) }
                } else {
                    unmappable.insert(spelling, value: c.vocabIds[e])
                }
                start = end
            }
        }

        // Merges: (left id, right id) → (rank, id of left+right).
        let mergeCount = c.merges.count / 2
        var merges = PairTable(minimumCapacity: mergeCount)
        var failure: (Int, [UInt8])?
        vocab.withView { v in
            c.merges.bytes.withUnsafeBufferPointer { all in
                func append(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
                    byteLevel ? ByteLevelAlphabet.appendRawBytes(ofSpelling: s, to: &key) : { key.append(contentsOf: s); return true }()
                }
                for m in 0 ..< mergeCount {
                    let l = UnsafeBufferPointer(rebasing: all[(m == 0 ? 0 : c.merges.ends[2 * m - 1]) ..< c.merges.ends[2 * m]])
                    let r = UnsafeBufferPointer(rebasing: all[c.merges.ends[2 * m] ..< c.merges.ends[2 * m + 1]])
                    key.removeAll(keepingCapacity: true)
                    let lOK = append(l)
                    let split = key.count
                    let rOK = append(r)
                    let ids = key.withUnsafeBufferPointer { k -> (Int32, Int32, Int32) in
                        let p = k.baseAddress ?? UnsafePointer(bitPattern: 1)!
                        return (lOK ? v.lookup(p, split) : -1, rOK ? v.lookup(p + split, k.count - split) : -1,
                                lOK && rOK ? v.lookup(p, k.count) : -1)
                    }
                    if ids.0 < 0 { failure = (m, Array(l)); return }
                    if ids.1 < 0 { failure = (m, Array(r)); return }
                    if ids.2 < 0 { failure = (m, Array(l) + Array(r)); return }
                    merges.insert(ids.0, ids.1, rank: Int32(m), merged: ids.2)
                }
            }
        }
        if let (m, token) = failure {
            throw .invalidValue(path: path, key: "model.merges[\(m)]",
                                message: "token \(String(decoding: token, as: UTF8.self).debugDescription) is not in the vocabulary")
        }

        var byteIds = [Int32](repeating: -1, count: 256)
        var fallback = [Int32](repeating: -1, count: 256)
        for b in 0 ..< 256 {
            if byteLevel { byteIds[b] = vocab.lookup([UInt8(b)]) ?? -1 }
            if c.byteFallback {
                fallback[b] = vocab.lookup(Array(byteFallbackSpelling(UInt8(b)).utf8)) ?? -1
            }
        }
        if let unk = c.unkToken {
            guard let id = vocab.lookup(Array(unk.utf8)) ?? unmappable.lookup(Array(unk.utf8)) else {
                throw .invalidValue(path: path, key: "model.unk_token",
                                    message: "\(unk.debugDescription) is not in the vocabulary")
            }
            unkId = id
        } else {
            unkId = -1
        }
        self.vocab = vocab
        self.merges = merges
        self.byteIds = byteIds
        self.byteFallbackIds = fallback
        self.unmappable = unmappable
    }

    /// The id of a token given by its spelling in the vocabulary (`Ġhello`, `▁Hello`, `<0x0A>`).
    func id(ofSpelling s: [UInt8]) -> Int32? {
        if isByteLevel {
            if let raw = s.withUnsafeBufferPointer({ ByteLevelAlphabet.rawBytes(ofSpelling: $0) }),
               let id = vocab.lookup(raw) {
                return id
            }
            return unmappable.lookup(s)
        }
        return vocab.lookup(s)
    }
}

/// `<0x0A>`: HF formats byte-fallback tokens with `format!("<{b:#04X}>")`.
func byteFallbackSpelling(_ b: UInt8) -> String {
    let hex = Array("0123456789ABCDEF")
    return "<0x\(hex[Int(b >> 4)])\(hex[Int(b & 15)])>"
}

/// Read-only pointers to a `BPEModel`'s tables for the duration of one encode call.
struct BPEModelView {
    let vocab: ByteStringTableView
    let merges: PairTableView
    let byteIds: UnsafePointer<Int32>
    let byteFallbackIds: UnsafePointer<Int32>
    let model: BPEModel

    /// Appends the ids of one pre-tokenized piece `p[0..<n]` (n > 0).
    @inline(__always)
    func encode(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [Int32], scratch: BPEScratch) {
        let h = keyHash(p, n)
        if model.ignoreMerges {
            let id = vocab.lookup(p, n, hash: h)
            if id >= 0 {
                out.append(id)
                return
            }
        }
        if n <= WordCache.maxKeyLength, scratch.cache.lookup(p, n, hash: h, into: &out) { return }
        let first = out.count
        var count = initialSymbols(p, n, scratch: scratch)
        let sym = scratch.symbols
        if count > 1 {
            count = count <= BPEScratch.linearLimit ? mergeLinear(count, scratch: scratch)
                                                    : mergeWithHeap(count, scratch: scratch)
        }
        out.append(contentsOf: UnsafeBufferPointer(start: sym, count: count))
        scratch.shrinkIfLarge()
        if n <= WordCache.maxKeyLength {
            out.withUnsafeBufferPointer { o in
                scratch.cache.insert(p, n, hash: h, ids: o.baseAddress! + first, count: count)
            }
        }
    }

    /// HF `merge_word` before merging: one symbol per byte (byte-level) or per scalar, with byte fallback (a
    /// scalar missing from the vocabulary becomes the `<0xXX>` tokens of its UTF-8 bytes, if all exist) and
    /// `<unk>` (fused when `fuse_unk`); with neither, the scalar is dropped. Note HF's quirk, kept: a pending `<unk>` is not flushed before byte
    /// fallback symbols, so it lands after them.
    @inline(__always)
    private func initialSymbols(_ p: UnsafePointer<UInt8>, _ n: Int, scratch: BPEScratch) -> Int {
        scratch.reserve(n + 1)
        let sym = scratch.symbols
        var count = 0
        var pendingUnk = false
        var i = 0
        while i < n {
            let id: Int32
            let l: Int
            if model.isByteLevel {
                id = byteIds[Int(p[i])]
                l = 1
            } else {
                l = decodeScalar(p, i, n).1
                id = vocab.lookup(p + i, l)
            }
            if id >= 0 {
                if pendingUnk {
                    sym[count] = model.unkId
                    count += 1
                    pendingUnk = false
                }
                sym[count] = id
                count += 1
            } else if model.byteFallback && (0 ..< l).allSatisfy({ byteFallbackIds[Int(p[i + $0])] >= 0 }) {
                for k in 0 ..< l {
                    sym[count] = byteFallbackIds[Int(p[i + k])]
                    count += 1
                }
            } else if model.unkId >= 0 {
                if pendingUnk && !model.fuseUnk {
                    sym[count] = model.unkId
                    count += 1
                }
                pendingUnk = true
            }
            i += l
        }
        if pendingUnk {
            sym[count] = model.unkId
            count += 1
        }
        return count
    }

    /// Lowest rank first, leftmost among equals; O(n²) but tight, for short words.
    @inline(__always)
    private func mergeLinear(_ n: Int, scratch: BPEScratch) -> Int {
        let sym = scratch.symbols
        let r = scratch.ranks
        var count = n
        for i in 0 ..< count - 1 { r[i] = merges.lookup(sym[i], sym[i + 1]) }
        while count > 1 {
            var best = PairTable.missing
            var bi = -1
            for i in 0 ..< count - 1 where r[i] < best {
                best = r[i]
                bi = i
            }
            if bi < 0 { break }
            sym[bi] = Int32(truncatingIfNeeded: best & 0xFFFF_FFFF)
            var j = bi + 1
            while j < count - 1 {
                sym[j] = sym[j + 1]
                j += 1
            }
            j = bi + 1
            while j < count - 2 {
                r[j] = r[j + 1]
                j += 1
            }
            count -= 1
            if bi > 0 { r[bi - 1] = merges.lookup(sym[bi - 1], sym[bi]) }
            if bi < count - 1 { r[bi] = merges.lookup(sym[bi], sym[bi + 1]) }
        }
        return count
    }

    /// HF `Word::merge_all`: a min-heap of (rank, position) over a doubly linked symbol list; stale entries
    /// (the pair at that position changed) are skipped.
    private func mergeWithHeap(_ n: Int, scratch: BPEScratch) -> Int {
        let sym = scratch.symbols
        let prev = scratch.prev
        let next = scratch.next
        var heap = MinHeap(scratch)
        defer { heap.giveBack(to: scratch) }
        for i in 0 ..< n {
            prev[i] = Int32(i - 1)
            next[i] = i + 1 < n ? Int32(i + 1) : -1
        }
        for i in 0 ..< n - 1 {
            let v = merges.lookup(sym[i], sym[i + 1])
            if v != PairTable.missing { heap.push(v & 0xFFFF_FFFF_0000_0000 | UInt64(i)) }
        }
        while let top = heap.pop() {
            let pos = Int(top & 0xFFFF_FFFF)
            let rank = top >> 32
            if sym[pos] < 0 { continue }           // absorbed into its left neighbour
            let nx = Int(next[pos])
            if nx < 0 { continue }
            let v = merges.lookup(sym[pos], sym[nx])
            if v == PairTable.missing || v >> 32 != rank { continue }  // stale
            sym[pos] = Int32(truncatingIfNeeded: v & 0xFFFF_FFFF)
            sym[nx] = -1
            let after = next[nx]
            next[pos] = after
            if after >= 0 { prev[Int(after)] = Int32(pos) }
            let pv = Int(prev[pos])
            if pv >= 0 {
                let w = merges.lookup(sym[pv], sym[pos])
                if w != PairTable.missing { heap.push(w & 0xFFFF_FFFF_0000_0000 | UInt64(pv)) }
            }
            if after >= 0 {
                let w = merges.lookup(sym[pos], sym[Int(after)])
                if w != PairTable.missing { heap.push(w & 0xFFFF_FFFF_0000_0000 | UInt64(pos)) }
            }
        }
        var count = 0
        for i in 0 ..< n where sym[i] >= 0 {
            sym[count] = sym[i]
            count += 1
        }
        return count
    }
}

extension BPEModel {
    func withView<R>(_ body: (BPEModelView) throws -> R) rethrows -> R {
        try vocab.withView { v in
            try merges.withView { m in
                try byteIds.withUnsafeBufferPointer { b in
                    try byteFallbackIds.withUnsafeBufferPointer { f in
                        try body(BPEModelView(vocab: v, merges: m, byteIds: b.baseAddress!,
                                              byteFallbackIds: f.baseAddress!, model: self))
                    }
                }
            }
        }
    }
}

/// A binary min-heap of UInt64 in `BPEScratch.heap`, grown on demand and handed back when done.
struct MinHeap {
    private var storage: UnsafeMutablePointer<UInt64>
    private var capacity: Int
    private(set) var count = 0

    init(_ scratch: BPEScratch) {
        storage = scratch.heap
        capacity = scratch.heapCapacity
    }

    /// Returns the (possibly reallocated) storage to the scratch.
    func giveBack(to scratch: BPEScratch) {
        scratch.heap = storage
        scratch.heapCapacity = capacity
    }

    @inline(__always)
    mutating func push(_ v: UInt64) {
        if count == capacity {
            let bigger = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity * 2)
            bigger.update(from: storage, count: count)
            storage.deallocate()
            storage = bigger
            capacity *= 2
        }
        var i = count
        count += 1
        while i > 0 {
            let parent = (i - 1) / 2
            if storage[parent] <= v { break }
            storage[i] = storage[parent]
            i = parent
        }
        storage[i] = v
    }

    @inline(__always)
    mutating func pop() -> UInt64? {
        guard count > 0 else { return nil }
        let top = storage[0]
        count -= 1
        if count > 0 {
            let v = storage[count]
            var i = 0
            while true {
                var c = 2 * i + 1
                if c >= count { break }
                if c + 1 < count && storage[c + 1] < storage[c] { c += 1 }
                if v <= storage[c] { break }
                storage[i] = storage[c]
                i = c
            }
            storage[i] = v
        }
        return top
    }
}

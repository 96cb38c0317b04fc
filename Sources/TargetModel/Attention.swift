import Dispatch
import EagleCore
import LinearAlgebra

/// A run of tokens of one sequence inside a packed batch: packed rows `firstRow ..< firstRow + count`, whose keys
/// and values go to entries `startPosition ..< startPosition + count` of KV-cache slot `slot`.
///
/// Without `parents` the rows are consecutive tokens at positions `startPosition + i`, each attending to every
/// cached entry before it (causal). With `parents` they are a tree of candidate continuations (speculative
/// verification of a draft tree): row i's parent is row `parents[i] < i`, or −1 for a row that continues the
/// cached prefix directly; row i sits at position `startPosition + depth(i)` (a root has depth 0) and attends to
/// the prefix `0 ..< startPosition`, then its ancestors from the root down, then itself: exactly the keys, in
/// the order, that a single-token decoding step of its path sees.
public struct Segment: Sendable, Equatable {
    public var slot: Int
    public var firstRow: Int
    public var count: Int
    public var startPosition: Int
    public var parents: [Int]?

    public init(slot: Int, firstRow: Int, count: Int, startPosition: Int, parents: [Int]? = nil) {
        self.slot = slot
        self.firstRow = firstRow
        self.count = count
        self.startPosition = startPosition
        self.parents = parents
    }

    /// Each row's position minus `startPosition`: its depth in the tree (a root: 0), or `i` for consecutive rows.
    public var depths: [Int] {
        guard let parents else { return Array(0..<count) }
        var d = [Int](repeating: 0, count: count)
        for i in 0..<count where parents[i] >= 0 { d[i] = d[parents[i]] + 1 }
        return d
    }
}

/// Causal grouped-query attention of packed segments against the KV cache (which already holds this step's keys
/// and values). `softmax(q·kᵀ · hd^-½ + causal mask) · v` per query head, the query head h reading kv head
/// `h / (nh / nkv)` (transformers' `repeat_kv`).
///
/// Work is split into (segment, head) tasks run in parallel, longest first. Segments of at least `blasThreshold`
/// queries (prefill) go through single-threaded BLAS in blocks of `blockRows` queries: `S = Q_blk · K[lo..<hi]ᵀ`,
/// masked row softmax, `O = S · V[lo..<hi]`; a block computes only the keys up to its last query, so the causal
/// waste is under half a block per row. Short segments (generation steps) use a vectorised dot-product kernel.
/// (One multi-threaded BLAS call per block instead costs a thread hand-off per small GEMM, which on a busy
/// machine took longer than the arithmetic.)
enum Attention {
    static let blasThreshold = 16
    static let blockRows = 128

    /// - q: per segment `s`, `[nh, count_s, hd]` at `q + qOffsets[s]` (head-major, after RoPE).
    /// - out: `[T, nh·hd]`, row `firstRow + i` receives the attention output of query `i` of the segment.
    static func run(segments: [Segment], q: UnsafePointer<Float>, qOffsets: [Int], cache: KVCache, layer: Int,
                    configuration c: ModelConfiguration, out: UnsafeMutablePointer<Float>, threads: Int) throws {
        let scale = Float(1 / Double(c.headDim).squareRoot())
        var tasks: [(segment: Int, head: Int, cost: Int)] = []
        for (s, seg) in segments.enumerated() where seg.count > 0 {
            let cost = seg.count * (seg.startPosition + seg.count)
            for h in 0..<c.headCount { tasks.append((s, h, cost)) }
        }
        tasks.sort { $0.cost > $1.cost }
        let usesBLAS = segments.contains { $0.count >= blasThreshold && $0.parents == nil }
        let maxKeys = segments.map { $0.startPosition + $0.count }.max() ?? 0
        let failure = FirstError()
        let work = { (t: Int) in
            let (s, h, _) = tasks[t]
            let seg = segments[s]
            let qh = q + qOffsets[s] + h * seg.count * c.headDim
            if seg.count >= blasThreshold && seg.parents == nil {
                do {
                    try blockedHead(seg, q: qh, head: h, cache: cache, layer: layer, configuration: c, scale: scale, out: out)
                } catch { failure.record(error) }
            } else {
                vectorHead(seg, q: qh, head: h, cache: cache, layer: layer, configuration: c, scale: scale, out: out, maxKeys: maxKeys)
            }
        }
        if threads <= 1 || tasks.count <= 1 {
            for t in tasks.indices { work(t) }
        } else {
            let blasThreads = BLAS.threadCount
            if usesBLAS { BLAS.threadCount = 1 }
            parallelFor(tasks.count, work)
            if usesBLAS { BLAS.threadCount = blasThreads }
        }
        try failure.rethrow()
    }

    /// The keys position `p` may attend to: `[p − window + 1, p]` clipped at 0, or `[0, p]` without a window.
    @inline(__always)
    static func keyRange(position p: Int, window: Int?) -> Range<Int> {
        (window.map { max(0, p - $0 + 1) } ?? 0)..<(p + 1)
    }

    private static func blockedHead(_ seg: Segment, q: UnsafePointer<Float>, head h: Int, cache: KVCache, layer: Int,
                                    configuration c: ModelConfiguration, scale: Float, out: UnsafeMutablePointer<Float>) throws {
        let hd = c.headDim, g = h / c.groupSize
        let keys = cache.keyBase(layer: layer, slot: seg.slot, head: g)
        let values = cache.valueBase(layer: layer, slot: seg.slot, head: g)
        let maxBlock = min(blockRows, seg.count)
        let maxKeys = seg.startPosition + seg.count
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: maxBlock * maxKeys)
        let blockOut = UnsafeMutablePointer<Float>.allocate(capacity: maxBlock * hd)
        defer { scores.deallocate(); blockOut.deallocate() }
        var b0 = 0
        while b0 < seg.count {
            let rows = min(blockRows, seg.count - b0)
            let lo = keyRange(position: seg.startPosition + b0, window: c.slidingWindow).lowerBound
            let hi = seg.startPosition + b0 + rows
            let nk = hi - lo
            try BLAS.sgemm(m: rows, n: nk, k: hd,
                           a: UnsafeBufferPointer(start: q + b0 * hd, count: rows * hd),
                           b: UnsafeBufferPointer(start: keys + lo * hd, count: nk * hd), transB: true,
                           c: UnsafeMutableBufferPointer(start: scores, count: rows * nk), alpha: scale)
            for r in 0..<rows {
                let valid = keyRange(position: seg.startPosition + b0 + r, window: c.slidingWindow)
                let row = scores + r * nk
                let first = valid.lowerBound - lo, end = valid.upperBound - lo
                for j in 0..<first { row[j] = 0 }
                Kernels.softmax(row + first, count: end - first)
                for j in end..<nk { row[j] = 0 }
            }
            try BLAS.sgemm(m: rows, n: hd, k: nk,
                           a: UnsafeBufferPointer(start: scores, count: rows * nk),
                           b: UnsafeBufferPointer(start: values + lo * hd, count: nk * hd),
                           c: UnsafeMutableBufferPointer(start: blockOut, count: rows * hd))
            for r in 0..<rows {
                (out + (seg.firstRow + b0 + r) * c.qDim + h * hd).update(from: blockOut + r * hd, count: hd)
            }
            b0 += rows
        }
    }

    private static func vectorHead(_ seg: Segment, q: UnsafePointer<Float>, head h: Int, cache: KVCache, layer: Int,
                                   configuration c: ModelConfiguration, scale: Float, out: UnsafeMutablePointer<Float>,
                                   maxKeys: Int) {
        let hd = c.headDim, g = h / c.groupSize
        let keys = cache.keyBase(layer: layer, slot: seg.slot, head: g)
        let values = cache.valueBase(layer: layer, slot: seg.slot, head: g)
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: max(maxKeys, 1))
        defer { scores.deallocate() }
        if let parents = seg.parents {
            // Tree rows: the prefix (within the window), then the path from the root to the row, by position.
            let depths = seg.depths
            var path: [Int] = []
            for i in 0..<seg.count {
                let p = seg.startPosition + depths[i]
                let valid = keyRange(position: p, window: c.slidingWindow)
                path.removeAll(keepingCapacity: true)
                var r = i
                while r >= 0 { path.append(r); r = parents[r] }
                var entries = Array(valid.lowerBound..<min(valid.upperBound, seg.startPosition))
                for r in path.reversed() where valid.contains(seg.startPosition + depths[r]) { entries.append(seg.startPosition + r) }
                attend(q + i * hd, keys: keys, values: values, entries: entries, headDim: hd, scale: scale, scores: scores,
                       out: out + (seg.firstRow + i) * c.qDim + h * hd)
            }
            return
        }
        for i in 0..<seg.count {
            attend(q + i * hd, keys: keys, values: values, entries: keyRange(position: seg.startPosition + i, window: c.slidingWindow),
                   headDim: hd, scale: scale, scores: scores, out: out + (seg.firstRow + i) * c.qDim + h * hd)
        }
    }

    /// One query against the cache entries `entries` (in that order): scores, softmax, weighted sum of values.
    /// The order of the entries is the order of every sum, so equal entry lists give bit-equal outputs.
    @inline(__always)
    private static func attend<Entries: Collection<Int>>(_ qi: UnsafePointer<Float>, keys: UnsafePointer<Float>,
                                                         values: UnsafePointer<Float>, entries: Entries, headDim hd: Int,
                                                         scale: Float, scores: UnsafeMutablePointer<Float>,
                                                         out o: UnsafeMutablePointer<Float>) {
        for (j, k) in entries.enumerated() { scores[j] = dot(qi, keys + k * hd, count: hd) * scale }
        Kernels.softmax(scores, count: entries.count)
        o.update(repeating: 0, count: hd)
        for (j, k) in entries.enumerated() { axpy(scores[j], values + k * hd, o, count: hd) }
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        var acc = Kernels.V8()
        var j = 0
        while j + 8 <= n { acc += Kernels.load(a + j) * Kernels.load(b + j); j += 8 }
        var s = acc.sum()
        while j < n { s += a[j] * b[j]; j += 1 }
        return s
    }

    /// y += a · x
    @inline(__always)
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        let av = Kernels.V8(repeating: a)
        var j = 0
        while j + 8 <= n { Kernels.store(Kernels.load(y + j) + av * Kernels.load(x + j), y + j); j += 8 }
        while j < n { y[j] += a * x[j]; j += 1 }
    }
}

import Dispatch
import EagleCore
import Synchronization
import TokenShards

/// Progress of a count, reported about once a second.
public struct CountProgress: Sendable {
    public var samples: Int
    public var totalSamples: Int
    public var tokens: Int
    public var seconds: Double
}

/// Counts tokens over the shards of a tokenize directory, in parallel.
///
/// The shards in `shards` are cut into work units of `unitSamples` consecutive samples, in dataset order. Workers
/// (Dispatch `concurrentPerform`) take units from a shared atomic cursor, so each worker sees its units, and hence
/// its keys, in increasing dataset order: a worker records an id's first occurrence the first time it meets it.
/// Each worker owns dense histograms over the target vocabulary (32-bit running counts, 64-bit totals and first
/// keys); they are merged at the end (sum, min). Memory is `threads × 20 bytes × targetVocabSize` (plus one decoded
/// sample per worker for version-1 shards), independent of the data.
/// The result does not depend on `threads`, `unitSamples` or scheduling.
public struct TokenCounter: Sendable {
    public var directory: TokenDirectory
    public var targetVocabSize: Int
    public var mode: CountMode
    public var threads: Int
    /// Indices into `directory.shards` to count (all by default).
    public var shards: Range<Int>
    public var unitSamples = 256
    /// Tokens a worker counts in 32 bits before adding them into the 64-bit totals (lowered by tests).
    var flushTokens = Int(UInt32.max)

    public init(directory: TokenDirectory, targetVocabSize: Int, mode: CountMode = .supervised, threads: Int = 1,
                shards: Range<Int>? = nil) {
        self.directory = directory
        self.targetVocabSize = targetVocabSize
        self.mode = mode
        self.threads = threads
        self.shards = shards ?? 0..<directory.shards.count
    }

    private struct Unit {
        var shard: Int
        var samples: Range<Int>
    }

    public func run(progress: (@Sendable (CountProgress) -> Void)? = nil) throws -> TokenCounts {
        precondition(threads >= 1 && unitSamples >= 1, "threads and unitSamples must be positive")
        precondition(shards.lowerBound >= 0 && shards.upperBound <= directory.shards.count, "shard range outside the directory")
        guard targetVocabSize > 0, targetVocabSize <= Int(Int32.max) else {
            throw VocabularyError.targetVocabularySize("\(targetVocabSize) is not in 1...\(Int32.max)")
        }
        guard TokenShardFormat.maxSequenceLength <= 1 << OccurrenceKey.positionBits else {
            throw VocabularyError.keyOverflow("samples of up to \(TokenShardFormat.maxSequenceLength) tokens need more than \(OccurrenceKey.positionBits) position bits")
        }
        guard directory.sampleCount < OccurrenceKey.maxSamples else {
            throw VocabularyError.keyOverflow("\(directory.sampleCount) samples exceed the limit of \(OccurrenceKey.maxSamples)")
        }
        let chosen = Array(directory.shards[shards])
        let countAll = mode == .all
        let readers = try parallelMap(count: chosen.count, threads: threads) { i -> TokenShardReader in
            let r = try TokenShardReader(path: chosen[i].path)
            guard r.count == chosen[i].samples else {
                throw VocabularyError.tokens(path: chosen[i].path, message: "holds \(r.count) samples but the manifest lists \(chosen[i].samples)")
            }
            return r
        }
        let step = unitSamples
        let units = chosen.enumerated().flatMap { i, s in
            stride(from: 0, to: s.samples, by: step).map { Unit(shard: i, samples: $0..<min($0 + step, s.samples)) }
        }
        let totalSamples = chosen.reduce(0) { $0 + $1.samples }
        let workers = max(1, min(threads, units.count))
        let cursor = Atomic<Int>(0)
        let samplesDone = Atomic<Int>(0)
        let tokensDone = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let firstError = Mutex<(unit: Int, error: any Error)?>(nil)
        let results = Mutex<[TokenCounts]>([])
        let start = ContinuousClock.now
        let vocab = targetVocabSize

        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var local = TokenCounts(targetVocabSize: vocab)
            var hot = HotCounts(targetVocabSize: vocab)
            var buffer: [UInt8] = []
            var lastReport = start
            while !stop.load(ordering: .relaxed) {
                let u = cursor.wrappingAdd(1, ordering: .relaxed).oldValue
                guard u < units.count else { break }
                let unit = units[u]
                do {
                    let tokens = try Self.count(unit: unit.samples, reader: readers[unit.shard], firstSample: chosen[unit.shard].firstSample,
                                                countAll: countAll, flushTokens: flushTokens, hot: &hot, buffer: &buffer, into: &local)
                    local.samples += unit.samples.count
                    local.tokens += tokens
                    samplesDone.wrappingAdd(unit.samples.count, ordering: .relaxed)
                    tokensDone.wrappingAdd(tokens, ordering: .relaxed)
                } catch {
                    firstError.withLock { if $0 == nil || u < $0!.unit { $0 = (u, error) } }
                    stop.store(true, ordering: .relaxed)
                    break
                }
                if w == 0, let progress {
                    let now = ContinuousClock.now
                    if now - lastReport >= .seconds(1) {
                        lastReport = now
                        progress(CountProgress(samples: samplesDone.load(ordering: .relaxed), totalSamples: totalSamples,
                                               tokens: tokensDone.load(ordering: .relaxed), seconds: Self.seconds(now - start)))
                    }
                }
            }
            hot.flush(into: &local)
            results.withLock { $0.append(local) }
        }
        if let failure = firstError.withLock({ $0 }) { throw failure.error }
        var total = TokenCounts(targetVocabSize: vocab)
        for part in results.withLock({ $0 }) { total.merge(part) }
        progress?(CountProgress(samples: total.samples, totalSamples: totalSamples, tokens: total.tokens,
                                seconds: Self.seconds(ContinuousClock.now - start)))
        return total
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Counts samples `range` of one shard into `hot` (and first occurrences into `counts`), reading them through
    /// `buffer`; returns the number of tokens read. The range is cut into chunks that keep every 32-bit count below
    /// `flushTokens`, flushing `hot` into `counts` between chunks when needed.
    private static func count(unit range: Range<Int>, reader: TokenShardReader, firstSample: Int, countAll: Bool, flushTokens: Int,
                              hot: inout HotCounts, buffer: inout [UInt8], into counts: inout TokenCounts) throws -> Int {
        var tokens = 0
        var k = range.lowerBound
        while k < range.upperBound {
            if hot.pending + reader.length(of: k) > flushTokens { hot.flush(into: &counts) }
            var end = k + 1, chunkTokens = reader.length(of: k)
            while end < range.upperBound, hot.pending + chunkTokens + reader.length(of: end) <= flushTokens {
                chunkTokens += reader.length(of: end)
                end += 1
            }
            hot.pending += chunkTokens
            tokens += chunkTokens
            try countChunk(k..<end, reader: reader, firstSample: firstSample, countAll: countAll, hot: &hot, buffer: &buffer, into: &counts)
            k = end
        }
        return tokens
    }

    private static func countChunk(_ range: Range<Int>, reader: TokenShardReader, firstSample: Int, countAll: Bool,
                                   hot: inout HotCounts, buffer: inout [UInt8], into counts: inout TokenCounts) throws {
        let vocab = counts.targetVocabSize
        var bad: (sample: Int, position: Int, id: Int32)?
        try hot.counts.withUnsafeMutableBufferPointer { c in
            try counts.firstKeys.withUnsafeMutableBufferPointer { f in
                let counter = RunCounter(vocab: vocab, counts: c.baseAddress!, first: f.baseAddress!)
                try reader.forEachSample(in: range, countAll ? .all : .supervised, buffer: &buffer) { k, s in
                    guard bad == nil else { return }
                    let base = OccurrenceKey.make(sample: firstSample + k, position: 0)
                    // Walk the spans: supervised ids come from their column; counting all tokens, the runs between
                    // spans (and after the last) come from the context column.
                    let spans = s.spanCount
                    var sup = 0, ctx = 0, t = 0
                    for j in 0...spans {
                        let start = j < spans ? Int(s.spans[2 * j]) : s.length
                        let end = j < spans ? Int(s.spans[2 * j + 1]) : s.length
                        if countAll, start > t {
                            if let i = counter.count(s.context.baseAddress! + ctx, start - t, firstPosition: t, base: base) {
                                bad = (k, t + i, s.context[ctx + i])
                                return
                            }
                            ctx += start - t
                        }
                        if j < spans {
                            if let i = counter.count(s.supervised.baseAddress! + sup, end - start, firstPosition: start, base: base) {
                                bad = (k, start + i, s.supervised[sup + i])
                                return
                            }
                            sup += end - start
                        }
                        t = end
                    }
                }
            }
        }
        if let bad {
            throw VocabularyError.idOutOfRange(path: reader.path, sample: bad.sample, position: bad.position, id: Int(bad.id), targetVocabSize: vocab)
        }
    }
}

/// A worker's running counts in 32 bits (half the cache footprint of the 64-bit totals: 0.5 MB for Llama-3's
/// vocabulary, which the random increments of the hot loop hit), added into the 64-bit `TokenCounts` before they
/// could overflow and at the end.
struct HotCounts {
    var counts: [UInt32]
    /// Tokens read since the last flush: an upper bound of any count in `counts`.
    var pending = 0

    init(targetVocabSize: Int) { counts = [UInt32](repeating: 0, count: targetVocabSize) }

    mutating func flush(into total: inout TokenCounts) {
        total.add(counts)
        for i in counts.indices { counts[i] = 0 }
        pending = 0
    }
}

/// The hot loop over one run of ids: `counts[id] += 1`, recording the position's key as the first occurrence
/// when the id has none yet (looked at only when the 32-bit count is 0). Keys arrive in increasing order within a
/// worker, so the first key recorded is the worker's smallest. The caller hands it the supervised spans (or all
/// runs of the sample), so there is no per-token mask test.
struct RunCounter {
    let vocab: Int
    let counts: UnsafeMutablePointer<UInt32>
    let first: UnsafeMutablePointer<UInt64>

    /// Counts `n` ids from `ids`, at positions `firstPosition…`; returns the index of the first id outside
    /// `0..<vocab` (counting stops there), or nil.
    @inline(__always)
    func count(_ ids: UnsafePointer<Int32>, _ n: Int, firstPosition: Int, base: UInt64) -> Int? {
        let limit = UInt32(vocab)
        let key = base | UInt64(firstPosition)
        var i = 0
        while i < n {
            let v = UInt32(bitPattern: ids[i])
            guard v < limit else { return i }
            let id = Int(v)
            let c = counts[id]
            if c == 0, first[id] == OccurrenceKey.none { first[id] = key + UInt64(i) }
            counts[id] = c &+ 1
            i += 1
        }
        return nil
    }
}

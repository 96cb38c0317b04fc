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
/// its keys, in increasing dataset order: a worker records an id's first occurrence when its count goes from 0
/// to 1. Each worker owns dense histograms over the target vocabulary; they are merged at the end (sum, min).
/// Memory is `threads × 16 bytes × targetVocabSize` plus one decoded sample per worker, independent of the data.
/// The result does not depend on `threads`, `unitSamples` or scheduling.
public struct TokenCounter: Sendable {
    public var directory: TokenDirectory
    public var targetVocabSize: Int
    public var mode: CountMode
    public var threads: Int
    /// Indices into `directory.shards` to count (all by default).
    public var shards: Range<Int>
    public var unitSamples = 256

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
        let readers = try parallelMap(count: chosen.count, threads: threads) { i -> TokenShardReader in
            let r = try TokenShardReader(path: chosen[i].path, populate: true)
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
        let vocab = targetVocabSize, countAll = mode == .all

        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var local = TokenCounts(targetVocabSize: vocab)
            var lastReport = start
            while !stop.load(ordering: .relaxed) {
                let u = cursor.wrappingAdd(1, ordering: .relaxed).oldValue
                guard u < units.count else { break }
                let unit = units[u]
                do {
                    let tokens = try Self.count(unit: unit.samples, reader: readers[unit.shard], firstSample: chosen[unit.shard].firstSample,
                                                countAll: countAll, into: &local)
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

    /// Counts samples `range` of one shard into `counts`; returns the number of tokens read.
    private static func count(unit range: Range<Int>, reader: TokenShardReader, firstSample: Int, countAll: Bool,
                              into counts: inout TokenCounts) throws -> Int {
        var tokens = 0
        let vocab = counts.targetVocabSize
        try counts.counts.withUnsafeMutableBufferPointer { c in
            try counts.firstKeys.withUnsafeMutableBufferPointer { f in
                for k in range {
                    let base = OccurrenceKey.make(sample: firstSample + k, position: 0)
                    let bad = try reader.withColumns(k) { s -> (position: Int, id: Int32)? in
                        tokens += s.ids.count
                        if countAll {
                            let t = countRun(ids: s.ids, from: 0, to: s.ids.count, base: base, vocab: vocab, counts: c.baseAddress!, first: f.baseAddress!)
                            return t < 0 ? nil : (t, s.ids[t])
                        }
                        var j = 0
                        while j + 1 < s.spans.count {
                            let t = countRun(ids: s.ids, from: Int(s.spans[j]), to: Int(s.spans[j + 1]), base: base, vocab: vocab,
                                             counts: c.baseAddress!, first: f.baseAddress!)
                            if t >= 0 { return (t, s.ids[t]) }
                            j += 2
                        }
                        return nil
                    }
                    if let bad {
                        throw VocabularyError.idOutOfRange(path: reader.path, sample: k, position: bad.position, id: Int(bad.id), targetVocabSize: vocab)
                    }
                }
            }
        }
        return tokens
    }

    /// The hot loop: for each position `t` in `from..<to`, `counts[ids[t]] += 1`, recording `base | t` as the
    /// first occurrence when the count was 0. Returns the first position whose id is outside `0..<vocab`
    /// (counting stops there), or −1. The caller passes the supervised spans (or the whole sample), so there is no
    /// per-token mask test.
    @inline(__always)
    static func countRun(ids: UnsafeBufferPointer<Int32>, from: Int, to: Int, base: UInt64, vocab: Int,
                         counts: UnsafeMutablePointer<UInt64>, first: UnsafeMutablePointer<UInt64>) -> Int {
        let limit = UInt32(vocab)
        guard let p = ids.baseAddress else { return -1 }
        var t = from
        while t < to {
            let v = UInt32(bitPattern: p[t])
            guard v < limit else { return t }
            let i = Int(v)
            let c = counts[i]
            if c == 0 { first[i] = base | UInt64(t) }
            counts[i] = c &+ 1
            t += 1
        }
        return -1
    }
}

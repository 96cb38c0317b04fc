import EagleCore

/// One training sequence as the trainer consumes it (what a dump shard stores per sample, SPEC §5–§6), fp32.
public struct TrainingSample: Sendable, Equatable {
    /// `x[0..L−1]`, target token ids.
    public var ids: [Int32]
    /// `loss_mask[t] = 1`: position t is supervised at step 0 (SPEC §3); 0 or 1.
    public var lossMask: [UInt8]
    /// `[L, auxLayers·H]` row-major, low | mid | high.
    public var auxHidden: [Float]
    public var target: TargetSignal

    /// The target's distribution per position (SPEC §6).
    public enum TargetSignal: Sendable, Equatable {
        /// `draft`: `[L, Vd]` target logits of the draft columns (ascending target id); rows no mask can read (u = 0
        /// or loss_mask[u−1] = 0) may be zero. `argmax`: `[L]` full-vocabulary argmax of each row.
        case logits(draft: [Float], argmax: [Int32])
        /// `[L, H]` final hidden states; the trainer applies the target's head (and final norm, if given).
        case hidden([Float])
    }

    public init(ids: [Int32], lossMask: [UInt8], auxHidden: [Float], target: TargetSignal) {
        self.ids = ids
        self.lossMask = lossMask
        self.auxHidden = auxHidden
        self.target = target
    }

    public var length: Int { ids.count }

    /// Checks every shape and value range against the configuration; the error names the sample and field.
    public func validate(index: Int, configuration c: DrafterConfiguration) throws(DraftTrainingError) {
        let L = ids.count
        func fail(_ field: String, _ message: String) -> DraftTrainingError { .sample(index: index, field: field, message: message) }
        guard L >= 1 else { throw fail("ids", "empty sequence") }
        if let bad = ids.firstIndex(where: { $0 < 0 || Int($0) >= c.targetVocabSize }) {
            throw fail("ids", "position \(bad): id \(ids[bad]) is outside 0..<\(c.targetVocabSize)")
        }
        guard lossMask.count == L else { throw fail("loss_mask", "\(lossMask.count) values for \(L) tokens") }
        if let bad = lossMask.firstIndex(where: { $0 > 1 }) { throw fail("loss_mask", "position \(bad): \(lossMask[bad]) is not 0 or 1") }
        guard auxHidden.count == L * c.auxWidth else {
            throw fail("aux_hidden", "\(auxHidden.count) values, expected L × \(c.auxLayers)·H = \(L) × \(c.auxWidth)")
        }
        switch target {
        case .logits(let draft, let argmax):
            guard draft.count == L * c.draftVocabSize else {
                throw fail("draft_logits", "\(draft.count) values, expected L × Vd = \(L) × \(c.draftVocabSize)")
            }
            guard argmax.count == L else { throw fail("target_argmax", "\(argmax.count) values for \(L) tokens") }
            if let bad = argmax.firstIndex(where: { $0 < 0 || Int($0) >= c.targetVocabSize }) {
                throw fail("target_argmax", "position \(bad): \(argmax[bad]) is outside 0..<\(c.targetVocabSize)")
            }
        case .hidden(let h):
            guard h.count == L * c.hiddenSize else {
                throw fail("final_hidden", "\(h.count) values, expected L × H = \(L) × \(c.hiddenSize)")
            }
        }
    }
}

/// Where training samples come from (dump shards, or memory in tests). Indices are 0..<count; `sample` may be
/// called from one thread at a time, in any order.
public protocol TrainingSampleSource: Sendable {
    var count: Int { get }
    /// `L` of sample `index`, without loading it (token-budget batching reads all lengths up front).
    func length(of index: Int) throws -> Int
    func sample(_ index: Int) throws -> TrainingSample
    /// A string that changes when the data changes (a manifest hash); checkpoints record it and `--resume`
    /// refuses a different one.
    var identity: String { get }
}

/// Samples held in memory.
public struct InMemorySampleSource: TrainingSampleSource {
    public let samples: [TrainingSample]
    public let identity: String

    public init(_ samples: [TrainingSample], identity: String? = nil) {
        self.samples = samples
        if let identity {
            self.identity = identity
        } else {
            var w = BinaryWriter()
            for s in samples {
                w.u32(UInt32(s.length))
                for id in s.ids { w.i32(id) }
                w.raw(s.lossMask)
            }
            self.identity = "memory:\(samples.count):" + SHA256.hexDigest(w.bytes)
        }
    }

    public var count: Int { samples.count }
    public func length(of index: Int) throws -> Int { samples[index].length }
    public func sample(_ index: Int) throws -> TrainingSample { samples[index] }
}

/// A subset of another source, by index list (the training/validation split).
public struct SampleSubset: TrainingSampleSource {
    public let base: any TrainingSampleSource
    public let indices: [Int]
    public let identity: String

    public init(_ base: any TrainingSampleSource, indices: [Int], label: String) {
        self.base = base
        self.indices = indices
        identity = base.identity + "#" + label
    }

    public var count: Int { indices.count }
    public func length(of index: Int) throws -> Int { try base.length(of: indices[index]) }
    public func sample(_ index: Int) throws -> TrainingSample { try base.sample(indices[index]) }
}

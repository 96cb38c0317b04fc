import EagleCore
import Foundation
import SafeTensors

/// Training samples in one safetensors file (small runs, tests, hand-made inputs; dump shards are the production
/// input). Per sample i: `seq.<i>.ids` (I32/I64 [L]), `seq.<i>.loss_mask` (U8/BOOL [L]), `seq.<i>.aux` (float
/// [L, aux·H]), and the target signal as one of
/// - `seq.<i>.draft_logits` (float [L, Vd]) + `seq.<i>.target_argmax` (I32/I64 [L]),
/// - `seq.<i>.logits` (float [L, V], full vocabulary: the draft columns and the argmax are taken here), or
/// - `seq.<i>.final_hidden` (float [L, H]).
/// Samples are numbered 0..<count without gaps; tensors are read on demand from the memory-mapped file.
public struct SampleFileSource: TrainingSampleSource {
    public let path: String
    public let count: Int
    public let identity: String
    private let file: SafeTensorsFile
    private let t2d: [Bool]
    private let lengths: [Int]

    /// `t2d` selects the draft columns of full-vocabulary `logits`.
    public init(path: String, t2d: [Bool]) throws {
        let file = try SafeTensorsFile(path: path)
        var n = 0
        while file.contains("seq.\(n).ids") { n += 1 }
        guard n > 0 else { throw DraftTrainingError.input(name: path, message: "holds no seq.0.ids (see SampleFileSource for the layout)") }
        var lengths: [Int] = []
        for i in 0..<n {
            let info = try file.info("seq.\(i).ids")
            guard info.shape.count == 1 else { throw DraftTrainingError.input(name: "\(path): seq.\(i).ids", message: "shape \(info.shape), expected [L]") }
            lengths.append(info.shape[0])
        }
        self.path = path
        self.file = file
        self.t2d = t2d
        self.lengths = lengths
        count = n
        var header = BinaryWriter()
        for t in file.tensors { header.raw(Array("\(t.name)\(t.shape)\(t.dataOffsets)".utf8)) }
        identity = "file:\(count):" + SHA256.hexDigest(header.bytes)
    }

    public func length(of index: Int) throws -> Int { lengths[index] }

    public func sample(_ i: Int) throws -> TrainingSample {
        let p = "seq.\(i)."
        func ints(_ name: String) throws -> [Int32] {
            let info = try file.info(name)
            switch info.dtype {
            case .i32: return try file.int32s(name)
            case .i64: return try file.int64s(name).map { Int32(clamping: $0) }
            default: throw DraftTrainingError.sample(index: i, field: name, message: "is \(info.dtype.rawValue), expected I32 or I64")
            }
        }
        let ids = try ints(p + "ids")
        let maskInfo = try file.info(p + "loss_mask")
        guard maskInfo.dtype == .u8 || maskInfo.dtype == .bool else {
            throw DraftTrainingError.sample(index: i, field: p + "loss_mask", message: "is \(maskInfo.dtype.rawValue), expected U8 or BOOL")
        }
        let mask = try file.bytes(p + "loss_mask")
        let aux = try file.floats(p + "aux")
        let target: TrainingSample.TargetSignal
        if file.contains(p + "draft_logits") {
            target = .logits(draft: try file.floats(p + "draft_logits"), argmax: try ints(p + "target_argmax"))
        } else if file.contains(p + "logits") {
            let full = try file.floats(p + "logits")
            let V = t2d.count, L = ids.count
            guard full.count == L * V else {
                throw DraftTrainingError.sample(index: i, field: p + "logits", message: "\(full.count) values, expected L × V = \(L) × \(V)")
            }
            let columns = t2d.indices.filter { t2d[$0] }
            var draft = [Float](), argmax = [Int32]()
            draft.reserveCapacity(L * columns.count)
            for u in 0..<L {
                let row = full[(u * V)..<((u + 1) * V)]
                for v in columns { draft.append(row[u * V + v]) }
                var best = u * V
                for v in (u * V)..<((u + 1) * V) where full[v] > full[best] { best = v }
                argmax.append(Int32(best - u * V))
            }
            target = .logits(draft: draft, argmax: argmax)
        } else if file.contains(p + "final_hidden") {
            target = .hidden(try file.floats(p + "final_hidden"))
        } else {
            throw DraftTrainingError.sample(index: i, field: "target", message: "none of \(p)draft_logits, \(p)logits, \(p)final_hidden")
        }
        return TrainingSample(ids: ids, lossMask: mask, auxHidden: aux, target: target)
    }
}

/// Seeded random samples of a given shape, generated on demand (benchmarks and smoke tests; nothing is learnable).
/// Masks alternate unsupervised and supervised segments (expected supervised fraction `maskDensity`); draft
/// logits are filled only in rows a mask reaches, as dumps store them; the full-vocabulary argmax is a draft id
/// with probability 0.8.
public struct SyntheticSampleSource: TrainingSampleSource {
    public let configuration: DrafterConfiguration
    public let count: Int
    public let sequenceLength: Int
    public let maskDensity: Double
    public let seed: UInt64
    public let draftIds: [Int]

    public init(configuration: DrafterConfiguration, count: Int, sequenceLength: Int, maskDensity: Double, seed: UInt64, draftIds: [Int]) {
        self.configuration = configuration
        self.count = count
        self.sequenceLength = sequenceLength
        self.maskDensity = maskDensity
        self.seed = seed
        self.draftIds = draftIds
    }

    public var identity: String { "synthetic:\(count)x\(sequenceLength):mask\(maskDensity):seed\(seed)" }
    public func length(of index: Int) throws -> Int { sequenceLength }

    public func sample(_ index: Int) throws -> TrainingSample {
        let c = configuration, L = sequenceLength
        var rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9)
        func normal() -> Float {  // Box–Muller
            let u1 = max(rng.nextUnit(), 1e-300), u2 = rng.nextUnit()
            return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * .pi * u2))
        }
        let ids = (0..<L).map { _ in Int32(rng.next(below: c.targetVocabSize)) }
        var mask = [UInt8](repeating: 0, count: L)
        if maskDensity >= 1 {
            mask = [UInt8](repeating: 1, count: L)
        } else if maskDensity > 0 {
            var t = 0, supervised = false
            let on = 128.0 * maskDensity, off = 128.0 * (1 - maskDensity)
            while t < L {
                let n = max(1, Int((supervised ? on : off) * (0.5 + rng.nextUnit())))
                for u in t..<min(L, t + n) { mask[u] = supervised ? 1 : 0 }
                t += n
                supervised.toggle()
            }
        }
        let aux = (0..<(L * c.auxWidth)).map { _ in normal() }
        var draft = [Float](repeating: 0, count: L * c.draftVocabSize)
        var argmax = [Int32](repeating: 0, count: L)
        for u in 1..<max(L, 1) where mask[u - 1] == 1 {
            for i in 0..<c.draftVocabSize { draft[u * c.draftVocabSize + i] = 3 * normal() }
            argmax[u] = rng.nextUnit() < 0.8 ? Int32(draftIds[rng.next(below: draftIds.count)]) : Int32(rng.next(below: c.targetVocabSize))
        }
        return TrainingSample(ids: ids, lossMask: mask, auxHidden: aux, target: .logits(draft: draft, argmax: argmax))
    }

    /// A random frozen embedding N(0, 0.02) and an evenly spread draft vocabulary, for `SyntheticSampleSource`.
    public static func inputs(configuration c: DrafterConfiguration, seed: UInt64) -> TargetInputs {
        var rng = SplitMix64(seed: seed ^ 0xE4BE_DD14)
        let embedding = (0..<(c.targetVocabSize * c.hiddenSize)).map { _ in Float(rng.nextUnit() - 0.5) * 0.07 }
        let ids = (0..<c.draftVocabSize).map { $0 * c.targetVocabSize / c.draftVocabSize }
        var t2d = [Bool](repeating: false, count: c.targetVocabSize)
        for id in ids { t2d[id] = true }
        return TargetInputs(embedding: embedding, d2t: ids.enumerated().map { Int64($0.element - $0.offset) }, t2d: t2d)
    }
}

import DraftTraining
import Foundation
import TargetModel

/// A trained EAGLE-3 drafter ready for inference next to its target (SPEC §7): the 13 exported tensors in fp32,
/// `q|k|v` and `gate|up` fused, the draft → target id map, and the target's frozen embedding. Immutable.
public struct DrafterModel: Sendable {
    public let configuration: DrafterConfiguration
    /// Draft column i proposes target id `draftToTarget[i]` (= i + d2t[i], SPEC §4).
    public let draftToTarget: [Int32]
    let fc: FloatBuffer            // [H, 3H]
    let inputNorm: FloatBuffer     // [H]
    let hiddenNorm: FloatBuffer    // [H]
    let qkv: FloatBuffer           // [qDim + 2·kvDim, 2H]
    let oProj: FloatBuffer         // [H, qDim]
    let postNorm: FloatBuffer      // [H]
    let gateUp: FloatBuffer        // [2I, H]
    let down: FloatBuffer          // [H, I]
    let norm: FloatBuffer          // [H]
    let lmHead: FloatBuffer        // [Vd, H]
    /// The target's `[V, H]` embedding (never part of an export).
    let embedding: FloatBuffer
    /// RoPE θ_i = 1 / base^(2i/hd) in fp32, i < hd/2 (base 10000, SPEC §7).
    let inverseFrequencies: [Float]

    /// Checks that the export belongs to `target` and takes the target's embedding. Refused, with the reason:
    /// another hidden size, vocabulary size or t2d length, a d2t id outside the target's vocabulary, a `fc` input
    /// width other than the target's three aux layers, or a target too shallow for EAGLE-3's aux layers.
    public init(export: DrafterExport.Loaded, target: TargetModel) throws {
        let c = export.weights.configuration, t = target.configuration
        func mismatch(_ what: String, _ d: Int, _ tv: Int, _ hint: String = "") -> SpeculativeDecodingError {
            .mismatch(what: what, drafter: String(d), target: String(tv), hint: hint)
        }
        guard c.hiddenSize == t.hiddenSize else {
            throw mismatch("hidden_size", c.hiddenSize, t.hiddenSize, "the drafter was trained for another target model")
        }
        guard c.targetVocabSize == t.vocabularySize else {
            throw mismatch("vocab_size", c.targetVocabSize, t.vocabularySize, "the drafter was trained for another tokenizer")
        }
        guard export.t2d.count == t.vocabularySize else {
            throw mismatch("t2d length", export.t2d.count, t.vocabularySize, "t2d must have one entry per target token")
        }
        guard export.d2t.count == c.draftVocabSize else {
            throw mismatch("d2t length (draft_vocab_size)", export.d2t.count, c.draftVocabSize)
        }
        let auxLayers: [Int]
        do { auxLayers = try t.eagle3AuxiliaryLayers() } catch {
            throw SpeculativeDecodingError.invalidRequest("target: \(error)")
        }
        guard c.auxWidth == auxLayers.count * t.hiddenSize else {
            throw mismatch("fc input width (aux features)", c.auxWidth, auxLayers.count * t.hiddenSize,
                           "EAGLE-3 fuses \(auxLayers.count) target layers \(auxLayers)")
        }
        var ids: [Int32] = []
        for (i, offset) in export.d2t.enumerated() {
            let id = Int64(i) + offset
            guard id >= 0, id < Int64(t.vocabularySize), export.t2d[Int(id)] else {
                throw SpeculativeDecodingError.mismatch(what: "d2t[\(i)]", drafter: "target id \(id)",
                                                        target: "vocabulary 0..<\(t.vocabularySize) with t2d[\(id)] set",
                                                        hint: "d2t and t2d disagree")
            }
            ids.append(Int32(id))
        }
        configuration = c
        draftToTarget = ids
        let w = export.weights
        func buffer(_ tensors: DrafterTensor...) -> FloatBuffer { FloatBuffer(tensors.flatMap { Array(w[$0]) }) }
        fc = buffer(.fc)
        inputNorm = buffer(.inputNorm)
        hiddenNorm = buffer(.hiddenNorm)
        qkv = buffer(.qProj, .kProj, .vProj)
        oProj = buffer(.oProj)
        postNorm = buffer(.postAttentionNorm)
        gateUp = buffer(.gateProj, .upProj)
        down = buffer(.downProj)
        norm = buffer(.norm)
        lmHead = buffer(.lmHead)
        embedding = target.weights.embedding
        let hd = c.headDim
        inverseFrequencies = (0..<(hd / 2)).map { i in 1 / Foundation.pow(c.ropeTheta, Float(2 * i) / Float(hd)) }
    }

    /// Loads `directory` (SPEC §11 layout: config.json + model.safetensors) for `target`.
    public static func load(directory: String, target: TargetModel) throws -> DrafterModel {
        try DrafterModel(export: try DrafterExport.load(directory: directory), target: target)
    }
}

/// The drafter's own KV cache: keys (after RoPE) and values of one sequence, `[nkv, capacity, hd]` each.
/// Positions `0..<length` are valid; drafted entries beyond the committed prefix are dropped with `truncate`.
public final class DrafterCache {
    public let capacity: Int
    public private(set) var length = 0
    let keys: FloatBuffer
    let values: FloatBuffer
    let headDim: Int

    public init(configuration c: DrafterConfiguration, capacity: Int) {
        self.capacity = capacity
        headDim = c.headDim
        keys = FloatBuffer(count: c.kvHeadCount * capacity * c.headDim)
        values = FloatBuffer(count: c.kvHeadCount * capacity * c.headDim)
    }

    /// Keys of kv head g: `[capacity, hd]`.
    func keyBase(head g: Int) -> UnsafeMutablePointer<Float> { keys.pointer + g * capacity * headDim }
    func valueBase(head g: Int) -> UnsafeMutablePointer<Float> { values.pointer + g * capacity * headDim }

    func advance(to newLength: Int) { length = newLength }

    /// Forgets positions `newLength...` (at most the current length).
    public func truncate(to newLength: Int) {
        precondition(newLength >= 0 && newLength <= length, "drafter cache: cannot truncate \(length) positions to \(newLength)")
        length = newLength
    }
}

import EagleCore
import SafeTensors

/// The target's final norm and head, for samples whose signal is the final hidden state (SPEC §6 (b)).
public struct TargetHead: Sendable, Equatable {
    /// `[V, H]`, the target's `lm_head.weight` (or tied embedding).
    public var weight: [Float]
    /// `[H]`, the target's final norm, applied first; nil when the stored hidden state is already normed.
    public var normWeight: [Float]?
    public var normEps: Float

    public init(weight: [Float], normWeight: [Float]?, normEps: Float) {
        self.weight = weight
        self.normWeight = normWeight
        self.normEps = normEps
    }
}

/// What the trainer takes from the target model, which it never runs: the frozen embedding, the draft vocabulary
/// maps and, for the "hidden" signal, the head.
public struct TargetInputs: Sendable, Equatable {
    /// `[V, H]` token embedding (frozen; never saved).
    public var embedding: [Float]
    /// `d2t[i]`: draft column i ↔ target id `i + d2t[i]` (SPEC §4).
    public var d2t: [Int64]
    /// `t2d[v]`: target id v is in the draft vocabulary.
    public var t2d: [Bool]
    public var head: TargetHead?
    /// The target's token ids for the exported config.json (optional).
    public var bosTokenId: Int?
    public var eosTokenId: Int?

    public init(embedding: [Float], d2t: [Int64], t2d: [Bool], head: TargetHead? = nil, bosTokenId: Int? = nil, eosTokenId: Int? = nil) {
        self.embedding = embedding
        self.d2t = d2t
        self.t2d = t2d
        self.head = head
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
    }

    /// Target ids of the draft columns, ascending: `σ_i = i + d2t[i]`.
    public var draftIds: [Int] { d2t.enumerated().map { $0.offset + Int($0.element) } }

    /// Checks sizes and the d2t/t2d consistency (SPEC §4: non-decreasing offsets, t2d true exactly at σ).
    public func validate(_ c: DrafterConfiguration) throws(DraftTrainingError) {
        let V = c.targetVocabSize, H = c.hiddenSize
        guard embedding.count == V * H else {
            throw .input(name: "embed_tokens.weight", message: "\(embedding.count) values, expected V × H = \(V) × \(H)")
        }
        try validateMaps(c)
        if let head {
            guard head.weight.count == V * H else {
                throw .input(name: "target lm_head.weight", message: "\(head.weight.count) values, expected V × H = \(V) × \(H)")
            }
            if let n = head.normWeight, n.count != H {
                throw .input(name: "target norm.weight", message: "\(n.count) values, expected H = \(H)")
            }
        }
    }

    /// d2t has Vd non-decreasing offsets to ids below V; t2d (length V) is true exactly at those ids.
    func validateMaps(_ c: DrafterConfiguration) throws(DraftTrainingError) {
        let V = c.targetVocabSize
        guard d2t.count == c.draftVocabSize else {
            throw .input(name: "d2t", message: "\(d2t.count) entries, draft_vocab_size is \(c.draftVocabSize)")
        }
        guard t2d.count == V else { throw .input(name: "t2d", message: "\(t2d.count) entries, vocab_size is \(V)") }
        var marked = [Bool](repeating: false, count: V)
        var previous: Int64 = 0
        for (i, offset) in d2t.enumerated() {
            let id = Int64(i) + offset
            guard offset >= previous, id < Int64(V) else {
                throw .input(name: "d2t", message: "d2t[\(i)] = \(offset) is not a non-decreasing offset to an id below \(V)")
            }
            marked[Int(id)] = true
            previous = offset
        }
        guard marked == t2d else { throw .input(name: "t2d", message: "does not mark exactly the \(d2t.count) ids of d2t") }
    }

    /// Reads `[V, H]` from a safetensors file: the first of `names` present (any float dtype, converted to fp32).
    public static func loadMatrix(path: String, names: [String], rows: Int?, columns: Int?) throws -> [Float] {
        let file = try SafeTensorsFile(path: path)
        guard let name = names.first(where: { file.contains($0) }) else {
            throw DraftTrainingError.input(name: path, message: "holds none of \(names.joined(separator: ", "))")
        }
        let info = try file.info(name)
        guard info.shape.count == 2, rows.map({ $0 == info.shape[0] }) ?? true, columns.map({ $0 == info.shape[1] }) ?? true else {
            throw DraftTrainingError.input(name: "\(path): \(name)", message: "shape \(info.shape), expected [\(rows.map(String.init) ?? "V"), \(columns.map(String.init) ?? "H")]")
        }
        return try file.floats(name)
    }
}

import EagleCore

/// What a dump stores as the target's distribution (SPEC §6).
public enum TargetSignalKind: String, Sendable, CaseIterable {
    /// Target logits over the draft-vocabulary columns (F32) plus the full-vocabulary argmax per position.
    case logits
    /// The target's final-norm hidden state, for trainers that recompute logits with the target's head.
    case hidden
}

/// The fixed shape of every record in a dump shard (recorded in the shard metadata under "layout").
public struct DumpLayout: Sendable, Equatable {
    public var hiddenSize: Int
    /// Number of captured layers; aux rows are `auxLayers × hiddenSize` wide (low | mid | high).
    public var auxLayers: Int
    public var auxDType: StorageDType
    public var signal: TargetSignalKind
    /// Draft vocabulary size (logits signal).
    public var draftVocabSize: Int
    /// Storage type of final hidden states (hidden signal).
    public var hiddenDType: StorageDType

    public init(hiddenSize: Int, auxLayers: Int = 3, auxDType: StorageDType = .bf16, signal: TargetSignalKind = .logits,
                draftVocabSize: Int = 0, hiddenDType: StorageDType = .bf16) {
        self.hiddenSize = hiddenSize
        self.auxLayers = auxLayers
        self.auxDType = auxDType
        self.signal = signal
        self.draftVocabSize = draftVocabSize
        self.hiddenDType = hiddenDType
    }

    public var auxWidth: Int { auxLayers * hiddenSize }

    public var json: JSONValue {
        .object(JSONObject([
            ("hidden_size", .int(hiddenSize)), ("aux_layers", .int(auxLayers)), ("aux_dtype", .string(auxDType.rawValue)),
            ("signal", .string(signal.rawValue)), ("draft_vocab_size", .int(draftVocabSize)),
            ("hidden_dtype", .string(hiddenDType.rawValue)),
        ]))
    }

    public init(json: JSONValue?, source: String) throws(BinaryFormatError) {
        func field(_ k: String) throws(BinaryFormatError) -> JSONValue {
            guard let v = json?[k] else { throw BinaryFormatError(source: source, field: "metadata.layout.\(k)", offset: 0, message: "missing") }
            return v
        }
        func int(_ k: String, _ range: ClosedRange<Int>) throws(BinaryFormatError) -> Int {
            guard let v = try field(k).intValue, range.contains(v) else {
                throw BinaryFormatError(source: source, field: "metadata.layout.\(k)", offset: 0, message: "expected an integer in \(range)")
            }
            return v
        }
        func dtype(_ k: String) throws(BinaryFormatError) -> StorageDType {
            guard let s = try field(k).stringValue, let d = StorageDType(rawValue: s) else {
                throw BinaryFormatError(source: source, field: "metadata.layout.\(k)", offset: 0, message: "expected bf16, f16 or f32")
            }
            return d
        }
        hiddenSize = try int("hidden_size", 1...(1 << 16))
        auxLayers = try int("aux_layers", 1...16)
        auxDType = try dtype("aux_dtype")
        guard let s = try field("signal").stringValue, let sig = TargetSignalKind(rawValue: s) else {
            throw BinaryFormatError(source: source, field: "metadata.layout.signal", offset: 0, message: "expected logits or hidden")
        }
        signal = sig
        draftVocabSize = try int("draft_vocab_size", 0...(1 << 22))
        hiddenDType = try dtype("hidden_dtype")
        if signal == .logits, draftVocabSize == 0 {
            throw BinaryFormatError(source: source, field: "metadata.layout.draft_vocab_size", offset: 0, message: "must be positive for the logits signal")
        }
    }
}

/// One dumped sample: what EAGLE-3 training needs per token (SPEC §5–§6).
public struct DumpSample: Sendable, Equatable {
    public var ids: [Int32]
    public var lossMask: [UInt8]
    /// `[L, auxLayers·H]`, row-major, low | mid | high per row.
    public var auxHidden: [Float]
    public var signal: Signal
    public var sourceFile: UInt32
    public var sourceLine: UInt64

    public enum Signal: Sendable, Equatable {
        /// `draft`: `[L, Vd]`; rows no mask can use (row u with u = 0 or loss_mask[u−1] = 0) are zero.
        /// `argmax`: `[L]` full-vocabulary argmax per position.
        case logits(draft: [Float], argmax: [Int32])
        /// `[L, H]`.
        case hidden([Float])
    }

    public init(ids: [Int32], lossMask: [UInt8], auxHidden: [Float], signal: Signal, sourceFile: UInt32 = 0, sourceLine: UInt64 = 0) {
        self.ids = ids
        self.lossMask = lossMask
        self.auxHidden = auxHidden
        self.signal = signal
        self.sourceFile = sourceFile
        self.sourceLine = sourceLine
    }

    /// The rows of the target logits any loss term can read: u ≥ 1 with loss_mask[u−1] = 1 (SPEC §6).
    public static func usedLogitRows(_ mask: [UInt8]) -> [Int] {
        mask.indices.dropLast().compactMap { mask[$0] == 1 ? $0 + 1 : nil }
    }
}

import EagleCore
import GGUF

/// The target tensors a drafter trainer needs and never trains: the token embedding and, for final-hidden
/// training data, the final norm and the LM head. fp32, PyTorch layout (`[V, H]` row-major).
public struct FrozenTargetTensors: Sendable {
    public var configuration: ModelConfiguration
    /// `[V, H]`, `model.embed_tokens.weight` / `token_embd.weight`.
    public var embedding: [Float]
    /// `[H]`, `model.norm.weight` / `output_norm.weight` (when requested).
    public var finalNorm: [Float]?
    /// `[V, H]`, `lm_head.weight` / `output.weight`, or a copy of the embedding when the target ties them (when
    /// requested).
    public var lmHead: [Float]?
}

extension ModelLoader {
    /// The target's configuration alone (config.json, or GGUF metadata): no tensor is read.
    public static func configuration(path: String) throws -> ModelConfiguration {
        if FileIO.isDirectory(path) { return try HuggingFaceConfig.load(path: path + "/config.json") }
        return try GGUFConfig.parse(try openGGUF(path))
    }

    /// Reads only the embedding (and, with `head`, the final norm and LM head) of the model at `path` (a Hugging
    /// Face folder or a GGUF file), decoded to fp32 exactly as `load` decodes them. The whole tensor list is
    /// checked first as `load` checks it (same errors), but no other weight is read or dequantized: an 8B
    /// target costs its `V × H` embedding (and head), not its 32 GB of fp32 weights.
    public static func frozenTensors(path: String, head: Bool, threads: Int = defaultThreadCount) throws -> FrozenTargetTensors {
        if FileIO.isDirectory(path) {
            let config = try HuggingFaceConfig.load(path: path + "/config.json")
            let store = try SafeTensorsStore(folder: path)
            let plan = try verify(config: config, store: store, name: \.huggingFaceName,
                                  dropped: { DroppedTensors.huggingFace($0, config: config) })
            return try frozenTensors(config: config, store: store, plan: plan, name: \.huggingFaceName, head: head, threads: threads)
        }
        let file = try openGGUF(path)
        let config = try GGUFConfig.parse(file)
        let store = try GGUFStore(file: file)
        let plan = try verify(config: config, store: store, name: \.ggufName, dropped: DroppedTensors.gguf)
        return try frozenTensors(config: config, store: store, plan: plan, name: \.ggufName, head: head, threads: threads)
    }

    private static func openGGUF(_ path: String) throws -> GGUFFile {
        guard FileIO.exists(path) else { throw ModelLoadError.file(source: path, message: "no such file or folder") }
        do { return try GGUFFile.open(path: path) } catch {
            throw ModelLoadError.file(source: path, message: "not a model folder, and not readable as GGUF: \(error)")
        }
    }

    private static func frozenTensors(config: ModelConfiguration, store: some TensorStore, plan: [(WeightSpec, StoredTensor)],
                                      name: KeyPath<WeightSpec, String>, head: Bool, threads: Int) throws -> FrozenTargetTensors {
        func read(_ role: WeightRole) throws -> [Float] {
            guard let (spec, stored) = plan.first(where: { $0.0.role == role }) else {
                throw ModelLoadError.file(source: store.source, message: "has no \(role) tensor")
            }
            return try decode(spec: spec, stored: stored, store: store, name: name, threads: threads)
        }
        let embedding = try read(.embedding)
        guard head else { return FrozenTargetTensors(configuration: config, embedding: embedding) }
        return FrozenTargetTensors(configuration: config, embedding: embedding, finalNorm: try read(.finalNorm),
                                   lmHead: config.tieWordEmbeddings ? embedding : try read(.lmHead))
    }

    /// One whole (unpermuted) tensor to fp32, read with `pread` in chunks of whole rows.
    private static func decode(spec: WeightSpec, stored: StoredTensor, store: some TensorStore, name: KeyPath<WeightSpec, String>,
                               threads: Int) throws -> [Float] {
        let tensorName = spec[keyPath: name]
        let encoding = stored.encoding!  // `verify` checked it
        let rows = spec.shape.count == 2 ? spec.shape[0] : 1
        let columns = spec.shape.last!
        let rowBytes = encoding.rowBytes(columns)
        guard let span = store.location(tensorName), span.count == rows * rowBytes else {
            throw ModelLoadError.wrongShape(source: store.source, tensor: tensorName, expected: "\(rows * rowBytes) bytes",
                                            actual: "\(store.location(tensorName)?.count ?? 0) bytes")
        }
        let chunkBytes = max(8 << 20, rowBytes)
        let reader = try ChunkReader(path: span.path)
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: chunkBytes, alignment: 64)
        defer { chunk.deallocate() }
        var out = [Float](repeating: 0, count: rows * columns)
        let rowsPerChunk = max(1, chunkBytes / max(rowBytes, 1))
        try out.withUnsafeMutableBufferPointer { dst in
            let destination = dst.baseAddress!
            var first = 0
            while first < rows {
                let n = min(rowsPerChunk, rows - first)
                try reader.read(into: chunk, count: n * rowBytes, at: span.offset + first * rowBytes)
                let base = UnsafeRawPointer(chunk), start = first
                parallelRanges(count: n, threads: n * columns >= 1 << 16 ? threads : 1) { range in
                    for r in range { encoding.decode(base + r * rowBytes, count: columns, into: destination + (start + r) * columns) }
                }
                first += n
            }
        }
        return out
    }
}

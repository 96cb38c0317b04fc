import Dispatch
import EagleCore
import Foundation
import GGUF

/// Loads a model from a Hugging Face folder (`config.json` + `model.safetensors` or a sharded index) or a GGUF
/// file. Before any weight is read, the file's tensor list is checked against the weight table: every needed
/// tensor present with the right shape and a decodable type, and every tensor in the file used or explicitly
/// dropped. Weights are then decoded straight from the memory-mapped file into their final fp32 buffers (GGUF q/k
/// rows un-permuted on the way), so at most one fp32 copy exists; the mapping is released when loading returns.
public enum ModelLoader {
    public static func load(path: String, threads: Int = defaultThreadCount) throws -> TargetModel {
        if FileIO.isDirectory(path) {
            let config = try HuggingFaceConfig.load(path: path + "/config.json")
            let store = try SafeTensorsStore(folder: path)
            let weights = try loadWeights(config: config, store: store, threads: threads, name: \.huggingFaceName,
                                          dropped: { DroppedTensors.huggingFace($0, config: config) }, unpermute: false)
            return TargetModel(configuration: config, weights: weights)
        }
        guard FileIO.exists(path) else { throw ModelLoadError.file(source: path, message: "no such file or folder") }
        let file: GGUFFile
        do { file = try GGUFFile.open(path: path) } catch {
            throw ModelLoadError.file(source: path, message: "not a model folder, and not readable as GGUF: \(error)")
        }
        let config = try GGUFConfig.parse(file)
        let weights = try loadWeights(config: config, store: try GGUFStore(file: file), threads: threads, name: \.ggufName,
                                      dropped: DroppedTensors.gguf, unpermute: true)
        return TargetModel(configuration: config, weights: weights)
    }

    public static var defaultThreadCount: Int { max(1, System.coreCount) }

    /// The checks that `load` makes before reading any weight; throws the first problem found.
    static func verify(config: ModelConfiguration, store: some TensorStore, name: KeyPath<WeightSpec, String>,
                       dropped: (String) -> Bool) throws -> [(WeightSpec, StoredTensor)] {
        var found: [(WeightSpec, StoredTensor)] = []
        var used = Set<String>()
        for spec in WeightSpec.table(for: config) {
            let n = spec[keyPath: name]
            guard let t = store.stored(n) else {
                throw ModelLoadError.missingTensor(source: store.source, tensor: n, expectedShape: spec.shape)
            }
            guard t.shape == spec.shape else {
                throw ModelLoadError.wrongShape(source: store.source, tensor: n, expected: "\(spec.shape)", actual: "\(t.shape)")
            }
            guard let encoding = t.encoding else {
                throw ModelLoadError.unsupportedType(source: store.source, tensor: n, type: t.typeName)
            }
            guard spec.shape.last! % encoding.block.elements == 0 else {
                throw ModelLoadError.wrongShape(source: store.source, tensor: n,
                                                expected: "rows that are whole \(encoding) blocks of \(encoding.block.elements)",
                                                actual: "\(t.shape)")
            }
            used.insert(n)
            found.append((spec, t))
        }
        let unexpected = store.tensorNames.filter { !used.contains($0) && !dropped($0) }.sorted()
        guard unexpected.isEmpty else { throw ModelLoadError.unexpectedTensors(source: store.source, tensors: unexpected) }
        return found
    }

    static func loadWeights(config: ModelConfiguration, store: some TensorStore, threads: Int, name: KeyPath<WeightSpec, String>,
                            dropped: (String) -> Bool, unpermute: Bool) throws -> ModelWeights {
        let plan = try verify(config: config, store: store, name: name, dropped: dropped)
        let weights = ModelWeights(allocatingFor: config)
        for (spec, stored) in plan {
            let encoding = stored.encoding!
            let (buffer, offset) = weights.location(of: spec.role, config: config)
            let rows = spec.shape.count == 2 ? spec.shape[0] : 1
            let columns = spec.shape.last!
            let rowBytes = encoding.rowBytes(columns)
            let destination = buffer.pointer + offset
            let permutedHeads = unpermute ? spec.ggufPermutedHeads : nil
            try store.withBytes(spec[keyPath: name]) { raw in
                guard raw.count == rows * rowBytes, let base = raw.baseAddress else {
                    throw ModelLoadError.wrongShape(source: store.source, tensor: spec[keyPath: name],
                                                    expected: "\(rows * rowBytes) bytes", actual: "\(raw.count) bytes")
                }
                if let heads = permutedHeads, rows == 1 {
                    // A permuted bias: decode, then move each element to its Hugging Face position.
                    var tmp = [Float](repeating: 0, count: columns)
                    tmp.withUnsafeMutableBufferPointer { encoding.decode(base, count: columns, into: $0.baseAddress!) }
                    let perHead = columns / heads
                    for r in 0..<columns { destination[WeightSpec.huggingFaceRow(ofGGUFRow: r, rowsPerHead: perHead)] = tmp[r] }
                    return
                }
                let perHead = permutedHeads.map { rows / $0 } ?? 0
                parallelRanges(count: rows, threads: rows * columns >= 1 << 16 ? threads : 1) { range in
                    for r in range {
                        let target = permutedHeads == nil ? r : WeightSpec.huggingFaceRow(ofGGUFRow: r, rowsPerHead: perHead)
                        encoding.decode(base + r * rowBytes, count: columns, into: destination + target * columns)
                    }
                }
            }
        }
        return weights
    }
}

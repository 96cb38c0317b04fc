import Dispatch
import EagleCore
import Foundation
import GGUF

/// Loads a model from a Hugging Face folder (`config.json` + `model.safetensors` or a sharded index) or a GGUF
/// file. Before any weight is read, the file's tensor list is checked against the weight table: every needed
/// tensor present with the right shape and a decodable type, and every tensor in the file used or explicitly
/// dropped. Weights are then read with `pread` in chunks of whole rows (≤ 8 MiB) and decoded into their final fp32
/// buffers (GGUF q/k rows un-permuted on the way), so one fp32 copy plus one chunk is all that is ever resident:
/// the file's pages stay in the page cache instead of being mapped into the process as well.
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
        var files: [String: ChunkReader] = [:]
        let chunkBytes = 8 << 20
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: chunkBytes, alignment: 64)
        defer { chunk.deallocate() }
        for (spec, stored) in plan {
            let tensorName = spec[keyPath: name]
            let encoding = stored.encoding!
            let (buffer, offset) = weights.location(of: spec.role, config: config)
            let rows = spec.shape.count == 2 ? spec.shape[0] : 1
            let columns = spec.shape.last!
            let rowBytes = encoding.rowBytes(columns)
            guard let span = store.location(tensorName), span.count == rows * rowBytes else {
                throw ModelLoadError.wrongShape(source: store.source, tensor: tensorName, expected: "\(rows * rowBytes) bytes",
                                                actual: "\(store.location(tensorName)?.count ?? 0) bytes")
            }
            if files[span.path] == nil { files[span.path] = try ChunkReader(path: span.path) }
            let reader = files[span.path]!
            let destination = buffer.pointer + offset
            let permutedHeads = unpermute ? spec.ggufPermutedHeads : nil
            if let heads = permutedHeads, rows == 1 {
                // A permuted bias: decode, then move each element to its Hugging Face position.
                try reader.read(into: chunk, count: rowBytes, at: span.offset)
                var tmp = [Float](repeating: 0, count: columns)
                tmp.withUnsafeMutableBufferPointer { encoding.decode(chunk, count: columns, into: $0.baseAddress!) }
                let perHead = columns / heads
                for r in 0..<columns { destination[WeightSpec.huggingFaceRow(ofGGUFRow: r, rowsPerHead: perHead)] = tmp[r] }
                continue
            }
            let perHead = permutedHeads.map { rows / $0 } ?? 0
            let rowsPerChunk = max(1, chunkBytes / max(rowBytes, 1))
            guard rowBytes <= chunkBytes else {
                throw ModelLoadError.wrongShape(source: store.source, tensor: tensorName, expected: "rows of at most \(chunkBytes) bytes",
                                                actual: "rows of \(rowBytes) bytes")
            }
            var first = 0
            while first < rows {
                let n = min(rowsPerChunk, rows - first)
                try reader.read(into: chunk, count: n * rowBytes, at: span.offset + first * rowBytes)
                let base = UnsafeRawPointer(chunk), start = first
                parallelRanges(count: n, threads: n * columns >= 1 << 16 ? threads : 1) { range in
                    for r in range {
                        let fileRow = start + r
                        let target = permutedHeads == nil ? fileRow : WeightSpec.huggingFaceRow(ofGGUFRow: fileRow, rowsPerHead: perHead)
                        encoding.decode(base + r * rowBytes, count: columns, into: destination + target * columns)
                    }
                }
                first += n
            }
        }
        return weights
    }
}

/// `pread` of byte ranges of one file, retrying short reads and EINTR.
final class ChunkReader {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ModelLoadError.file(source: path, message: "open failed: \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws {
        var done = 0
        while done < count {
            let n = pread(fd, buffer + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw ModelLoadError.file(source: path, message: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { throw ModelLoadError.file(source: path, message: "file ends before byte \(offset + count)") }
            done += n
        }
    }
}

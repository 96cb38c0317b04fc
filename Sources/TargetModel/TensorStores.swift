import EagleCore
import GGUF
import SafeTensors

/// A tensor as a file stores it: PyTorch-order shape and encoding (nil when eagleprep cannot decode it).
struct StoredTensor {
    var shape: [Int]
    var encoding: WeightEncoding?
    var typeName: String
}

/// The tensors of a model file (or of the shards of one): names, shapes and types from the header, and where
/// each tensor's bytes are, so the loader can read them with `pread` (see `ModelLoader`).
protocol TensorStore {
    var source: String { get }
    var tensorNames: [String] { get }
    func stored(_ name: String) -> StoredTensor?
    /// The file holding the tensor and its byte range there (validated by the file reader).
    func location(_ name: String) -> (path: String, offset: Int, count: Int)?
}

/// `model.safetensors`, or the shards listed by `model.safetensors.index.json` (`{"weight_map": {name: file}}`).
struct SafeTensorsStore: TensorStore {
    let source: String
    private let files: [SafeTensorsFile]
    private let fileOf: [String: Int]
    let tensorNames: [String]

    init(folder: String) throws {
        let index = folder + "/model.safetensors.index.json"
        if FileIO.exists(index) {
            source = index
            let json: JSONValue
            do { json = try JSONParser.parse(bytes: try FileIO.readAll(path: index, limit: 64 << 20)) } catch let e as FileError {
                throw ModelLoadError.file(source: index, message: e.message)
            } catch {
                throw ModelLoadError.file(source: index, message: "invalid JSON: \(error)")
            }
            guard let map = json["weight_map"]?.objectValue else {
                throw ModelLoadError.file(source: index, message: "weight_map is missing or not an object")
            }
            var shardIndex: [String: Int] = [:]
            var shards: [SafeTensorsFile] = []
            var fileOf: [String: Int] = [:]
            for (name, value) in map {
                guard let shard = value.stringValue, !shard.contains("/") else {
                    throw ModelLoadError.file(source: index, message: "weight_map['\(name)'] is not a file name in the folder")
                }
                if shardIndex[shard] == nil {
                    shardIndex[shard] = shards.count
                    shards.append(try SafeTensorsFile(path: folder + "/" + shard))
                }
                let i = shardIndex[shard]!
                guard shards[i].contains(name) else {
                    throw ModelLoadError.file(source: index, message: "weight_map puts '\(name)' in \(shard), which does not hold it")
                }
                fileOf[name] = i
            }
            for (i, shard) in shards.enumerated() {
                for name in shard.names where fileOf[name] != i {
                    throw ModelLoadError.file(source: shard.path, message: "tensor '\(name)' is not listed for this shard in \(index)")
                }
            }
            files = shards
            self.fileOf = fileOf
            tensorNames = map.keys
        } else {
            let path = folder + "/model.safetensors"
            guard FileIO.exists(path) else {
                throw ModelLoadError.file(source: folder, message: "holds neither model.safetensors nor model.safetensors.index.json")
            }
            source = path
            let file = try SafeTensorsFile(path: path)
            files = [file]
            fileOf = Dictionary(uniqueKeysWithValues: file.names.map { ($0, 0) })
            tensorNames = file.names
        }
    }

    func stored(_ name: String) -> StoredTensor? {
        guard let i = fileOf[name], let t = try? files[i].info(name) else { return nil }
        let encoding: WeightEncoding? = switch t.dtype {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        default: nil
        }
        return StoredTensor(shape: t.shape, encoding: encoding, typeName: t.dtype.rawValue)
    }

    func location(_ name: String) -> (path: String, offset: Int, count: Int)? {
        guard let i = fileOf[name], let t = try? files[i].info(name) else { return nil }
        return (files[i].path, files[i].dataStart + t.dataOffsets.lowerBound, t.dataOffsets.count)
    }
}

/// A GGUF file's tensors, with shapes turned into PyTorch order (GGUF lists the fastest dimension first).
struct GGUFStore: TensorStore {
    let file: GGUFFile
    private let byName: [String: GGUFTensorInfo]
    var source: String { file.path }
    var tensorNames: [String] { file.tensors.map(\.name) }

    init(file: GGUFFile) throws {
        self.file = file
        var map: [String: GGUFTensorInfo] = [:]
        for t in file.tensors {
            guard map[t.name] == nil else { throw ModelLoadError.file(source: file.path, message: "tensor '\(t.name)' appears twice") }
            map[t.name] = t
        }
        byName = map
    }

    func stored(_ name: String) -> StoredTensor? {
        guard let t = byName[name] else { return nil }
        return StoredTensor(shape: t.dimensions.reversed(), encoding: WeightEncoding(ggml: t.type), typeName: "\(t.type)".uppercased())
    }

    func location(_ name: String) -> (path: String, offset: Int, count: Int)? {
        guard let t = byName[name] else { return nil }
        return (file.path, file.dataOffset + t.offset, t.byteCount)
    }
}

import EagleCore
import GGUF
import Tokenization

extension FuzzTarget {
    /// GGUF headers (metadata, tensor table, data bounds), each tensor's bytes, and the tokenizer built from the
    /// `tokenizer.ggml.*` metadata.
    static let gguf = FuzzTarget(name: "gguf", run: { input in
        let path = ScratchFile.shared.write("model.gguf", input)
        guard let file = try? GGUFFile.open(path: path) else { return }
        var sum = 0
        for t in file.tensors {
            let d = file.data(of: t)
            if let first = d.first, let last = d.last { sum &+= Int(first) &+ Int(last) }
        }
        _ = sum
        for key in file.metadataKeys {
            _ = try? file.stringArray(key)
            _ = try? file.integerArray(key)
            _ = try? file.floatArray(key)
        }
        if let tokenizer = try? Tokenizer(gguf: file) { exercise(tokenizer, "Hello world 123 <s> Cửa Việt") }
    }, writeSeeds: { seeds in
        var n = 0
        // The committed tiny test models and the real SmolLM2 GGUF, shrunk: token lists cut to 300 entries (merges to
        // those among them), every tensor cut to one row.
        for path in ["Tests/TargetModelTests/Fixtures/tiny-llama-quant.gguf", "Tests/TargetModelTests/Fixtures/tiny-llama-bf16.gguf",
                     ".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"] where FileIO.exists(path) {
            let file = try GGUFFile.open(path: path)
            let name = String(path.split(separator: "/").last!)
            try seeds.write(name, GGUFSeed.shrink(file, keepTokens: 300, keepTensors: 12))
            try seeds.write("tensors-only." + name, GGUFSeed.shrink(file, keepTokens: 0, keepTensors: 3))
            n += 2
        }
        return n
    })
}

/// Writes small GGUF v3 files for seeds.
enum GGUFSeed {
    /// `file`'s metadata (token lists cut to `keepTokens`, merges to those among them) and its first tensors with
    /// their dimensions cut so each holds one block row.
    static func shrink(_ file: GGUFFile, keepTokens: Int, keepTensors: Int) throws -> [UInt8] {
        var out: [UInt8] = Array("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func string(_ s: String) { u64(UInt64(s.utf8.count)); out.append(contentsOf: s.utf8) }
        let tokens = Array((try file.stringArray("tokenizer.ggml.tokens") ?? []).prefix(keepTokens))
        let kept = Set(tokens)
        func value(_ key: String, _ v: GGUFValue) -> GGUFValue {
            if key.hasSuffix("_token_id"), let id = v.integer, id >= keepTokens { return .uint32(1) }
            guard case .array(let items) = v else { return v }
            if key == "tokenizer.ggml.merges" {
                return .array(items.filter { item in
                    guard case .string(let m) = item else { return false }
                    let parts = m.split(separator: " ", maxSplits: 1).map(String.init)
                    return parts.count == 2 && kept.contains(parts[0]) && kept.contains(parts[1]) && kept.contains(parts[0] + parts[1])
                })
            }
            return .array(Array(items.prefix(keepTokens)))
        }
        func write(_ v: GGUFValue) {
            switch v {
            case .uint8(let x): out.append(x)
            case .int8(let x): out.append(UInt8(bitPattern: x))
            case .uint16(let x): withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) }
            case .int16(let x): withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) }
            case .uint32(let x): u32(x)
            case .int32(let x): u32(UInt32(bitPattern: x))
            case .float32(let x): u32(x.bitPattern)
            case .bool(let b): out.append(b ? 1 : 0)
            case .string(let s): string(s)
            case .array(let items):
                u32(items.first.map(typeCode) ?? 4)
                u64(UInt64(items.count))
                for i in items { write(i) }
            case .uint64(let x): u64(x)
            case .int64(let x): u64(UInt64(bitPattern: x))
            case .float64(let x): u64(x.bitPattern)
            }
        }
        let tensors = Array(file.tensors.prefix(keepTensors))
        u32(3)
        u64(UInt64(tensors.count))
        u64(UInt64(file.metadataKeys.count))
        for key in file.metadataKeys {
            let v = value(key, file.metadata[key]!)
            string(key)
            u32(typeCode(v))
            write(v)
        }
        var offset = 0
        var sizes: [Int] = []
        for t in tensors {
            let dims = [t.dimensions[0]] + Array(repeating: 1, count: t.dimensions.count - 1)
            let size = t.byteCount / (t.elementCount / dims[0])  // one row of whole blocks
            string(t.name)
            u32(UInt32(dims.count))
            for d in dims { u64(UInt64(d)) }
            u32(t.type.rawValue)
            u64(UInt64(offset))
            sizes.append(size)
            offset += (size + file.alignment - 1) / file.alignment * file.alignment
        }
        while out.count % file.alignment != 0 { out.append(0) }
        for (t, size) in zip(tensors, sizes) {
            out.append(contentsOf: file.data(of: t).prefix(size))
            while out.count % file.alignment != 0 { out.append(0) }
        }
        return out
    }

    static func typeCode(_ v: GGUFValue) -> UInt32 {
        switch v {
        case .uint8: 0
        case .int8: 1
        case .uint16: 2
        case .int16: 3
        case .uint32: 4
        case .int32: 5
        case .float32: 6
        case .bool: 7
        case .string: 8
        case .array: 9
        case .uint64: 10
        case .int64: 11
        case .float64: 12
        }
    }
}

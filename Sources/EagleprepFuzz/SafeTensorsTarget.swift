import EagleCore
import SafeTensors

extension FuzzTarget {
    /// safetensors headers (size, JSON, dtypes, shapes, offsets, tiling) and typed reads of every tensor.
    static let safetensors = FuzzTarget(name: "safetensors", run: { input in
        let path = ScratchFile.shared.write("model.safetensors", input)
        guard let file = try? SafeTensorsFile(path: path) else { return }
        for t in file.tensors {
            _ = try? file.bytes(t.name)
            _ = try? file.floats(t.name)
            _ = try? file.int64s(t.name)
            _ = try? file.int32s(t.name)
            _ = try? file.bools(t.name)
        }
    }, writeSeeds: { seeds in
        var w = SafeTensorsWriter(metadata: [("format", "pt"), ("note", "seed")])
        try w.add("embed.weight", float32s: (0..<24).map { Float($0) * 0.5 }, shape: [4, 6])
        try w.add("d2t", int64s: [0, 1, 5, 9], shape: [4])
        try w.add("t2d", bools: [true, false, true], shape: [3])
        try w.add("ids", int32s: [7, -1], shape: [2])
        try w.add("bytes", uint8s: [1, 2, 3], shape: [1, 3])
        try w.add("half", dtype: .bf16, shape: [2], bytes: [0x80, 0x3F, 0x00, 0x40])
        try w.add("scalar", dtype: .f64, shape: [], bytes: Array(repeating: 0, count: 8))
        try w.add("empty", dtype: .f16, shape: [0, 3], bytes: [])
        try seeds.write("mixed.safetensors", w.serialized())
        try seeds.write("empty.safetensors", SafeTensorsWriter().serialized())
        try seeds.write("dequantization.safetensors", FileIO.readAll(path: "Tests/TargetModelTests/Fixtures/dequantization.safetensors"))
        return 3
    })
}

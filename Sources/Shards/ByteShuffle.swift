/// Byte shuffling: an array of `width`-byte elements is rearranged into `width` planes (all first bytes, then all
/// second bytes, …) before compression. Exponent bytes of neighbouring activations are similar, so the planes
/// compress better (issue 6: bf16 ratio 1.19 → 1.35 at zstd level 1).
public enum ByteShuffle {
    public static func shuffle(_ bytes: UnsafeRawBufferPointer, width: Int, into out: inout [UInt8]) {
        precondition(width >= 1 && bytes.count % width == 0)
        let n = bytes.count / width
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: bytes.count))
        out.withUnsafeMutableBufferPointer { o in
            for i in 0..<n {
                for b in 0..<width { o[start + b * n + i] = bytes[i * width + b] }
            }
        }
    }

    public static func unshuffle(_ planes: UnsafeRawBufferPointer, width: Int) -> [UInt8] {
        precondition(width >= 1 && planes.count % width == 0)
        let n = planes.count / width
        var out = [UInt8](repeating: 0, count: planes.count)
        out.withUnsafeMutableBufferPointer { o in
            for b in 0..<width {
                for i in 0..<n { o[i * width + b] = planes[b * n + i] }
            }
        }
        return out
    }
}

/// GPT-2's `bytes_to_unicode`: the printable bytes `!`..`~`, `¡`..`¬`, `®`..`ÿ` stand for themselves, the other 68
/// bytes map in order to U+0100, U+0101, ... Byte-level vocabularies spell every token in these characters
/// (`Ġ` = space, `Ċ` = LF). See
/// https://github.com/huggingface/tokenizers/blob/3ba8ad0061a885baf052bbb7bbd22857e73e0c4e/tokenizers/src/pre_tokenizers/byte_level.rs
///
/// At load time each token is converted back to the raw bytes it stands for, so encoding never remaps text.
enum ByteLevelAlphabet {
    /// `scalarOfByte[b]`: the character standing for byte `b`.
    static let scalarOfByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// `byteOfScalar[cp]` for `cp < 0x144`: the byte `cp` stands for, or -1.
    static let byteOfScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (b, cp) in scalarOfByte.enumerated() { table[Int(cp)] = Int16(b) }
        return table
    }()

    /// The raw bytes a byte-level token spelling stands for, or nil if it has a character outside the alphabet.
    static func rawBytes(ofSpelling utf8: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        return appendRawBytes(ofSpelling: utf8, to: &out) ? out : nil
    }

    /// Appends the raw bytes of a spelling to `out`; false (with `out` partly extended) if the spelling has a
    /// character outside the alphabet.
    static func appendRawBytes(ofSpelling utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) -> Bool {
        guard let base = utf8.baseAddress else { return true }
        return byteOfScalar.withUnsafeBufferPointer { table in
            var i = 0
            while i < utf8.count {
                let (cp, l) = decodeScalar(base, i, utf8.count)
                guard cp < 0x144, table[Int(cp)] >= 0 else { return false }
                out.append(UInt8(table[Int(cp)]))
                i += l
            }
            return true
        }
    }

    /// The spelling (UTF-8 of the alphabet characters) of raw bytes.
    static func spelling(ofRawBytes bytes: some Sequence<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        for b in bytes { appendUTF8(scalarOfByte[Int(b)], to: &out) }
        return out
    }
}

@inline(__always)
func appendUTF8(_ cp: UInt32, to out: inout [UInt8]) {
    if cp < 0x80 {
        out.append(UInt8(cp))
    } else if cp < 0x800 {
        out.append(UInt8(0xC0 | cp >> 6))
        out.append(UInt8(0x80 | cp & 0x3F))
    } else if cp < 0x10000 {
        out.append(UInt8(0xE0 | cp >> 12))
        out.append(UInt8(0x80 | (cp >> 6) & 0x3F))
        out.append(UInt8(0x80 | cp & 0x3F))
    } else {
        out.append(UInt8(0xF0 | cp >> 18))
        out.append(UInt8(0x80 | (cp >> 12) & 0x3F))
        out.append(UInt8(0x80 | (cp >> 6) & 0x3F))
        out.append(UInt8(0x80 | cp & 0x3F))
    }
}

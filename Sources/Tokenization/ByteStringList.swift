/// A list of byte strings stored back to back in one array (vocabularies and merge lists hold 10^5 of them).
struct ByteStringList: Sendable, Equatable {
    private(set) var bytes: [UInt8] = []
    /// String `i` is `bytes[ends[i - 1] ..< ends[i]]` (with `ends[-1]` = 0).
    private(set) var ends: [Int] = []

    init() {}

    init(_ strings: [[UInt8]]) {
        for s in strings { append(s) }
    }

    var count: Int { ends.count }

    mutating func append(_ s: some Collection<UInt8>) {
        bytes.append(contentsOf: s)
        ends.append(bytes.count)
    }

    mutating func append(_ s: String) { append(s.utf8) }

    /// Appends the string built by `body`, which appends to the raw byte array.
    mutating func appendBuilt<E: Error>(_ body: (inout [UInt8]) throws(E) -> Void) throws(E) {
        try body(&bytes)
        ends.append(bytes.count)
    }

    mutating func reserve(strings: Int, bytes byteCount: Int) {
        ends.reserveCapacity(strings)
        bytes.reserveCapacity(byteCount)
    }

    func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : ends[i - 1]) ..< ends[i] }

    subscript(i: Int) -> ArraySlice<UInt8> { bytes[range(i)] }

    func withString<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let r = range(i)
        return try bytes.withUnsafeBufferPointer { b in
            try body(UnsafeBufferPointer(rebasing: b[r]))
        }
    }

    func string(_ i: Int) -> String { String(decoding: self[i], as: UTF8.self) }
}

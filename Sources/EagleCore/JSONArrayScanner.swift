/// Splits a JSON document that is a top-level array into its elements without parsing them, so huge JSON
/// arrays stream element by element with their 1-based starting line numbers. The structural scan only
/// tracks strings, escapes and bracket depth; each element is then parsed (and validated) on its own.
public struct JSONArrayScanner: Sequence {
    public struct Element {
        /// 1-based line on which the element starts.
        public var line: Int
        public var bytes: UnsafeBufferPointer<UInt8>
    }

    public let bytes: UnsafeBufferPointer<UInt8>

    public init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    public func makeIterator() -> Iterator { Iterator(bytes: bytes) }

    public struct Iterator: IteratorProtocol {
        let bytes: UnsafeBufferPointer<UInt8>
        var pos = 0
        var line = 1
        var started = false
        var finished = false
        /// Set when the document is not a well-formed array; the iterator then stops.
        public private(set) var error: JSONParseError?

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        private mutating func skipWhitespace() {
            while pos < bytes.count {
                switch bytes[pos] {
                case 0x0A: line += 1; pos += 1
                case 0x20, 0x09, 0x0D: pos += 1
                default: return
                }
            }
        }

        private mutating func fail(_ message: String) -> Element? {
            var col = 1
            var i = pos - 1
            while i >= 0, bytes[i] != 0x0A { col += 1; i -= 1 }
            error = JSONParseError(message: message, line: line, column: col)
            finished = true
            return nil
        }

        public mutating func next() -> Element? {
            if finished { return nil }
            skipWhitespace()
            if !started {
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "[") else { return fail("expected '[' to start a JSON array") }
                pos += 1
                started = true
                skipWhitespace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") {
                    pos += 1
                    return end()
                }
            } else {
                guard pos < bytes.count else { return fail("unexpected end of input in the top-level array") }
                if bytes[pos] == UInt8(ascii: "]") { pos += 1; return end() }
                guard bytes[pos] == UInt8(ascii: ",") else { return fail("expected ',' or ']' between array elements") }
                pos += 1
                skipWhitespace()
            }
            let start = pos, startLine = line
            var depth = 0
            var inString = false
            while pos < bytes.count {
                let c = bytes[pos]
                if inString {
                    if c == UInt8(ascii: "\\") { pos = Swift.min(pos + 2, bytes.count); continue }  // a final lone '\' ends the input
                    if c == UInt8(ascii: "\"") { inString = false }
                    if c == 0x0A { line += 1 }
                    pos += 1
                    continue
                }
                switch c {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return element(start, startLine) }
                    depth -= 1
                case UInt8(ascii: ","): if depth == 0 { return element(start, startLine) }
                case 0x0A: line += 1
                default: break
                }
                pos += 1
            }
            return fail("unexpected end of input in the top-level array")
        }

        private mutating func element(_ start: Int, _ startLine: Int) -> Element? {
            var end = pos
            while end > start, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[end - 1]) { end -= 1 }
            if end == start { return fail("empty element in the top-level array") }
            return Element(line: startLine, bytes: UnsafeBufferPointer(rebasing: bytes[start..<end]))
        }

        private mutating func end() -> Element? {
            finished = true
            skipWhitespace()
            if pos != bytes.count { return fail("unexpected content after the top-level array") }
            return nil
        }
    }
}

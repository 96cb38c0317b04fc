/// Whether any of a fixed set of strings occurs in a text, by bytes: candidates are bucketed by their first
/// UTF-8 byte, so a text is scanned once and only positions starting like a candidate are compared.
/// (Checking hundreds of special-token strings with `String.contains` one by one dominated the tokenize stage.)
struct SubstringMatcher: Sendable {
    private let buckets: [[[UInt8]]]

    init(_ needles: [String]) {
        var b = [[[UInt8]]](repeating: [], count: 256)
        for n in needles where !n.isEmpty {
            let bytes = Array(n.utf8)
            b[Int(bytes[0])].append(bytes)
        }
        buckets = b
    }

    func occurs(in text: String) -> Bool {
        var text = text
        return text.withUTF8 { hay in
            guard hay.count > 0 else { return false }
            for i in 0..<hay.count {
                let candidates = buckets[Int(hay[i])]
                if candidates.isEmpty { continue }
                for c in candidates where c.count <= hay.count - i {
                    var j = 1
                    while j < c.count, hay[i + j] == c[j] { j += 1 }
                    if j == c.count { return true }
                }
            }
            return false
        }
    }
}

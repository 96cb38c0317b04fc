import Conversations
import EagleCore

extension FuzzTarget {
    /// The conversation readers: a JSON array or JSONL file read with format detection and as each schema.
    static let conversations = FuzzTarget(name: "conversations", run: { input in
        let path = ScratchFile.shared.write("conversations.jsonl", input)
        for format in [nil] + ConversationFormat.allCases.map(Optional.some) {
            let reader = ConversationReader(path: path, format: format)
            try? reader.forEach { result in
                if case .success(let c) = result { _ = c.messages.count + (c.tools?.count ?? 0) }
            }
        }
    }, writeSeeds: { seeds in
        var n = 0
        for file in SharedData.files(in: "conversations", suffix: ".json") + SharedData.files(in: "conversations", suffix: ".jsonl") {
            let bytes = try FileIO.readAll(path: file)
            let records = Self.firstRecords(bytes, count: 6)
            let base = String(file.split(separator: "/").last!)
            // The first records as JSONL, as a JSON array, and one by one.
            try seeds.write("\(base).jsonl", Array(records.joined(separator: "\n").utf8))
            try seeds.write("\(base).array.json", Array(("[\n" + records.joined(separator: ",\n") + "\n]").utf8))
            for (i, r) in records.prefix(3).enumerated() { try seeds.write("\(base).\(i).jsonl", Array(r.utf8)) }
            n += 2 + min(3, records.count)
        }
        return n
    })

    /// The first `count` records of a JSON array or JSONL file, as compact JSON text.
    static func firstRecords(_ bytes: [UInt8], count: Int) -> [String] {
        var out: [String] = []
        if bytes.first(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) == UInt8(ascii: "[") {
            bytes.withUnsafeBufferPointer { b in
                for e in JSONArrayScanner(bytes: b) {
                    guard out.count < count else { break }
                    if let v = try? JSONParser.parse(utf8: e.bytes) { out.append(JSONWriter.string(v)) }
                }
            }
        } else {
            for line in bytes.split(separator: 0x0A).prefix(count) {
                if let v = try? JSONParser.parse(bytes: Array(line)) { out.append(JSONWriter.string(v)) }
            }
        }
        return out
    }
}

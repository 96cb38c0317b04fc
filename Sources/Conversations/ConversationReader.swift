import EagleCore

/// Reads conversation records from a JSON array or JSONL file (told apart by the first non-blank byte, not the
/// file name), normalising each to a `Conversation`. Bad records are returned as `RecordRejection`s naming
/// file and line; the reader itself only throws for file-level problems (unreadable file, broken array).
/// The file is memory-mapped and records are decoded one at a time, so memory stays bounded by the largest record.
public struct ConversationReader {
    public let path: String
    /// The format to read every record as; nil detects it from the first decodable record of the file.
    public var format: ConversationFormat?
    public var limits: JSONLimits

    public init(path: String, format: ConversationFormat? = nil, limits: JSONLimits = JSONLimits(maxDepth: 64, maxBytes: 64 << 20)) {
        self.path = path
        self.format = format
        self.limits = limits
    }

    /// Calls `body` for every record in file order.
    public func forEach(_ body: (Result<Conversation, RecordRejection>) throws -> Void) throws {
        let file = try MappedFile(path: path)
        try file.withBytes { raw in try forEach(in: raw.bindMemory(to: UInt8.self), body) }
    }

    private func forEach(in bytes: UnsafeBufferPointer<UInt8>, _ body: (Result<Conversation, RecordRejection>) throws -> Void) throws {
        var detected = format
        var index = 0
        func handle(_ line: Int, _ record: UnsafeBufferPointer<UInt8>) throws {
            defer { index += 1 }
            try body(decode(line: line, index: index, bytes: record, format: &detected))
        }
        var i = 0
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        if i < bytes.count, bytes[i] == UInt8(ascii: "[") {
            var it = JSONArrayScanner(bytes: bytes).makeIterator()
            while let e = it.next() { try handle(e.line, e.bytes) }
            if let e = it.error { throw FileError(path: path, message: "line \(e.line), column \(e.column): \(e.message)") }
        } else {
            var line = 0, start = 0
            while start < bytes.count {
                line += 1
                var end = start
                while end < bytes.count, bytes[end] != 0x0A { end += 1 }
                let record = UnsafeBufferPointer(rebasing: bytes[start..<end])
                if !record.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { try handle(line, record) }
                start = end + 1
            }
        }
    }

    private func decode(line: Int, index: Int, bytes: UnsafeBufferPointer<UInt8>, format: inout ConversationFormat?) -> Result<Conversation, RecordRejection> {
        let normalizer = RecordNormalizer(source: path, line: line, index: index)
        let value: JSONValue
        do { value = try JSONParser.parse(utf8: bytes, limits: limits) } catch {
            return .failure(normalizer.reject(.invalidJSON, "invalid JSON: \(error)"))
        }
        guard case .object(let record) = value else {
            return .failure(normalizer.reject(.notAnObject, "expected a JSON object, found \(value.typeName)"))
        }
        let recordFormat: ConversationFormat
        if let f = format {
            recordFormat = f
            guard Self.hasKey(of: f, in: record) else {
                return .failure(normalizer.reject(.unknownFormat, "record has no \(Self.keyDescription(of: f)) field (reading as \(f.rawValue))"))
            }
        } else if let f = ConversationFormat.detect(record) {
            format = f
            recordFormat = f
        } else {
            return .failure(normalizer.reject(.unknownFormat,
                "cannot tell the format: expected a \"messages\", \"conversations\" or \"instruction\" field, found keys \(record.keys.prefix(8).map { "\"\($0)\"" }.joined(separator: ", "))"))
        }
        return Result { () throws(RecordRejection) in try normalizer.normalize(record, as: recordFormat) }
    }

    private static func hasKey(of format: ConversationFormat, in record: JSONObject) -> Bool {
        switch format {
        case .messages: record["messages"] != nil
        case .sharegpt: record["conversations"] != nil
        case .alpaca: record["instruction"] != nil
        }
    }

    private static func keyDescription(of format: ConversationFormat) -> String {
        switch format {
        case .messages: "\"messages\""
        case .sharegpt: "\"conversations\""
        case .alpaca: "\"instruction\""
        }
    }
}

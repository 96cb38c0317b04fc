import EagleCore
import Foundation

/// An error in one line of a JSONL input, naming the file and the 1-based line number.
public struct InputLineError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var message: String
    public var description: String { "\(path):\(line): \(message)" }
}

/// Streams a JSONL file through `transform` in parallel batches and writes each result line in input order.
/// Memory is bounded by the batch size, not the input size.
enum JSONLinesMap {
    static func run(
        input: String, output: BufferedOutput, threads: Int, batchLines: Int = 4096,
        _ transform: @Sendable (_ value: JSONValue, _ line: Int) throws -> String
    ) throws {
        let reader = try LineReader(path: input)
        var batch: [(line: Int, bytes: [UInt8])] = []
        batch.reserveCapacity(batchLines)
        func flush() throws {
            let items = batch
        let path = reader.path
            let results = try parallelMap(count: items.count, threads: threads) { i -> String? in
                let item = items[i]
                if item.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }  // blank line
                let value: JSONValue
                do { value = try JSONParser.parse(bytes: item.bytes) } catch {
                    throw InputLineError(path: path, line: item.line, message: "invalid JSON: \(error)")
                }
                return try transform(value, item.line)
            }
            for r in results { if let r { try output.write(r); try output.write("\n") } }
            batch.removeAll(keepingCapacity: true)
        }
        while let bytes = try reader.nextLine() {
            batch.append((reader.lineNumber, bytes))
            if batch.count >= batchLines { try flush() }
        }
        try flush()
        try output.flush()
    }

    static func defaultThreads() -> Int { ProcessInfo.processInfo.activeProcessorCount }
}

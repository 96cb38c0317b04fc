/// One tokenized conversation: token ids, the loss mask (0/1 per position, SPEC §3) and where it came from.
public struct TokenSample: Sendable, Equatable {
    public var ids: [Int32]
    public var lossMask: [UInt8]
    /// Index of the input file in the manifest's input list.
    public var sourceFile: UInt32
    /// 1-based line of the record in that file.
    public var sourceLine: UInt64
    /// 0-based record index within that file (rejected records counted too).
    public var recordIndex: UInt64

    public init(ids: [Int32], lossMask: [UInt8], sourceFile: UInt32, sourceLine: UInt64, recordIndex: UInt64) {
        precondition(ids.count == lossMask.count, "ids and loss mask must have the same length")
        self.ids = ids
        self.lossMask = lossMask
        self.sourceFile = sourceFile
        self.sourceLine = sourceLine
        self.recordIndex = recordIndex
    }
}

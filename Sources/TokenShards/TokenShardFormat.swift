/// Constants of the token shard files (docs/token-shards.md).
public enum TokenShardFormat {
    public static let magic: [UInt8] = Array("EPTOKENS".utf8)
    /// The version `TokenShardWriter` writes by default.
    public static let version: UInt32 = 2
    /// Versions this build reads.
    public static let readableVersions: ClosedRange<UInt32> = 1...2
    public static let maxSequenceLength = 1 << 24

    /// Version 1: one zstd frame per sample. Fixed part of a decompressed record before the ids: length, source
    /// file, source line, record index.
    public static let recordPrefixSize = 24

    /// Version 2: columns (the ids at supervised positions, the other ids, the supervised spans), a per-sample
    /// table, metadata, footer.
    public static let headerSize = 16
    public static let tableEntrySize = 48
    public static let spanSize = 8
    public static let footerSize = 64
    public static let maxMetadataBytes = 16 << 20
}

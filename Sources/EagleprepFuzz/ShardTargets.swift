import EagleCore
import Shards
import TokenShards
@testable import EagleprepCLI

extension FuzzTarget {
    /// Token shards: container structure, index, metadata, every record (checksum, zstd, sample layout). Each input
    /// is read as given, then again with the index checksums recomputed so mutations reach decompression.
    static let tokenShard = FuzzTarget(name: "token-shard", run: { input in
        forBothChecksums(input) { bytes in
            let path = ScratchFile.shared.write("tokens.shard", bytes)
            guard let r = try? TokenShardReader(path: path) else { return }
            for k in 0..<r.count { _ = try? r.sample(k) }
        }
    }, writeSeeds: { seeds in
        try ShardSeeds.tokenShards(into: seeds)
    })

    /// Dump shards: container, layout metadata, every sample (unshuffle, dtypes, logit rows).
    static let dumpShard = FuzzTarget(name: "dump-shard", run: { input in
        forBothChecksums(input) { bytes in
            let path = ScratchFile.shared.write("dump.shard", bytes)
            guard let r = try? DumpShardReader(path: path) else { return }
            for k in 0..<r.count { _ = try? r.sample(k) }
        }
    }, writeSeeds: { seeds in
        try ShardSeeds.dumpShards(into: seeds)
    })

    /// `eagleprep verify` on a folder. Input: manifest.json, a 0x00 byte, then the bytes of the shard file
    /// `shard-00000.bin` (checksums recomputed as above).
    static let verify = FuzzTarget(name: "verify", run: { input in
        let (manifest, shard) = input.splitAtNul()
        ScratchFile.shared.write("manifest.json", manifest)
        forBothChecksums(shard) { bytes in
            ScratchFile.shared.write("shard-00000.bin", bytes)
            _ = VerifyCommand.verify(directory: ScratchFile.shared.directory)
        }
    }, writeSeeds: { seeds in
        let tmp = try SeedWriter(directory: seeds.directory + "/.tmp")
        _ = try ShardSeeds.tokenShards(into: tmp)
        _ = try ShardSeeds.dumpShards(into: tmp)
        let token = try FileIO.readAll(path: tmp.directory + "/tokens.2.shard")
        let dump = try FileIO.readAll(path: tmp.directory + "/dump.logits-bf16.shard")
        let tokensManifest = #"{"format":"eagleprep-tokens","complete":true,"shards":[{"file":"shard-00000.bin","samples":2}],"counts":{"kept":2,"tokens":9}}"#
        let dumpManifest = #"{"format":"eagleprep-dump","complete":true,"shards":[{"file":"shard-00000.bin","samples":2}],"counts":{"samples":2,"tokens":11}}"#
        try seeds.write("tokens", Array(tokensManifest.utf8) + [0] + token)
        try seeds.write("dump", Array(dumpManifest.utf8) + [0] + dump)
        return 2
    })

    /// Calls `body` with the input, then (if different) with its record checksums recomputed.
    static func forBothChecksums(_ input: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        body(input)
        var fixed = Array(input)
        if ShardSeeds.fixChecksums(&fixed) { fixed.withUnsafeBufferPointer(body) }
    }
}

enum ShardSeeds {
    /// Recomputes the CRC-32 of every index entry whose frame lies inside the file; true if anything changed.
    /// Lenient on purpose: it reads the footer and index without validating them (the reader does that).
    static func fixChecksums(_ b: inout [UInt8]) -> Bool {
        func u64(_ at: Int) -> Int? {
            guard at >= 0, at + 8 <= b.count else { return nil }
            var v: UInt64 = 0
            for i in (0..<8).reversed() { v = v << 8 | UInt64(b[at + i]) }
            return v <= UInt64(Int.max) ? Int(v) : nil
        }
        func u32(_ at: Int) -> Int? { guard at >= 0, at + 4 <= b.count else { return nil }; return (0..<4).reversed().reduce(0) { $0 << 8 | Int(b[at + $1]) } }
        let footer = b.count - RecordContainer.footerSize
        guard footer >= 0, let indexOffset = u64(footer + 16), let n = u64(footer + 24), n <= b.count / RecordContainer.indexEntrySize else { return false }
        var changed = false
        for i in 0..<n {
            let at = indexOffset &+ i &* RecordContainer.indexEntrySize
            guard at >= 0, at + RecordContainer.indexEntrySize <= b.count, let offset = u64(at), let size = u32(at + 8),
                  offset <= b.count, size <= b.count - offset else { break }
            let crc = b.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + size)])) }
            for j in 0..<4 {
                let byte = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(j)))
                if b[at + 20 + j] != byte { b[at + 20 + j] = byte; changed = true }
            }
        }
        return changed
    }

    static func tokenShards(into seeds: SeedWriter) throws -> Int {
        let samples = [
            TokenSample(ids: [1, 2, 3, 4], lossMask: [0, 0, 1, 1], sourceFile: 0, sourceLine: 1, recordIndex: 0),
            TokenSample(ids: [5, 6, 7, 8, 9], lossMask: [0, 1, 1, 1, 0], sourceFile: 0, sourceLine: 2, recordIndex: 1),
        ]
        for count in [0, 1, 2] {
            let w = try TokenShardWriter(path: seeds.directory + "/tokens.\(count).shard")
            for s in samples.prefix(count) { try w.append(s) }
            try w.finish(metadata: .object(JSONObject([("format", .string("eagleprep-tokens")), ("samples", .int(count))])))
        }
        return 3
    }

    static func dumpShards(into seeds: SeedWriter) throws -> Int {
        var n = 0
        let layouts: [(String, DumpLayout)] = [
            ("logits-bf16", DumpLayout(hiddenSize: 4, auxLayers: 3, auxDType: .bf16, signal: .logits, draftVocabSize: 5)),
            ("hidden-f16", DumpLayout(hiddenSize: 3, auxLayers: 2, auxDType: .f16, signal: .hidden, hiddenDType: .f32)),
        ]
        for (name, layout) in layouts {
            let w = try DumpShardWriter(path: seeds.directory + "/dump.\(name).shard", layout: layout)
            for (L, mask) in [(5, [0, 0, 1, 1, 0] as [UInt8]), (6, [0, 1, 1, 1, 1, 1] as [UInt8])] {
                let aux = (0..<(L * layout.auxWidth)).map { Float($0) * 0.25 - 3 }
                let signal: DumpSample.Signal
                if layout.signal == .logits {
                    signal = .logits(draft: (0..<(L * layout.draftVocabSize)).map { Float($0 % 7) - 2 }, argmax: (0..<L).map { Int32($0 * 3) })
                } else {
                    signal = .hidden((0..<(L * layout.hiddenSize)).map { Float($0) / 8 })
                }
                try w.append(DumpSample(ids: (0..<L).map { Int32($0 + 10) }, lossMask: mask, auxHidden: aux, signal: signal, sourceFile: 0, sourceLine: UInt64(L)))
            }
            try w.finish(metadata: JSONObject([("format", .string("eagleprep-dump"))]))
            n += 1
        }
        return n
    }
}

import EagleCore
import Foundation
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
        try ShardSeeds.verifySeeds(into: seeds)
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

    /// Dump shards of both signals; `settings` goes into every shard's metadata, as `eagleprep dump` writes it.
    static func dumpShards(into seeds: SeedWriter, settings: JSONObject = JSONObject()) throws -> Int {
        for (name, layout) in dumpLayouts {
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
            var metadata = settings
            metadata["format"] = .string("eagleprep-dump")
            try w.finish(metadata: metadata)
        }
        return dumpLayouts.count
    }

    static let dumpLayouts: [(String, DumpLayout)] = [
        ("logits-bf16", DumpLayout(hiddenSize: 4, auxLayers: 3, auxDType: .bf16, signal: .logits, draftVocabSize: 5)),
        ("hidden-f16", DumpLayout(hiddenSize: 3, auxLayers: 2, auxDType: .f16, signal: .hidden, hiddenDType: .f32)),
    ]

    /// Seeds for `verify`: complete output folders as `tokenize` and `dump` write them (manifest `version`,
    /// `settings`, `layout`, `counts`; shard metadata carrying the same settings), one per shard kind. Each seed is
    /// checked through `VerifyCommand.verify` before it is written, so that the seeds pass the manifest checks and
    /// reach the shard readers; a `verify` change that rejects them fails here, not silently in the campaign.
    static func verifySeeds(into seeds: SeedWriter) throws -> Int {
        let tmp = try SeedWriter(directory: seeds.directory + "/.tmp")
        defer { try? FileManager.default.removeItem(atPath: tmp.directory) }
        let dumpSettings = JSONObject([
            ("target", .string("fuzz-target")), ("layers.ids", .array([.int(2), .int(3), .int(4)])),
            ("layers.convention", .string("input_to_layer")), ("samples_per_shard", .int(2)), ("worker", .string("0/1")),
        ])
        _ = try tokenShards(into: tmp)
        _ = try dumpShards(into: tmp, settings: dumpSettings)
        var folders: [(name: String, manifest: JSONValue, shard: String)] = [
            ("tokens", tokensManifest(samples: 2, tokens: 9), "tokens.2.shard"),
            ("tokens-empty", tokensManifest(samples: 0, tokens: 0), "tokens.0.shard"),
        ]
        for (name, layout) in dumpLayouts {
            var m = JSONObject()
            m["format"] = .string("eagleprep-dump")
            m["version"] = .int(1)
            m["settings"] = .object(dumpSettings)
            m["layout"] = layout.json
            m["compression"] = .object(JSONObject([("codec", .string("zstd")), ("level", .int(1))]))
            m["shards"] = .array([.object(JSONObject([("file", .string("shard-00000.bin")), ("samples", .int(2))]))])
            m["counts"] = .object(JSONObject([("samples", .int(2)), ("tokens", .int(11))]))
            m["complete"] = .bool(true)
            folders.append(("dump-" + name, .object(m), "dump.\(name).shard"))
        }
        for f in folders {
            let manifest = Array(JSONWriter.string(f.manifest).utf8)
            let shard = try FileIO.readAll(path: tmp.directory + "/" + f.shard)
            ScratchFile.shared.write("manifest.json", manifest)
            ScratchFile.shared.write("shard-00000.bin", shard)
            let problems = VerifyCommand.verify(directory: ScratchFile.shared.directory)
            guard problems.isEmpty else {
                throw FileError(path: f.name, message: "the verify seed does not pass verify: " + problems.joined(separator: "; "))
            }
            try seeds.write(f.name, manifest + [0] + shard)
        }
        return folders.count
    }

    /// A `tokenize` manifest listing one shard, `shard-00000.bin`.
    static func tokensManifest(samples: Int, tokens: Int) -> JSONValue {
        var m = JSONObject()
        m["format"] = .string("eagleprep-tokens")
        m["version"] = .int(1)
        m["settings"] = .object(JSONObject([("format", .string("messages")), ("max_length", .int(4096)), ("worker", .string("0/1"))]))
        m["shards"] = .array([.object(JSONObject([("file", .string("shard-00000.bin")), ("samples", .int(samples))]))])
        m["counts"] = .object(JSONObject([("kept", .int(samples)), ("tokens", .int(tokens))]))
        m["complete"] = .bool(true)
        return .object(m)
    }
}

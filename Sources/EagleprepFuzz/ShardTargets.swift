import EagleCore
import Foundation
import Shards
import TokenShards
@testable import EagleprepCLI

extension FuzzTarget {
    /// Token shards of both versions: v1 (record container: index, metadata, every record's CRC-32, zstd, sample
    /// layout) and v2 (columns: footer, table, metadata, every sample's XXH64 and spans), by random access and by the
    /// bulk reader `vocab` uses (checked against each other). Each input is read as given, then again with its
    /// checksums recomputed so that mutations reach the decoders.
    static let tokenShard = FuzzTarget(name: "token-shard", run: { input in
        forBothChecksums(input) { bytes in
            let path = ScratchFile.shared.write("tokens.shard", bytes)
            guard let r = try? TokenShardReader(path: path) else { return }
            var read: [Int: TokenSample] = [:]
            for k in 0..<r.count { read[k] = try? r.sample(k) }
            // The bulk reader (vocab's path: one read per column into a reused buffer) must agree with random
            // access: the same supervised ids, and with `.all` the same sample, never a sample random access refused.
            var buffer: [UInt8] = []
            for part in [TokenColumns.Part.all, .supervised] {
                for range in [0..<r.count, (r.count / 2)..<r.count] {
                    _ = try? r.forEachSample(in: range, part, buffer: &buffer) { k, c in
                        guard let s = read[k] else {
                            if part == .all { fatalError("token-shard: forEachSample(.all) read sample \(k), which sample(k) refused") }
                            return
                        }
                        if Array(c.supervised) != zip(s.ids, s.lossMask).filter({ $0.1 == 1 }).map(\.0) {
                            fatalError("token-shard: forEachSample's supervised ids of sample \(k) differ from sample(k)")
                        }
                        if part == .all, c.merged() != (s.ids, s.lossMask) {
                            fatalError("token-shard: forEachSample(.all) rebuilt sample \(k) differently from sample(k)")
                        }
                    }
                }
            }
        }
    }, writeSeeds: { seeds in
        let n = try ShardSeeds.tokenShards(into: seeds)
        try ShardSeeds.checkChecksumFixing(seeds)
        return n
    })

    /// Dump shards: container, layout metadata, every sample (unshuffle, dtypes, logit rows).
    static let dumpShard = FuzzTarget(name: "dump-shard", run: { input in
        forBothChecksums(input) { bytes in
            let path = ScratchFile.shared.write("dump.shard", bytes)
            guard let r = try? DumpShardReader(path: path) else { return }
            for k in 0..<r.count { _ = try? r.sample(k) }
        }
    }, writeSeeds: { seeds in
        let n = try ShardSeeds.dumpShards(into: seeds)
        try ShardSeeds.checkHostileFooters(seeds)
        return n
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
    /// Recomputes every checksum whose bytes lie inside the file; true if anything changed. Version-2 token shards:
    /// each table entry's XXH64 of its ids and spans, then the table's and the metadata's in the footer. Everything
    /// else (version-1 token shards, dump shards: the shared record container): the CRC-32 of every index entry.
    /// Lenient on purpose: it reads the footer, table and index without validating them (the readers do that).
    static func fixChecksums(_ b: inout [UInt8]) -> Bool {
        if b.count >= 12, Array(b[0..<8]) == TokenShardFormat.magic, u32(b, 8) == 2 { return fixColumnarChecksums(&b) }
        let footer = b.count - RecordContainer.footerSize
        guard footer >= 0, let indexOffset = u64(b, footer + 16), let n = u64(b, footer + 24), n <= b.count / RecordContainer.indexEntrySize else { return false }
        var changed = false
        for i in 0..<n {
            let at = indexOffset &+ i &* RecordContainer.indexEntrySize
            guard at >= 0, at <= b.count - RecordContainer.indexEntrySize, let offset = u64(b, at), let size = u32(b, at + 8),
                  offset <= b.count, size <= b.count - offset else { break }
            let crc = b.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + size)])) }
            for j in 0..<4 {
                let byte = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(j)))
                if b[at + 20 + j] != byte { b[at + 20 + j] = byte; changed = true }
            }
        }
        return changed
    }

    /// Version-2 token shard (docs/token-shards.md): header, supervised ids, context ids, spans, table, metadata,
    /// footer.
    static func fixColumnarChecksums(_ b: inout [UInt8]) -> Bool {
        let F = TokenShardFormat.self
        let footer = b.count - F.footerSize
        guard footer >= F.headerSize, let tokens = u64(b, footer), let supervised = u64(b, footer + 8), let spans = u64(b, footer + 16),
              let n = u64(b, footer + 24), let metaLength = u64(b, footer + 32), tokens <= footer / 4, supervised <= tokens,
              spans <= footer / F.spanSize, n <= footer / F.tableEntrySize, metaLength <= footer else { return false }
        let contextAt = F.headerSize + 4 * supervised, spansAt = F.headerSize + 4 * tokens
        let tableAt = spansAt + F.spanSize * spans, metaAt = tableAt + F.tableEntrySize * n
        guard metaAt + metaLength == footer else { return false }
        var changed = false
        var nextSup = 0, nextCtx = 0, nextSpan = 0
        for k in 0..<n {
            let e = tableAt + F.tableEntrySize * k
            guard let length = u32(b, e), let sup = u32(b, e + 4), let count = u32(b, e + 8), sup <= length,
                  sup <= supervised - nextSup, length - sup <= tokens - supervised - nextCtx, count <= spans - nextSpan else { break }
            let supAt = F.headerSize + 4 * nextSup, ctxAt = contextAt + 4 * nextCtx, ownSpansAt = spansAt + F.spanSize * nextSpan
            let (supSum, ctxSum) = b.withUnsafeBytes { all in
                (XXHash64.hash(UnsafeRawBufferPointer(rebasing: all[supAt..<(supAt + 4 * sup)]),
                               seed: XXHash64.hash(UnsafeRawBufferPointer(rebasing: all[ownSpansAt..<(ownSpansAt + F.spanSize * count)]))),
                 XXHash64.hash(UnsafeRawBufferPointer(rebasing: all[ctxAt..<(ctxAt + 4 * (length - sup))])))
            }
            if store64(&b, e + 32, supSum) { changed = true }
            if store64(&b, e + 40, ctxSum) { changed = true }
            nextSup += sup
            nextCtx += length - sup
            nextSpan += count
        }
        let tableSum = b.withUnsafeBytes { XXHash64.hash(UnsafeRawBufferPointer(rebasing: $0[tableAt..<metaAt])) }
        let metaSum = b.withUnsafeBytes { XXHash64.hash(UnsafeRawBufferPointer(rebasing: $0[metaAt..<footer])) }
        if store64(&b, footer + 40, tableSum) { changed = true }
        if store64(&b, footer + 48, metaSum) { changed = true }
        return changed
    }

    /// Little-endian reads (nil outside the bytes, or above Int.max) and a write that says whether it changed a byte.
    static func u64(_ b: [UInt8], _ at: Int) -> Int? {
        guard at >= 0, at <= b.count - 8 else { return nil }
        var v: UInt64 = 0
        for i in (0..<8).reversed() { v = v << 8 | UInt64(b[at + i]) }
        return v <= UInt64(Int.max) ? Int(v) : nil
    }
    static func u32(_ b: [UInt8], _ at: Int) -> Int? {
        guard at >= 0, at <= b.count - 4 else { return nil }
        return (0..<4).reversed().reduce(0) { $0 << 8 | Int(b[at + $1]) }
    }
    static func store64(_ b: inout [UInt8], _ at: Int, _ v: UInt64) -> Bool {
        var changed = false
        for j in 0..<8 {
            let byte = UInt8(truncatingIfNeeded: v >> (8 * UInt64(j)))
            if b[at + j] != byte { b[at + j] = byte; changed = true }
        }
        return changed
    }

    /// Checks `fixChecksums` on the 2-sample seeds of both versions: a changed token id, once the checksums are
    /// recomputed, must read back as that id (so mutated inputs reach the decoders, not the checksum errors).
    static func checkChecksumFixing(_ seeds: SeedWriter) throws {
        for version in TokenShardFormat.readableVersions {
            let name = "tokens.v\(version).2.shard"
            var bytes = try FileIO.readAll(path: seeds.directory + "/" + name)
            let original = try TokenShardReader(path: seeds.directory + "/" + name).sample(1)
            var changed = original.ids
            changed[2] = 70_000
            // Rewrite the shard with the changed id, then break that sample's checksum as a mutation would: v1's
            // CRC-32 (index entry 1, bytes 20…23), v2's supervised and context checksums (table entry 1, bytes 32…47).
            let tmp = seeds.directory + "/.check.shard"
            let w = try TokenShardWriter(path: tmp, version: version)
            try w.append(try TokenShardReader(path: seeds.directory + "/" + name).sample(0))
            try w.append(TokenSample(ids: changed, lossMask: original.lossMask, sourceFile: original.sourceFile,
                                     sourceLine: original.sourceLine, recordIndex: original.recordIndex))
            try w.finish(metadata: try TokenShardReader(path: seeds.directory + "/" + name).metadata)
            bytes = try FileIO.readAll(path: tmp)
            unlink(tmp)
            if version == 1 {
                let index = ShardSeeds.u64(bytes, bytes.count - RecordContainer.footerSize + 16)!
                bytes[index + RecordContainer.indexEntrySize + 20] ^= 0xFF
            } else {
                let F = TokenShardFormat.self, footer = bytes.count - F.footerSize
                let tableAt = F.headerSize + 4 * ShardSeeds.u64(bytes, footer)! + F.spanSize * ShardSeeds.u64(bytes, footer + 16)!
                bytes[tableAt + F.tableEntrySize + 32] ^= 0xFF
                bytes[tableAt + F.tableEntrySize + 40] ^= 0xFF
            }
            let path = ScratchFile.shared.write("check.shard", bytes)
            let broken = (try? TokenShardReader(path: path).sample(1)) == nil
            guard broken, ShardSeeds.fixChecksums(&bytes) else {
                throw FileError(path: name, message: "the changed copy should fail its checksum before fixChecksums")
            }
            ScratchFile.shared.write("check.shard", bytes)
            guard try TokenShardReader(path: path).sample(1).ids == changed else {
                throw FileError(path: name, message: "fixChecksums did not make the changed sample readable")
            }
        }
    }

    /// Regression check of the harness itself (the campaign of 29 November 2026 crashed it, not the reader): a
    /// footer whose index offset is near `Int.max` made `fixChecksums` overflow (`at + 24`). Offsets and counts at
    /// the top of the range must leave the bytes unchanged, without trapping.
    static func checkHostileFooters(_ seeds: SeedWriter) throws {
        let seed = try FileIO.readAll(path: seeds.directory + "/dump.logits-bf16.shard")
        let footer = seed.count - RecordContainer.footerSize
        for (field, value) in [(16, UInt64(Int.max) - 1), (16, UInt64(Int.max)), (16, UInt64.max), (24, UInt64.max)] {
            var bytes = seed
            _ = store64(&bytes, footer + field, value)
            let before = bytes
            guard !fixChecksums(&bytes), bytes == before else {
                throw FileError(path: "dump.logits-bf16.shard", message: "fixChecksums changed a file whose footer field at +\(field) is \(value)")
            }
        }
    }

    /// Token shards of 0, 1 and 2 samples in both versions (v1: a zstd frame per sample; v2: columns).
    static func tokenShards(into seeds: SeedWriter) throws -> Int {
        let samples = [
            TokenSample(ids: [1, 2, 3, 4], lossMask: [0, 0, 1, 1], sourceFile: 0, sourceLine: 1, recordIndex: 0),
            TokenSample(ids: [5, 6, 7, 8, 9], lossMask: [0, 1, 1, 1, 0], sourceFile: 0, sourceLine: 2, recordIndex: 1),
        ]
        for version in TokenShardFormat.readableVersions {
            for count in [0, 1, 2] {
                let w = try TokenShardWriter(path: seeds.directory + "/tokens.v\(version).\(count).shard", version: version)
                for s in samples.prefix(count) { try w.append(s) }
                try w.finish(metadata: .object(JSONObject([("format", .string("eagleprep-tokens")), ("samples", .int(count))])))
            }
        }
        return 3 * TokenShardFormat.readableVersions.count
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
            ("tokens-v1", tokensManifest(samples: 2, tokens: 9), "tokens.v1.2.shard"),
            ("tokens-v2", tokensManifest(samples: 2, tokens: 9), "tokens.v2.2.shard"),
            ("tokens-v2-empty", tokensManifest(samples: 0, tokens: 0), "tokens.v2.0.shard"),
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

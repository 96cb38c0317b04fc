import EagleCore
import Foundation
import SafeTensors
import Shards
import XCTest

/// `inspect`, `merge-manifests` and `verify` on dump outputs, through the built binary. The dump directories are
/// written here with the real shard writer (the `dump` stage itself is tested in TargetDumpTests).
final class DumpToolsCommandTests: CLITestCase {
    /// Writes a dump directory of `count` samples in shards of 3, as `dump --worker index/workers` would.
    func makeDump(_ name: String, layout: DumpLayout, count: Int = 7, seed: Int = 0, worker: (Int, Int) = (0, 1)) throws -> String {
        let dir = tempDir + "/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var settings = JSONObject([("target.architecture", .string("Tiny")), ("aux_dtype", .string(layout.auxDType.rawValue)),
                                   ("signal", .string(layout.signal.rawValue)), ("layers.ids", .array([.int(1), .int(2), .int(3)])),
                                   ("layers.convention", .string("input_to_layer"))])
        settings["worker"] = .string("\(worker.0)/\(worker.1)")
        var shards: [JSONValue] = []
        var tokens = 0, raw = 0, stored = 0
        var k = 0
        var state = UInt64(seed + 1)
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state) >> 40) / Float(1 << 22)
        }
        while k < count {
            let file = String(format: "dump-%05d.epdump", shards.count)
            let w = try DumpShardWriter(path: dir + "/" + file, layout: layout)
            for _ in 0..<min(3, count - k) {
                let L = 3 + (k * 5 + seed) % 9
                let mask = (0..<L).map { UInt8(($0 + k) % 3 == 0 ? 0 : 1) }
                let signal: DumpSample.Signal
                if layout.signal == .logits {
                    var draft = (0..<(L * layout.draftVocabSize)).map { _ in next() }
                    let used = Set(DumpSample.usedLogitRows(mask))
                    for u in 0..<L where !used.contains(u) { for j in 0..<layout.draftVocabSize { draft[u * layout.draftVocabSize + j] = 0 } }
                    signal = .logits(draft: draft, argmax: (0..<L).map { Int32(($0 * 37 + k + seed) % 1000) })
                } else {
                    signal = .hidden((0..<(L * layout.hiddenSize)).map { _ in next() })
                }
                try w.append(DumpSample(ids: (0..<L).map { Int32(seed * 1000 + k * 10 + $0) }, lossMask: mask,
                                        auxHidden: (0..<(L * layout.auxWidth)).map { _ in next() }, signal: signal,
                                        sourceFile: 0, sourceLine: UInt64(k + 1)))
                tokens += L
                k += 1
            }
            raw += w.rawBytes
            stored += w.bytesWritten
            try w.finish(metadata: settings)
            shards.append(.object(JSONObject([("file", .string(file)), ("samples", .int(w.sampleCount))])))
        }
        let manifest = JSONValue.object(JSONObject([
            ("format", .string("eagleprep-dump")), ("version", .int(1)), ("settings", .object(settings)), ("layout", layout.json),
            ("compression", .object(JSONObject([("codec", .string("zstd")), ("level", .int(1))]))), ("shards", .array(shards)),
            ("counts", .object(JSONObject([("samples", .int(count)), ("tokens", .int(tokens)), ("raw_bytes", .int(raw)), ("stored_bytes", .int(stored))]))),
            ("complete", .bool(true)),
        ]))
        try FileIO.writeAtomically(path: dir + "/manifest.json", bytes: Array(JSONWriter.string(manifest).utf8))
        return dir
    }

    let layouts = [
        DumpLayout(hiddenSize: 8, auxLayers: 3, auxDType: .bf16, signal: .logits, draftVocabSize: 5),
        DumpLayout(hiddenSize: 8, auxLayers: 3, auxDType: .f16, signal: .hidden, hiddenDType: .bf16),
        DumpLayout(hiddenSize: 4, auxLayers: 3, auxDType: .f32, signal: .hidden, hiddenDType: .f32),
    ]

    /// Every exported array equals the reader's sample: same names, stored dtypes, shapes, and values bit for bit.
    func testInspectExportsOneSampleInStoredDTypes() throws {
        for (i, layout) in layouts.enumerated() {
            let dir = try makeDump("d\(i)", layout: layout)
            let data = try DumpDataset(path: dir)
            for k in [0, 4, 6] {
                let out = tempDir + "/s\(i)-\(k).safetensors"
                let r = try run(["inspect", dir, "--sample", "\(k)", "--out", out])
                XCTAssertEqual(r.status, 0, r.stderr)
                let (s, j) = try XCTUnwrap(data.locate(k))
                let expected = try data.openShard(s).sample(j)
                let f = try SafeTensorsFile(path: out)
                let names = layout.signal == .logits ? ["ids", "loss_mask", "aux_hidden", "draft_logits", "target_argmax"]
                                                     : ["ids", "loss_mask", "aux_hidden", "final_hidden"]
                XCTAssertEqual(Set(f.names), Set(names))
                let L = expected.ids.count
                XCTAssertEqual(try f.int32s("ids", shape: [L]), expected.ids)
                XCTAssertEqual(try f.uint8s("loss_mask", shape: [L]), expected.lossMask)
                func floats(_ name: String, _ dtype: StorageDType, _ shape: [Int]) throws -> [Float] {
                    let d: DType = dtype == .bf16 ? .bf16 : dtype == .f16 ? .f16 : .f32
                    let b = try f.bytes(name, dtype: d, shape: shape)
                    return b.withUnsafeBytes { dtype.decode($0, count: b.count / dtype.byteSize) }
                }
                let aux = try floats("aux_hidden", layout.auxDType, [L, layout.auxWidth])
                XCTAssertEqual(aux.map(\.bitPattern), expected.auxHidden.map(\.bitPattern), "layout \(i) sample \(k) aux_hidden")
                switch expected.signal {
                case .logits(let draft, let argmax):
                    XCTAssertEqual(try floats("draft_logits", .f32, [L, layout.draftVocabSize]).map(\.bitPattern), draft.map(\.bitPattern))
                    XCTAssertEqual(try f.int32s("target_argmax", shape: [L]), argmax)
                case .hidden(let h):
                    XCTAssertEqual(try floats("final_hidden", layout.hiddenDType, [L, layout.hiddenSize]).map(\.bitPattern), h.map(\.bitPattern))
                }
            }
        }
    }

    func testInspectSummaryAndOutOfRangeSample() throws {
        let dir = try makeDump("d", layout: layouts[0])
        let r = try run(["inspect", dir])
        XCTAssertEqual(r.status, 0, r.stderr)
        for part in ["samples: 7", "hidden size 8, 3 aux layers in bf16", "draft vocab 5", "target.architecture: Tiny",
                     "compression ratio", "aux_hidden", "draft_logits", "target_argmax", "SpecForge-style"] {
            XCTAssertTrue(r.stdout.contains(part), "missing \(part) in:\n\(r.stdout)")
        }
        let bad = try run(["inspect", dir, "--sample", "7", "--out", tempDir + "/x.safetensors"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--sample 7 is out of range") && bad.stderr.contains("holds 7 samples"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tempDir + "/x.safetensors"))
    }

    func testMergedWorkersVerifyAndInspectLikeOneDataset() throws {
        let layout = layouts[1]
        let w0 = try makeDump("w0", layout: layout, count: 4, seed: 1, worker: (0, 2))
        let w1 = try makeDump("w1", layout: layout, count: 5, seed: 2, worker: (1, 2))
        let merged = tempDir + "/merged"
        let m = try run(["merge-manifests", "--out", merged, w1, w0])
        XCTAssertEqual(m.status, 0, m.stderr)
        XCTAssertTrue(m.stdout.contains("2 workers, 4 shards, 9 samples"), m.stdout)
        let v = try run(["verify", merged])
        XCTAssertEqual(v.status, 0, v.stderr + v.stdout)
        XCTAssertTrue(v.stdout.contains("ok"), v.stdout)
        // Sample 4 of the merged dataset is worker 1's first sample.
        let out = tempDir + "/m4.safetensors"
        XCTAssertEqual(try run(["inspect", merged, "--sample", "4", "--out", out]).status, 0)
        XCTAssertEqual(try SafeTensorsFile(path: out).int32s("ids").first, 2000)
        XCTAssertTrue(try run(["inspect", merged]).stdout.contains("merged from 2 workers"))

        // A flipped byte in a worker's shard: verify of the merged manifest fails, naming the shard.
        let shard = w1 + "/dump-00001.epdump"
        var bytes = try FileIO.readAll(path: shard)
        bytes[20] ^= 0xFF
        try FileIO.writeAtomically(path: shard, bytes: bytes)
        let bad = try run(["verify", merged])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("dump-00001.epdump") && bad.stderr.contains("checksum"), bad.stderr)

        // Refusals name the problem.
        let missing = try run(["merge-manifests", "--out", tempDir + "/m2", w0])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("worker(s) 1/2 missing"), missing.stderr)
        let other = try makeDump("w1b", layout: layouts[2], count: 5, seed: 2, worker: (1, 2))
        let differ = try run(["merge-manifests", "--out", tempDir + "/m3", w0, other])
        XCTAssertNotEqual(differ.status, 0)
        XCTAssertTrue(differ.stderr.contains("aux_dtype: was \"f16\", now \"f32\""), differ.stderr)
    }
}

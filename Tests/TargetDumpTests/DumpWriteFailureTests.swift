import EagleCore
import Foundation
import Shards
import TargetDump
import XCTest
#if canImport(Glibc)
import Glibc
#endif

extension DumpStageTests {
    /// A write error in the middle of a shard (here EFBIG: the process's file-size limit, RLIMIT_FSIZE, is lowered
    /// to 1 KiB once the first shard is finished, with SIGXFSZ ignored so write(2) fails instead of killing the
    /// process; the same path as ENOSPC in the real writer): a clear error, no partial file, the finished shard
    /// intact; after the limit is lifted the same run resumes to the uninterrupted result byte for byte.
    /// The limit is process-wide but only regular files are affected and it is lifted as soon as the error arrives.
    func testWriteFailureKeepsFinishedShardsAndLeavesNoPartialFile() throws {
        let tokens = try makeTokens()
        let m = try model()
        let full = dir + "/full", failed = dir + "/failed"
        _ = try stage(tokens, m, out: full, auxDType: .bf16).run()

        var original = rlimit()
        XCTAssertEqual(getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &original), 0)
        let oldHandler = signal(SIGXFSZ, SIG_IGN)
        func lift() { var r = original; _ = setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &r) }
        defer { lift(); signal(SIGXFSZ, oldHandler) }
        var limitedAt = -1
        XCTAssertThrowsError(try stage(tokens, m, out: failed, auxDType: .bf16).run { p in
            guard limitedAt < 0, p.samples >= 4 else { return }
            var r = original
            r.rlim_cur = 1024
            XCTAssertEqual(setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &r), 0)
            limitedAt = p.samples
        }) { error in
            lift()
            let text = "\(error)"
            XCTAssertTrue(text.contains("write failed: File too large"), text)
            XCTAssertTrue(text.contains("dump-00001.epdump"), text)
            XCTAssertTrue(text.contains("re-run the same command to resume"), text)
        }
        XCTAssertGreaterThanOrEqual(limitedAt, 4, "the limit was never set: the failure path did not run")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: failed).sorted(), [DumpStage.shardName(0)])
        let first = DumpStage.shardName(0)
        XCTAssertEqual(try FileIO.readAll(path: failed + "/" + first), try FileIO.readAll(path: full + "/" + first))
        XCTAssertEqual(try DumpShardReader(path: failed + "/" + first).count, 4)

        _ = try stage(tokens, m, out: failed, auxDType: .bf16).run()
        let names = try FileManager.default.contentsOfDirectory(atPath: full).sorted()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: failed).sorted(), names)
        for n in names { XCTAssertEqual(try FileIO.readAll(path: failed + "/" + n), try FileIO.readAll(path: full + "/" + n), n) }
    }
}

import CZstd
import Synchronization

/// Decompression contexts kept for reuse: creating one per frame costs more than decompressing a small frame.
private final class ContextPool: Sendable {
    // The pool holds context addresses; a context is used by one thread at a time (taken out, then put back).
    private let free = Mutex<[UInt]>([])

    func take() -> OpaquePointer? {
        if let p = free.withLock({ $0.popLast() }) { return OpaquePointer(bitPattern: p) }
        return ZSTD_createDCtx()
    }

    func give(_ ctx: OpaquePointer) {
        let kept = free.withLock { list -> Bool in
            guard list.count < 64 else { return false }
            list.append(UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(ctx))))
            return true
        }
        if !kept { ZSTD_freeDCtx(ctx) }
    }
}

private let contexts = ContextPool()

/// A libzstd failure: the operation, libzstd's error code and its name (`ZSTD_getErrorName`).
public struct ZstdError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var code: Int
    public var name: String
    public var description: String { "zstd \(operation) failed: \(name) (code \(code))" }

    static func check(_ result: Int, _ operation: String) throws(ZstdError) -> Int {
        if ZSTD_isError(result) != 0 {
            throw ZstdError(operation: operation, code: Int(ZSTD_getErrorCode(result).rawValue),
                            name: String(cString: ZSTD_getErrorName(result)))
        }
        return result
    }
}

/// One-shot zstd compression and bounded decompression of single frames.
public enum Zstd {
    public static var versionString: String { String(cString: ZSTD_versionString()) }

    /// Compresses `input` into one zstd frame (with its content size recorded) at `level` (1…19, or negative).
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int32 = 3) throws(ZstdError) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { o in ZSTD_compress(o.baseAddress, bound, input.baseAddress, input.count, level) }
        out.removeSubrange(try ZstdError.check(n, "compress")...)
        return out
    }

    public static func compress(_ input: [UInt8], level: Int32 = 3) throws(ZstdError) -> [UInt8] {
        try input.withUnsafeBytes { b in Result { () throws(ZstdError) in try compress(b, level: level) } }.get()
    }

    /// Decompresses a buffer of one or more frames. The output may not exceed `maxSize` bytes: a frame that
    /// declares more, or streams more, is an error (no unbounded allocation from hostile input).
    public static func decompress(_ input: UnsafeRawBufferPointer, maxSize: Int) throws(ZstdError) -> [UInt8] {
        guard let dctx = contexts.take() else { throw ZstdError(operation: "createDCtx", code: -1, name: "out of memory") }
        defer { contexts.give(dctx) }
        ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only)
        let declared = ZSTD_getFrameContentSize(input.baseAddress, input.count)
        if declared == ZSTD_CONTENTSIZE_ERROR {
            throw ZstdError(operation: "decompress", code: -1, name: "input is not a zstd frame")
        }
        if declared != ZSTD_CONTENTSIZE_UNKNOWN, declared > UInt64(maxSize) {
            throw ZstdError(operation: "decompress", code: -1,
                            name: "frame declares \(declared) bytes, over the limit of \(maxSize)")
        }
        var out = [UInt8]()
        out.reserveCapacity(declared == ZSTD_CONTENTSIZE_UNKNOWN ? min(maxSize, 1 << 20) : Int(declared))
        var chunk = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        var inBuf = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var lastResult = 0
        repeat {
            let produced: Int
            (lastResult, produced) = chunk.withUnsafeMutableBytes { c in
                var outBuf = ZSTD_outBuffer(dst: c.baseAddress, size: c.count, pos: 0)
                let r = ZSTD_decompressStream(dctx, &outBuf, &inBuf)
                return (r, outBuf.pos)
            }
            _ = try ZstdError.check(lastResult, "decompress")
            if out.count + produced > maxSize {
                throw ZstdError(operation: "decompress", code: -1, name: "output exceeds the limit of \(maxSize) bytes")
            }
            out.append(contentsOf: chunk[0..<produced])
            if produced == 0 && inBuf.pos == inBuf.size && lastResult != 0 {
                throw ZstdError(operation: "decompress", code: -1, name: "truncated frame")
            }
        } while inBuf.pos < inBuf.size || lastResult != 0
        return out
    }

    public static func decompress(_ input: [UInt8], maxSize: Int) throws(ZstdError) -> [UInt8] {
        try input.withUnsafeBytes { b in Result { () throws(ZstdError) in try decompress(b, maxSize: maxSize) } }.get()
    }
}

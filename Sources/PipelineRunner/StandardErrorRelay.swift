import EagleCore
import Foundation
import Synchronization

/// While a stage runs, every line written to standard error (by the stage's own command code too) is prefixed
/// with `[k/n stage]`, so the whole run reads as one display. Implemented with a pipe on file descriptor 2 and a
/// reader thread; `finish()` restores the original descriptor and drains the pipe.
final class StandardErrorRelay: Sendable {
    /// The terminal's standard error while a relay is active (else 2): for messages that must get out even if the
    /// process dies before the relay thread forwards them (the crash-test hook).
    static let originalDescriptor = Atomic<Int32>(2)

    let saved: Int32
    let writeEnd: Int32
    let finished = DispatchSemaphore(value: 0)

    /// nil when the pipe cannot be set up (then lines go out unprefixed).
    init?(progress: StageProgress) {
        let prefix = progress.prefix
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        let saved = dup(2)
        guard saved >= 0, dup2(fds[1], 2) >= 0 else {
            close(fds[0]); close(fds[1])
            if saved >= 0 { close(saved) }
            return nil
        }
        self.saved = saved
        self.writeEnd = fds[1]
        Self.originalDescriptor.store(saved, ordering: .sequentiallyConsistent)
        let readEnd = fds[0]
        let done = finished
        let thread = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1 << 14)
            let head = Array((prefix + " ").utf8)
            func emit(_ line: ArraySlice<UInt8>) {
                var text = String(decoding: line.dropLast(), as: UTF8.self)
                text = progress.annotate(text)
                let out = text.hasPrefix(prefix) ? Array((text + "\n").utf8) : head + Array((text + "\n").utf8)
                try? FileIO.writeFully(fd: saved, bytes: out, path: "<stderr>")
            }
            while true {
                let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                pending += buffer[0..<n]
                while let nl = pending.firstIndex(of: 0x0A) {
                    emit(pending[...nl])
                    pending.removeSubrange(...nl)
                }
            }
            if !pending.isEmpty { emit(pending[...] + [0x0A]) }
            close(readEnd)
            done.signal()
        }
        thread.start()
    }

    /// Restores standard error and waits until every relayed line is out.
    func finish() {
        Self.originalDescriptor.store(2, ordering: .sequentiallyConsistent)
        dup2(saved, 2)
        close(writeEnd)
        finished.wait()
        close(saved)
    }
}

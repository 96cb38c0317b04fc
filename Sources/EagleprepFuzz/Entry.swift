#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libFuzzer entry points. One binary holds every target; `EAGLEPREP_FUZZ_TARGET` picks the one to run (see
/// `FuzzTarget.all`), and `EAGLEPREP_FUZZ_SEEDS=DIR` writes that target's seed corpus into DIR and exits.
/// Built only with `-sanitize=fuzzer,address` by scripts/fuzz.sh.

private let selected: FuzzTarget = {
    let name = getenv("EAGLEPREP_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let t = FuzzTarget.all.first(where: { $0.name == name }) else {
        printError("eagleprep-fuzz: set EAGLEPREP_FUZZ_TARGET to one of: \(FuzzTarget.all.map(\.name).joined(separator: ", "))\n")
        exit(2)
    }
    return t
}()

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    let target = selected
    if let dir = getenv("EAGLEPREP_FUZZ_SEEDS").map({ String(cString: $0) }) {
        do {
            let n = try target.writeSeeds(SeedWriter(directory: dir))
            printError("eagleprep-fuzz: \(n) seed(s) for \(target.name) in \(dir)\n")
            exit(0)
        } catch {
            printError("eagleprep-fuzz: writing seeds for \(target.name): \(error)\n")
            exit(1)
        }
    }
    target.setUp()
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected.run(UnsafeBufferPointer(start: size == 0 ? nil : data, count: size))
    return 0
}

/// Writes a line to standard error.
func printError(_ s: String) {
    let line = Array(s.utf8)
    line.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
}

/// libFuzzer's driver (compiler-rt `FuzzerDriver.cpp`), run from our own `main` because SwiftPM links an executable
/// target's entry point under its own name.
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(_ argc: UnsafeMutablePointer<CInt>,
                       _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                       _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@main
enum FuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runDriver(&argc, &argv) { data, size in fuzzTestOneInput(data, size) })
    }
}

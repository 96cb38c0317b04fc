// swift-tools-version: 6.0
// eagleprep: chat datasets -> EAGLE-3 drafter training data, and the drafter trainer.
// No Swift package dependencies: toolchain only, plus libzstd and OpenBLAS through system-library targets.
import Foundation
import PackageDescription

/// The CPU release builds are compiled for (`swiftc -target-cpu`). On an x86-64 Linux build machine with AVX2 and
/// FMA it is `haswell` (that instruction set, which every x86-64 server CPU since 2013–2015 has), so the Swift SIMD
/// kernels (the decoder's few-row projections, attention, the drafter's inference and training kernels) run 8 float
/// lanes per instruction instead of SSE2's 4. Results do not change: no floating-point contraction or
/// reassociation is enabled, only wider registers. Like llama.cpp's native default, the binary then needs such a
/// CPU: set `EAGLEPREP_TARGET_CPU=generic` to build a portable one, or to another CPU name swiftc knows.
func releaseTargetCPU() -> String? {
    if let chosen = Context.environment["EAGLEPREP_TARGET_CPU"], !chosen.isEmpty { return chosen == "generic" ? nil : chosen }
    #if os(Linux) && arch(x86_64)
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
    let flags = Set(line.split(separator: " ").map(String.init))
    return ["avx2", "fma", "f16c", "bmi1", "bmi2", "abm", "movbe", "popcnt"].allSatisfy(flags.contains) ? "haswell" : nil
    #else
    return nil
    #endif
}

let release: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"] + (releaseTargetCPU().map { ["-target-cpu", $0] } ?? []), .when(configuration: .release))]

let package = Package(
    name: "eagleprep",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "eagleprep", targets: ["eagleprep"]),
    ],
    targets: [
        // C libraries, each behind a system-library target and a thin Swift module.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "COpenBLAS", providers: [.apt(["libopenblas-dev"])]),

        // Core: checked sizes, little-endian binary reading, memory-mapped files, JSON lines, hashing, f16/bf16.
        .target(name: "EagleCore", swiftSettings: release),
        .target(name: "ZstdCompression", dependencies: ["CZstd"]),
        .target(name: "LinearAlgebra", dependencies: ["COpenBLAS"], swiftSettings: release),
        .target(name: "GGUF", dependencies: ["EagleCore"]),
        .target(name: "Tokenization", dependencies: ["EagleCore", "GGUF"], swiftSettings: release),
        .target(name: "ChatTemplates", dependencies: ["EagleCore"]),
        .target(name: "Conversations", dependencies: ["EagleCore"]),
        .target(name: "Shards", dependencies: ["EagleCore", "ZstdCompression"], swiftSettings: release),
        .target(name: "TokenShards", dependencies: ["EagleCore", "Shards"]),
        .target(name: "SafeTensors", dependencies: ["EagleCore"]),
        .target(name: "DraftVocabulary", dependencies: ["EagleCore", "TokenShards", "SafeTensors"], swiftSettings: release),
        .target(name: "TargetDump", dependencies: ["EagleCore", "Shards", "TokenShards", "TargetModel", "DraftVocabulary"], swiftSettings: release),
        .target(name: "TrainingData", dependencies: ["EagleCore", "Conversations", "TokenShards", "ChatTemplates"]),
        .target(name: "TargetModel", dependencies: ["EagleCore", "LinearAlgebra", "GGUF", "SafeTensors"], swiftSettings: release),
        .target(name: "DraftTraining", dependencies: ["EagleCore", "LinearAlgebra", "SafeTensors", "DraftVocabulary", "Shards"], swiftSettings: release),
        .target(name: "SpeculativeDecoding", dependencies: ["EagleCore", "LinearAlgebra", "TargetModel", "DraftTraining"], swiftSettings: release),
        .target(name: "PipelineRunner", dependencies: ["EagleCore"]),
        .target(name: "EagleprepCLI", dependencies: [
            "EagleCore", "ZstdCompression", "LinearAlgebra", "GGUF", "Tokenization", "ChatTemplates", "Conversations", "TokenShards", "TrainingData", "SafeTensors", "DraftVocabulary", "TargetModel", "TargetDump", "Shards", "DraftTraining",
            "SpeculativeDecoding", "PipelineRunner",
        ]),
        .executableTarget(name: "eagleprep", dependencies: ["EagleprepCLI"]),

        .target(name: "TestSupport", dependencies: ["EagleCore"], path: "Tests/TestSupport"),
        .testTarget(name: "EagleCoreTests", dependencies: ["EagleCore", "TestSupport"]),
        .testTarget(name: "ZstdCompressionTests", dependencies: ["ZstdCompression", "TestSupport"]),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra", "TestSupport"]),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "TestSupport"]),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "GGUF", "TestSupport", "ZstdCompression", "EagleCore"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ChatTemplatesTests", dependencies: ["ChatTemplates", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ConversationsTests", dependencies: ["Conversations", "TestSupport"]),
        .testTarget(name: "TokenShardsTests", dependencies: ["TokenShards", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ShardsTests", dependencies: ["Shards", "TestSupport"]),
        .testTarget(name: "TargetDumpTests", dependencies: ["TargetDump", "TargetModel", "TrainingData", "TokenShards", "Shards",
                                                            "Conversations", "DraftVocabulary", "EagleCore", "TestSupport"]),
        .testTarget(name: "TrainingDataTests", dependencies: ["TrainingData", "TestSupport", "Tokenization", "ChatTemplates", "ZstdCompression"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "TestSupport"]),
        .testTarget(name: "DraftVocabularyTests", dependencies: ["DraftVocabulary", "TokenShards", "SafeTensors", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "TargetModelTests", dependencies: ["TargetModel", "TestSupport", "SafeTensors", "GGUF"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DraftTrainingTests", dependencies: ["DraftTraining", "TestSupport", "SafeTensors", "Shards", "TargetDump", "TargetModel",
                                                             "TokenShards", "TrainingData", "Conversations", "DraftVocabulary", "EagleCore"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SpeculativeDecodingTests", dependencies: ["SpeculativeDecoding", "TargetModel", "DraftTraining", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "EagleprepCLITests", dependencies: ["EagleprepCLI", "TestSupport", "TargetModel", "SafeTensors", "EagleCore", "Shards",
                                                            "PipelineRunner"]),
        .testTarget(name: "PipelineRunnerTests", dependencies: ["PipelineRunner", "EagleCore", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// Coverage-guided fuzz targets (libFuzzer + AddressSanitizer), declared only when EAGLEPREP_FUZZ is set, so the
// ordinary `swift build` / `swift test` never see them. Built and run by scripts/fuzz.sh (see docs/fuzzing.md).
if Context.environment["EAGLEPREP_FUZZ"] != nil {
    package.targets.append(.executableTarget(name: "EagleprepFuzz", dependencies: [
        "EagleCore", "Conversations", "Tokenization", "ChatTemplates", "GGUF", "SafeTensors", "Shards", "TokenShards",
        "EagleprepCLI",
    ], swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
    package.products.append(.executable(name: "eagleprep-fuzz", targets: ["EagleprepFuzz"]))
}

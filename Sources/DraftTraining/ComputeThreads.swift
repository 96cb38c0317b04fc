import Foundation
import LinearAlgebra

/// Thread settings of one training process.
enum ComputeThreads {
    /// Runs `body` with OpenBLAS limited to one thread (inside `parallelFor` workers, which each call BLAS), then
    /// restores the previous setting.
    static func withSingleThreadedBLAS<R>(_ body: () -> R) -> R {
        let previous = BLAS.threadCount
        if previous != 1 { BLAS.threadCount = 1 }
        defer { if previous != 1 { BLAS.threadCount = previous } }
        return body()
    }
}

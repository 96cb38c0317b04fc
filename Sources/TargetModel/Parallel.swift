import Foundation
import Synchronization

/// The first error thrown by any of a parallel loop's iterations, rethrown once the loop is over.
final class FirstError: Sendable {
    private let error = Mutex<(any Error)?>(nil)
    func record(_ e: any Error) { error.withLock { if $0 == nil { $0 = e } } }
    func rethrow() throws { if let e = error.withLock({ $0 }) { throw e } }
}

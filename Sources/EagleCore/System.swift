import Foundation

public enum System {
    /// Active processors: the default thread count for Dispatch workers and OpenBLAS in every command.
    public static var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}

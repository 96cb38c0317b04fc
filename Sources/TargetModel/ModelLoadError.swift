/// A model file that cannot be loaded as the configuration describes it. Every case names the file, and the
/// tensor with the expected and actual values where there is one.
public enum ModelLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    case file(source: String, message: String)
    case missingTensor(source: String, tensor: String, expectedShape: [Int])
    case wrongShape(source: String, tensor: String, expected: String, actual: String)
    case unsupportedType(source: String, tensor: String, type: String)
    /// Tensors in the file that no weight uses and that are not explicitly dropped.
    case unexpectedTensors(source: String, tensors: [String])

    public var description: String {
        switch self {
        case .file(let s, let m): return "\(s): \(m)"
        case .missingTensor(let s, let t, let shape):
            return "\(s): tensor '\(t)' is missing (expected shape \(shape))"
        case .wrongShape(let s, let t, let expected, let actual):
            return "\(s): tensor '\(t)' has shape \(actual), expected \(expected)"
        case .unsupportedType(let s, let t, let type):
            return "\(s): tensor '\(t)' has type \(type), which is not supported (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q6_K)"
        case .unexpectedTensors(let s, let names):
            let shown = names.prefix(8).map { "'\($0)'" }.joined(separator: ", ")
            return "\(s): \(names.count) tensor(s) not used by the model: \(shown)\(names.count > 8 ? ", …" : "")"
        }
    }
}

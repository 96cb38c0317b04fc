/// A problem with a safetensors file or with a request to read or write one: the file, the tensor (nil for the
/// file as a whole), the header field (`header_size`, `header`, `__metadata__`, `dtype`, `shape`,
/// `data_offsets`, `data`) and what is wrong, with the values involved.
public struct SafeTensorsError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var tensor: String?
    public var field: String
    public var message: String

    public init(path: String, tensor: String? = nil, field: String, message: String) {
        self.path = path
        self.tensor = tensor
        self.field = field
        self.message = message
    }

    public var description: String {
        "\(path): " + (tensor.map { "tensor '\($0)': " } ?? "") + "\(field): \(message)"
    }
}

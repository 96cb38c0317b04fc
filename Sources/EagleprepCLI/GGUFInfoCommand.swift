import EagleCore
import GGUF

struct GGUFInfoCommand: Subcommand {
    static let name = "gguf-info"
    static let summary = "Print a GGUF file's metadata and tensor table."
    static let usage = "FILE.gguf [--tensors]"
    static let options: [OptionSpec] = [
        .flag("tensors", "Also list every tensor with its type and shape."),
    ]

    static func run(_ args: ParsedArguments) throws {
        guard args.positionals.count == 1 else { throw UsageError("expected exactly one GGUF file") }
        let file = try GGUFFile.open(path: args.positionals[0])
        let out = BufferedOutput()
        try out.write("\(file.path): GGUF v\(file.version), \(file.metadata.count) metadata keys, \(file.tensors.count) tensors\n")
        for key in file.metadataKeys {
            try out.write("  \(key) = \(summary(file.metadata[key]!))\n")
        }
        if args.flag("tensors") {
            for t in file.tensors {
                try out.write("  tensor \(t.name) \(t.type) \(t.dimensions) offset=\(t.offset) bytes=\(t.byteCount)\n")
            }
        }
        try out.flush()
    }

    static func summary(_ v: GGUFValue) -> String {
        switch v {
        case .string(let s):
            let short = s.count > 80 ? String(s.prefix(77)) + "..." : s
            var out = ""
            JSONWriter.writeString(short, into: &out)
            return out
        case .array(let items):
            let head = items.prefix(3).map(summary).joined(separator: ", ")
            return "[\(items.count) × \(items.first?.typeName ?? "?")] [\(head)\(items.count > 3 ? ", ..." : "")]"
        case .bool(let b): return String(b)
        default: return v.float.map { $0 == $0.rounded() && v.integer != nil ? String(v.integer!) : String($0) } ?? v.typeName
        }
    }
}

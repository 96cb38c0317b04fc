import EagleCore
import Foundation

/// The options of one stage as written in the pipeline file, validated against `PipelineSchema`; paths resolved
/// against the pipeline file's folder.
public struct StageOptions: Sendable {
    public let stage: StageName
    /// The stage's object as written (relative paths as written: the fingerprint does not depend on where the
    /// tree lives).
    public let written: JSONObject
    /// Path-valued keys resolved to absolute paths.
    public let resolvedPaths: [String: [String]]

    public func int(_ key: String) -> Int? { written[key]?.intValue }
    public func double(_ key: String) -> Double? { written[key]?.doubleValue }
    public func string(_ key: String) -> String? { written[key]?.stringValue }
    public func bool(_ key: String) -> Bool? { written[key]?.boolValue }
    public func path(_ key: String) -> String? { resolvedPaths[key]?.first }
    public func paths(_ key: String) -> [String] { resolvedPaths[key] ?? [] }
    public func has(_ key: String) -> Bool { written[key] != nil }

    /// The command-line arguments of the keys that map to options of the stage's command, in written order:
    /// `--name value`, a flag for `true`, nothing for `false`, one `--name path` per path.
    public func commandArguments(skipping: Set<String> = []) -> [String] {
        let specs = Dictionary(uniqueKeysWithValues: PipelineSchema.keys(of: stage).map { ($0.name, $0) })
        var args: [String] = []
        for (key, value) in written where !skipping.contains(key) {
            guard let spec = specs[key], spec.isCommandOption else { continue }
            let option = "--" + spec.optionName
            switch spec.kind {
            case .bool:
                if value.boolValue == true { args.append(option) }
            case .path, .paths:
                for p in resolvedPaths[key] ?? [] { args += [option, p] }
            case .number, .numberOr:
                args += [option, value.stringValue ?? value.intValue.map(String.init) ?? value.doubleValue.map { "\($0)" } ?? ""]
            case .integer:
                args += [option, String(value.intValue ?? 0)]
            case .string, .choice:
                args += [option, value.stringValue ?? ""]
            }
        }
        return args
    }
}

/// A pipeline file (docs/pipelines.md): the target model, an output root, and the stages to run with their options.
public struct PipelineDefinition: Sendable {
    public let file: String
    /// The folder relative paths resolve against (the pipeline file's).
    public let directory: String
    public let model: String
    /// `model` as written, for fingerprints.
    public let modelWritten: String
    public let out: String
    public let threads: Int?
    public let date: String
    public let description: String?
    /// The stages present, in run order.
    public let stages: [StageName]
    public let options: [StageName: StageOptions]

    public static let defaultDate = "2026-01-01"

    public static func load(path: String) throws -> PipelineDefinition {
        let text: String
        do { text = try FileIO.readString(path: path, limit: 16 << 20) } catch {
            throw PipelineError.definition(file: path, keyPath: "", message: "cannot read: \(error.message)")
        }
        let json: JSONValue
        do { json = try JSONParser.parse(text) } catch {
            throw PipelineError.definition(file: path, keyPath: "", message: "invalid JSON: \(error)")
        }
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return try PipelineDefinition(json: json, file: path, directory: FileIO.parentDirectory(of: absolute))
    }

    public init(json: JSONValue, file: String, directory: String) throws {
        func fail(_ keyPath: String, _ message: String) -> PipelineError {
            .definition(file: file, keyPath: keyPath, message: message)
        }
        guard let root = json.objectValue else { throw fail("", "expected a JSON object, found \(json.typeName)") }
        let top = Dictionary(uniqueKeysWithValues: PipelineSchema.topLevel.map { ($0.name, $0) })
        for key in root.keys where top[key] == nil {
            throw fail(key, "unknown key (known: \(PipelineSchema.topLevel.map(\.name).joined(separator: ", ")))")
        }
        if let slurm = root["slurm"], slurm.objectValue == nil {
            throw fail("slurm", "expected an object (job resources for eagleprep slurm), found \(slurm.typeName)")
        }
        func resolve(_ p: String) -> String {
            let joined = p.hasPrefix("/") ? p : directory + "/" + p
            return URL(fileURLWithPath: joined).standardizedFileURL.path
        }
        guard let model = root["model"]?.stringValue, !model.isEmpty else { throw fail("model", "required: a path to the target model") }
        guard let out = root["out"]?.stringValue, !out.isEmpty else { throw fail("out", "required: a path to the output root") }
        self.file = file
        self.directory = directory
        self.modelWritten = model
        self.model = resolve(model)
        self.out = resolve(out)
        if let t = root["threads"] {
            guard let v = t.intValue, (1...1024).contains(v) else { throw fail("threads", "expected an integer in 1...1024, found \(JSONWriter.string(t))") }
            threads = v
        } else {
            threads = nil
        }
        if let d = root["date"] {
            guard let s = d.stringValue, s.count == 10, s.split(separator: "-").count == 3 else {
                throw fail("date", "expected a date YYYY-MM-DD, found \(JSONWriter.string(d))")
            }
            date = s
        } else {
            date = Self.defaultDate
        }
        if let d = root["description"] {
            guard let s = d.stringValue else { throw fail("description", "expected a string") }
            description = s
        } else {
            description = nil
        }
        guard let stagesValue = root["stages"] else { throw fail("stages", "required: an object with one object per stage") }
        guard let stagesObject = stagesValue.objectValue else { throw fail("stages", "expected an object, found \(stagesValue.typeName)") }
        var options: [StageName: StageOptions] = [:]
        for (name, value) in stagesObject {
            guard let stage = StageName(rawValue: name) else {
                throw fail("stages.\(name)", "unknown stage (known: \(StageName.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard let object = value.objectValue else { throw fail("stages.\(name)", "expected an object, found \(value.typeName)") }
            options[stage] = try Self.validate(object, stage: stage, resolve: resolve, fail: fail)
        }
        guard !options.isEmpty else { throw fail("stages", "names no stage") }
        self.options = options
        self.stages = StageName.allCases.filter { options[$0] != nil }
        try checkDependencies(fail: fail)
    }

    static func validate(_ object: JSONObject, stage: StageName, resolve: (String) -> String,
                         fail: (String, String) -> PipelineError) throws -> StageOptions {
        let specs = PipelineSchema.keys(of: stage)
        let byName = Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0) })
        var paths: [String: [String]] = [:]
        for (key, value) in object {
            let keyPath = "stages.\(stage).\(key)"
            guard let spec = byName[key] else {
                throw fail(keyPath, "unknown key (known for \(stage): \(specs.map(\.name).joined(separator: ", ")))")
            }
            let shown = JSONWriter.string(value)
            switch spec.kind {
            case .string:
                guard value.stringValue != nil else { throw fail(keyPath, "expected a string, found \(shown)") }
            case .choice(let allowed):
                guard let s = value.stringValue, allowed.contains(s) else {
                    throw fail(keyPath, "expected one of \(allowed.joined(separator: ", ")), found \(shown)")
                }
            case .integer(let range):
                guard let v = value.intValue, range.contains(v) else {
                    throw fail(keyPath, "expected an integer in \(range.lowerBound)...\(range.upperBound), found \(shown)")
                }
            case .number:
                guard let v = value.doubleValue, v.isFinite else { throw fail(keyPath, "expected a number, found \(shown)") }
            case .numberOr(let words):
                guard value.stringValue.map(words.contains) ?? (value.doubleValue?.isFinite == true) else {
                    throw fail(keyPath, "expected a number or \(words.joined(separator: ", ")), found \(shown)")
                }
            case .bool:
                guard value.boolValue != nil else { throw fail(keyPath, "expected true or false, found \(shown)") }
            case .path:
                guard let s = value.stringValue, !s.isEmpty else { throw fail(keyPath, "expected a path, found \(shown)") }
                paths[key] = [resolve(s)]
            case .paths:
                if let s = value.stringValue, !s.isEmpty {
                    paths[key] = [resolve(s)]
                } else if let a = value.arrayValue, !a.isEmpty, a.allSatisfy({ ($0.stringValue ?? "").isEmpty == false }) {
                    paths[key] = a.map { resolve($0.stringValue!) }
                } else {
                    throw fail(keyPath, "expected a path or a non-empty array of paths, found \(shown)")
                }
            }
        }
        return StageOptions(stage: stage, written: object, resolvedPaths: paths)
    }

    /// Each stage's inputs must come from an earlier stage of this pipeline or from its own keys.
    func checkDependencies(fail: (String, String) -> PipelineError) throws {
        let has = Set(stages)
        for stage in stages {
            let o = options[stage]!
            switch stage {
            case .generate:
                if !o.has("input") { throw fail("stages.generate.input", "required: the conversations to regenerate") }
            case .tokenize:
                if !o.has("input") && !has.contains(.generate) {
                    throw fail("stages.tokenize.input", "required when the pipeline has no generate stage")
                }
            case .vocab:
                if !o.has("size") { throw fail("stages.vocab.size", "required: the draft vocabulary size") }
                if !has.contains(.tokenize) { throw fail("stages.vocab", "needs a tokenize stage") }
            case .dump:
                if !has.contains(.vocab) { throw fail("stages.dump", "needs tokenize and vocab stages") }
            case .train:
                if !has.contains(.dump) { throw fail("stages.train", "needs a dump stage") }
            case .eval:
                if !o.has("input") { throw fail("stages.eval.input", "required: the held-out prompts") }
                if !has.contains(.train) { throw fail("stages.eval", "needs a train stage") }
            }
        }
    }
}

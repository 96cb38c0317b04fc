import EagleCore
import Foundation

/// A stage's stamp in `OUT/stamps/`: `STAGE.started.json` while it runs, `STAGE.done.json` once its outputs are
/// complete. Both carry the fingerprint (SHA-256 of the stage's options, input file digests and upstream output
/// digests); the done stamp adds the output digest and the timing. Written atomically.
public struct StageStamp: Sendable, Equatable {
    public var stage: StageName
    public var fingerprint: String
    public var outputDigest: String?
    public var seconds: Double?
    public var finished: String?

    public init(stage: StageName, fingerprint: String, outputDigest: String? = nil, seconds: Double? = nil, finished: String? = nil) {
        self.stage = stage
        self.fingerprint = fingerprint
        self.outputDigest = outputDigest
        self.seconds = seconds
        self.finished = finished
    }

    public enum Kind: String, Sendable { case started, done }

    public static func path(_ layout: PipelineLayout, _ stage: StageName, _ kind: Kind) -> String {
        layout.stampDirectory + "/\(stage).\(kind).json"
    }

    public static func read(_ layout: PipelineLayout, _ stage: StageName, _ kind: Kind) -> StageStamp? {
        let p = path(layout, stage, kind)
        guard FileIO.exists(p), let bytes = try? FileIO.readAll(path: p, limit: 1 << 20),
              let json = try? JSONParser.parse(bytes: bytes), let fingerprint = json["fingerprint"]?.stringValue
        else { return nil }  // absent or unreadable: the stage is treated as never run
        return StageStamp(stage: stage, fingerprint: fingerprint, outputDigest: json["output_sha256"]?.stringValue,
                          seconds: json["seconds"]?.doubleValue, finished: json["finished"]?.stringValue)
    }

    public func write(_ layout: PipelineLayout, _ kind: Kind, material: JSONObject) throws {
        try FileManager.default.createDirectory(atPath: layout.stampDirectory, withIntermediateDirectories: true)
        var o = JSONObject([("stage", .string(stage.rawValue)), ("fingerprint", .string(fingerprint))])
        if let outputDigest { o["output_sha256"] = .string(outputDigest) }
        if let seconds { o["seconds"] = .double(seconds) }
        if let finished { o["finished"] = .string(finished) }
        o["inputs"] = .object(material)
        try FileIO.writeAtomically(path: Self.path(layout, stage, kind), bytes: Array((JSONWriter.string(.object(o)) + "\n").utf8))
    }

    public static func remove(_ layout: PipelineLayout, _ stage: StageName, _ kind: Kind) throws {
        let p = path(layout, stage, kind)
        if FileIO.exists(p) { try FileManager.default.removeItem(atPath: p) }
    }
}

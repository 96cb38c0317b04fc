import EagleCore

/// The counts of a tokenize run, written to the manifest and printed as the summary.
public struct TokenizeCounts: Sendable, Equatable {
    public var read = 0
    public var kept = 0
    public var truncated = 0
    public var specialTokensInContent = 0
    public var tokens = 0
    public var supervisedTokens = 0
    /// Records the reader could not use (invalid JSON, unknown role, …), by reason.
    public var invalid: [String: Int] = [:]
    /// Records that produced no sample (role rules, template errors, too long, …), by reason.
    public var rejected: [String: Int] = [:]

    public init() {}

    public var json: JSONValue {
        func dict(_ d: [String: Int]) -> JSONValue { .object(JSONObject(d.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })) }
        return .object(JSONObject([
            ("read", .int(read)), ("kept", .int(kept)), ("truncated", .int(truncated)),
            ("special_tokens_in_content", .int(specialTokensInContent)),
            ("tokens", .int(tokens)), ("supervised_tokens", .int(supervisedTokens)),
            ("invalid", dict(invalid)), ("rejected", dict(rejected)),
        ]))
    }

    public init(json: JSONValue) {
        read = json["read"]?.intValue ?? 0
        kept = json["kept"]?.intValue ?? 0
        truncated = json["truncated"]?.intValue ?? 0
        specialTokensInContent = json["special_tokens_in_content"]?.intValue ?? 0
        tokens = json["tokens"]?.intValue ?? 0
        supervisedTokens = json["supervised_tokens"]?.intValue ?? 0
        for (k, v) in json["invalid"]?.objectValue ?? JSONObject() { invalid[k] = v.intValue ?? 0 }
        for (k, v) in json["rejected"]?.objectValue ?? JSONObject() { rejected[k] = v.intValue ?? 0 }
    }

    public var summary: String {
        var s = "read \(read), kept \(kept), truncated \(truncated), invalid \(invalid.values.reduce(0, +)), rejected \(rejected.values.reduce(0, +))"
        for (k, v) in invalid.sorted(by: { $0.key < $1.key }) { s += "\n  invalid \(k): \(v)" }
        for (k, v) in rejected.sorted(by: { $0.key < $1.key }) { s += "\n  rejected \(k): \(v)" }
        s += "\n  tokens \(tokens), supervised \(supervisedTokens), records with special-token strings in content \(specialTokensInContent)"
        return s
    }
}

import ChatTemplates
import EagleCore
import Foundation
import TestSupport
import XCTest

/// Reading the goldens written by `pipelines/reference/render_templates.py` (transformers 5.24.0, jinja2 3.1.6).
enum Goldens {
    static var directory: String {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/goldens").path
    }

    /// The date `render_templates.py` pins `strftime_now` to.
    static let pinnedDate = TemplateDate(year: 2026, month: 11, day: 29, hour: 9, minute: 5, second: 3)

    static func json(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        let path = directory + "/" + name
        guard let data = FileManager.default.contents(atPath: path) else {
            XCTFail("golden \(path) is missing (run pipelines/reference/render_templates.py)", file: file, line: line)
            throw XCTSkip("missing \(path)")
        }
        return try JSONParser.parse(bytes: Array(data))
    }

    /// One JSON value per line (split on "\n" only).
    static func jsonLines(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> [JSONValue] {
        let path = directory + "/" + name
        guard let data = FileManager.default.contents(atPath: path) else {
            XCTFail("golden \(path) is missing (run pipelines/reference/render_templates.py)", file: file, line: line)
            throw XCTSkip("missing \(path)")
        }
        return try data.split(separator: 0x0A).map { try JSONParser.parse(bytes: Array($0)) }
    }
}

/// What a golden expects: an output, or an error of a jinja2/Python exception type.
enum Expected {
    case output(String)
    case error(type: String, message: String, line: Int?)

    init(_ record: JSONValue) {
        if let s = record["output"]?.stringValue {
            self = .output(s)
        } else {
            self = .error(type: record["error_type"]?.stringValue ?? "", message: record["error"]?.stringValue ?? "",
                          line: record["error_line"]?.intValue)
        }
    }
}

/// Compares a render (or its error) with a golden; returns a description of the difference, nil if they agree.
func mismatch(_ expected: Expected, _ render: () throws -> String) -> String? {
    switch expected {
    case .output(let want):
        do {
            let got = try render()
            return got == want ? nil : describeDifference(got, want)
        } catch {
            return "expected output, got error: \(error)"
        }
    case .error(let type, let message, let line):
        do {
            let got = try render()
            return "expected \(type): \(message); got output \(reprForTest(String(got.prefix(200))))"
        } catch let error as TemplateError {
            let wantKind: TemplateError.Kind
            switch type {
            case "TemplateSyntaxError", "TemplateAssertionError", "SyntaxError": wantKind = .syntax
            case "TemplateError": wantKind = .raised
            case "UndefinedError": wantKind = .undefined
            case "SecurityError": wantKind = .security
            default: wantKind = .runtime
            }
            if error.kind != wantKind { return "expected \(type) (\(wantKind)): \(message); got \(error.kind): \(error)" }
            // Python's own SyntaxError (`break` outside a loop) reports a line of the generated code.
            if type == "SyntaxError" { return nil }
            if type == "TemplateSyntaxError", let line, error.location?.line != line {
                return "expected a syntax error on line \(line); got \(error)"
            }
            if error.message != message { return "expected message \(reprForTest(message)); got \(reprForTest(error.message))" }
            if error.location == nil { return "error has no template position: \(error)" }
            return nil
        } catch {
            return "expected TemplateError, got \(error)"
        }
    }
}

func reprForTest(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}

/// The first differing character with some context on both sides.
func describeDifference(_ got: String, _ want: String) -> String {
    let g = Array(got.unicodeScalars), w = Array(want.unicodeScalars)
    var i = 0
    while i < min(g.count, w.count) && g[i] == w[i] { i += 1 }
    func window(_ a: [Unicode.Scalar]) -> String {
        var v = String.UnicodeScalarView()
        v.append(contentsOf: a[max(0, i - 40)..<min(a.count, i + 60)])
        return reprForTest(String(v))
    }
    return "differs at scalar \(i) (got \(g.count), want \(w.count) scalars)\n  got:  \(window(g))\n  want: \(window(w))"
}

import ChatTemplates
import Dispatch
import Synchronization
import Foundation
import XCTest

/// Hand-written checks of what the goldens cannot show: error kinds and positions, limits, the messages API,
/// thread safety. Expected renders were checked against transformers 5.24.0 / jinja2 3.1.6.
final class InterpreterTests: XCTestCase {
    private func render(_ source: String, _ variables: [String: JinjaValue] = [:], options: RenderOptions = RenderOptions()) throws -> String {
        try ChatTemplate(source: source, name: "t").render(variables, options: options)
    }

    /// Runs `body`, requires a TemplateError, returns it.
    private func error(_ body: () throws -> Any, file: StaticString = #filePath, line: UInt = #line) -> TemplateError? {
        do {
            let value = try body()
            XCTFail("expected an error, got \(value)", file: file, line: line)
        } catch let e as TemplateError {
            return e
        } catch {
            XCTFail("expected TemplateError, got \(error)", file: file, line: line)
        }
        return nil
    }

    func testWhitespaceControlExamples() throws {
        let cases: [(String, String)] = [
            // trim_blocks eats the newline after a block tag; lstrip_blocks the indentation before it.
            ("{% if true %}\nyes\n{% endif %}\nafter\n", "yes\nafter"),
            ("a\n    {% if true %}\n    b\n    {% endif %}\nc", "a\n    b\nc"),
            // `-` strips all whitespace on that side, `+` turns lstrip/trim off for that tag.
            ("a   \n\n  {%- if true %}b{% endif %}", "ab"),
            ("a\n    {%+ if true %}b{% endif %}", "a\n    b"),
            ("{% if true +%}\nb{% endif %}", "\nb"),
            // Expressions are not lstripped; comments are.
            ("a\n    {{ 'x' }}\n", "a\n    x"),
            ("x\n  {# comment #}\ny", "x\ny"),
            ("{% raw %}\n  {{ kept }}\n{% endraw %}\nafter", "\n  {{ kept }}\nafter"),
        ]
        for (source, expected) in cases {
            XCTAssertEqual(try render(source), expected, reprForTest(source))
        }
    }

    func testLoopsNamespacesAndMacros() throws {
        XCTAssertEqual(try render("{% for x in xs if x %}{{ loop.index }}/{{ loop.length }}{{ '' if loop.last else ',' }}{% else %}none{% endfor %}",
                                  ["xs": .array([.int(0), .int(5), .int(0), .int(7)])]), "1/2,2/2")
        XCTAssertEqual(try render("{% set n = 1 %}{% for i in [1, 2] %}{% set n = n + i %}{% endfor %}{{ n }}"), "1", "set in a loop stays in the loop")
        XCTAssertEqual(try render("{% set ns = namespace(n=1) %}{% for i in [1, 2] %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}"), "4")
        XCTAssertEqual(try render("{% macro tag(name, body='') %}<{{ name }}>{{ body }}{{ caller() if caller is defined }}</{{ name }}>{% endmacro %}"
                                  + "{{ tag('a', 'x') }}{% call tag('b') %}inner{% endcall %}"), "<a>x</a><b>inner</b>")
        XCTAssertEqual(try render("{% for k, v in d | dictsort %}{{ k }}={{ v }};{% endfor %}",
                                  ["d": try JinjaValue.parseJSON(#"{"b": 2, "a": 1}"#)]), "a=1;b=2;")
    }

    func testJSONKeepsKeyOrderAndPythonFormatting() throws {
        let value = try JinjaValue.parseJSON(#"{"z": 1, "a": {"k": [1, 2.0, null, true, "é\n"]}}"#)
        XCTAssertEqual(try render("{{ x | tojson }}", ["x": value]), #"{"z": 1, "a": {"k": [1, 2.0, null, true, "é\n"]}}"#)
        XCTAssertEqual(try render("{{ x }}", ["x": value]), #"{'z': 1, 'a': {'k': [1, 2.0, None, True, 'é\n']}}"#)
        XCTAssertEqual(try render("{{ x | tojson(indent=2) }}", ["x": try JinjaValue.parseJSON(#"{"a": [1]}"#)]), "{\n  \"a\": [\n    1\n  ]\n}")
    }

    func testErrorsCarryLineAndColumn() throws {
        let undefined = error { try self.render("line one\n{{ foo.bar }}") }
        XCTAssertEqual(undefined?.kind, .undefined)
        XCTAssertEqual(undefined?.message, "'foo' is undefined")
        XCTAssertEqual(undefined?.location, SourceLocation(line: 2, column: 8))
        XCTAssertEqual(undefined?.templateName, "t")

        let raised = error { try self.render("a\n  {%- if x %}{{ raise_exception('Bad role: ' ~ role) }}{% endif %}", ["x": .bool(true), "role": .string("x")]) }
        XCTAssertEqual(raised?.kind, .raised)
        XCTAssertEqual(raised?.message, "Bad role: x")
        XCTAssertEqual(raised?.location, SourceLocation(line: 2, column: 17))
        XCTAssertEqual(raised?.description, "t, line 2, column 17: Bad role: x")

        let syntax = error { try ChatTemplate(source: "{% for x in xs %}\n{{ x }\n{% endfor %}", name: "t") }
        XCTAssertEqual(syntax?.kind, .syntax)
        XCTAssertEqual(syntax?.message, "unexpected '}'")
        XCTAssertEqual(syntax?.location?.line, 2)

        let unknownFilter = error { try ChatTemplate(source: "ok\n{{ x | frobnicate }}", name: "t") }
        XCTAssertEqual(unknownFilter?.kind, .syntax)
        XCTAssertEqual(unknownFilter?.message, "No filter named 'frobnicate'.")
        XCTAssertEqual(unknownFilter?.location, SourceLocation(line: 2, column: 8))

        let unknownTag = error { try ChatTemplate(source: "\n\n  {% frob %}", name: "t") }
        XCTAssertEqual(unknownTag?.message, "Encountered unknown tag 'frob'.")
        XCTAssertEqual(unknownTag?.location, SourceLocation(line: 3, column: 6))

        let security = error { try self.render("{% set xs = [] %}\n{% set _ = xs.append(1) %}") }
        XCTAssertEqual(security?.kind, .security)
        XCTAssertEqual(security?.message, "access to attribute 'append' of 'list' object is unsafe.")
        XCTAssertEqual(security?.location?.line, 2)
    }

    func testUnsupportedConstructsAreTypedErrors() throws {
        let cases: [(String, String)] = [
            ("{% include 'other.jinja' %}", "{% include %}"),
            ("{{ 'a b' | wordwrap(3) }}", "filter 'wordwrap'"),
            ("{{ 'abc'.encode() }}", "str.encode"),
            ("{% for x in xs recursive %}{% endfor %}", "recursive for loop"),
            ("{{ strftime_now('%U') }}", "strftime %U"),
            ("{{ {1: 'a'} }}", "non-string dict key"),
            ("{{ [1, 2] | map('string') }}", "print of an iterator"),
            ("{{ cycler('a') }}", "global 'cycler'"),
            ("{{ 9223372036854775807 + 1 }}", "integer overflow"),
        ]
        for (source, construct) in cases {
            let e = error { try self.render(source) }
            XCTAssertEqual(e?.kind, .unsupported(construct: construct), source)
            XCTAssertNotNil(e?.location, source)
        }
    }

    func testLimits() throws {
        let recursion = error { try self.render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}") }
        XCTAssertEqual(recursion?.kind, .limit)
        XCTAssertEqual(recursion?.description, "t, line 1, column 20: macro calls nested deeper than 200 levels (in macro 'f')")
        let output = error {
            try self.render("{% for i in range(1000) %}0123456789{% endfor %}", options: RenderOptions(limits: RenderLimits(maxOutputCharacters: 5000)))
        }
        XCTAssertEqual(output?.kind, .limit)
        XCTAssertEqual(output?.message, "output exceeds the limit of 5000 characters")
        let iterations = error {
            try self.render("{% for i in range(20) %}{% endfor %}", options: RenderOptions(limits: RenderLimits(maxLoopIterations: 10)))
        }
        XCTAssertEqual(iterations?.kind, .limit)
        XCTAssertEqual(iterations?.message, "more than 10 loop iterations")
        let repetition = error { try self.render("{{ 'x' * 100000000 }}") }
        XCTAssertEqual(repetition?.kind, .limit)
        XCTAssertEqual(repetition?.message, "sequence repetition exceeds the output limit")
        XCTAssertEqual(error { try self.render("{{ range(100001) | length }}") }?.message,
                       "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).")
    }

    /// Hostile nesting is refused at parse time with a limit error; before the limits, each of these templates
    /// crashed the process by exhausting the stack in the parser, the validator or the tree's deinit (fuzzing, issue 10).
    func testParserDepthLimits() throws {
        let n = 20_000
        let tooDeep: [(String, String, String)] = [
            ("parentheses", "{{ " + String(repeating: "(", count: n) + "1" + String(repeating: ")", count: n) + " }}",
             "t, line 1, column 68: expression nested deeper than 128 levels"),
            ("lists", "{{ " + String(repeating: "[", count: n) + String(repeating: "]", count: n) + " }}",
             "t, line 1, column 68: expression nested deeper than 128 levels"),
            ("left-deep sum", "{{ 1" + String(repeating: " + 1", count: n) + " }}", "t, line 1, column 4: expression nested deeper than 128 levels"),
            ("attribute chain", "{{ x" + String(repeating: ".a", count: n) + " }}", "t, line 1, column 260: expression nested deeper than 128 levels"),
            ("not chain", "{{ " + String(repeating: "not ", count: n) + "1 }}", "t, line 1, column 512: expression nested deeper than 128 levels"),
            ("unary minus", "{{ " + String(repeating: "-", count: n) + "1 }}", "t, line 1, column 131: expression nested deeper than 128 levels"),
            ("filter chain", "{{ x" + String(repeating: "|trim", count: n) + " }}", "t, line 1, column 641: expression nested deeper than 128 levels"),
            ("nested ifs", String(repeating: "{% if true %}", count: n) + "x" + String(repeating: "{% endif %}", count: n),
             "t, line 1, column 1314: blocks nested deeper than 100 levels"),
        ]
        for (name, source, expected) in tooDeep {
            let e = error { try ChatTemplate(source: source, name: "t") }
            XCTAssertEqual(e?.kind, .limit, name)
            XCTAssertEqual(e?.description, expected, name)
        }
        // Just below the limits, the same shapes parse and render.
        XCTAssertEqual(try render("{{ " + String(repeating: "(", count: 60) + "1" + String(repeating: ")", count: 60) + " }}"), "1")
        XCTAssertEqual(try render("{{ 0" + String(repeating: " + 1", count: 120) + " }}"), "120")
        XCTAssertEqual(try render(String(repeating: "{% if true %}", count: 100) + "x" + String(repeating: "{% endif %}", count: 100)), "x")
    }

    func testMessagesAPIMatchesApplyChatTemplate() throws {
        let template = try ChatTemplate(source: "{{ messages[0].thinking }}|{{ messages[0].reasoning_content }}|{{ messages[0] | list }}"
                                        + "|{{ messages[0].content is defined }}|{{ tools is none }}|{{ documents is none }}|{{ add_generation_prompt }}")
        let message = try JinjaValue.parseJSON(#"{"role": "assistant", "reasoning": "r", "content": null}"#)
        XCTAssertEqual(try template.render(messages: [message]),
                       "r|r|['thinking', 'role', 'reasoning', 'reasoning_content']|False|True|True|False")
        let both = try JinjaValue.parseJSON(#"{"role": "assistant", "thinking": "T", "reasoning_content": "R"}"#)
        XCTAssertEqual(try template.render(messages: [both]).split(separator: "|").prefix(2), ["T", "R"])
        let withTools = try ChatTemplate(source: "{{ tools | length }} {{ bos_token }}{{ add_generation_prompt }}")
        XCTAssertEqual(try withTools.render(messages: [message], tools: [.object(JinjaDict())],
                                            options: RenderOptions(addGenerationPrompt: true, variables: ["bos_token": .string("<s>")])),
                       "1 <s>True")
        XCTAssertEqual(error { try template.render(messages: []) }?.kind, .runtime)
    }

    func testStrftimeNow() throws {
        let date = TemplateDate(year: 2026, month: 3, day: 5, hour: 14, minute: 7, second: 9)
        XCTAssertEqual(try render("{{ strftime_now('%d %b %Y|%-d %B|%A %a|%H:%M:%S %I%p|%j %m %y') }}", options: RenderOptions(date: date)),
                       "05 Mar 2026|5 March|Thursday Thu|14:07:09 02PM|064 03 26")
        let year = Calendar.current.component(.year, from: Date())
        XCTAssertEqual(try render("{{ strftime_now('%Y') }}"), String(year))
    }

    func testConcurrentRendersAgree() throws {
        let template = try ChatTemplate(source: "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}"
                                        + "{{ m.role }}:{{ m.content | trim }}{{ ns.n }};{% endfor %}")
        let messages = (0..<20).map { i in JinjaValue.object(JinjaDict([("role", .string("user")), ("content", .string(" m\(i) "))])) }
        let expected = try template.render(messages: messages)
        let results = ResultsBox(count: 64)
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            results.set(i, (try? template.render(messages: messages)) ?? "error")
        }
        XCTAssertEqual(Set(results.all), [expected])
    }
}

/// Thread-safe result slots for the concurrency test.
private final class ResultsBox: Sendable {
    private let storage: Mutex<[String]>
    init(count: Int) { storage = Mutex(Array(repeating: "", count: count)) }
    func set(_ i: Int, _ value: String) { storage.withLock { $0[i] = value } }
    var all: [String] { storage.withLock { $0 } }
}

#!/usr/bin/env python3
"""Golden chat-template renders for the Swift ChatTemplates tests, produced by transformers itself.

For every template below and every conversation in ``pipelines/reference/template_conversations/*.json``, with
``add_generation_prompt`` false and true, this renders the chat exactly as
``tokenizer.apply_chat_template(messages, tools=..., add_generation_prompt=..., tokenize=False)`` does in
transformers 5.24.0 / jinja2 3.1.6: ``_normalize_chat_messages`` (drop keys whose value is None), then
``transformers.utils.chat_template_utils.render_jinja_template`` with the tokenizer's special tokens map as extra
variables (bos, eos, unk, sep, pad, cls and mask tokens as set in tokenizer_config.json; null ones are left out, as
transformers leaves them out). ``strftime_now`` is pinned to 2026-11-29 09:05:03 by replacing the module's
``datetime`` class before anything is compiled.

Templates (read from the shared data folder, never copied into the repository):
* the 50 files ``chat-templates/*.jinja`` (no tokenizer: bos_token "<s>", eos_token "</s>");
* ``tokenizers/llama-3.2`` (folder: chat_template.jinja), ``tokenizers/llama-2/tokenizer_config.json``,
  ``tokenizers/qwen3/tokenizer_config.json``, ``tokenizers/qwen3/qwen2.5_chat_template.jinja`` (special tokens from
  the tokenizer_config.json beside it) and ``models/smollm2-135m-instruct`` (folder) — special tokens from the
  tokenizer_config.json, resolved by the same rules as the Swift ``ChatTemplateLoader``.

Output, under ``Tests/ChatTemplatesTests/Fixtures/goldens/``:
* ``<golden name>.jsonl``: one line per (conversation, add_generation_prompt) in sorted conversation order, false
  before true: ``{"conversation", "add_generation_prompt", "output"}`` or, where rendering raised,
  ``{"conversation", "add_generation_prompt", "error", "error_type", "error_line"}`` (``error`` is the exception's
  message; ``error_line`` the template line jinja2 reports for syntax errors, else null);
* ``conversations.json``: the conversations exactly as fed to transformers (name → {messages, tools});
* ``unit_cases.jsonl``: the small hand-written templates of ``Fixtures/unit_case_templates.json`` (whitespace
  control, operators, loops, macros, filters, tests, errors) rendered by transformers' compiled environment
  (``_compile_jinja_template(template).render(**variables)``), each line the case plus ``output`` or ``error``;
* ``manifest.json``: versions, the pinned date, and per template its shared-data path, sha256 of the template text,
  the special tokens passed and pass/error counts.

Differential fuzzing (not committed output): ``--fuzz-out FILE [--fuzz-count N] [--fuzz-seed S]`` writes N random
templates (expressions over mixed values, and statement-heavy templates with macros, call/filter/set blocks,
namespaces and whitespace control) rendered by jinja2, in the ``unit_cases.jsonl`` format, for
``EAGLEPREP_JINJA_CASES=FILE swift test --filter testCaseFileFromEnvironment``. Renders that print an object address
(``<generator object … at 0x…>``) are left out: no other implementation can reproduce them.

Usage: ``/work/pyref/bin/python pipelines/reference/render_templates.py [--shared-data ../shared/data]``
(venv: ``pip install transformers==5.24.0 jinja2==3.1.6``; no torch needed).
"""
import argparse
import datetime as _dt
import glob
import hashlib
import json
import os
import random
import sys

import jinja2
import transformers
from transformers.utils import chat_template_utils
from transformers.utils.chat_template_utils import _normalize_chat_messages, render_jinja_template

PINNED = _dt.datetime(2026, 11, 29, 9, 5, 3)


class _PinnedDatetime(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return PINNED


# strftime_now() calls `datetime.now()` on the name imported into chat_template_utils.
chat_template_utils.datetime = _PinnedDatetime

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(REPO, "Tests", "ChatTemplatesTests", "Fixtures", "goldens")
CONVERSATIONS = os.path.join(REPO, "pipelines", "reference", "template_conversations")
UNIT_CASES = os.path.join(REPO, "Tests", "ChatTemplatesTests", "Fixtures", "unit_case_templates.json")
SPECIAL_TOKEN_KEYS = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]
DEFAULT_TOKENS = {"bos_token": "<s>", "eos_token": "</s>"}

# (golden name, path relative to the shared data folder)
TOKENIZER_TEMPLATES = [
    ("tokenizer-llama-3.2", "tokenizers/llama-3.2"),
    ("tokenizer-llama-2", "tokenizers/llama-2/tokenizer_config.json"),
    ("tokenizer-qwen3", "tokenizers/qwen3/tokenizer_config.json"),
    ("tokenizer-qwen2.5", "tokenizers/qwen3/qwen2.5_chat_template.jinja"),
    ("model-smollm2-135m-instruct", "models/smollm2-135m-instruct"),
]


def special_tokens(config):
    """bos/eos as transformers' special_tokens_map gives them: strings or AddedToken dicts; null ones left out."""
    out = {}
    for key in SPECIAL_TOKEN_KEYS:
        value = config.get(key)
        if isinstance(value, dict):
            value = value["content"]
        if value is not None:
            out[key] = value
    return out


def load(path):
    """Template text and special tokens by the Swift ChatTemplateLoader's rules."""
    if os.path.isdir(path):
        config_path = os.path.join(path, "tokenizer_config.json")
        config = json.load(open(config_path, encoding="utf-8")) if os.path.exists(config_path) else {}
        jinja_path = os.path.join(path, "chat_template.jinja")
        if os.path.exists(jinja_path):
            return open(jinja_path, encoding="utf-8", newline="").read(), special_tokens(config)
        return config["chat_template"], special_tokens(config)
    if path.endswith(".json"):
        config = json.load(open(path, encoding="utf-8"))
        template = config["chat_template"]
        if isinstance(template, list):
            template = next(t["template"] for t in template if t["name"] == "default")
        return template, special_tokens(config)
    sibling = os.path.join(os.path.dirname(path), "tokenizer_config.json")
    tokens = special_tokens(json.load(open(sibling, encoding="utf-8"))) if os.path.exists(sibling) else {}
    return open(path, encoding="utf-8", newline="").read(), tokens


def render(template, conversation, add_generation_prompt, tokens):
    """apply_chat_template(tokenize=False) minus the tokenizer: normalize, then render with the special tokens."""
    messages = _normalize_chat_messages(conversation["messages"])
    template_kwargs = dict(tokens)
    rendered, _ = render_jinja_template(
        conversations=[messages],
        tools=conversation.get("tools"),
        documents=None,
        chat_template=template,
        add_generation_prompt=add_generation_prompt,
        **template_kwargs,
    )
    return rendered[0]


def error_fields(e):
    """The exception as a golden: jinja2's message (without the source excerpt), its type and line if any."""
    return {
        "error": getattr(e, "message", None) or str(e),
        "error_type": type(e).__name__,
        "error_line": getattr(e, "lineno", None),
    }


def render_unit_cases():
    lines = []
    for case in json.load(open(UNIT_CASES, encoding="utf-8")):
        record = dict(case)
        try:
            record["output"] = chat_template_utils._compile_jinja_template(case["template"]).render(**case["variables"])
        except Exception as e:  # noqa: BLE001 - every jinja2 failure is a golden
            record.update(error_fields(e))
        lines.append(json.dumps(record, ensure_ascii=False))
    with open(os.path.join(OUT, "unit_cases.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"unit cases: {len(lines)}")


# ---------------------------------------------------------------------------------------------------------------
# Differential fuzzing
# ---------------------------------------------------------------------------------------------------------------

FUZZ_CONTEXT = {
    "msgs": [{"role": "system", "content": " Sys\n"}, {"role": "user", "content": "Hi <b> & 'q'"},
             {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": [1, 2]}}}]}],
    "s": "  Hello, Wörld!\tx ", "n": 7, "f": 2.5, "l": [3, 1, 2], "d": {"b": 2, "a": 1, "c": None}, "e": "", "z": 0,
    "t": True, "u8": "é中😀", "nested": {"x": {"y": [1, {"z": "deep"}]}},
    "messages": [{"role": "system", "content": " Be brief. "}, {"role": "user", "content": "Hi\n<there>"},
                 {"role": "assistant", "content": "Yo", "reasoning_content": "think"},
                 {"role": "tool", "content": "{\"a\": 1}", "tool_call_id": "c1"}, {"role": "user", "content": ""}],
    "tools": [{"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object", "properties": {
        "x": {"type": "string"}, "y": {"type": "array", "items": {"type": "integer"}}}, "required": ["x"]}}}],
    "add_generation_prompt": True, "bos_token": "<s>", "eos_token": "</s>", "flag": False,
}


class Fuzzer:
    STRINGS = ["'a'", "'abc'", "\"x y\"", "''", "' pad '", "'A,b,C'", "'\\n'", "'%s'", "'é'", "'<>&'", "'1'", "'2.5'", "'system'", "'{}'"]
    ATOMS = ["msgs[0]", "msgs[-1].content", "msgs[1]['role']", "d.a", "d['c']", "l[0]", "s[1:4]", "l[::-1]", "nested.x.y[1].z",
             "msgs[2].tool_calls[0].function.arguments", "range(3)", "namespace(a=1)", "dict(k=1)", "u8[1]", "s[-3:]"]
    FILTERS0 = ["trim", "length", "count", "upper", "lower", "title", "capitalize", "string", "list", "first", "last", "reverse", "sort",
                "unique", "tojson", "int", "float", "abs", "round", "items", "dictsort", "safe", "escape", "min", "max", "sum", "wordcount",
                "join", "default", "e", "center"]
    FILTERS1 = [("join", ["', '", "'-'"]), ("default", ["'d'", "0", "none", "'y', true"]), ("replace", ["'a', 'b'", "' ', '_'"]),
                ("indent", ["2", "4, true", "2, blank=true"]), ("tojson", ["indent=2", "sort_keys=true", "ensure_ascii=true"]),
                ("selectattr", ["'role', 'equalto', 'user'", "'content'"]), ("rejectattr", ["'role', 'eq', 'system'"]),
                ("map", ["attribute='role'", "'upper'", "'string'"]), ("select", ["'odd'", "'string'", "'defined'"]), ("reject", ["'none'", "'even'"]),
                ("sort", ["reverse=true", "attribute='role'"]), ("batch", ["2"]), ("round", ["1", "2, 'floor'"]), ("int", ["5"]),
                ("trim", ["'x'"]), ("truncate", ["5"]), ("format", ["1", "'x'"]), ("center", ["9"])]
    METHODS = [("strip", [""]), ("lstrip", [""]), ("rstrip", ["'!'", ""]), ("split", ["", "','", "' ', 1"]), ("rsplit", ["','", "none, 1"]),
               ("startswith", ["'H'", "'  '"]), ("endswith", ["' '", "'x'"]), ("replace", ["'l', 'L'"]), ("upper", [""]), ("lower", [""]),
               ("find", ["'l'"]), ("count", ["'l'"]), ("title", [""]), ("get", ["'a'", "'q', 5"]), ("items", [""]), ("keys", [""]),
               ("values", [""]), ("splitlines", [""]), ("isdigit", [""]), ("format", ["1"]), ("index", ["1"])]
    TESTS = ["defined", "undefined", "none", "string", "number", "integer", "float", "mapping", "iterable", "sequence", "boolean", "true",
             "false", "odd", "even", "lower", "upper", "callable", "divisibleby 2", "equalto 1", "eq 'a'", "ne 0", "gt 1", "lt 3", "ge 2",
             "le 2", "in [1, 2]", "in 'abc'", "sameas none", "escaped"]
    WS = ["", " ", "\n", "  \n", "\n  ", "\t", "\n\n", " x ", "a\n", "\n b"]

    def __init__(self, seed):
        self.r = random.Random(seed)

    def c(self, options):
        return self.r.choice(options)

    def sign(self):
        return self.c(["", "", "-", "+"])

    def atom(self, depth):
        k = self.r.random()
        if k < 0.3: return self.c(list(FUZZ_CONTEXT)[:13] + ["missing"])
        if k < 0.45: return self.c(self.STRINGS)
        if k < 0.6: return str(self.c([0, 1, 2, 3, -1, 10, 255]))
        if k < 0.66: return self.c(["1.5", "0.1", "2.0", "1e3", "-0.5"])
        if k < 0.72: return self.c(["none", "true", "false", "None", "True"])
        if k < 0.8 and depth < 3: return "[" + ", ".join(self.expr(depth + 1) for _ in range(self.r.randint(0, 3))) + "]"
        if k < 0.85 and depth < 3:
            return "{" + ", ".join(f"{self.c(self.STRINGS)}: {self.expr(depth + 1)}" for _ in range(self.r.randint(0, 2))) + "}"
        if k < 0.9 and depth < 3: return "(" + self.expr(depth + 1) + ")"
        return self.c(self.ATOMS)

    def postfix(self, e):
        k = self.r.random()
        if k < 0.25: return f"{e} | {self.c(self.FILTERS0)}"
        if k < 0.45:
            name, args = self.c(self.FILTERS1)
            return f"{e} | {name}({self.c(args)})"
        if k < 0.6:
            name, args = self.c(self.METHODS)
            return f"{e}.{name}({self.c(args)})"
        if k < 0.72: return f"{e} is {self.c(['', 'not '])}{self.c(self.TESTS)}"
        if k < 0.8: return e + "[" + self.c(["0", "-1", "1:", ":2", "::-1", "'a'", "'role'"]) + "]"
        if k < 0.85: return f"{e}.{self.c(['role', 'content', 'a', 'x', 'missing'])}"
        return e

    def expr(self, depth=0):
        if depth > 3: return self.atom(depth)
        k = self.r.random()
        e = self.postfix(self.atom(depth))
        if k < 0.15: return f"{e} {self.c(['+', '-', '*', '/', '//', '%', '**', '~'])} {self.expr(depth + 1)}"
        if k < 0.25: return f"{e} {self.c(['==', '!=', '<', '>', '<=', '>=', 'in', 'not in'])} {self.expr(depth + 1)}"
        if k < 0.32: return f"{e} {self.c(['and', 'or'])} {self.expr(depth + 1)}"
        if k < 0.36: return f"not {e}"
        if k < 0.42: return f"{e} if {self.expr(depth + 1)} else {self.expr(depth + 1)}"
        if k < 0.45: return f"-{e}"
        return e

    def tag(self, body):
        return "{%" + self.sign() + " " + body + " " + self.sign() + "%}"

    def value(self):
        return self.c([
            "message.content", "message['role']", "loop.index", "loop.first", "loop.last", "loop.length", "loop.revindex",
            "loop.previtem.role if loop.previtem is defined else 'none'", "ns.count", "ns.text", "(message.content | trim)[:3]",
            "message.role | upper", "tools | length", "x", "bos_token", "message.get('reasoning_content', 'no')",
            "tools[0].function.parameters.properties | tojson", "message | dictsort | first", "ns.items | join(',')",
            "'%s-%d' % (message.role, loop.index)", "message.content.split('\\n') | last", "m(message.role)", "m2(1, b=2)",
            "message.tool_call_id | default('?')", "strftime_now('%d %b %Y')", "range(n) | list",
            "messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | list", self.expr(2)])

    def condition(self):
        return self.c(["message.role == 'user'", "loop.first", "not loop.last", "message.content", "message.content | length > 2",
                       "message.role in ['system', 'tool']", "ns.count > 1", "message.reasoning_content is defined", "flag",
                       "loop.index is even", "message.role != 'assistant' and message.content", self.expr(2)])

    def block(self, depth):
        k = self.r.random()
        ws = lambda: self.c(self.WS)  # noqa: E731
        if depth > 2 or k < 0.3:
            return "{{" + self.c(["", "-"]) + " " + self.value() + " " + self.c(["", "-"]) + "}}"
        if k < 0.45:
            out = self.tag(f"if {self.condition()}") + ws() + self.block(depth + 1) + ws()
            if self.r.random() < 0.3: out += self.tag(f"elif {self.condition()}") + ws() + self.block(depth + 1)
            if self.r.random() < 0.5: out += self.tag("else") + ws() + self.block(depth + 1)
            return out + ws() + self.tag("endif")
        if k < 0.55:
            return (self.tag("set ns.count = ns.count + 1") + ws() + self.tag("set ns.text = ns.text ~ (message.role | first)")
                    + self.tag("set ns.items = ns.items + [loop.index]"))
        if k < 0.62: return self.tag(f"set x = {self.value()}") + ws() + self.block(depth + 1)
        if k < 0.7: return self.tag("set x") + ws() + self.block(depth + 1) + ws() + self.tag("endset") + "[{{ x }}]"
        if k < 0.78:
            return self.tag("if loop.index == 2") + self.tag(self.c(["break", "continue"])) + self.tag("endif") + ws() + self.block(depth + 1)
        if k < 0.86:
            return self.tag(f"for k, v in (message | dictsort) {self.c(['', 'if v'])}") + ws() + "{{ k }}={{ v | tojson }}" + ws() + self.tag("endfor")
        if k < 0.93: return self.tag("call(a) cm(message.role)") + ws() + "<{{ a }}>" + ws() + self.tag("endcall")
        flt = self.c(["upper", "trim", 'replace("e", "E")', "indent(2)"])
        return self.tag(f"filter {flt}") + ws() + self.block(depth + 1) + ws() + self.tag("endfilter")

    def statements(self):
        ws = lambda: self.c(self.WS)  # noqa: E731
        head = ("{%- set ns = namespace(count=0, text='', items=[]) %}" + ws()
                + self.tag("macro m(r, sep='-')") + ws() + "[{{ r }}{{ sep }}{{ ns.count }}]" + ws() + self.tag("endmacro") + ws()
                + "{% macro m2(a, b=none) %}{{ a }}{{ b }}{{ kwargs }}{{ varargs }}{% endmacro %}"
                + self.tag("macro cm(r)") + ws() + "({{ caller(r | length) }})" + ws() + self.tag("endmacro") + ws())
        body = "".join(self.block(0) + ws() for _ in range(self.r.randint(1, 4)))
        loop = (self.tag("for message in messages" + self.c(["", " if message.content"])) + ws() + body + self.tag("else") + "EMPTY"
                + self.tag("endfor"))
        tail = self.c(["{{ ns.count }}/{{ ns.text }}/{{ ns.items }}", "{% if add_generation_prompt %}<|assistant|>\n{% endif %}",
                       "{{ x | default('nox') }}", "{{ " + self.expr() + " }}", ""])
        return head + loop + ws() + tail + ws()


def write_fuzz_cases(path, count, seed):
    fuzzer = Fuzzer(seed)
    lines = []
    while len(lines) < count:
        template = "{{ " + fuzzer.expr() + " }}" if fuzzer.r.random() < 0.5 else fuzzer.statements()
        record = {"name": f"fuzz{seed}-{len(lines)}", "template": template, "variables": FUZZ_CONTEXT}
        try:
            record["output"] = chat_template_utils._compile_jinja_template(template).render(**FUZZ_CONTEXT)
        except Exception as e:  # noqa: BLE001 - every jinja2 failure is a case
            record.update(error_fields(e))
        if " at 0x" in record.get("output", ""):
            continue
        lines.append(json.dumps(record, ensure_ascii=False))
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{count} fuzz cases -> {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared-data", default=os.path.join(os.path.dirname(REPO), "shared", "data"))
    parser.add_argument("--fuzz-out", help="write random differential cases here instead of the goldens")
    parser.add_argument("--fuzz-count", type=int, default=2000)
    parser.add_argument("--fuzz-seed", type=int, default=0)
    args = parser.parse_args()
    assert transformers.__version__ == "5.24.0", transformers.__version__
    assert jinja2.__version__ == "3.1.6", jinja2.__version__
    if args.fuzz_out:
        write_fuzz_cases(args.fuzz_out, args.fuzz_count, args.fuzz_seed)
        return

    conversations = {}
    for path in sorted(glob.glob(os.path.join(CONVERSATIONS, "*.json"))):
        name = os.path.splitext(os.path.basename(path))[0]
        c = json.load(open(path, encoding="utf-8"))
        conversations[name] = {"messages": c["messages"], "tools": c.get("tools")}

    entries = []
    for path in sorted(glob.glob(os.path.join(args.shared_data, "chat-templates", "*.jinja"))):
        name = os.path.splitext(os.path.basename(path))[0]
        entries.append((name, os.path.relpath(path, args.shared_data), False))
    entries += [(name, rel, True) for name, rel in TOKENIZER_TEMPLATES]
    assert len(entries) == 55, len(entries)

    os.makedirs(OUT, exist_ok=True)
    for old in glob.glob(os.path.join(OUT, "*.jsonl")):
        os.remove(old)
    manifest = {
        "generator": "pipelines/reference/render_templates.py",
        "transformers": transformers.__version__,
        "jinja2": jinja2.__version__,
        "python": sys.version.split()[0],
        "strftime_now": PINNED.isoformat(),
        "templates": [],
    }
    for name, rel, from_tokenizer in entries:
        template, tokens = load(os.path.join(args.shared_data, rel))
        if not from_tokenizer:
            tokens = dict(DEFAULT_TOKENS)
        lines = []
        counts = {"rendered": 0, "errors": 0}
        for conv_name, conversation in conversations.items():
            for agp in (False, True):
                record = {"conversation": conv_name, "add_generation_prompt": agp}
                try:
                    record["output"] = render(template, conversation, agp, tokens)
                    counts["rendered"] += 1
                except Exception as e:  # noqa: BLE001 - every jinja2/transformers failure is a golden
                    record.update(error_fields(e))
                    counts["errors"] += 1
                lines.append(json.dumps(record, ensure_ascii=False))
        with open(os.path.join(OUT, name + ".jsonl"), "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(lines) + "\n")
        manifest["templates"].append({
            "name": name,
            "path": rel,
            "sha256": hashlib.sha256(template.encode("utf-8")).hexdigest(),
            "special_tokens": tokens,
            **counts,
        })
        print(f"{name:55s} rendered {counts['rendered']:3d}  errors {counts['errors']:3d}")

    render_unit_cases()
    with open(os.path.join(OUT, "conversations.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(conversations, f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(os.path.join(OUT, "manifest.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

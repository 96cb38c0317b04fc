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
* ``unit_cases.jsonl``: the small templates of ``pipelines/reference/template_unit_cases.json`` (whitespace
  control, operators, loops, macros, filters, tests, errors) rendered by transformers' compiled environment
  (``_compile_jinja_template(template).render(**variables)``), each line the case plus ``output`` or ``error``;
* ``manifest.json``: versions, the pinned date, and per template its shared-data path, sha256 of the template text,
  the special tokens passed and pass/error counts.

Usage: ``/work/pyref/bin/python pipelines/reference/render_templates.py [--shared-data ../shared/data]``
(venv: ``pip install transformers==5.24.0 jinja2==3.1.6``; no torch needed).
"""
import argparse
import datetime as _dt
import glob
import hashlib
import json
import os
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
UNIT_CASES = os.path.join(REPO, "pipelines", "reference", "template_unit_cases.json")
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared-data", default=os.path.join(os.path.dirname(REPO), "shared", "data"))
    args = parser.parse_args()
    assert transformers.__version__ == "5.24.0", transformers.__version__
    assert jinja2.__version__ == "3.1.6", jinja2.__version__

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

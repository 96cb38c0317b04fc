#!/usr/bin/env python3
"""Golden tokenizer outputs from Hugging Face `tokenizers` for the Swift tokenizer tests.

What it does
------------
1. Builds the golden corpus, in this order:
   a. every line of ``pipelines/reference/torture_corpus.jsonl`` (hand-written edge cases; see
      ``make_torture_corpus.py``);
   b. a deterministic subset of real message texts from ``../shared/data/conversations`` (relative to the repo
      root).  Every string a conversation carries is collected per file (OpenAI ``messages[].content``,
      ShareGPT ``conversations[].value``, ``chosen``/``rejected`` values, alpaca ``instruction``/``input``/
      ``output``, plus ``system`` and ``tools`` strings), files in sorted name order, texts in file order,
      empty strings dropped, deduplicated (first occurrence wins, also against the torture corpus).  From each
      file's list ``REAL_PER_FILE`` texts are taken at evenly spaced indices (``i * len // REAL_PER_FILE``);
   c. ``N_LONG`` long texts, each 20 consecutive texts of the full deduplicated real list joined with
      ``"\\n\\n"``, starting at evenly spaced offsets.
2. For each tokenizer (gpt2, llama-2, llama-3.2, qwen3 under ``tokenizers/``, smollm2 under
   ``models/smollm2-135m-instruct/``) loads ``tokenizers.Tokenizer.from_file(tokenizer.json)`` and writes
   ``Tests/TokenizationTests/Fixtures/goldens/<name>.jsonl``: one JSON object per corpus text, in corpus order:
       {"text": str,
        "ids": encode(text, add_special_tokens=False).ids,
        "ids_special": encode(text, add_special_tokens=True).ids,
        "decoded": decode(ids, skip_special_tokens=False),
        "roundtrip": decoded == text}
   written with ``json.dumps(..., ensure_ascii=False)`` and ``"\\n"`` line ends.  Texts may contain U+2028,
   U+0085, U+000B, U+000C etc. raw inside the JSON strings: split the files on ``"\\n"`` only (never a
   "universal newlines" splitter).
3. Writes ``Tests/TokenizationTests/Fixtures/goldens/corpus_manifest.json`` (counts, versions, sha256 of each
   fixture) next to them.

Deterministic: no randomness, no clocks; rerunning with the same inputs and package versions gives identical
bytes.

Usage (from the repository root):
    /work/pyref/bin/python pipelines/reference/tokenizer_goldens.py [--data ../shared/data] [--out DIR]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

import tokenizers
from tokenizers import Tokenizer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(REPO, "pipelines", "reference")

TOKENIZERS = [
    ("gpt2", "tokenizers/gpt2/tokenizer.json"),
    ("llama-2", "tokenizers/llama-2/tokenizer.json"),
    ("llama-3.2", "tokenizers/llama-3.2/tokenizer.json"),
    ("qwen3", "tokenizers/qwen3/tokenizer.json"),
    ("smollm2", "models/smollm2-135m-instruct/tokenizer.json"),
]

REAL_PER_FILE = 67  # 6 files -> ~400 real texts
N_LONG = 5
LONG_JOIN = 20


def _strings_of_record(rec) -> list[str]:
    """All text strings carried by one conversation record, in record order."""
    out: list[str] = []
    if not isinstance(rec, dict):
        return out
    for key in ("system",):
        if isinstance(rec.get(key), str):
            out.append(rec[key])
    for key in ("messages", "conversations"):
        msgs = rec.get(key)
        if isinstance(msgs, list):
            for m in msgs:
                if isinstance(m, dict):
                    v = m.get("content", m.get("value"))
                    if isinstance(v, str):
                        out.append(v)
    for key in ("instruction", "input", "output"):
        if isinstance(rec.get(key), str):
            out.append(rec[key])
    for key in ("chosen", "rejected"):
        v = rec.get(key)
        if isinstance(v, dict):
            v = v.get("value", v.get("content"))
        if isinstance(v, str):
            out.append(v)
    if isinstance(rec.get("tools"), str):
        out.append(rec["tools"])
    return out


def load_conversation_texts(conv_dir: str) -> list[tuple[str, list[str]]]:
    """[(file name, [texts in file order])] for every conversation file, sorted by name (not deduplicated)."""
    result = []
    for name in sorted(os.listdir(conv_dir)):
        path = os.path.join(conv_dir, name)
        if name.endswith(".jsonl"):
            with open(path, encoding="utf-8") as f:
                records = [json.loads(line) for line in f if line.strip()]
        elif name.endswith(".json"):
            with open(path, encoding="utf-8") as f:
                records = json.load(f)
        else:
            continue
        texts = [s for r in records for s in _strings_of_record(r)]
        result.append((name, texts))
    return result


def build_corpus(data_dir: str) -> tuple[list[str], dict]:
    with open(os.path.join(HERE, "torture_corpus.jsonl"), encoding="utf-8") as f:
        torture = [json.loads(line)["text"] for line in f.read().split("\n") if line]
    seen = set(torture)
    corpus = list(torture)
    info = {"torture": len(torture), "real": {}, "long": 0}

    all_real: list[str] = []
    for name, texts in load_conversation_texts(os.path.join(data_dir, "conversations")):
        uniq = []
        for t in texts:
            if t and t not in seen:
                seen.add(t)
                uniq.append(t)
        all_real.extend(uniq)
        k = min(REAL_PER_FILE, len(uniq))
        picked = [uniq[i * len(uniq) // k] for i in range(k)]
        corpus.extend(picked)
        info["real"][name] = {"unique_texts": len(uniq), "picked": len(picked)}

    span = len(all_real) - LONG_JOIN
    for j in range(N_LONG):
        start = j * span // N_LONG
        corpus.append("\n\n".join(all_real[start:start + LONG_JOIN]))
        info["long"] += 1
    info["total"] = len(corpus)
    return corpus, info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(REPO, "..", "shared", "data"))
    ap.add_argument("--out", default=os.path.join(REPO, "Tests", "TokenizationTests", "Fixtures", "goldens"))
    args = ap.parse_args()
    data_dir = os.path.normpath(args.data)
    os.makedirs(args.out, exist_ok=True)

    corpus, info = build_corpus(data_dir)
    print(f"corpus: {info['torture']} torture + {sum(v['picked'] for v in info['real'].values())} real "
          f"+ {info['long']} long = {info['total']} texts", file=sys.stderr)

    manifest = {
        "generator": "pipelines/reference/tokenizer_goldens.py",
        "python": sys.version.split()[0],
        "tokenizers": tokenizers.__version__,
        "corpus": info,
        "files": {},
    }
    for name, rel in TOKENIZERS:
        tok = Tokenizer.from_file(os.path.join(data_dir, rel))
        lines = []
        n_fail = 0
        for text in corpus:
            ids = tok.encode(text, add_special_tokens=False).ids
            ids_special = tok.encode(text, add_special_tokens=True).ids
            decoded = tok.decode(ids, skip_special_tokens=False)
            rt = decoded == text
            n_fail += not rt
            lines.append(json.dumps({"text": text, "ids": ids, "ids_special": ids_special,
                                     "decoded": decoded, "roundtrip": rt}, ensure_ascii=False))
        data = ("\n".join(lines) + "\n").encode("utf-8")
        path = os.path.join(args.out, f"{name}.jsonl")
        with open(path, "wb") as f:
            f.write(data)
        manifest["files"][f"{name}.jsonl"] = {
            "tokenizer_json": rel, "lines": len(lines), "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "roundtrip_failures": n_fail,
            "tokenizer_json_sha256": hashlib.sha256(open(os.path.join(data_dir, rel), "rb").read()).hexdigest(),
        }
        print(f"{name}: {len(lines)} lines, {len(data)/1e6:.2f} MB, {n_fail} not round-tripping", file=sys.stderr)
    with open(os.path.join(args.out, "corpus_manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()

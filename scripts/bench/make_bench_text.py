#!/usr/bin/env python3
"""Deterministic benchmark text for tokenizer throughput: JSONL, one ``{"text": ...}`` document per line.

Built from every message string of ``../shared/data/conversations`` (same extraction as
``pipelines/reference/tokenizer_goldens.py``) plus the multilingual / emoji / math lines of
``pipelines/reference/torture_corpus.jsonl``:

* texts are cut into paragraphs (on blank lines); paragraphs that look like code (``` fences, indentation, braces,
  JSON) are kept whole, prose paragraphs are also cut into sentences;
* each document gets a target size drawn log-uniformly from 1–8 KiB (UTF-8 bytes) and is filled with a seeded mix
  of: whole paragraphs (55%), new paragraphs made of 2–6 sentences drawn from anywhere in the pool (30%),
  code/JSON paragraphs (10%), a multilingual line from the torture corpus (4%), a line of numbers (1%);
  paragraphs are joined with ``"\\n\\n"`` (sometimes ``"\\n"``);
* the torture lines used exclude C0 control characters and anything containing ``<`` (so no special-token
  strings: HF ``encode`` and tiktoken ``encode_ordinary`` must agree on every line).

Output is byte-for-byte reproducible for a given ``--seed`` / ``--size-mb`` / input data.

Usage (from the repository root):
    /work/pyref/bin/python scripts/bench/make_bench_text.py OUT.jsonl [--size-mb 64] [--seed 1234]
``--size-mb`` is MiB of UTF-8 text (JSON escaping makes the file a little larger).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "pipelines", "reference"))
from tokenizer_goldens import load_conversation_texts  # noqa: E402

SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
CODE_HINT = re.compile(r"```|^\s{4,}\S|[{};]\s*$|^\s*[\[{]|=>|\bdef |\bfunction |\breturn\b|</?\w+>", re.M)
CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85]")


def build_pools(data_dir: str):
    texts = []
    seen = set()
    for _, ts in load_conversation_texts(os.path.join(data_dir, "conversations")):
        for t in ts:
            if t and t not in seen:
                seen.add(t)
                texts.append(t)
    paragraphs, code, sentences = [], [], []
    for t in texts:
        for p in re.split(r"\n\s*\n", t):
            p = p.strip("\n")
            if not p.strip():
                continue
            if CODE_HINT.search(p):
                code.append(p)
            else:
                paragraphs.append(p)
                sentences.extend(s for s in SENT_SPLIT.split(p) if s.strip())
    with open(os.path.join(REPO, "pipelines", "reference", "torture_corpus.jsonl"), encoding="utf-8") as f:
        torture = [json.loads(l)["text"] for l in f.read().split("\n") if l]
    multi = [t.strip() for t in torture
             if t.strip() and "<" not in t and not CTRL.search(t)
             and any(ord(c) > 0x2FF for c in t) and len(t) < 400]
    return paragraphs, code, sentences, multi


def numbers_line(rng: random.Random) -> str:
    kinds = [
        lambda: f"{rng.randint(0, 10**rng.randint(1, 9)):,}",
        lambda: f"{rng.uniform(-1000, 1000):.{rng.randint(1, 6)}f}",
        lambda: f"{rng.randint(1900, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        lambda: f"{rng.randint(0, 100)}%",
        lambda: f"${rng.randint(1, 9999)}.{rng.randint(0, 99):02d}",
        lambda: str(rng.randint(0, 10**rng.randint(1, 18))),
    ]
    return " ".join(rng.choice(kinds)() for _ in range(rng.randint(4, 16)))


def make_document(rng: random.Random, pools) -> str:
    paragraphs, code, sentences, multi = pools
    target = int(math.exp(rng.uniform(math.log(1024), math.log(8192))))
    parts: list[str] = []
    size = 0
    while size < target:
        r = rng.random()
        if r < 0.55:
            p = rng.choice(paragraphs)
        elif r < 0.85:
            p = " ".join(rng.choice(sentences) for _ in range(rng.randint(2, 6)))
        elif r < 0.95:
            p = rng.choice(code)
        elif r < 0.99:
            p = rng.choice(multi)
        else:
            p = numbers_line(rng)
        if parts and size + len(p.encode("utf-8")) > 8192 * 1.25:
            break
        parts.append(p)
        size += len(p.encode("utf-8")) + 2
    out = parts[0]
    for p in parts[1:]:
        out += ("\n" if rng.random() < 0.1 else "\n\n") + p
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--size-mb", type=float, default=64.0, help="MiB of UTF-8 text to write (default 64)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--data", default=os.path.join(REPO, "..", "shared", "data"))
    args = ap.parse_args()
    pools = build_pools(os.path.normpath(args.data))
    rng = random.Random(args.seed)
    goal = int(args.size_mb * 1024 * 1024)
    total = docs = 0
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        while total < goal:
            d = make_document(rng, pools)
            f.write(json.dumps({"text": d}, ensure_ascii=False) + "\n")
            total += len(d.encode("utf-8"))
            docs += 1
    print(f"wrote {docs} documents, {total} UTF-8 bytes of text ({total / 2**20:.1f} MiB) to {args.out}; "
          f"pools: {len(pools[0])} paragraphs, {len(pools[2])} sentences, {len(pools[1])} code, "
          f"{len(pools[3])} multilingual", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes a large, deterministic ShareGPT JSONL corpus for the tokenize-stage benchmark.

    python3 scripts/bench/make_bench_conversations.py OUT.jsonl [--mb 100] [--seed 1] [--data ../shared/data]

Every line is ``{"id": "bench-<n>", "conversations": [{"from": "human", "value": ...}, {"from": "gpt", ...}, ...]}``
with 1 to 4 (human, gpt) pairs (uniform), each pair drawn (seeded ``random.Random``) from the turn pairs of the
shared conversation files:

* MT-bench ``messages`` (user/assistant pairs), LLaMA-Factory KTO ``messages`` (user/assistant pairs);
* ShareGPT files (LLaMA-Factory DPO, glaive tool-call, FastChat dummy): every adjacent human -> gpt pair
  (tool-call and observation turns are never part of a pair); DPO also contributes its last human turn with the
  ``chosen`` answer;
* LLaMA-Factory Alpaca: ``instruction`` (plus ``"\\n\\n" + input`` when non-empty) -> ``output``.

So every conversation alternates human/gpt starting with human and ends with gpt: the EAGLE-3 reference accepts
all of them (some render to more than 2048 tokens and are dropped by the length rule, as in real data).  Lines
are written until the file holds at least ``--mb`` MiB (1 MiB = 1,048,576 bytes, so also >= that many MB).
JSON is compact with ``ensure_ascii=False``; same arguments and data give identical bytes.  The output is
generated data derived from the shared files: never commit it.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DATA = os.path.join(os.path.dirname(REPO), "shared", "data")


def _load(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if text.lstrip().startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.split("\n") if line.strip()]


def _message_pairs(messages: list[dict]) -> list[tuple[str, str]]:
    out = []
    for a, b in zip(messages, messages[1:]):
        if a.get("role") == "user" and b.get("role") == "assistant" \
                and isinstance(a.get("content"), str) and isinstance(b.get("content"), str):
            out.append((a["content"], b["content"]))
    return out


def _sharegpt_pairs(conv: list[dict]) -> list[tuple[str, str]]:
    out = []
    for a, b in zip(conv, conv[1:]):
        if a.get("from") == "human" and b.get("from") == "gpt":
            out.append((a["value"], b["value"]))
    return out


def turn_pairs(data: str) -> list[tuple[str, str]]:
    """All (human text, gpt text) pairs, files in a fixed order, records and turns in file order."""
    conv = os.path.join(data, "conversations")
    pairs: list[tuple[str, str]] = []
    for r in _load(os.path.join(conv, "mt_bench_llama2chat70b.messages.jsonl")):
        pairs += _message_pairs(r["messages"])
    for r in _load(os.path.join(conv, "llamafactory_kto_en_demo.json")):
        pairs += _message_pairs(r["messages"])
    for r in _load(os.path.join(conv, "llamafactory_dpo_en_demo.json")):
        pairs += _sharegpt_pairs(r["conversations"] + [r["chosen"]])
    for name in ("llamafactory_glaive_toolcall_en_demo.json", "fastchat_dummy_conversation.sharegpt.json"):
        for r in _load(os.path.join(conv, name)):
            pairs += _sharegpt_pairs(r["conversations"])
    for r in _load(os.path.join(conv, "llamafactory_alpaca_en_demo.json")):
        prompt = r["instruction"] + ("\n\n" + r["input"] if r.get("input") else "")
        pairs.append((prompt, r["output"]))
    return pairs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="deterministic ShareGPT JSONL benchmark corpus")
    ap.add_argument("out")
    ap.add_argument("--mb", type=float, default=100.0, help="minimum size in MiB (default 100)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default=DEFAULT_DATA)
    args = ap.parse_args(argv)

    pairs = turn_pairs(args.data)
    rng = random.Random(args.seed)
    target = int(args.mb * 1024 * 1024)
    written = n = 0
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        while written < target:
            n += 1
            conversation = []
            for _ in range(rng.randint(1, 4)):
                human, gpt = pairs[rng.randrange(len(pairs))]
                conversation += [{"from": "human", "value": human}, {"from": "gpt", "value": gpt}]
            line = json.dumps({"id": f"bench-{n:07d}", "conversations": conversation}, ensure_ascii=False,
                              separators=(",", ":")) + "\n"
            data = line.encode("utf-8")
            f.write(data)
            written += len(data)
    os.replace(tmp, args.out)
    print(json.dumps({"out": args.out, "conversations": n, "bytes": written, "pairs_pool": len(pairs),
                      "seed": args.seed}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

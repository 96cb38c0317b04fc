#!/usr/bin/env python3
"""Realistic ids + loss masks for the draft-vocabulary tests, and the reference d2t/t2d they must reproduce.

What it does
------------
1. Reads the MT-bench and LLaMA-Factory conversations of the shared data (``../shared/data/conversations``), in
   this order, every record in file order:
       mt_bench_llama2chat70b.messages.jsonl   OpenAI messages              (80 two-turn conversations)
       llamafactory_alpaca_en_demo.json        Alpaca: user = instruction + ("\\n" + input if input), assistant = output
       llamafactory_dpo_en_demo.json           ShareGPT conversations + the ``chosen`` answer as the last gpt turn
       llamafactory_kto_en_demo.json           OpenAI messages
   (``llamafactory_glaive_toolcall_en_demo.json`` is left out: its function_call/observation roles are rejected
   by the reference's role rules, SPEC §2.)
2. Builds each sample as SPEC §2-§3 describe, with the reference's setup: the fixed 508-character system prompt
   prepended, the Llama-3.1-8B-Instruct chat template (``chat-templates/meta-llama-Llama-3.1-8B-Instruct.jinja``,
   whose pinned ``date_string`` default "26 Jul 2024" makes the render clock-free) over the Llama-3.2 tokenizer
   (``tokenizers/llama-3.2/tokenizer.json``, the same 128,256-id vocabulary), ``apply_chat_template(...,
   tokenize=False, add_generation_prompt=False)``, encoded with ``add_special_tokens=False``; role rules (drop a
   leading non-user message once, then strict user/assistant alternation, else the record is rejected); records
   with ``L > 2048`` dropped.  Assistant spans come from prefix renders (``add_generation_prompt=True``, must be a
   token prefix) and the first ``<|eot_id|>`` (128009) after each; masks by SPEC §3's table in both modes:
   ``reference`` (final-turn and user-ending quirks) and ``assistant`` (``[s_j - 1, e_j - 1]`` for every turn).
   ``pipelines/reference/mask_reference.py`` is the independent oracle for these masks (parity item P2); this
   script only needs realistic inputs and follows the same table.
3. Writes ``Tests/DraftVocabularyTests/Fixtures/``:
   * ``samples.jsonl.zst`` (``zstd -19``): one line per kept sample, in dataset order:
     ``{"source": "<file>:<record>", "ids": [...], "loss_mask": [...], "loss_mask_assistant": [...]}``
     (``loss_mask`` is the reference mode; one file holds both masks so the ids are stored once);
   * for each mask mode and each chosen size: ``expected-<mode>-<size>.safetensors`` from
     ``vocab_reference.py`` (the reference procedure: Counter in file order, ``most_common``, sorted, d2t, t2d);
   * ``fixtures.json``: inputs (sha256), package versions, counts, the chosen sizes and why (the tie at the cut).
4. Chooses the sizes: for each mode and each start in ``SEARCH_FROM`` (1000, 8000), the smallest size >= start where the cut falls inside a run of equal counts
   and first-occurrence order picks a different set than ascending-id order (Speculators' tie-break) would, so
   the tie-break is exercised, not just present.  Also 32,000 would exceed the distinct count here (that case is
   a Swift test of its own: the error naming the count).

Usage (repository root):
    /work/pyref/bin/python pipelines/reference/vocab/make_vocab_fixtures.py [--data ../shared/data]
Deterministic: no randomness, no clock; same inputs and package versions give identical bytes.
Pinned: transformers 5.24.0, tokenizers 0.23.3, safetensors 0.8.0, numpy 2.4.6 (pipelines/reference/requirements.txt),
zstd CLI 1.5.x.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, HERE)
import vocab_common as common  # noqa: E402

sys.path.insert(0, os.path.dirname(HERE))
import vocab_reference  # noqa: E402

DEFAULT_DATA = os.path.join(os.path.dirname(REPO), "shared", "data")
OUT = os.path.join(REPO, "Tests", "DraftVocabularyTests", "Fixtures")

SYSTEM_PROMPT = (
    "You are a helpful, respectful and honest assistant. Always answer as helpfully as possible, while being safe."
    "  Your answers should not include any harmful, unethical, racist, sexist, toxic, dangerous, or illegal content."
    " Please ensure that your responses are socially unbiased and positive in nature.\n\nIf a question does not make"
    " any sense, or is not factually coherent, explain why instead of answering something not correct. If you don't"
    " know the answer to a question, please don't share false information."
)
assert hashlib.sha256(SYSTEM_PROMPT.encode()).hexdigest() == \
    "d52c188a3c969c4ece4e68846b15aaf27ef75639b76c08bdd71f062e52c7b9fc"
EOT = 128009
MAX_LEN = 2048
TARGET_VOCAB = 128256
#: Sizes are searched upwards from these: one cut among frequent tokens, one deep in the long tail of rare ones.
SEARCH_FROM = (1000, 8000)


class Rejected(Exception):
    pass


def load_tokenizer(data: str):
    from transformers import PreTrainedTokenizerFast
    tok = PreTrainedTokenizerFast(tokenizer_file=os.path.join(data, "tokenizers", "llama-3.2", "tokenizer.json"),
                                  bos_token="<|begin_of_text|>", eos_token="<|eot_id|>")
    with open(os.path.join(data, "chat-templates", "meta-llama-Llama-3.1-8B-Instruct.jinja"), encoding="utf-8") as f:
        tok.chat_template = f.read()
    return tok


def render(tok, messages, generation_prompt=False) -> str:
    text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)
    if "Today Date: 26 Jul 2024\n" not in text:
        raise RuntimeError("the template did not render the pinned date")
    return text


def encode(tok, text: str) -> list[int]:
    return list(tok(text, add_special_tokens=False).input_ids)


# --- records -> (role, content) lists ---------------------------------------------------------------------------

def from_messages(r):
    return [(m["role"], m["content"]) for m in r["messages"]]


def from_alpaca(r):
    user = r["instruction"] + ("\n" + r["input"] if r.get("input") else "")
    return [("user", user), ("assistant", r["output"])]


def from_dpo(r):
    names = {"human": "user", "gpt": "assistant"}
    turns = list(r["conversations"]) + [r["chosen"]]
    return [(names.get(t["from"], t["from"]), t["value"]) for t in turns]


INPUTS = [
    ("mt_bench_llama2chat70b.messages.jsonl", from_messages),
    ("llamafactory_alpaca_en_demo.json", from_alpaca),
    ("llamafactory_dpo_en_demo.json", from_dpo),
    ("llamafactory_kto_en_demo.json", from_messages),
]


def read_records(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        if path.endswith(".jsonl"):
            return [json.loads(line) for line in f if line.strip()]
        return json.load(f)


def role_rules(turns):
    """SPEC §2: empty -> reject; drop a leading non-user message once; then strict user/assistant alternation."""
    if not turns:
        raise Rejected("empty")
    if turns[0][0] != "user":
        turns = turns[1:]
    if not turns:
        raise Rejected("empty after dropping the first message")
    for j, (role, _) in enumerate(turns):
        if role != ("user", "assistant")[j % 2]:
            raise Rejected(f"message {j} is {role!r}")
    return [{"role": "system", "content": SYSTEM_PROMPT}] + [{"role": r, "content": c} for r, c in turns]


def build_sample(tok, turns):
    """ids and both masks of one record, or None when dropped for length; Rejected for role-rule failures."""
    messages = role_rules(turns)
    ids = encode(tok, render(tok, messages))
    if len(ids) > MAX_LEN:
        return None
    spans = []
    for m, msg in enumerate(messages):
        if msg["role"] != "assistant":
            continue
        prefix = encode(tok, render(tok, messages[:m], generation_prompt=True))
        if ids[:len(prefix)] != prefix:
            raise Rejected(f"render before message {m} is not a token prefix")
        s = len(prefix)
        spans.append((s, ids.index(EOT, s) - 1))
    L = len(ids)
    ends_with_assistant = messages[-1]["role"] == "assistant"
    ref = [0] * L
    asst = [0] * L
    for j, (s, e) in enumerate(spans):
        final = j == len(spans) - 1
        hi = (L - 1 if ends_with_assistant else e + 2) if final else e - 1
        for t in range(max(s - 1, 0), min(hi, L - 1) + 1):
            ref[t] = 1
        for t in range(max(s - 1, 0), min(e - 1, L - 1) + 1):
            asst[t] = 1
    return ids, ref, asst


# --- choosing sizes with a tie at the cut ---------------------------------------------------------------------

def tie_size(samples, mask_key: str, start: int = 1000) -> tuple[int, dict]:
    """Smallest N >= start where the N-th and (N+1)-th of most_common have equal counts and the top-N set under
    (count desc, first occurrence) differs from the set under (count desc, id asc)."""
    counter = vocab_reference.count_tokens(({"ids": s["ids"], "loss_mask": s[mask_key]} for s in samples), "loss_mask")
    ranked = counter.most_common()
    by_id = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    for n in range(start, len(ranked)):
        if ranked[n - 1][1] != ranked[n][1]:
            continue
        if {k for k, _ in ranked[:n]} != {k for k, _ in by_id[:n]}:
            c = ranked[n - 1][1]
            run = [k for k, v in ranked if v == c]
            inside = sum(1 for k, _ in ranked[:n] if counter[k] == c)
            return n, {"size": n, "count_at_cut": c, "tokens_with_that_count": len(run),
                       "of_which_chosen": inside, "distinct": len(ranked),
                       "note": "ties at the cut: first-occurrence order and ascending-id order choose different sets"}
    raise SystemExit(f"no size >= {start} puts a decisive tie at the cut for {mask_key}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    tok = load_tokenizer(args.data)

    samples, counts, inputs = [], {}, []
    for name, convert in INPUTS:
        path = os.path.join(args.data, "conversations", name)
        inputs.append({"file": name, "sha256": common.sha256_file(path)})
        c = {"records": 0, "kept": 0, "rejected": 0, "too_long": 0}
        for k, record in enumerate(read_records(path)):
            c["records"] += 1
            try:
                built = build_sample(tok, convert(record))
            except Rejected:
                c["rejected"] += 1
                continue
            if built is None:
                c["too_long"] += 1
                continue
            ids, ref, asst = built
            samples.append({"source": f"{name}:{k}", "ids": ids, "loss_mask": ref, "loss_mask_assistant": asst})
            c["kept"] += 1
        counts[name] = c
        print(f"{name}: {c}", file=sys.stderr)

    samples_path = os.path.join(args.out, "samples.jsonl.zst")
    common.write_jsonl_zst(samples_path, samples)

    expected = []
    sizes = {}
    for mode, key in (("reference", "loss_mask"), ("assistant", "loss_mask_assistant")):
        sizes[mode] = []
        for start in SEARCH_FROM:
            n, why = tie_size(samples, key, start)
            sizes[mode].append(why)
            out = os.path.join(args.out, f"expected-{mode}-{n}.safetensors")
            vocab_reference.main(["--samples", samples_path, "--mask-key", key, "--size", str(n),
                                  "--target-vocab-size", str(TARGET_VOCAB), "--out", out])
            expected.append({"mode": mode, "mask_key": key, "size": n, "file": os.path.basename(out),
                             "sha256": common.sha256_file(out)})

    import numpy, safetensors, tokenizers, transformers
    manifest = {
        "generator": "pipelines/reference/vocab/make_vocab_fixtures.py",
        "tokenizer": "tokenizers/llama-3.2/tokenizer.json",
        "tokenizer_sha256": common.sha256_file(os.path.join(args.data, "tokenizers", "llama-3.2", "tokenizer.json")),
        "chat_template": "chat-templates/meta-llama-Llama-3.1-8B-Instruct.jinja",
        "target_vocab_size": TARGET_VOCAB,
        "inputs": inputs,
        "counts": counts,
        "samples": len(samples),
        "tokens": sum(len(s["ids"]) for s in samples),
        "supervised_reference": sum(sum(s["loss_mask"]) for s in samples),
        "supervised_assistant": sum(sum(s["loss_mask_assistant"]) for s in samples),
        "samples_file": {"file": "samples.jsonl.zst", "sha256": common.sha256_file(samples_path)},
        "sizes": sizes,
        "expected": expected,
        "versions": {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                     "safetensors": safetensors.__version__, "numpy": numpy.__version__,
                     "zstd": common.zstd_version()},
    }
    with open(os.path.join(args.out, "fixtures.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(json.dumps({k: manifest[k] for k in ("samples", "tokens", "supervised_reference", "supervised_assistant", "sizes")},
                     indent=1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

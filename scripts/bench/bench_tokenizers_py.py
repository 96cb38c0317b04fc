#!/usr/bin/env python3
"""Encode throughput of HF `tokenizers` (and optionally `tiktoken`) on a JSONL text file — the Python baseline for
the Swift tokenizer benchmarks.

Usage (from the repository root):
    /work/pyref/bin/python scripts/bench/bench_tokenizers_py.py --text FILE.jsonl \
        --tokenizer ../shared/data/tokenizers/llama-3.2/tokenizer.json --threads 1|2 [--tiktoken] \
        [--runs 3] [--only hf|tiktoken] [--dump-ids IDS.jsonl --dump-n 2000] [--check-n 2000]

Input: JSONL with one ``{"text": ...}`` per line (``make_bench_text.py``).  Texts are loaded into memory first;
loading is not timed.

What is timed (1 warm-up run, then ``--runs`` timed runs, median reported):
* ``hf-tokenizers``: ``Tokenizer.encode_batch(chunk, add_special_tokens=False)`` over chunks of 512 lines (the
  Encoding objects of a chunk are dropped before the next, to bound memory).  Threads are controlled through the
  Rayon pool: this script sets ``RAYON_NUM_THREADS=<threads>`` and ``TOKENIZERS_PARALLELISM=true`` *before*
  importing `tokenizers`, so ``--threads 1`` is encode_batch on a 1-thread pool (not per-line ``encode``), and
  ``--threads 2`` is encode_batch on a 2-thread pool.
* ``tiktoken`` (``--tiktoken``): an ``Encoding`` built from the same tokenizer.json — mergeable ranks = the
  byte-level vocab decoded to bytes with rank = token id, the pattern of the tokenizer.json's ``Split``
  pre-tokenizer (for Llama-3: ``(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|
  ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+``), and the added tokens as special tokens.  Only valid
  for byte-level BPE whose ids are tiktoken ranks (Llama-3: ``ignore_merges: true``).  ``--threads 1`` calls
  ``encode_ordinary`` per line; ``--threads n>1`` calls ``encode_ordinary_batch(lines, num_threads=n)``.
  Before timing, the ids of the first ``--check-n`` lines are compared with HF's and the mismatch count printed.

MB/s = UTF-8 bytes of the input texts / 1e6 / seconds.  ``peak_rss_mb`` is ``getrusage(RUSAGE_SELF).ru_maxrss``
(MiB) read after each measurement: it is the high-water mark of the whole process so far (the loaded texts
included; after HF it also includes HF's peak) — use ``--only`` for a per-implementation figure (``--only
tiktoken --check-n 0`` without ``--dump-ids`` does not load the HF tokenizer at all).

Output: one JSON object per measurement on stdout:
    {"impl": "hf-tokenizers"|"tiktoken", "threads": n, "mb_per_s": median, "runs": [...], "bytes": N,
     "tokens": T, "peak_rss_mb": ...}
(tiktoken adds "mismatch_lines_vs_hf" and "checked_lines").  ``--dump-ids FILE`` writes HF's ids (no special
tokens added) for the first ``--dump-n`` lines as JSONL ``{"ids": [...]}``, line i for input line i.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--text", required=True)
    ap.add_argument("--tokenizer", required=True, help="tokenizer.json")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--tiktoken", action="store_true", help="also measure tiktoken")
    ap.add_argument("--only", choices=["hf", "tiktoken"], help="measure only one implementation")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=512, help="lines per HF encode_batch call")
    ap.add_argument("--dump-ids", help="write HF ids of the first --dump-n lines here (JSONL {\"ids\": [...]})")
    ap.add_argument("--dump-n", type=int, default=2000)
    ap.add_argument("--check-n", type=int, default=2000)
    ap.add_argument("--max-lines", type=int, default=0, help="use only the first N lines (0 = all)")
    return ap.parse_args()


ARGS = parse_args()
# must happen before `tokenizers` creates its Rayon pool
os.environ["RAYON_NUM_THREADS"] = str(ARGS.threads)
os.environ["TOKENIZERS_PARALLELISM"] = "true"

from tokenizers import Tokenizer  # noqa: E402


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)  # Linux: KiB


def load_lines(path: str, max_lines: int) -> list[str]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line)["text"])
                if max_lines and len(out) >= max_lines:
                    break
    return out


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte <-> printable-unicode map used by ByteLevel BPE vocabularies."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def tiktoken_encoding(tokenizer_json: str):
    import tiktoken
    with open(tokenizer_json, encoding="utf-8") as f:
        tj = json.load(f)
    dec = {u: b for b, u in bytes_to_unicode().items()}
    ranks = {bytes(dec[c] for c in tok): i for tok, i in tj["model"]["vocab"].items()}
    pat = None
    pre = tj.get("pre_tokenizer") or {}
    for p in pre.get("pretokenizers", [pre]):
        if p.get("type") == "Split" and "Regex" in p.get("pattern", {}):
            pat = p["pattern"]["Regex"]
            break
    if pat is None:
        raise SystemExit("tokenizer.json has no Split regex pre-tokenizer; cannot build a tiktoken Encoding")
    if not tj["model"].get("ignore_merges", False):
        print("warning: model.ignore_merges is false; tiktoken (rank = id) may differ from HF", file=sys.stderr)
    specials = {a["content"]: a["id"] for a in tj["added_tokens"]}
    return tiktoken.Encoding(name=os.path.basename(os.path.dirname(os.path.abspath(tokenizer_json))) or "tok",
                             pat_str=pat, mergeable_ranks=ranks, special_tokens=specials)


def time_runs(fn, runs: int) -> tuple[list[float], int]:
    fn()  # warm-up
    times, tokens = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        tokens = fn()
        times.append(time.perf_counter() - t0)
    return times, tokens


def main() -> None:
    lines = load_lines(ARGS.text, ARGS.max_lines)
    nbytes = sum(len(t.encode("utf-8")) for t in lines)
    print(f"loaded {len(lines)} lines, {nbytes} bytes; threads={ARGS.threads}", file=sys.stderr)
    need_hf = ARGS.only != "tiktoken" or ARGS.check_n > 0 or ARGS.dump_ids
    hf = Tokenizer.from_file(ARGS.tokenizer) if need_hf else None
    head_n = max(ARGS.check_n, ARGS.dump_n if ARGS.dump_ids else 0)
    hf_head = [e.ids for e in hf.encode_batch(lines[:head_n], add_special_tokens=False)] if hf else []

    if ARGS.dump_ids:
        with open(ARGS.dump_ids, "w", encoding="utf-8") as f:
            for ids in hf_head[:ARGS.dump_n]:
                f.write(json.dumps({"ids": ids}) + "\n")

    def report(impl: str, times: list[float], tokens: int, **extra):
        mbps = [round(nbytes / 1e6 / t, 3) for t in times]
        rec = {"impl": impl, "threads": ARGS.threads, "mb_per_s": round(statistics.median(mbps), 3), "runs": mbps,
               "bytes": nbytes, "tokens": tokens, "peak_rss_mb": peak_rss_mb(), **extra}
        print(json.dumps(rec), flush=True)

    if ARGS.only in (None, "hf"):
        chunk = ARGS.chunk

        def run_hf() -> int:
            n = 0
            for i in range(0, len(lines), chunk):
                for e in hf.encode_batch(lines[i:i + chunk], add_special_tokens=False):
                    n += len(e.ids)
            return n

        times, tokens = time_runs(run_hf, ARGS.runs)
        report("hf-tokenizers", times, tokens)

    if ARGS.tiktoken or ARGS.only == "tiktoken":
        enc = tiktoken_encoding(ARGS.tokenizer)
        check = lines[:ARGS.check_n] if hf else []
        tk_head = [enc.encode_ordinary(t) for t in check]
        mism = sum(1 for a, b in zip(tk_head, hf_head) if a != b)
        print(f"tiktoken vs hf-tokenizers: {mism} mismatching lines of {len(check)}", file=sys.stderr)

        if ARGS.threads <= 1:
            def run_tk() -> int:
                return sum(len(enc.encode_ordinary(t)) for t in lines)
        else:
            def run_tk() -> int:
                return sum(len(x) for x in enc.encode_ordinary_batch(lines, num_threads=ARGS.threads))

        times, tokens = time_runs(run_tk, ARGS.runs)
        report("tiktoken", times, tokens, mismatch_lines_vs_hf=mism, checked_lines=len(check))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Tokenize-stage benchmark, Python side: the path EAGLE-3 and SpecForge take with transformers.

    /work/pyref/bin/python scripts/bench/bench_tokenize_py.py --input FILE... --tokenizer-dir DIR --template FILE
        [--limit-mb N] [--threads 1] [--runs 3] [--mask reference|none] [--loader file|auto] [--dump OUT.jsonl]

Per conversation, exactly the EAGLE-3 reference's preprocessing (``pipelines/reference/mask_reference.py``,
which mirrors ``eagle/traineagle3/main.py``): role rules and the fixed system prompt, then
``tokenizer.apply_chat_template(messages, tokenize=False)``, ``tokenizer(text, add_special_tokens=False)``, the
2048-token length rule and the reference's string-split loss mask (two more tokenizer calls per user turn).
The only deviation: the mask is a Python list, not a torch tensor (upstream's ``torch.ones_like`` / slice
assignments), which if anything makes this side faster.

Input: JSONL or JSON-array files of ShareGPT (``conversations``; a DPO ``chosen`` answer is appended as a gpt
turn) or OpenAI ``messages`` records (user -> human, assistant -> gpt), e.g. the output of
``make_bench_conversations.py``.  ``--limit-mb N`` uses only the first records whose input bytes add up to
N MiB (a record's bytes: its JSONL line with the newline, or its exact text span inside a JSON array).

Timed: from reading the files to the last mask, everything in between (file read, JSON parse, template render,
encode, mask); the tokenizer is loaded before the clock starts.  ``--runs`` (default 3) timed runs; each prints
one JSON object; a final ``"summary"`` object gives the median conversations/s and MB/s (MB = 10^6 bytes of
input JSON) and the peak RSS (max of this process and any worker processes, ``getrusage``).  ``--threads N``
> 1 runs N worker processes (the GIL rules out threads; EAGLE uses ``datasets.map(num_proc=8)``), chunks in
order; N = 1 runs inline.  Tokenizers' own thread pool is disabled (``RAYON_NUM_THREADS=1``,
``TOKENIZERS_PARALLELISM=false``).

Tokenizer: ``PreTrainedTokenizerFast(tokenizer_file=DIR/tokenizer.json)`` with the special tokens of
``DIR/tokenizer_config.json`` and the ``--template`` file as chat template, so the ids are exactly those of the
``tokenizer.json`` (transformers 5's ``AutoTokenizer`` rebuilds some tokenizer classes, e.g. GPT2Tokenizer and
LlamaTokenizer, and then tokenizes differently; for Llama-3 the two agree).  ``--loader auto`` uses
``AutoTokenizer`` instead.

``--dump OUT.jsonl`` (after the timed runs, untimed) writes one line per record in input order —
``{"file": i, "line": n, "ids": [...], "loss_mask": [...]}`` or ``"rejected"``/``"dropped"`` instead — to diff
against the Swift output.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "pipelines", "reference"))

import mask_reference as ref  # noqa: E402


# --- input ----------------------------------------------------------------------------------------------------

def iter_raw_records(paths: list[str], limit_bytes: int | None):
    """Yields ``(file_index, line, raw_text, nbytes)`` in input order until ``limit_bytes`` is reached."""
    total = 0
    decoder = json.JSONDecoder()
    for fi, path in enumerate(paths):
        with open(path, "rb") as f:
            blob = f.read()
        text = blob.decode("utf-8")
        stripped = text.lstrip()
        if stripped.startswith("["):
            pos = len(text) - len(stripped) + 1
            n = 0
            while True:
                while pos < len(text) and text[pos] in " \t\r\n,":
                    pos += 1
                if pos >= len(text) or text[pos] == "]":
                    break
                _, end = decoder.raw_decode(text, pos)
                raw = text[pos:end]
                n += 1
                nbytes = len(raw.encode("utf-8"))
                yield fi, n, raw, nbytes
                total += nbytes
                if limit_bytes is not None and total >= limit_bytes:
                    return
                pos = end
        else:
            for i, line in enumerate(text.split("\n")):
                if not line.strip():
                    continue
                nbytes = len(line.encode("utf-8")) + 1
                yield fi, i + 1, line, nbytes
                total += nbytes
                if limit_bytes is not None and total >= limit_bytes:
                    return


def to_sharegpt(record: dict) -> list[dict]:
    if "conversations" in record:
        conv = list(record["conversations"] or [])
        if isinstance(record.get("chosen"), dict):
            conv.append(record["chosen"])
        return conv
    names = {"user": "human", "assistant": "gpt"}
    return [{"from": names.get(m.get("role"), m.get("role")), "value": m.get("content")}
            for m in record.get("messages") or []]


# --- the Python path --------------------------------------------------------------------------------------------

_TOKENIZER = None


def load(tokenizer_dir: str, template_path: str, loader: str):
    with open(template_path, encoding="utf-8") as f:
        template = f.read()
    if loader == "auto":
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(tokenizer_dir)
        tok.chat_template = template
        return tok
    config = {}
    cfg_path = os.path.join(tokenizer_dir, "tokenizer_config.json")
    if os.path.exists(cfg_path):
        with open(cfg_path, encoding="utf-8") as f:
            config = json.load(f)

    def special(name):
        v = config.get(name)
        return v.get("content") if isinstance(v, dict) else v

    return ref.load_tokenizer(os.path.join(tokenizer_dir, "tokenizer.json"), template, bos=special("bos_token"),
                              eos=special("eos_token"), unk=special("unk_token"), pad=special("pad_token"))


MASK = "reference"


def process(tok, raw: str) -> ref.Sample:
    """One record: parse, role rules + system prompt, render, encode, length rule, reference mask (``--mask
    none``: no mask, to see the cost of render + encode alone)."""
    source = to_sharegpt(json.loads(raw))
    try:
        messages = ref.reference_messages(source)
        text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)
        ids = tok(text, add_special_tokens=False).input_ids
        if ref.too_long(ids):
            return ref.Sample(dropped_length=len(ids))
        if MASK == "none":
            return ref.Sample(ids=ids, loss_mask=[])
        return ref.Sample(ids=ids, loss_mask=ref.reference_loss_mask(tok, text, len(ids)))
    except ref.Rejected as r:
        return ref.Sample(rejected=r)


def _worker_init(tokenizer_dir, template, loader, mask):
    global _TOKENIZER, MASK
    _TOKENIZER = load(tokenizer_dir, template, loader)
    MASK = mask


def _worker_chunk(raws: list[str]) -> tuple[int, int, int, int]:
    kept = rejected = dropped = tokens = 0
    for raw in raws:
        s = process(_TOKENIZER, raw)
        if s.ids is not None:
            kept += 1
            tokens += len(s.ids)
        elif s.rejected is not None:
            rejected += 1
        else:
            dropped += 1
    return kept, rejected, dropped, tokens


def _chunks(it, size):
    buf, nbytes = [], 0
    for _, _, raw, nb in it:
        buf.append(raw)
        nbytes += nb
        if len(buf) == size:
            yield buf, nbytes
            buf, nbytes = [], 0
    if buf:
        yield buf, nbytes


def timed_run(args, tok, pool) -> dict:
    limit = int(args.limit_mb * 1024 * 1024) if args.limit_mb else None
    kept = rejected = dropped = tokens = n = nbytes = 0
    t0 = time.perf_counter()
    if pool is None:
        for _, _, raw, nb in iter_raw_records(args.input, limit):
            s = process(tok, raw)
            n += 1
            nbytes += nb
            if s.ids is not None:
                kept += 1
                tokens += len(s.ids)
            elif s.rejected is not None:
                rejected += 1
            else:
                dropped += 1
    else:
        sizes = []

        def feed():
            for chunk, nb in _chunks(iter_raw_records(args.input, limit), args.chunk):
                sizes.append((len(chunk), nb))
                yield chunk

        for k, r, d, t in pool.imap(_worker_chunk, feed()):
            kept, rejected, dropped, tokens = kept + k, rejected + r, dropped + d, tokens + t
        n = sum(c for c, _ in sizes)
        nbytes = sum(b for _, b in sizes)
    seconds = time.perf_counter() - t0
    return {"conversations": n, "kept": kept, "rejected": rejected, "dropped_too_long": dropped, "tokens": tokens,
            "input_bytes": nbytes, "seconds": round(seconds, 4),
            "conversations_per_s": round(n / seconds, 2), "mb_per_s": round(nbytes / 1e6 / seconds, 4)}


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)  # Linux: KiB


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="EAGLE-3 tokenize path in Python (transformers), timed")
    ap.add_argument("--input", nargs="+", required=True)
    ap.add_argument("--tokenizer-dir", required=True)
    ap.add_argument("--template", required=True)
    ap.add_argument("--limit-mb", type=float, default=None, help="use only the first N MiB of input records")
    ap.add_argument("--threads", type=int, default=1, help="worker processes (1: inline)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=64, help="records per task with --threads > 1")
    ap.add_argument("--loader", choices=["file", "auto"], default="file")
    ap.add_argument("--dump", default=None, help="write ids/masks of every record (untimed) to this JSONL file")
    ap.add_argument("--mask", choices=["reference", "none"], default="reference",
                    help="none: skip the loss mask (render + encode only)")
    args = ap.parse_args(argv)
    global MASK
    MASK = args.mask

    import tokenizers
    import transformers

    tok = load(args.tokenizer_dir, args.template, args.loader)
    pool = None
    if args.threads > 1:
        import multiprocessing as mp

        pool = mp.get_context("fork").Pool(args.threads, initializer=_worker_init,
                                           initargs=(args.tokenizer_dir, args.template, args.loader, args.mask))
    common = {"bench": "tokenize_py", "threads": args.threads, "loader": args.loader,
              "tokenizer_dir": args.tokenizer_dir, "template": os.path.basename(args.template),
              "inputs": [os.path.basename(p) for p in args.input], "limit_mb": args.limit_mb, "mask": args.mask}
    runs = []
    for k in range(args.runs):
        r = timed_run(args, tok, pool)
        runs.append(r)
        print(json.dumps({**common, "run": k + 1, **r}), flush=True)
    if pool is not None:
        pool.close()
        pool.join()
    summary = {**common, "summary": True, "runs": len(runs),
               "median_conversations_per_s": statistics.median(r["conversations_per_s"] for r in runs),
               "median_mb_per_s": statistics.median(r["mb_per_s"] for r in runs),
               "median_seconds": statistics.median(r["seconds"] for r in runs),
               "each_seconds": [r["seconds"] for r in runs],
               "peak_rss_mb": peak_rss_mb(), "python": sys.version.split()[0],
               "transformers": transformers.__version__, "tokenizers": tokenizers.__version__}
    print(json.dumps(summary), flush=True)

    if args.dump:
        limit = int(args.limit_mb * 1024 * 1024) if args.limit_mb else None
        with open(args.dump, "w", encoding="utf-8") as f:
            for fi, line, raw, _ in iter_raw_records(args.input, limit):
                row = process(tok, raw).golden(line)
                f.write(json.dumps({"file": fi, **row}, ensure_ascii=False, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The EAGLE-3 reference's draft-vocabulary procedure (SPEC §4), re-implemented as the oracle for
``eagleprep vocab``.

Upstream (SafeAILab/EAGLE ``eagle/traineagle3/cnets.py``, ``Model.scandata`` and ``process_data``; described,
not copied): the training samples are split into contiguous chunks, each chunk counted by a ``Counter`` that
walks samples in order and positions ascending, adding 1 for every position with ``loss_mask == 1`` (the token
*at* the masked position); the chunk counters are merged in chunk order with ``Counter.update``, so the merged
counter's insertion order is each token's global first occurrence.  Then ``most_common(N)`` (a stable sort by
count, so ties keep insertion order), the chosen ids sorted ascending, ``d2t[i] = sorted[i] - i`` and
``t2d[v] = v in chosen`` for ``v < V``.  Chunking does not change the result, so this file uses one counter.

Differences from upstream, on purpose: fewer than N distinct tokens is an error naming the count (upstream writes
short arrays and fails later, SPEC §4); ``--all-tokens`` counts every position (a peers' option, not the
reference's).

Input: JSONL (plain or ``.zst``), one sample per line, ``{"ids": [...], "<mask key>": [...]}``, in dataset order.
Output: a safetensors file (Python ``safetensors.numpy``) holding
    d2t         int64 [N]   offsets: target id = i + d2t[i]
    t2d         bool  [V]
    top_ids     int64 [N]   most_common(N) order (count desc, first occurrence asc)
    top_counts  int64 [N]   their counts
and ``__metadata__`` {"stats": '{"size": N, "distinct": ..., "counted": ...}'} (one key: the Python library writes
several keys in random order, which would make the bytes irreproducible).

Usage:
    /work/pyref/bin/python pipelines/reference/vocab_reference.py --samples S.jsonl.zst --size N \\
        --target-vocab-size V --out expected.safetensors [--mask-key loss_mask] [--all-tokens]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from typing import Iterable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "vocab"))
import vocab_common as common  # noqa: E402


def count_tokens(samples: Iterable[dict], mask_key: str = "loss_mask", all_tokens: bool = False) -> Counter:
    """Counter over the token at every supervised position, samples in order, positions ascending."""
    counter: Counter = Counter()
    for s in samples:
        ids, mask = s["ids"], s[mask_key]
        if len(ids) != len(mask):
            raise ValueError(f"sample has {len(ids)} ids but {len(mask)} mask entries")
        for token, m in zip(ids, mask):
            if all_tokens or m == 1:
                counter[token] += 1
    return counter


def draft_vocabulary(counter: Counter, size: int, target_vocab_size: int):
    """(top, d2t, t2d): ``top`` = most_common(size); ``d2t`` offsets of the sorted ids; ``t2d`` membership."""
    if len(counter) < size:
        raise SystemExit(f"only {len(counter)} distinct tokens were counted, fewer than the draft vocabulary size {size}")
    top = counter.most_common(size)
    used = sorted(token for token, _ in top)
    if used and used[-1] >= target_vocab_size:
        raise SystemExit(f"token id {used[-1]} is outside the target vocabulary of {target_vocab_size}")
    d2t = [used[i] - i for i in range(len(used))]
    chosen = set(used)
    t2d = [v in chosen for v in range(target_vocab_size)]
    return top, d2t, t2d


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="EAGLE-3 reference draft vocabulary (d2t/t2d) from ids + masks")
    ap.add_argument("--samples", required=True, help="JSONL (.zst allowed) with ids and a loss mask per line")
    ap.add_argument("--mask-key", default="loss_mask")
    ap.add_argument("--all-tokens", action="store_true", help="count every position, not only supervised ones")
    ap.add_argument("--size", type=int, required=True, help="draft vocabulary size N")
    ap.add_argument("--target-vocab-size", type=int, required=True, help="target logit width V (length of t2d)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)

    import numpy as np
    from safetensors.numpy import save_file

    counter = count_tokens(common.read_jsonl(args.samples), args.mask_key, args.all_tokens)
    top, d2t, t2d = draft_vocabulary(counter, args.size, args.target_vocab_size)
    save_file({
        "d2t": np.array(d2t, dtype=np.int64),
        "t2d": np.array(t2d, dtype=np.bool_),
        "top_ids": np.array([t for t, _ in top], dtype=np.int64),
        "top_counts": np.array([c for _, c in top], dtype=np.int64),
    }, args.out, metadata={"stats": json.dumps({"size": args.size, "distinct": len(counter), "counted": sum(counter.values())})})
    covered = sum(c for _, c in top) / max(1, sum(counter.values()))
    print(f"{args.out}: N={args.size}, distinct {len(counter)}, coverage {covered:.4%}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

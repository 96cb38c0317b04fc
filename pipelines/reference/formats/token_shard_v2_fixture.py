#!/usr/bin/env python3
"""A token shard version 2 written by the independent Python implementation (ShardWriterV2 in
pipelines/reference/vocab/synth_token_shards.py: numpy + the `xxhash` package) for TokenShardsTests: the Swift
reader must read it sample for sample, and the Swift writer must reproduce it byte for byte.

Samples: masks that start and end supervised, all-zero, all-one, alternating, a one-token sample, an empty
sample; ids over the whole int32 range the format allows (0 … 2^31 − 1, not only vocabulary ids).

Usage: /work/pyref/bin/python pipelines/reference/formats/token_shard_v2_fixture.py
Writes Tests/TokenShardsTests/Fixtures/python-v2.eptok and python-v2.samples.json.
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "vocab"))
from synth_token_shards import ShardWriterV2  # noqa: E402

OUT = os.path.join(HERE, "..", "..", "..", "Tests", "TokenShardsTests", "Fixtures")


def main() -> int:
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.Generator(np.random.PCG64(7))
    masks = [
        [1, 1, 0, 0, 1, 0, 1, 1],
        [0] * 9,
        [1] * 5,
        [0, 1] * 6,
        [1],
        [],
        [0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1] * 10,
    ]
    samples = []
    for m in masks:
        ids = rng.integers(0, 2**31 - 1, size=len(m), dtype=np.int64)
        if len(ids) > 2:
            ids[:2] = [0, 2**31 - 1]
        samples.append((ids.astype(np.int32), np.array(m, dtype=np.uint8)))
    w = ShardWriterV2(os.path.join(OUT, "python-v2.eptok"))
    for record, (ids, mask) in enumerate(samples):
        w.append(ids, mask, record)
    w.finish()
    with open(os.path.join(OUT, "python-v2.samples.json"), "w") as f:
        json.dump([{"ids": ids.tolist(), "loss_mask": mask.tolist(), "source_line": r + 1, "record_index": r}
                   for r, (ids, mask) in enumerate(samples)], f)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

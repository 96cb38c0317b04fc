#!/usr/bin/env python3
"""Synthetic token shards for the vocab benchmark (scripts/bench-vocab.sh): a tokenize output directory with a
realistic token distribution, written in the token shard format (docs/token-shards.md) by this independent
implementation (version 2 by default: numpy columns and the `xxhash` package's XXH64; version 1 with
--version 1: libzstd through ctypes and zlib's CRC-32), plus the same ids and masks as .npy for the Python
baselines.

Distribution (fitted to the committed fixture of real Llama-3.2-tokenized MT-bench/LLaMA-Factory samples, where
count ~ rank^-1.05 over ranks 10-100 and ^-1.16 over 1k-10k, median length 354, 58% supervised):
- ids: Zipf over 128,000 ranks with exponent 1.05, ranks mapped to ids by a fixed random permutation (so the
  frequent ids are spread over the id range, as BPE ids are);
- each sample: the same 130-token "system prompt" block (mask 0), a user span (mask 0) and an assistant span
  (mask 1), lengths log-normal (median 400 tokens in all, clipped to 64..2048), about 54% of positions supervised;
- samples until at least --supervised supervised tokens; shards of --samples-per-shard samples (version 1: zstd
  level 3 per sample, as TokenShardWriter wrote version 1).
Deterministic for given arguments (numpy PCG64, seed 2025).

Usage:
    /work/pyref/bin/python pipelines/reference/vocab/synth_token_shards.py --out DIR [--supervised 100000000]
        [--samples-per-shard 4096] [--version 2]
Writes DIR/manifest.json, DIR/tokens-NNNNN.eptok, DIR/ids.npy (int32, all positions), DIR/mask.npy (uint8).
"""
from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import os
import struct
import sys
import zlib

import xxhash

import numpy as np

VOCAB = 128256
RANKS = 128000
MAGIC = b"EPTOKENS"


class Zstd:
    def __init__(self, level: int = 3):
        self.lib = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
        self.lib.ZSTD_createCCtx.restype = ctypes.c_void_p
        self.lib.ZSTD_compressBound.restype = ctypes.c_size_t
        self.lib.ZSTD_compressBound.argtypes = [ctypes.c_size_t]
        self.lib.ZSTD_compressCCtx.restype = ctypes.c_size_t
        self.lib.ZSTD_compressCCtx.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p,
                                               ctypes.c_size_t, ctypes.c_int]
        self.lib.ZSTD_isError.argtypes = [ctypes.c_size_t]
        self.cctx = self.lib.ZSTD_createCCtx()
        self.level = level
        self.buf = ctypes.create_string_buffer(1 << 16)

    def compress(self, data: bytes) -> bytes:
        bound = self.lib.ZSTD_compressBound(len(data))
        if bound > len(self.buf):
            self.buf = ctypes.create_string_buffer(bound)
        n = self.lib.ZSTD_compressCCtx(self.cctx, self.buf, len(self.buf), data, len(data), self.level)
        if self.lib.ZSTD_isError(n):
            raise RuntimeError("zstd compression failed")
        return self.buf.raw[:n]


class ShardWriterV2:
    """Token shard version 2 (docs/token-shards.md): header; the ids at supervised positions of every sample; the
    other ids; the supervised spans (u32 start, end); a 48-byte table entry per sample; metadata JSON; 64-byte footer;
    XXH64 checksums."""

    def __init__(self, path: str, zstd=None):
        self.path = path
        self.f = open(path + ".partial", "wb")
        self.f.write(MAGIC + struct.pack("<II", 2, 0))
        self.context = bytearray()
        self.spans = bytearray()
        self.table = bytearray()
        self.count = self.tokens = self.supervised = self.span_count = 0

    def append(self, ids: np.ndarray, mask: np.ndarray, record: int) -> None:
        m = np.concatenate([[0], (mask != 0).astype(np.int8), [0]])
        edges = np.flatnonzero(np.diff(m))
        spans = edges.astype("<u4").tobytes()  # start0, end0, start1, end1, ...
        ids = ids.astype("<i4")
        sup = ids[mask == 1].tobytes()
        ctx = ids[mask == 0].tobytes()
        self.f.write(sup)
        self.context += ctx
        self.spans += spans
        self.table += struct.pack("<IIIIQQQQ", len(ids), len(sup) // 4, len(edges) // 2, 0, record + 1, record,
                                  xxhash.xxh64(sup, seed=xxhash.xxh64(spans).intdigest()).intdigest(),
                                  xxhash.xxh64(ctx).intdigest())
        self.count += 1
        self.tokens += len(ids)
        self.span_count += len(edges) // 2
        self.supervised += len(sup) // 4

    def finish(self) -> dict:
        meta = json.dumps({"tokens": self.tokens, "supervised_tokens": self.supervised}, separators=(",", ":")).encode()
        self.f.write(bytes(self.context) + bytes(self.spans) + bytes(self.table) + meta)
        self.f.write(struct.pack("<QQQQQQQ", self.tokens, self.supervised, self.span_count, self.count, len(meta),
                                 xxhash.xxh64(bytes(self.table)).intdigest(), xxhash.xxh64(meta).intdigest()) + MAGIC)
        self.f.close()
        os.replace(self.path + ".partial", self.path)
        return {"file": os.path.basename(self.path), "samples": self.count, "tokens": self.tokens,
                "supervised_tokens": self.supervised}


class ShardWriter:
    """Token shard version 1: header, one zstd frame per sample, metadata JSON, index, footer."""

    def __init__(self, path: str, zstd: Zstd):
        self.path, self.zstd = path, zstd
        self.f = open(path + ".partial", "wb")
        self.f.write(MAGIC + struct.pack("<II", 1, 0))
        self.offset = 16
        self.index = bytearray()
        self.count = 0
        self.tokens = 0
        self.supervised = 0

    def append(self, ids: np.ndarray, mask: np.ndarray, record: int) -> None:
        raw = struct.pack("<IIQQ", len(ids), 0, record + 1, record) + ids.astype("<i4").tobytes() + mask.astype(np.uint8).tobytes()
        frame = self.zstd.compress(raw)
        self.f.write(frame)
        self.index += struct.pack("<QIIII", self.offset, len(frame), len(raw), len(ids), zlib.crc32(frame))
        self.offset += len(frame)
        self.count += 1
        self.tokens += len(ids)
        self.supervised += int(mask.sum())

    def finish(self) -> dict:
        meta = json.dumps({"tokens": self.tokens, "supervised_tokens": self.supervised}, separators=(",", ":")).encode()
        self.f.write(meta + bytes(self.index))
        self.f.write(struct.pack("<QQQQ", self.offset, len(meta), self.offset + len(meta), self.count) + MAGIC)
        self.f.close()
        os.replace(self.path + ".partial", self.path)
        return {"file": os.path.basename(self.path), "samples": self.count, "tokens": self.tokens,
                "supervised_tokens": self.supervised}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="synthetic token shards for the vocab benchmark")
    ap.add_argument("--out", required=True)
    ap.add_argument("--supervised", type=int, default=100_000_000)
    ap.add_argument("--samples-per-shard", type=int, default=4096)
    ap.add_argument("--exponent", type=float, default=1.05)
    ap.add_argument("--version", type=int, choices=(1, 2), default=2)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    rng = np.random.Generator(np.random.PCG64(2025))
    weights = 1.0 / np.arange(1, RANKS + 1, dtype=np.float64) ** args.exponent
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    rank_to_id = rng.permutation(RANKS).astype(np.int32)

    def draw(n: int) -> np.ndarray:
        return rank_to_id[np.minimum(np.searchsorted(cdf, rng.random(n)), RANKS - 1)]

    system = draw(130)
    zstd = Zstd(3) if args.version == 1 else None
    writer_class = ShardWriter if args.version == 1 else ShardWriterV2
    all_ids, all_masks, shards = [], [], []
    supervised, record, writer = 0, 0, None
    while supervised < args.supervised:
        # Draw a block of samples at once (vectorised), then slice it into samples.
        lengths = np.clip(np.exp(rng.normal(np.log(400), 0.7, 4096)).astype(np.int64), 64, 2048)
        body = lengths - 130
        body = np.maximum(body, 8)
        user = np.maximum((body * rng.uniform(0.1, 0.45, len(body))).astype(np.int64), 4)
        ids_block = draw(int(body.sum()))
        pos = 0
        for b, u in zip(body, user):
            ids = np.concatenate([system, ids_block[pos:pos + b]])
            pos += b
            mask = np.zeros(len(ids), dtype=np.uint8)
            mask[130 + u:] = 1
            if writer is None:
                writer = writer_class(os.path.join(args.out, f"tokens-{len(shards):05d}.eptok"), zstd)
            writer.append(ids, mask, record)
            all_ids.append(ids)
            all_masks.append(mask)
            record += 1
            supervised += int(mask.sum())
            if writer.count == args.samples_per_shard:
                shards.append(writer.finish())
                writer = None
            if supervised >= args.supervised:
                break
        print(f"\r{supervised / 1e6:.1f}M supervised tokens, {record} samples", end="", file=sys.stderr)
    if writer is not None:
        shards.append(writer.finish())
    print(file=sys.stderr)
    ids = np.concatenate(all_ids)
    masks = np.concatenate(all_masks)
    np.save(os.path.join(args.out, "ids.npy"), ids)
    np.save(os.path.join(args.out, "mask.npy"), masks)
    manifest = {
        "format": "eagleprep-tokens", "version": 1,
        "settings": {"tokenizer_sha256": "synthetic", "vocabulary_size": VOCAB, "mask_mode": "reference",
                     "synthetic": {"generator": "pipelines/reference/vocab/synth_token_shards.py", "zipf_exponent": args.exponent,
                                   "seed": 2025, "samples_per_shard": args.samples_per_shard,
                                   "shard_version": args.version}},
        "shards": shards,
        "counts": {"kept": record, "tokens": int(len(ids)), "supervised_tokens": int(masks.sum())},
        "complete": True,
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, separators=(",", ":"))
    print(json.dumps({"samples": record, "tokens": int(len(ids)), "supervised": int(masks.sum()), "shards": len(shards),
                      "bytes": sum(os.path.getsize(os.path.join(args.out, s["file"])) for s in shards)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

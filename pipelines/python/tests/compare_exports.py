"""Compares the Python reader with `eagleprep inspect --out` exports, exactly.

usage: compare_exports.py DATASET K=FILE.safetensors [K=FILE…] [--corrupt-copy DIR]

For each K: the reader's sample K (bf16 as bit patterns) must hold the same array names as the export, each with
the export's dtype and shape and identical bytes; bf16 widened to float32 must equal the bits shifted up. Also
checks len(), out-of-range errors, and the torch wrappers when torch is importable. With --corrupt-copy DIR (a
copy of a single dump directory), flips a byte inside a record there and expects a checksum error naming the
record. Prints one line per check and exits 1 on the first mismatch.
"""

import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from eagleprep_shards import DumpDataset, DumpShard, ShardFormatError  # noqa: E402

SAFETENSORS_DTYPES = {"I32": ("<i4", "i32"), "U8": ("u1", "u8"), "BF16": ("<u2", "bf16"), "F16": ("<f2", "f16"), "F32": ("<f4", "f32")}


def read_safetensors(path):
    """Minimal safetensors parser (no dependency): name → (stored dtype name, shape, raw bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        out[name] = (info["dtype"], tuple(info["shape"]), data[8 + n + start:8 + n + end])
    return out


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def main(argv):
    corrupt = None
    if "--corrupt-copy" in argv:
        i = argv.index("--corrupt-copy")
        corrupt = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    data = DumpDataset(argv[0])
    print(f"dataset {argv[0]}: {len(data)} samples, layout {data.layout}")
    for pair in argv[1:]:
        k, path = pair.split("=", 1)
        k = int(k)
        exported = read_safetensors(path)
        got = data.sample(k, bf16="bits")
        names = {n for n, v in got.items() if isinstance(v, np.ndarray)}
        if names != set(exported):
            fail(f"sample {k}: reader arrays {sorted(names)} != exported {sorted(exported)}")
        for name, (st_dtype, shape, raw) in exported.items():
            np_dtype, stored = SAFETENSORS_DTYPES[st_dtype]
            a = got[name]
            if a.dtype != np.dtype(np_dtype):
                fail(f"sample {k} {name}: reader dtype {a.dtype}, export {st_dtype}")
            if a.shape != shape:
                fail(f"sample {k} {name}: reader shape {a.shape}, export {shape}")
            if np.ascontiguousarray(a).tobytes() != raw:
                diff = np.nonzero(np.frombuffer(np.ascontiguousarray(a).tobytes(), np.uint8) != np.frombuffer(raw, np.uint8))[0]
                fail(f"sample {k} {name}: bytes differ from the export at byte {diff[0] if len(diff) else '?'}")
            if stored == "bf16":
                widened = data.sample(k)[name]
                if widened.dtype != np.float32 or not np.array_equal(widened.view(np.uint32), a.astype(np.uint32) << 16):
                    fail(f"sample {k} {name}: bf16 widened to float32 is not exact")
        print(f"sample {k}: {len(exported)} arrays equal the export ({', '.join(sorted(exported))})")
    try:
        data.sample(len(data))
        fail("sample len(data) did not raise")
    except IndexError as e:
        if f"holds {len(data)} samples" not in str(e):
            fail(f"out-of-range error does not name the count: {e}")
    print("out of range: IndexError naming the count")
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch not installed: torch wrappers not checked")
    else:
        from eagleprep_shards.torch_data import EagleDumpDataset, EagleDumpIterable
        ds = EagleDumpDataset(argv[0])
        t = ds[0]
        if not np.array_equal(t["ids"].numpy(), data.sample(0)["ids"]):
            fail("torch map-style dataset: ids differ")
        if t["aux_hidden"].dtype == torch.bfloat16 and not torch.equal(t["aux_hidden"].float(), torch.from_numpy(data.sample(0)["aux_hidden"])):
            fail("torch map-style dataset: bf16 aux_hidden differs")
        seen = []
        for rank in range(2):
            it = EagleDumpIterable(argv[0], rank=rank, world_size=2, shuffle=True, seed=3)
            for w in range(3):
                seen += it.indices(w, 3)
        if sorted(seen) != list(range(len(data))):
            fail("iterable dataset: ranks × workers do not cover every sample exactly once")
        print("torch wrappers: map-style equal, iterable split covers every sample once")
    if corrupt:
        shard_path = os.path.join(corrupt, "dump-00000.epdump")
        shard = DumpShard(shard_path)
        offset = int(shard._entries[1]["offset"]) + 5
        shard.close()
        with open(shard_path, "r+b") as f:
            f.seek(offset)
            b = f.read(1)
            f.seek(offset)
            f.write(bytes([b[0] ^ 0xFF]))
        try:
            DumpShard(shard_path).sample(1)
            fail("flipped byte not detected")
        except ShardFormatError as e:
            if "record[1]" not in str(e) or "checksum" not in str(e):
                fail(f"unexpected error for a flipped byte: {e}")
            print(f"corrupt record: {e}")
    print("ok")


if __name__ == "__main__":
    main(sys.argv[1:])

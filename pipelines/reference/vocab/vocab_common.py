"""Small helpers shared by the draft-vocabulary reference scripts: hashing, zstd-compressed JSONL via the zstd
CLI (no Python zstd package needed), and the zstd version string."""
from __future__ import annotations

import hashlib
import json
import subprocess
from typing import Iterable, Iterator


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_jsonl_zst(path: str, rows: Iterable[dict], level: int = 19) -> None:
    """One compact JSON object per line (``ensure_ascii=False``, ``"\\n"`` line ends), compressed with
    ``zstd -<level>`` (single thread, so the bytes do not depend on the machine)."""
    data = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows).encode("utf-8")
    out = subprocess.run(["zstd", f"-{level}", "-T1", "-q", "-c"], input=data, check=True, capture_output=True).stdout
    with open(path, "wb") as f:
        f.write(out)


def read_jsonl(path: str) -> Iterator[dict]:
    """Objects of a JSONL file, plain or ``.zst`` (decompressed with ``zstd -dc``)."""
    if path.endswith(".zst"):
        data = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout.decode("utf-8")
    else:
        with open(path, encoding="utf-8") as f:
            data = f.read()
    for line in data.split("\n"):
        if line.strip():
            yield json.loads(line)


def zstd_version() -> str:
    return subprocess.run(["zstd", "--version"], check=True, capture_output=True, text=True).stdout.strip()

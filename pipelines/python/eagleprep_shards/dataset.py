"""A dump dataset: ``manifest.json`` (from ``eagleprep dump`` or ``merge-manifests``) and the shards it lists."""

from __future__ import annotations

import bisect
import json
import os

from .shard import DumpShard, Layout, ShardFormatError

FORMAT = "eagleprep-dump"


class DumpDataset:
    """Random access to the samples of a dump directory or a merged manifest, in manifest order.

    Shard entries are paths relative to the manifest's directory (``"dump-00000.epdump"``,
    ``"../w0/dump-00000.epdump"``). Shards are opened lazily, and again after a fork (each DataLoader worker
    process maps its own files)."""

    def __init__(self, path: str):
        manifest_path = os.path.join(path, "manifest.json") if os.path.isdir(path) else path
        if not os.path.exists(manifest_path):
            raise FileNotFoundError(f"{path}: no manifest.json: not a finished dump output")
        with open(manifest_path, "rb") as f:
            m = json.loads(f.read().decode("utf-8"))
        if not isinstance(m, dict) or m.get("format") != FORMAT:
            raise ShardFormatError(manifest_path, "format", f"is {m.get('format')!r}, expected {FORMAT!r}")
        if m.get("version") != 1:
            raise ShardFormatError(manifest_path, "version", f"is {m.get('version')!r}, this reader reads 1")
        if m.get("complete") is not True:
            raise ShardFormatError(manifest_path, "complete", "the dump is not complete (re-run the same command to finish it)")
        self.manifest_path = manifest_path
        self.manifest = m
        self.settings = m.get("settings", {})
        self.layout = Layout(m.get("layout"), manifest_path)
        directory = os.path.dirname(os.path.abspath(manifest_path))
        self.shard_paths, self._first = [], []
        total = 0
        for i, entry in enumerate(m.get("shards", [])):
            file, n = entry.get("file"), entry.get("samples")
            if not isinstance(file, str) or not file or file.startswith("/"):
                raise ShardFormatError(manifest_path, f"shards[{i}].file", f"{file!r}: expected a path relative to the manifest's directory")
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                raise ShardFormatError(manifest_path, f"shards[{i}].samples", f"is {n!r}")
            self.shard_paths.append(os.path.normpath(os.path.join(directory, file)))
            self._first.append(total)
            total += n
        self._counts = [e["samples"] for e in m.get("shards", [])]
        self._len = total
        self._shards: dict[int, DumpShard] = {}
        self._pid = os.getpid()

    def __len__(self) -> int:
        return self._len

    def locate(self, k: int) -> tuple[int, int]:
        """(shard index, index inside the shard) of global sample k."""
        if not 0 <= k < self._len:
            raise IndexError(f"sample {k} out of range: {self.manifest_path} holds {self._len} samples")
        s = bisect.bisect_right(self._first, k) - 1
        while self._counts[s] == 0:
            s -= 1
        return s, k - self._first[s]

    def shard(self, s: int) -> DumpShard:
        if os.getpid() != self._pid:  # forked: do not share the parent's maps
            self._shards, self._pid = {}, os.getpid()
        if s not in self._shards:
            shard = DumpShard(self.shard_paths[s])
            if len(shard) != self._counts[s]:
                raise ShardFormatError(shard.path, "count", f"holds {len(shard)} samples, {self.manifest_path} says {self._counts[s]}")
            if shard.layout != self.layout:
                raise ShardFormatError(shard.path, "layout", f"{shard.layout} differs from the manifest's {self.layout}")
            self._shards[s] = shard
        return self._shards[s]

    def length(self, k: int) -> int:
        """Tokens of sample k (from the index, without decompressing)."""
        s, j = self.locate(k)
        return self.shard(s).length(j)

    def sample(self, k: int, bf16: str = "float32") -> dict:
        """Sample k's arrays (see ``DumpShard.sample``)."""
        if k < 0:
            k += self._len
        s, j = self.locate(k)
        return self.shard(s).sample(j, bf16=bf16)

    def __getitem__(self, k: int) -> dict:
        return self.sample(k)

    def __iter__(self):
        for k in range(self._len):
            yield self.sample(k)

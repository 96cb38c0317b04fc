"""PyTorch datasets over eagleprep dump shards (``pip install eagleprep-shards[torch]``; torch is imported here only).

``EagleDumpDataset`` is map-style (random access; use any sampler, e.g. ``DistributedSampler``);
``EagleDumpIterable`` shards the samples across distributed ranks and DataLoader workers itself.
Both yield dicts of tensors named as ``eagleprep inspect --out`` exports them (SPEC §8–§9 shapes):
``ids`` int64 [L], ``loss_mask`` int64 [L], ``aux_hidden`` [L, A·H] (bf16/f16/f32 as stored), and
``draft_logits`` float32 [L, Vd] + ``target_argmax`` int64 [L], or ``final_hidden`` [L, H].
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset, get_worker_info

from .dataset import DumpDataset


def to_tensors(sample: dict, layout) -> dict:
    """numpy sample (read with ``bf16="bits"``) → torch tensors; bf16 bit patterns become torch.bfloat16 exactly."""
    out = {}
    for name, value in sample.items():
        if not isinstance(value, np.ndarray):
            out[name] = value
            continue
        stored = {"aux_hidden": layout.aux_dtype, "final_hidden": layout.hidden_dtype}.get(name)
        if stored == "bf16":
            out[name] = torch.from_numpy(value.view(np.int16)).view(torch.bfloat16)
        elif name in ("ids", "loss_mask", "target_argmax"):
            out[name] = torch.from_numpy(value.astype(np.int64))
        else:
            out[name] = torch.from_numpy(value)
    return out


class EagleDumpDataset(Dataset):
    """Map-style dataset over a dump directory or merged manifest. Each DataLoader worker opens its own shard
    mappings (lazily, after the fork)."""

    def __init__(self, path: str):
        self.data = DumpDataset(path)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, k: int) -> dict:
        return to_tensors(self.data.sample(k, bf16="bits"), self.data.layout)


class EagleDumpIterable(IterableDataset):
    """Iterable dataset: sample k goes to the consumer ``(rank · workers + worker_id)`` of ``world_size · workers``
    consumers (k ≡ consumer mod their count), so ranks and DataLoader workers read disjoint samples that together
    cover the dataset once per epoch. With ``shuffle``, each epoch's order is a permutation seeded by
    ``seed + epoch`` (call ``set_epoch``), identical on every rank before the split."""

    def __init__(self, path: str, rank: int = 0, world_size: int = 1, shuffle: bool = False, seed: int = 0):
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} outside 0..{world_size - 1}")
        self.data = DumpDataset(path)
        self.rank, self.world_size, self.shuffle, self.seed, self.epoch = rank, world_size, shuffle, seed, 0

    def set_epoch(self, epoch: int):
        self.epoch = epoch

    def indices(self, worker_id: int = 0, num_workers: int = 1) -> list[int]:
        order = np.arange(len(self.data))
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(len(self.data))
        consumers = self.world_size * num_workers
        me = self.rank * num_workers + worker_id
        return [int(k) for k in order[me::consumers]]

    def __iter__(self):
        info = get_worker_info()
        ids = self.indices(info.id, info.num_workers) if info is not None else self.indices()
        for k in ids:
            yield to_tensors(self.data.sample(k, bf16="bits"), self.data.layout)

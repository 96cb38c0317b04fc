"""Writes the tiny safetensors file that Tests/SafeTensorsTests/PythonFixtureTests.swift embeds (base64).

Every dtype eagleprep reads, a scalar, an empty tensor, a 2-D tensor, a non-ASCII name and one metadata key (the
Python library writes several keys in random order, so one key keeps the bytes reproducible). The Swift test reads
every value back and checks that SafeTensorsWriter, given the tensors in the file's order, reproduces the bytes.

    /work/pyref/bin/python pipelines/reference/vocab/safetensors_fixture.py
Pinned: safetensors 0.8.0, torch 2.13.0 (pipelines/reference/requirements.txt). Deterministic (no randomness).
"""
import base64
import hashlib

import torch
from safetensors.torch import save

tensors = {
    "f64": torch.tensor([1.0 / 3.0, -1e300], dtype=torch.float64),
    "f32.matrix": torch.tensor([[1.5, -2.25, 3e-8], [0.0, -0.0, 1e30]], dtype=torch.float32),
    "f16": torch.tensor([1.0, -0.5, 65504.0, 2.0 ** -24, float("inf")], dtype=torch.float16),
    "bf16": torch.tensor([1.0, -3.140625, 2.0 ** -130], dtype=torch.bfloat16),
    "i64": torch.tensor([-(2 ** 63), 2 ** 63 - 1, 0, 128255], dtype=torch.int64),
    "i32.scalar": torch.tensor(-7, dtype=torch.int32),
    "i16": torch.tensor([-32768, 32767], dtype=torch.int16),
    "i8": torch.tensor([-128, 127, 0], dtype=torch.int8),
    "u8.empty": torch.zeros((2, 0), dtype=torch.uint8),
    "u8.ü": torch.tensor([0, 255, 17], dtype=torch.uint8),
    "bool": torch.tensor([True, False, True, True], dtype=torch.bool),
}
data = save(tensors, metadata={"format": "pt"})
print(f"# {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
print(base64.b64encode(data).decode())

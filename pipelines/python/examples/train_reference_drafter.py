"""Feed eagleprep dump shards to a PyTorch EAGLE-3 trainer: the reference drafter of pipelines/reference/drafter.

This is the hand-off a SpecForge-style trainer needs: `EagleDumpIterable` yields, per sample, the tensors of
SPEC §8–§9 (ids, loss mask, aux hidden states low|mid|high, and the target signal: draft-column logits + the
full-vocabulary argmax, or the final hidden state), split across ranks and DataLoader workers. Here they drive
`drafter_ref.ttt` (the 7-step training-time test, fp32) with AdamW and global-norm clipping, as SPEC §10 does.

    python pipelines/python/examples/train_reference_drafter.py --dump OUT/dump --vocab OUT/vocab \
        --target MODEL.safetensors --steps 20 [--heads 9 --kv-heads 3 --intermediate 1536]

--target: a safetensors file with the target's embedding (`model.embed_tokens.weight` or `embed_tokens.weight`),
and for `hidden` dumps also `lm_head.weight` (or tied embeddings) and `model.norm.weight`. Needs torch, numpy,
zstandard and safetensors; run from the repository root (or put pipelines/python and
pipelines/reference/drafter on PYTHONPATH).
"""
import argparse
import json
import math
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "..", "reference", "drafter"))

import drafter_ref  # noqa: E402
from eagleprep_shards.torch_data import EagleDumpIterable  # noqa: E402
from safetensors.torch import load_file  # noqa: E402


def load_target(path, signal):
    t = load_file(path)

    def first(*names):
        for n in names:
            if n in t:
                return t[n].to(torch.float32)
        return None

    embed = first("model.embed_tokens.weight", "embed_tokens.weight")
    if embed is None:
        raise SystemExit(f"{path}: no model.embed_tokens.weight / embed_tokens.weight")
    head = norm = None
    if signal == "hidden":
        head = first("lm_head.weight")
        head = embed if head is None else head
        norm = first("model.norm.weight", "norm.weight")
    return embed, head, norm


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dump", required=True, help="dump directory or merged manifest.json")
    ap.add_argument("--vocab", required=True, help="eagleprep vocab directory (vocab.safetensors: d2t, t2d)")
    ap.add_argument("--target", required=True, help="safetensors with the target's embedding (and head/norm for hidden dumps)")
    ap.add_argument("--steps", type=int, default=20, help="optimizer steps (default 20)")
    ap.add_argument("--gas", type=int, default=2, help="sequences per optimizer step (gradient accumulation, default 2)")
    ap.add_argument("--heads", type=int, default=None, help="drafter attention heads (default: H / 64)")
    ap.add_argument("--kv-heads", type=int, default=None, help="drafter key/value heads (default: heads)")
    ap.add_argument("--intermediate", type=int, default=None, help="drafter MLP width (default: 8H/3 rounded to 64)")
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--rms-eps", type=float, default=1e-5)
    ap.add_argument("--rope-theta", type=float, default=10000.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rank", type=int, default=int(os.environ.get("RANK", 0)))
    ap.add_argument("--world-size", type=int, default=int(os.environ.get("WORLD_SIZE", 1)))
    args = ap.parse_args()

    data = EagleDumpIterable(args.dump, rank=args.rank, world_size=args.world_size, shuffle=True, seed=args.seed)
    vocab = load_file(os.path.join(args.vocab, "vocab.safetensors"))
    t2d = vocab["t2d"].to(torch.bool)
    Vd = int(vocab["d2t"].shape[0])
    probe = next(iter(data))
    signal = "logits" if "draft_logits" in probe else "hidden"
    H = probe["aux_hidden"].shape[1] // 3
    embed, head, norm = load_target(args.target, signal)
    V = embed.shape[0]
    if embed.shape[1] != H:
        raise SystemExit(f"{args.target}: embedding width {embed.shape[1]} != the dump's hidden size {H}")
    if t2d.shape[0] != V:
        raise SystemExit(f"{args.vocab}: t2d covers {t2d.shape[0]} ids, the target's vocabulary has {V}")
    if signal == "logits" and probe["draft_logits"].shape[1] != Vd:
        raise SystemExit(f"the dump stores {probe['draft_logits'].shape[1]} draft columns, the vocabulary has {Vd}")
    nh = args.heads or max(1, H // 64)
    nkv = args.kv_heads or nh
    inter = args.intermediate or int(math.ceil(8 * H / 3 / 64) * 64)
    c = drafter_ref.DrafterConfig(H, nh, nkv, inter, V, Vd, eps=args.rms_eps, theta=args.rope_theta)
    W = {n: w.requires_grad_(True) for n, w in drafter_ref.init_weights(c, args.seed).items()}
    params = [W[n] for n in drafter_ref.PARAM_NAMES]
    opt = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0)
    loader = torch.utils.data.DataLoader(data, batch_size=None, num_workers=0)

    def batches():
        epoch = 0
        while True:
            data.set_epoch(epoch)
            yield from loader
            epoch += 1

    stream = batches()
    for step in range(1, args.steps + 1):
        total, accs = 0.0, None
        for _ in range(args.gas):
            s = next(stream)
            aux = s["aux_hidden"].to(torch.float32)
            ids, mask = s["ids"], s["loss_mask"]
            if signal == "logits":
                target = drafter_ref.draft_target(s["draft_logits"], s["target_argmax"], t2d)
                plosses, a = drafter_ref.ttt(W, embed, aux, ids, mask, None, t2d, c, target=target)
            else:
                h = s["final_hidden"].to(torch.float32)
                if norm is not None:
                    h = drafter_ref.rms_norm(h, norm, args.rms_eps)
                plosses, a = drafter_ref.ttt(W, embed, aux, ids, mask, h @ head.T, t2d, c)
            loss = drafter_ref.total_loss(plosses)
            (loss / args.gas).backward()
            total += loss.item() / args.gas
            accs = a if accs is None else [x + y for x, y in zip(accs, a)]
        grad_norm = torch.nn.utils.clip_grad_norm_(params, 0.5).item()
        opt.step()
        opt.zero_grad()
        print(json.dumps({"step": step, "loss": round(total, 6), "grad_norm": round(grad_norm, 6),
                          "acc": [round(x / args.gas, 4) for x in accs]}), flush=True)


if __name__ == "__main__":
    main()

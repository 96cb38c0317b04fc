"""Feed eagleprep dump shards to a PyTorch EAGLE-3 trainer: the reference drafter of pipelines/reference/drafter.

This is the hand-off a SpecForge-style trainer needs: `EagleDumpDataset` yields, per sample, the tensors of
SPEC §8–§9 (ids, loss mask, aux hidden states low|mid|high, and the target signal: draft-column logits + the
full-vocabulary argmax, or the final hidden state). Here they drive `drafter_ref.ttt` (the 7-step training-time
test, fp32) with AdamW and global-norm clipping, as SPEC §10 does, and the result is exported in the SPEC §11
layout that `eagleprep eval`, SGLang, vLLM and the EAGLE code load.

    python pipelines/python/examples/train_reference_drafter.py --dump OUT/dump --vocab OUT/vocab \
        --target MODEL.gguf --steps 20 [--config drafter/config.json | --heads 9 --kv-heads 3 --intermediate 1536] \
        [--schedule cosine --lr 5e-4 --warmup 24] [--validation-fraction 0.05 --split-seed 42] [--export DIR]
    python pipelines/python/examples/train_reference_drafter.py --dump OUT/dump --vocab OUT/vocab \
        --target MODEL.gguf --evaluate DRAFTER_DIR --validation-fraction 0.05 --split-seed 42

--target: a .gguf file, or a safetensors file with the target's embedding (`model.embed_tokens.weight` or
`embed_tokens.weight`), and for `hidden` dumps also `lm_head.weight` (or tied embeddings) and `model.norm.weight`.
--config: a drafter config.json (e.g. the one `eagleprep train` exported): heads, key/value heads, MLP width, RMS
epsilon and RoPE theta come from it, and the export carries it. --validation-fraction/--split-seed hold out exactly
the samples `eagleprep train --validation-fraction F --seed S` holds out (the same seeded SplitMix64 shuffle), train
on the rest and report per-position validation accuracy; --evaluate DIR only computes those figures for an export,
over the whole validation split and over its sequences that have no exact copy among the training sequences.
--schedule/--lr/--warmup/--min-lr follow `eagleprep train`'s formulas. Sequences are read in a seeded order per
epoch, split across ranks by `RANK`/`WORLD_SIZE` (gradients are not all-reduced here: one rank is the example).
Needs torch, numpy, zstandard and safetensors (and gguf for a .gguf target); run from the repository root.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "..", "reference", "drafter"))

import drafter_ref  # noqa: E402
from eagleprep_shards.torch_data import EagleDumpDataset  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

MASK64 = (1 << 64) - 1


class SplitMix64:
    """EagleCore's SplitMix64 (Steele, Lea, Flood 2014) with Lemire's unbiased bounded draw, bit for bit."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n):
        m = self.next() * n
        if (m & MASK64) < n:
            threshold = ((1 << 64) - n) % n
            while (m & MASK64) < threshold:
                m = self.next() * n
        return m >> 64


def swift_split(count, fraction, seed):
    """`DrafterTrainer.split`: (training indices, validation indices), both sorted."""
    if fraction <= 0 or count <= 1:
        return list(range(count)), []
    held = min(count - 1, max(1, int(math.floor(count * fraction + 0.5))))
    # DataOrder.permutation(count, seed: seed ^ 0x5EED5EED, epoch: -1): the epoch term (epoch + 1) · c is 0.
    rng = SplitMix64(seed ^ 0x5EED5EED)
    order = list(range(count))
    for i in range(count - 1, 0, -1):
        j = rng.below(i + 1)
        order[i], order[j] = order[j], order[i]
    return sorted(order[held:]), sorted(order[:held])


def learning_rate(args, n):
    """`LearningRateSchedule.rate(step:)` of eagleprep train for constant and cosine (n = 1, 2, …)."""
    if args.schedule == "constant":
        return args.lr
    s = n - 1
    if s < args.warmup:
        return args.lr * (s + 1) / args.warmup
    progress = min(1.0, (s - args.warmup) / max(1, args.steps - args.warmup))
    return args.min_lr + (args.lr - args.min_lr) * 0.5 * (1 + math.cos(math.pi * progress))


def load_target(path, signal):
    """(embed [V, H], lm_head or None, final norm or None) as fp32 tensors."""
    if path.endswith(".gguf"):
        import gguf  # gguf-py, llama.cpp's reader; dequantizes every GGML type

        tensors = {t.name: t for t in gguf.GGUFReader(path).tensors}

        def first(*names):
            for n in names:
                if n in tensors:
                    t = tensors[n]
                    w = gguf.quants.dequantize(t.data, t.tensor_type)
                    return torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32))
            return None

        embed = first("token_embd.weight")
        head = first("output.weight") if signal == "hidden" else None
        norm = first("output_norm.weight") if signal == "hidden" else None
    else:
        t = load_file(path)

        def first(*names):
            for n in names:
                if n in t:
                    return t[n].to(torch.float32)
            return None

        embed = first("model.embed_tokens.weight", "embed_tokens.weight")
        head = first("lm_head.weight") if signal == "hidden" else None
        norm = first("model.norm.weight", "norm.weight") if signal == "hidden" else None
    if embed is None:
        raise SystemExit(f"{path}: no token embedding (token_embd.weight / model.embed_tokens.weight)")
    if signal == "hidden" and head is None:
        head = embed  # tied embeddings
    return embed, head, norm


def sequence_losses(W, embed, s, signal, t2d, c, norm, head, eps):
    aux = s["aux_hidden"].to(torch.float32)
    if signal == "logits":
        target = drafter_ref.draft_target(s["draft_logits"], s["target_argmax"], t2d)
        return drafter_ref.ttt(W, embed, aux, s["ids"], s["loss_mask"], None, t2d, c, target=target)
    h = s["final_hidden"].to(torch.float32)
    if norm is not None:
        h = drafter_ref.rms_norm(h, norm, eps)
    return drafter_ref.ttt(W, embed, aux, s["ids"], s["loss_mask"], h @ head.T, t2d, c)


def validate(W, data, indices, losses):
    """Means over the validation sequences of the total loss and the per-position accuracies."""
    loss, accs = 0.0, None
    with torch.no_grad():
        for k in indices:
            pl, a = losses(W, data[k])
            loss += drafter_ref.total_loss(pl).item()
            accs = a if accs is None else [x + y for x, y in zip(accs, a)]
    n = max(1, len(indices))
    return {"sequences": len(indices), "loss": round(loss / n, 6), "acc": [round(x / n, 4) for x in accs or []]}


def unseen(data, train_ids, valid_ids):
    """The validation indices whose token ids equal no training sequence's: a dataset that repeats conversations
    puts copies on both sides of the split, and a drafter scores far better on what it was trained on. Only
    sequences of equal length (read from the shard index) are decoded and compared."""
    dd = data.data
    by_length, decoded = {}, {}
    for k in train_ids:
        by_length.setdefault(dd.length(k), []).append(k)

    def ids(j):  # each training sequence decoded at most once
        if j not in decoded:
            decoded[j] = dd.sample(j)["ids"]
        return decoded[j]

    out = []
    for k in valid_ids:
        mine = dd.sample(k)["ids"]
        if not any(np.array_equal(mine, ids(j)) for j in by_length.get(len(mine), [])):
            out.append(k)
    return out


def export(W, c, vocab, config, out):
    """SPEC §11: F16 weights, I64 d2t, BOOL t2d, config.json (no rope_theta: EAGLE's inference code would use one,
    and `eagleprep eval` refuses it); written to OUT.partial, then each file moved into OUT."""
    tmp = out.rstrip("/") + ".partial"
    os.makedirs(tmp, exist_ok=True)
    tensors = {n: W[n].detach().to(torch.float16).contiguous() for n in drafter_ref.PARAM_NAMES}
    tensors["d2t"] = vocab["d2t"].to(torch.int64).contiguous()
    tensors["t2d"] = vocab["t2d"].to(torch.bool).contiguous()
    save_file(tensors, os.path.join(tmp, "model.safetensors"), metadata={"format": "pt"})
    config = {k: v for k, v in config.items() if k not in ("rope_theta", "rope_scaling", "head_dim")}
    config.update({"hidden_size": c.H, "intermediate_size": c.I, "num_attention_heads": c.nh,
                   "num_key_value_heads": c.nkv, "rms_norm_eps": c.eps, "vocab_size": c.V,
                   "draft_vocab_size": c.Vd, "num_hidden_layers": 1, "torch_dtype": "float16"})
    config.setdefault("architectures", ["LlamaForCausalLMEagle3"])
    config.setdefault("model_type", "llama")
    config.setdefault("hidden_act", "silu")
    config.setdefault("tie_word_embeddings", False)
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    os.makedirs(out, exist_ok=True)
    for name in ("model.safetensors", "config.json"):  # each replaced atomically; other files in OUT are kept
        os.replace(os.path.join(tmp, name), os.path.join(out, name))
    os.rmdir(tmp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dump", required=True, help="dump directory or merged manifest.json")
    ap.add_argument("--vocab", required=True, help="eagleprep vocab directory (vocab.safetensors: d2t, t2d)")
    ap.add_argument("--target", required=True, help=".gguf, or safetensors with the target's embedding (and head/norm for hidden dumps)")
    ap.add_argument("--steps", type=int, default=20, help="optimizer steps (default 20)")
    ap.add_argument("--gas", type=int, default=2, help="sequences per optimizer step (gradient accumulation, default 2)")
    ap.add_argument("--config", default=None, help="drafter config.json to take the architecture from (and export)")
    ap.add_argument("--heads", type=int, default=None, help="drafter attention heads (default: H / 64)")
    ap.add_argument("--kv-heads", type=int, default=None, help="drafter key/value heads (default: heads)")
    ap.add_argument("--intermediate", type=int, default=None, help="drafter MLP width (default: 8H/3 rounded to 64)")
    ap.add_argument("--rms-eps", type=float, default=1e-5)
    ap.add_argument("--rope-theta", type=float, default=10000.0)
    ap.add_argument("--schedule", choices=("constant", "cosine"), default="constant")
    ap.add_argument("--lr", type=float, default=5e-4, help="(peak) learning rate (default 5e-4)")
    ap.add_argument("--warmup", type=int, default=None, help="cosine warmup steps (default: max(1, steps // 50), as eagleprep train)")
    ap.add_argument("--min-lr", type=float, default=0.0)
    ap.add_argument("--validation-fraction", type=float, default=0.0, help="hold out eagleprep train's validation split")
    ap.add_argument("--split-seed", type=int, default=42, help="eagleprep train's --seed (default 42)")
    ap.add_argument("--validate-every", type=int, default=0, help="validate every N steps (default: at the end)")
    ap.add_argument("--export", default=None, help="write the trained drafter here (SPEC §11 layout, F16)")
    ap.add_argument("--evaluate", default=None, help="only validate this export (needs --validation-fraction)")
    ap.add_argument("--seed", type=int, default=0, help="init and data-order seed")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--rank", type=int, default=int(os.environ.get("RANK", 0)))
    ap.add_argument("--world-size", type=int, default=int(os.environ.get("WORLD_SIZE", 1)))
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if not 0 <= args.rank < args.world_size:
        raise SystemExit(f"rank {args.rank} outside 0..{args.world_size - 1}")

    data = EagleDumpDataset(args.dump)
    vocab = load_file(os.path.join(args.vocab, "vocab.safetensors"))
    t2d = vocab["t2d"].to(torch.bool)
    Vd = int(vocab["d2t"].shape[0])
    probe = data[0]
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
    config = {}
    if args.config:
        with open(args.config) as f:
            config = json.load(f)
        if config.get("hidden_size", H) != H:
            raise SystemExit(f"{args.config}: hidden_size {config['hidden_size']} != the dump's {H}")
        args.heads = config["num_attention_heads"]
        args.kv_heads = config.get("num_key_value_heads", args.heads)
        args.intermediate = config["intermediate_size"]
        args.rms_eps = config.get("rms_norm_eps", args.rms_eps)
        args.rope_theta = config.get("rope_theta", args.rope_theta)
    nh = args.heads or max(1, H // 64)
    nkv = args.kv_heads or nh
    inter = args.intermediate or int(math.ceil(8 * H / 3 / 64) * 64)
    c = drafter_ref.DrafterConfig(H, nh, nkv, inter, V, Vd, eps=args.rms_eps, theta=args.rope_theta)
    if args.export and c.theta != 10000.0:
        raise SystemExit(f"--export: the SPEC §11 config has no rope_theta (drafters are trained with 10000, which "
                         f"EAGLE's inference assumes); --rope-theta/--config gave {c.theta}")
    if args.warmup is None:
        args.warmup = max(1, args.steps // 50) if args.schedule == "cosine" else 0
    train_ids, valid_ids = swift_split(len(data), args.validation_fraction, args.split_seed)

    def losses(W, s):
        return sequence_losses(W, embed, s, signal, t2d, c, norm, head, args.rms_eps)

    if args.evaluate:
        if not valid_ids:
            raise SystemExit("--evaluate needs --validation-fraction > 0")
        w = load_file(os.path.join(args.evaluate, "model.safetensors"))
        W = {n: w[n].to(torch.float32) for n in drafter_ref.PARAM_NAMES}
        fresh = unseen(data, train_ids, valid_ids)
        print(json.dumps({"evaluate": args.evaluate, "valid": validate(W, data, valid_ids, losses),
                          "valid_unseen": validate(W, data, fresh, losses)}), flush=True)
        return

    W = {n: w.requires_grad_(True) for n, w in drafter_ref.init_weights(c, args.seed).items()}
    params = [W[n] for n in drafter_ref.PARAM_NAMES]
    opt = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0)

    def stream():
        epoch = 0
        while True:
            order = np.random.default_rng(args.seed + epoch).permutation(len(train_ids))
            for p in order[args.rank::args.world_size]:
                yield data[train_ids[int(p)]]
            epoch += 1

    samples = stream()
    started = time.time()
    tokens = 0
    print(json.dumps({"train_sequences": len(train_ids), "validation_sequences": len(valid_ids), "H": H, "heads": nh,
                      "kv_heads": nkv, "intermediate": inter, "Vd": Vd, "signal": signal}), flush=True)
    for step in range(1, args.steps + 1):
        total, accs = 0.0, None
        for _ in range(args.gas):
            s = next(samples)
            tokens += int(s["ids"].shape[0])
            plosses, a = losses(W, s)
            loss = drafter_ref.total_loss(plosses)
            (loss / args.gas).backward()
            total += loss.item() / args.gas
            accs = a if accs is None else [x + y for x, y in zip(accs, a)]
        grad_norm = torch.nn.utils.clip_grad_norm_(params, 0.5).item()
        rate = learning_rate(args, step)
        for group in opt.param_groups:
            group["lr"] = rate
        opt.step()
        opt.zero_grad()
        record = {"step": step, "loss": round(total, 6), "grad_norm": round(grad_norm, 6), "lr": rate,
                  "acc": [round(x / args.gas, 4) for x in accs], "tokens_per_s": round(tokens / (time.time() - started), 1)}
        if valid_ids and (step == args.steps or (args.validate_every and step % args.validate_every == 0)):
            record["valid"] = validate(W, data, valid_ids, losses)
        print(json.dumps(record), flush=True)
    if args.export:
        export(W, c, vocab, config, args.export)
        print(json.dumps({"exported": args.export, "seconds": round(time.time() - started, 1)}), flush=True)


if __name__ == "__main__":
    main()

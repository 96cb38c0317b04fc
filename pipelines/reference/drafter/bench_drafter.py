#!/usr/bin/env python3
"""PyTorch side of scripts/bench-train.sh: the reference drafter (drafter_ref.py, bit-identical to EAGLE's cnets.py on
the fixtures) doing one optimizer step = `--batch` sequences of forward + backward through the 7 TTT steps, global-norm
clipping and AdamW, fp32 on the CPU, on random data of the given shape. Prints one JSON line: per-step seconds,
tokens/s (median over the measured steps, the first step is warm-up) and peak RSS.

--signal full: the reference's own form (full-vocabulary target logits [L, V]; the draft columns, softmax and argmax
are recomputed at every TTT step, as cnets.py does). --signal draft: the dump-shard form the Swift trainer reads
(draft-column logits + argmax, softmax once per sequence): the cheaper of the two, used for the headline ratio.
"""
import argparse
import json
import math
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(__file__))
import drafter_ref as ref  # noqa: E402


def main():
    a = argparse.ArgumentParser()
    for name, default in [("hidden", 576), ("intermediate", 1536), ("heads", 9), ("kv-heads", 3), ("vocab", 49152),
                          ("draft-vocab", 8192), ("length", 1024), ("batch", 2), ("steps", 3), ("threads", 2), ("seed", 1)]:
        a.add_argument("--" + name, type=int, default=default)
    a.add_argument("--mask", type=float, default=0.6)
    a.add_argument("--signal", choices=["full", "draft"], default="draft")
    args = a.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    c = ref.DrafterConfig(H=args.hidden, nh=args.heads, nkv=args.kv_heads, I=args.intermediate, V=args.vocab, Vd=args.draft_vocab)
    L = args.length
    W = {n: w.requires_grad_(True) for n, w in ref.init_weights(c, args.seed).items()}
    embed = (torch.rand(c.V, c.H) - 0.5) * 0.07
    t2d = torch.zeros(c.V, dtype=torch.bool)
    t2d[torch.arange(c.Vd) * c.V // c.Vd] = True
    draft_ids = torch.nonzero(t2d).flatten()

    def sample():
        ids = torch.randint(0, c.V, (L,))
        mask = torch.zeros(L)
        if args.mask >= 1:
            mask[:] = 1
        else:  # alternating unsupervised / supervised segments, as SyntheticSampleSource
            t, on = 0, False
            while t < L:
                n = max(1, int((128 * (args.mask if on else 1 - args.mask)) * (0.5 + torch.rand(1).item())))
                mask[t:t + n] = 1 if on else 0
                t, on = t + n, not on
        aux = torch.randn(L, 3 * c.H)
        argmax = torch.where(torch.rand(L) < 0.8, draft_ids[torch.randint(0, c.Vd, (L,))], torch.randint(0, c.V, (L,)))
        s = {"ids": ids, "mask": mask, "aux": aux}
        if args.signal == "full":
            z = torch.randn(L, c.V) * 3
            z[torch.arange(L), argmax] = 20.0
            s["z"] = z
        else:
            s["draft"] = torch.randn(L, c.Vd) * 3
            s["argmax"] = argmax
        return s

    samples = [sample() for _ in range(args.batch)]
    opt = torch.optim.AdamW([W[n] for n in ref.PARAM_NAMES], lr=1e-5, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0)
    times = []
    for step in range(args.steps + 1):
        start = time.perf_counter()
        for s in samples:
            target = ref.draft_target(s["draft"], s["argmax"], t2d) if args.signal == "draft" else None
            pl, _ = ref.ttt(W, embed, s["aux"], s["ids"], s["mask"], s.get("z"), t2d, c, target=target)
            (ref.total_loss(pl) / args.batch).backward()
        torch.nn.utils.clip_grad_norm_([W[n] for n in ref.PARAM_NAMES], 0.5)
        opt.step()
        opt.zero_grad()
        elapsed = time.perf_counter() - start
        if step > 0:
            times.append(elapsed)
    times.sort()
    median = times[len(times) // 2]
    print(json.dumps({"impl": "pytorch", "signal": args.signal, "threads": args.threads, "hidden": c.H, "draft_vocab": c.Vd,
                      "vocab": c.V, "length": L, "batch": args.batch, "step_seconds": times,
                      "tokens_per_s": args.batch * L / median,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()

"""The EAGLE-3 drafter, its 7-step training-time test, loss, metrics, optimizer and schedule in PyTorch (fp32).

Written from ../shared/SPEC.md §6–§10 (not from the reference code): this is the independent Python side of the
Swift trainer's parity tests. `check_against_eagle.py` compares it with SafeAILab/EAGLE's own
`eagle/traineagle3/cnets.py` run locally; `make_fixtures.py` writes the Swift test fixtures with it.

Everything is functional over a dict of weight tensors keyed by the export names (SPEC §7/§11).
"""
import math

import torch
import torch.nn.functional as F

# The 13 trainable tensors in SPEC §7 order (the Swift arena uses the same order).
PARAM_NAMES = [
    "fc.weight",
    "midlayer.input_layernorm.weight",
    "midlayer.hidden_norm.weight",
    "midlayer.self_attn.q_proj.weight",
    "midlayer.self_attn.k_proj.weight",
    "midlayer.self_attn.v_proj.weight",
    "midlayer.self_attn.o_proj.weight",
    "midlayer.post_attention_layernorm.weight",
    "midlayer.mlp.gate_proj.weight",
    "midlayer.mlp.up_proj.weight",
    "midlayer.mlp.down_proj.weight",
    "norm.weight",
    "lm_head.weight",
]

STEP_WEIGHT = 0.8


class DrafterConfig:
    def __init__(self, H, nh, nkv, I, V, Vd, eps=1e-5, theta=10000.0, steps=7):
        assert H % nh == 0 and nh % nkv == 0
        self.H, self.nh, self.nkv, self.I, self.V, self.Vd = H, nh, nkv, I, V, Vd
        self.hd = H // nh
        self.eps, self.theta, self.steps = eps, theta, steps

    def shapes(self):
        H, I, Vd, hd = self.H, self.I, self.Vd, self.hd
        return {
            "fc.weight": (H, 3 * H),
            "midlayer.input_layernorm.weight": (H,),
            "midlayer.hidden_norm.weight": (H,),
            "midlayer.self_attn.q_proj.weight": (self.nh * hd, 2 * H),
            "midlayer.self_attn.k_proj.weight": (self.nkv * hd, 2 * H),
            "midlayer.self_attn.v_proj.weight": (self.nkv * hd, 2 * H),
            "midlayer.self_attn.o_proj.weight": (H, self.nh * hd),
            "midlayer.post_attention_layernorm.weight": (H,),
            "midlayer.mlp.gate_proj.weight": (I, H),
            "midlayer.mlp.up_proj.weight": (I, H),
            "midlayer.mlp.down_proj.weight": (H, I),
            "norm.weight": (H,),
            "lm_head.weight": (Vd, H),
        }


def init_weights(c, seed):
    """SPEC §7 init: Linear weights U(−1/√in, 1/√in) (PyTorch's default nn.Linear init), norm weights 1."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, shape in c.shapes().items():
        if len(shape) == 1:
            out[name] = torch.ones(shape, dtype=torch.float32)
        else:
            bound = 1.0 / math.sqrt(shape[1])
            out[name] = (torch.rand(shape, generator=g, dtype=torch.float32) * 2 - 1) * bound
    return out


def rms_norm(x, w, eps):
    """y = w ⊙ (x · rsqrt(mean(x²) + ε)) in fp32."""
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


_ROPE_CACHE = {}


def rope(x, positions, theta):
    """Non-interleaved RoPE on x [heads, L, hd] at integer positions [L]: θ_i = 1/theta^(2i/hd) in fp32."""
    hd = x.shape[-1]
    key = (hd, theta, int(positions[0]), int(positions[-1]), positions.shape[0])
    if key not in _ROPE_CACHE:  # the reference caches its cos/sin table too
        inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
        ang = positions.to(torch.float32)[:, None] * inv[None, :]
        if len(_ROPE_CACHE) > 64:
            _ROPE_CACHE.clear()
        _ROPE_CACHE[key] = (ang.cos(), ang.sin())
    cos, sin = _ROPE_CACHE[key]
    x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)


def shifted(v, by, L):
    """v[t + by] for t < L, zero past the end (SPEC conventions)."""
    out = torch.zeros((L,) + tuple(v.shape[1:]), dtype=v.dtype)
    if by < L:
        out[: L - by] = v[by:]
    return out


def target_rows(z_full, t2d, k):
    """Per position t at step k: p = softmax(z[t+1+k][t2d]) (renormalized over the draft columns), the in-vocab flag
    t2d[argmax_v z[t+1+k]] and argmax p; rows past the end are the zero row (uniform p, flag t2d[0])."""
    L = z_full.shape[0]
    z = shifted(z_full, 1 + k, L)
    flag = t2d[z.argmax(-1)].to(torch.float32)
    p = torch.softmax(z[:, t2d], dim=-1)
    return p, flag


def draft_target(draft_logits, argmax, t2d):
    """What a dump stores, turned into per-row targets once: p [L+1, Vd] = softmax of the draft-column logits
    (row L: the zero row, uniform) and flag [L+1] = t2d[full-vocabulary argmax] (row L: t2d[0])."""
    L, Vd = draft_logits.shape
    p = torch.softmax(torch.cat((draft_logits, torch.zeros(1, Vd)), dim=0), dim=-1)
    flag = t2d[torch.cat((argmax.long(), torch.zeros(1, dtype=torch.long)))].to(torch.float32)
    return p, flag


def ttt(W, embed, aux, ids, loss_mask, z_full, t2d, c, variant="main", zero_last=False, trace=None, target=None):
    """The 7-step training-time test of SPEC §8–§9 for one sequence (batch 1).

    W: weights by name; embed [V, H] frozen; aux [L, 3H]; ids [L] int64; loss_mask [L] (0/1); z_full [L, V] target
    logits; t2d [V] bool. variant: "main", "first_upload" (step k sees K_0[0..t−k]) or "pe_shift" (positions t+2k).
    Returns (plosses: list of 0-d tensors, accs: list of floats). `trace`, a list, receives per step
    (logits, position mask) for diagnostics. `target`, if given, is draft_target(...) and replaces z_full (the
    dump-shard form of the signal: rows indexed instead of recomputed per step).
    """
    L = ids.shape[0]
    H, nh, nkv, hd = c.H, c.nh, c.nkv, c.hd
    lm = loss_mask.to(torch.float32).clone()
    if zero_last:
        lm[L - 1] = 0
    t = torch.arange(L)
    h = aux @ W["fc.weight"].T
    keys, values = [], []
    plosses, accs = [], []
    scale = math.sqrt(hd)
    for k in range(c.steps):
        x_in = shifted(ids, 1 + k, L)
        e = embed[x_in]
        u = torch.cat((rms_norm(e, W["midlayer.input_layernorm.weight"], c.eps),
                       rms_norm(h, W["midlayer.hidden_norm.weight"], c.eps)), dim=-1)
        q = (u @ W["midlayer.self_attn.q_proj.weight"].T).view(L, nh, hd).transpose(0, 1)
        kk = (u @ W["midlayer.self_attn.k_proj.weight"].T).view(L, nkv, hd).transpose(0, 1)
        vv = (u @ W["midlayer.self_attn.v_proj.weight"].T).view(L, nkv, hd).transpose(0, 1)
        pos = t + (2 * k if variant == "pe_shift" else k)
        q, kk = rope(q, pos, c.theta), rope(kk, pos, c.theta)
        keys.append(kk.repeat_interleave(nh // nkv, dim=0))
        values.append(vv.repeat_interleave(nh // nkv, dim=0))
        s0 = (q @ keys[0].transpose(1, 2)) / scale
        limit = t[:, None] - (k if variant == "first_upload" else 0)
        allowed = t[None, :] <= limit
        s0 = s0 + torch.where(allowed, 0.0, torch.finfo(torch.float32).min)
        scores = [s0] + [((q * keys[j]).sum(-1) / scale)[..., None] for j in range(1, k + 1)]
        p = torch.softmax(torch.cat(scores, dim=-1), dim=-1)
        o = p[..., :L] @ values[0]
        for j in range(1, k + 1):
            o = o + p[..., L + j - 1: L + j] * values[j]
        o = o.transpose(0, 1).reshape(L, nh * hd)
        h1 = h + o @ W["midlayer.self_attn.o_proj.weight"].T
        y = rms_norm(h1, W["midlayer.post_attention_layernorm.weight"], c.eps)
        act = F.silu(y @ W["midlayer.mlp.gate_proj.weight"].T) * (y @ W["midlayer.mlp.up_proj.weight"].T)
        out = h1 + act @ W["midlayer.mlp.down_proj.weight"].T
        logits = rms_norm(out, W["norm.weight"], c.eps) @ W["lm_head.weight"].T

        if target is None:
            p_t, flag = target_rows(z_full, t2d, k)
        else:
            rows = torch.clamp(t + 1 + k, max=L)
            p_t, flag = target[0][rows], target[1][rows]
        mk = shifted(lm, k, L)
        m = mk * flag
        logq = torch.log_softmax(logits, dim=-1)
        plosses.append(-(m[:, None] * p_t * logq).sum(-1).mean())
        if trace is not None:
            trace.append((logits.detach(), m))
        with torch.no_grad():
            hits = ((logits.argmax(-1) == p_t.argmax(-1)).to(torch.float64) * m.to(torch.float64)).sum().item()
            accs.append(hits / (mk.to(torch.float64).sum().item() + 1e-6))
        h = out
    return plosses, accs


def total_loss(plosses):
    loss = plosses[0] * 1.0
    for k in range(1, len(plosses)):
        loss = loss + (STEP_WEIGHT ** k) * plosses[k]
    return loss


def warmup_decay_lr(n, peak=5e-5, warmup=12000, total=800000):
    """SPEC §10: learning rate of optimizer step n (1-based), in double: s = n − 2; lr 0 for s < 0; log warmup;
    linear decay."""
    s = n - 2
    if s < 0:
        return 0.0
    if s < warmup:
        return peak * ((1.0 / math.log(warmup)) * math.log(s + 1))  # DeepSpeed WarmupDecayLR operation order
    return peak * max(0.0, (total - s) / (total - warmup))


def train(W0, embed, samples, order, t2d, c, steps, gas=2, lr=warmup_decay_lr, clip=0.5):
    """Optimizer steps of SPEC §10 on the explicit micro-batch order (cycled): each micro-batch loss scaled by
    1/gas, gradients summed, global-norm clip, AdamW (β 0.9/0.95, ε 1e-8, wd 0). Returns (weights, log)."""
    params = {n: W0[n].clone().requires_grad_(True) for n in PARAM_NAMES}
    opt = torch.optim.AdamW([params[n] for n in PARAM_NAMES], lr=0.0, betas=(0.9, 0.95), eps=1e-8,
                            weight_decay=0.0, foreach=False)
    log = []
    micro = 0
    for n in range(1, steps + 1):
        losses = []
        for _ in range(gas):
            s = samples[order[micro % len(order)]]
            micro += 1
            pl, _ = ttt(params, embed, s["aux"], s["ids"], s["loss_mask"], s["logits"], t2d, c)
            loss = total_loss(pl)
            (loss / gas).backward()
            losses.append(loss.item())
        norm = torch.nn.utils.clip_grad_norm_([params[x] for x in PARAM_NAMES], clip, foreach=False).item()
        rate = lr(n)
        for group in opt.param_groups:
            group["lr"] = rate
        opt.step()
        opt.zero_grad()
        log.append({"step": n, "lr": rate, "grad_norm": norm, "losses": losses})
    return {x: params[x].detach().clone() for x in PARAM_NAMES}, log

#!/usr/bin/env python3
"""The PyTorch side of scripts/bench-forward.sh: transformers fp32 forward and generate throughput on the CPU,
printed as one JSON object per measurement in the same shape as `eagleprep forward|generate --benchmark`.

    bench_forward.py forward  --model PATH --threads 2 --sequences 4 --length 512 --runs 3
    bench_forward.py generate --model PATH --threads 2 --batch 16 --prompt-length 128 --new-tokens 64
    bench_forward.py make-model --out DIR   # the random Llama of the issue: H 1024, 8 layers, MLP 2816, V 32000

PATH is a Hugging Face folder or a .gguf file (loaded by transformers, dequantized to fp32).
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time


def load(path):
    import torch
    import transformers
    if path.endswith(".gguf"):
        return transformers.AutoModelForCausalLM.from_pretrained(os.path.dirname(path) or ".", gguf_file=os.path.basename(path),
                                                                 dtype=torch.float32).eval()
    return transformers.AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def forward(args):
    import torch
    torch.set_num_threads(args.threads)
    t = time.time()
    model = load(args.model)
    load_seconds = time.time() - t
    g = torch.Generator().manual_seed(1234)
    ids = torch.randint(0, model.config.vocab_size, (args.sequences, args.length), generator=g)
    times = []
    with torch.inference_mode():
        for run in range(args.runs + 1):
            t = time.time()
            logits = model(ids, use_cache=False).logits
            logits.argmax(-1)
            if run > 0:
                times.append(time.time() - t)
            del logits
    median = statistics.median(times)
    tokens = args.sequences * args.length
    print(json.dumps({"impl": "transformers", "model": args.model, "threads": args.threads, "sequences": args.sequences,
                      "length": args.length, "runs": args.runs, "seconds_median": median, "tokens_per_s": tokens / median,
                      "load_seconds": load_seconds, "peak_rss_mib": peak_rss_mib(),
                      "torch": torch.__version__, "transformers": __import__("transformers").__version__}))


def generate(args):
    import torch
    torch.set_num_threads(args.threads)
    model = load(args.model)
    g = torch.Generator().manual_seed(99)
    ids = torch.randint(0, model.config.vocab_size, (args.batch, args.prompt_length), generator=g)
    mask = torch.ones_like(ids)

    def run(n):
        t = time.time()
        model.generate(ids, attention_mask=mask, max_new_tokens=n, min_new_tokens=n, do_sample=False,
                       pad_token_id=0, eos_token_id=None)
        return time.time() - t

    with torch.inference_mode():
        run(2)  # warm-up
        prefill = run(1)
        total = run(args.new_tokens)
    print(json.dumps({"impl": "transformers", "model": args.model, "threads": args.threads, "batch": args.batch,
                      "prompt_length": args.prompt_length, "new_tokens": args.new_tokens, "prefill_seconds": prefill,
                      "total_seconds": total, "decode_tokens_per_s": args.batch * (args.new_tokens - 1) / max(total - prefill, 1e-9),
                      "peak_rss_mib": peak_rss_mib()}))


def make_model(args):
    import torch
    import transformers
    if os.path.exists(os.path.join(args.out, "config.json")):
        return
    torch.manual_seed(0)
    cfg = transformers.LlamaConfig(vocab_size=32000, hidden_size=1024, intermediate_size=2816, num_hidden_layers=8,
                                   num_attention_heads=16, num_key_value_heads=16, max_position_embeddings=4096,
                                   rms_norm_eps=1e-5, tie_word_embeddings=False)
    transformers.LlamaForCausalLM(cfg).float().save_pretrained(args.out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["forward", "generate", "make-model"])
    p.add_argument("--model")
    p.add_argument("--out")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--sequences", type=int, default=4)
    p.add_argument("--length", type=int, default=512)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--prompt-length", type=int, default=128)
    p.add_argument("--new-tokens", type=int, default=64)
    args = p.parse_args()
    {"forward": forward, "generate": generate, "make-model": make_model}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())

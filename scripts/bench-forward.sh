#!/usr/bin/env bash
# Target-model throughput: eagleprep's fp32 CPU forward pass and generation against transformers + PyTorch fp32 with
# the same thread count, interleaved round by round in one run (the machine may be shared: medians and ratios of
# neighbouring runs are what to read). Models: SmolLM2-135M-Instruct (the Q4_1 GGUF, dequantized to fp32 by both)
# and a random Llama of hidden 1024, 8 layers, MLP 2816, vocab 32000 (written once by bench_forward.py).
#   forward:  4 sequences × 512 tokens per packed batch, full-vocabulary logits + argmax, median over rounds;
#             eagleprep also measures the sgemm peak (2048³) in the same process → GFLOP/s and fraction of peak;
#   generate: greedy, 128-token random prompts, 32 new tokens, batch 1 and 16, decode tokens/s (prefill excluded);
#   peak resident memory of each process.
# Results: .build/bench-forward/results.jsonl (one line per measurement) and a markdown summary on stdout.
# Usage: scripts/bench-forward.sh [--threads N] [--rounds R] [--no-build] [--skip-generate]
#   PYTHON (default /work/pyref/bin/python, see pipelines/reference/target_model/requirements.txt);
#   SCRATCH: swift build scratch path (default .build).
set -euo pipefail
cd "$(dirname "$0")/.."

threads=2; rounds=3; build=1; generate=1
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --no-build) build=0 ;;
    --skip-generate) generate=0 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-forward.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

PY=${PYTHON:-/work/pyref/bin/python}
SCRATCH=${SCRATCH:-.build}
BENCH_PY=pipelines/reference/target_model/bench_forward.py
SMOL=.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf
LLAMA=.cache/models/bench-llama-1024
out=.build/bench-forward
results=$out/results.jsonl
mkdir -p "$out"
: > "$results"
export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads

[ -f "$SMOL" ] || scripts/setup.sh --no-build
if [ "$build" -eq 1 ]; then
  echo "bench: building eagleprep (release)" >&2
  swift build --scratch-path "$SCRATCH" -c release --product eagleprep 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' >&2
fi
EP="$SCRATCH/release/eagleprep"
"$PY" "$BENCH_PY" make-model --out "$LLAMA" 2>/dev/null

record() {  # record ROUND KIND COMMAND...: appends {"round", "kind", "load", "result"} to results.jsonl
  local round=$1 kind=$2; shift 2
  local load line
  load=$(cut -d' ' -f1 /proc/loadavg)
  line=$("$@" 2>/dev/null | grep '^{' | tail -1) || { echo "bench: failed: $*" >&2; return 0; }
  echo "{\"round\": $round, \"kind\": \"$kind\", \"load\": $load, \"result\": $line}" >> "$results"
  echo "bench: round $round $kind $(echo "$line" | cut -c1-160)" >&2
}

for r in $(seq 1 "$rounds"); do
  for model in "$SMOL" "$LLAMA"; do
    record "$r" forward "$EP" forward --benchmark --model "$model" --threads "$threads" --sequences 4 --length 512 --runs 1
    record "$r" forward "$PY" "$BENCH_PY" forward --model "$model" --threads "$threads" --sequences 4 --length 512 --runs 1
  done
done
if [ "$generate" -eq 1 ]; then
  for batch in 1 16; do
    record 1 generate "$EP" generate --benchmark --model "$SMOL" --threads "$threads" --batch-size "$batch" --prompt-length 128 --max-new-tokens 32
    record 1 generate "$PY" "$BENCH_PY" generate --model "$SMOL" --threads "$threads" --batch "$batch" --prompt-length 128 --new-tokens 32
  done
fi

"$PY" - "$results" "$threads" <<'PYEOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
threads = sys.argv[2]
name = lambda m: "SmolLM2-135M (GGUF→fp32)" if m.endswith(".gguf") else "random Llama H1024 8L"
med = lambda xs: statistics.median(xs) if xs else float("nan")
print(f"Threads: {threads}; load average during runs: {min(r['load'] for r in rows):.1f}–{max(r['load'] for r in rows):.1f} (2-core machine)\n")
print("| model | eagleprep tok/s | transformers tok/s | ratio | eagleprep GFLOP/s | sgemm peak GFLOP/s | fraction of peak | transformers fraction | peak RSS MiB (ep / tf) |")
print("|---|---|---|---|---|---|---|---|---|")
for model in dict.fromkeys(r["result"]["model"] for r in rows if r["kind"] == "forward"):
    ep = [r["result"] for r in rows if r["kind"] == "forward" and r["result"]["model"] == model and r["result"]["impl"] == "eagleprep"]
    tf = [r["result"] for r in rows if r["kind"] == "forward" and r["result"]["model"] == model and r["result"]["impl"] == "transformers"]
    ep_tps, tf_tps = med([e["tokens_per_s"] for e in ep]), med([t["tokens_per_s"] for t in tf])
    flop_per_token = med([e["gflops"] / e["tokens_per_s"] for e in ep]) * 1e9
    peak = med([e["sgemm_peak_gflops"] for e in ep])
    ratios = [e["tokens_per_s"] / t["tokens_per_s"] for e, t in zip(ep, tf)]
    print(f"| {name(model)} | {ep_tps:.0f} | {tf_tps:.0f} | {med(ratios):.2f}× (rounds: {', '.join(f'{x:.2f}' for x in ratios)}) | "
          f"{ep_tps * flop_per_token / 1e9:.0f} | {peak:.0f} | {ep_tps * flop_per_token / 1e9 / peak:.0%} | "
          f"{tf_tps * flop_per_token / 1e9 / peak:.0%} | {med([e['peak_rss_mib'] for e in ep]):.0f} / {med([t['peak_rss_mib'] for t in tf]):.0f} |")
gen = [r["result"] for r in rows if r["kind"] == "generate"]
if gen:
    print("\n| generation (SmolLM2, greedy, prompt 128, 32 new) | eagleprep decode tok/s | transformers decode tok/s | ratio | peak RSS MiB (ep / tf) |")
    print("|---|---|---|---|---|")
    for batch in sorted({g["batch"] for g in gen}):
        ep = [g for g in gen if g["batch"] == batch and g["impl"] == "eagleprep"]
        tf = [g for g in gen if g["batch"] == batch and g["impl"] == "transformers"]
        if ep and tf:
            a, b = ep[0]["decode_tokens_per_s"], tf[0]["decode_tokens_per_s"]
            print(f"| batch {batch} | {a:.1f} | {b:.1f} | {a / b:.2f}× | {ep[0]['peak_rss_mib']:.0f} / {tf[0]['peak_rss_mib']:.0f} |")
PYEOF

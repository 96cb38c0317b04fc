#!/usr/bin/env bash
# Drafter training throughput: `eagleprep train` (Swift, OpenBLAS) against the PyTorch reference drafter
# (pipelines/reference/drafter/bench_drafter.py, fp32 CPU) on the same shapes, CPU and thread count, interleaved in
# one run. One optimizer step = BATCH sequences of LENGTH tokens, forward + backward through the 7 TTT steps,
# clipping and AdamW. Reports the median step time per implementation (first step of each run is warm-up), the
# ratio, and peak RSS. The machine may be shared: run with ROUNDS ≥ 2 and read medians and ratios.
#
#   scripts/bench-train.sh                 # all configurations, 1 round
#   CONFIGS="smol8k" ROUNDS=3 scripts/bench-train.sh
#
# Environment: THREADS (default: all cores), LENGTH (512), BATCH (2), STEPS (3 measured), ROUNDS (1), MASK (0.6,
# supervised fraction of positions), CONFIGS (smol8k smol32k l1024), SIGNAL (draft: dump-shard signal for PyTorch
# too; full: the reference's full-vocabulary logits), PYTHON (/work/pyref/bin/python: needs torch; the script makes
# no venv), OUT (.build/bench-train), SCRATCH (.build: the SwiftPM build directory, release configuration).
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-$(nproc)}
LENGTH=${LENGTH:-512}
BATCH=${BATCH:-2}
STEPS=${STEPS:-3}
ROUNDS=${ROUNDS:-1}
MASK=${MASK:-0.6}
SIGNAL=${SIGNAL:-draft}
CONFIGS=${CONFIGS:-"smol8k smol32k l1024"}
PYTHON=${PYTHON:-/work/pyref/bin/python}
OUT=${OUT:-.build/bench-train}
mkdir -p "$OUT"
log="$OUT/results.jsonl"
: > "$log"

SCRATCH=${SCRATCH:-.build}
swift build -c release --product eagleprep --scratch-path "$SCRATCH" >/dev/null
bin=$SCRATCH/release/eagleprep

# name: hidden intermediate heads kv-heads vocab draft-vocab
shape() {
  case "$1" in
    smol8k) echo "576 1536 9 3 49152 8192" ;;     # SmolLM2-135M-sized drafter, Vd 8192
    smol32k) echo "576 1536 9 3 49152 32000" ;;   # same, Vd 32000
    l1024) echo "1024 3584 16 4 128256 32000" ;;  # Llama-3.1-8B-shaped, cut to H 1024 (I/H 3.5, GQA 4)
    *) echo "unknown config $1" >&2; exit 2 ;;
  esac
}

for round in $(seq "$ROUNDS"); do
  for cfg in $CONFIGS; do
    read -r H I NH NKV V VD <<<"$(shape "$cfg")"
    dir="$OUT/swift-$cfg"
    rm -rf "$dir"
    summary=$("$bin" train --synthetic "samples=$BATCH,length=$LENGTH,hidden=$H,intermediate=$I,heads=$NH,kv-heads=$NKV,vocab=$V,draft-vocab=$VD,mask=$MASK,seed=1" \
      --out "$dir" --max-steps $((STEPS + 1)) --epochs 100000 --batch-sequences "$BATCH" --no-shuffle --schedule constant --lr 1e-5 \
      --checkpoint-every 100000000 --threads "$THREADS" --quiet)
    peak=$(sed -n 's/.*peak memory \([0-9]*\) MiB in training steps.*/\1/p' <<<"$summary")
    "$PYTHON" - "$dir/metrics.jsonl" "$cfg" "$peak" "$round" >>"$log" <<'PY'
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1]) if '"type":"train"' in l][1:]
secs = sorted(s["seconds"] for s in steps)
print(json.dumps({"impl": "swift", "config": sys.argv[2], "round": int(sys.argv[4]), "step_seconds": [s["seconds"] for s in steps],
                  "median_step_seconds": secs[len(secs) // 2], "tokens_per_step": steps[0]["tokens"], "peak_rss_mib": float(sys.argv[3] or 0)}))
PY
    rm -rf "$dir"
    "$PYTHON" pipelines/reference/drafter/bench_drafter.py --hidden "$H" --intermediate "$I" --heads "$NH" --kv-heads "$NKV" \
      --vocab "$V" --draft-vocab "$VD" --length "$LENGTH" --batch "$BATCH" --steps "$STEPS" --threads "$THREADS" --mask "$MASK" \
      --signal "$SIGNAL" | "$PYTHON" -c "
import json, sys
r = json.loads(sys.stdin.read()); s = sorted(r['step_seconds'])
r.update(config='$cfg', round=$round, median_step_seconds=s[len(s) // 2], tokens_per_step=r['batch'] * r['length'])
print(json.dumps(r))" >>"$log"
    echo "bench-train: round $round $cfg done" >&2
  done
done

"$PYTHON" - "$log" "$THREADS" "$LENGTH" "$BATCH" "$MASK" "$SIGNAL" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"threads {sys.argv[2]}, {sys.argv[4]} × {sys.argv[3]} tokens per optimizer step, mask density {sys.argv[5]}, PyTorch signal {sys.argv[6]}")
print("| config | Swift s/step | Swift tok/s | PyTorch s/step | PyTorch tok/s | speedup | Swift peak RSS | PyTorch peak RSS |")
print("|---|---|---|---|---|---|---|---|")
for cfg in dict.fromkeys(r["config"] for r in rows):
    def med(impl, key):
        vals = [x for r in rows if r["config"] == cfg and r["impl"] == impl for x in (r["step_seconds"] if key == "s" else [r[key]])]
        return statistics.median(vals)
    tok = next(r["tokens_per_step"] for r in rows if r["config"] == cfg)
    s, p = med("swift", "s"), med("pytorch", "s")
    print(f"| {cfg} | {s:.2f} | {tok / s:.0f} | {p:.2f} | {tok / p:.0f} | {p / s:.2f}× | {med('swift', 'peak_rss_mib'):.0f} MiB | {med('pytorch', 'peak_rss_mib'):.0f} MiB |")
PY

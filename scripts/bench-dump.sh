#!/usr/bin/env bash
# The dump stage on a real target (docs/dump.md): SmolLM2-135M-Instruct (the Q4_1 GGUF, fp32 forward on the CPU)
# over the shared conversations (../shared/data/conversations), tokenized once with the model's own template and
# a draft vocabulary of --vocab-size ids (--pad). Each run dumps a deterministic share of the samples
# (--worker 0/SHARE) into a fresh directory; the stage's own timers split the run into forward (target forward
# pass, logits, gathering rows) and writing (encoding, byte shuffle, zstd, write, fsync, rename), so the writing
# cost is a fraction of the forward time measured in the same process. Medians over --runs per signal; then
# `inspect` of the last run of each signal for stored bytes per token by component.
# Results: .build/bench-dump/results.jsonl (one line per run), inspect summaries, and a summary on stdout.
# Usage: scripts/bench-dump.sh [--runs R] [--share N] [--threads T] [--vocab-size V] [--signals "logits hidden"] [--no-build]
#   WORK: data directory (default .build/bench-dump/work; the tokens and vocab are reused when present).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3; share=64; threads=2; vsize=8192; signals="logits hidden"; build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift ;;
    --share) share=$2; shift ;;
    --threads) threads=$2; shift ;;
    --vocab-size) vsize=$2; shift ;;
    --signals) signals=$2; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-dump.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

MODEL=.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf
DATA=${SHARED_DATA:-../shared/data}/conversations
out=.build/bench-dump
WORK=${WORK:-$out/work}
BIN=.build/release/eagleprep
results=$out/results.jsonl
mkdir -p "$out" "$WORK"
: > "$results"
[ -f "$MODEL" ] || { echo "bench-dump.sh: $MODEL missing (run scripts/setup.sh)" >&2; exit 1; }
if [ "$build" -eq 1 ]; then swift build -c release --product eagleprep 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' >&2; fi
export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads

if [ ! -f "$WORK/tokens/manifest.json" ]; then
  "$BIN" tokenize --model "$MODEL" --out "$WORK/tokens" --date 2026-01-01 --quiet "$DATA"/* >&2
fi
if [ ! -f "$WORK/vocab-$vsize/vocab.safetensors" ]; then
  "$BIN" vocab --tokens "$WORK/tokens" --size "$vsize" --pad --out "$WORK/vocab-$vsize" >&2
fi

echo "bench-dump: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), threads $threads, share 1/$share, vocab $vsize, $(date -u +%FT%TZ)"
for signal in $signals; do
  for r in $(seq 1 "$runs"); do
    dir=$WORK/dump-$signal
    rm -rf "$dir"
    line=$("$BIN" dump --model "$MODEL" --tokens "$WORK/tokens" --vocab "$WORK/vocab-$vsize" --out "$dir" --signal "$signal" \
             --worker "0/$share" --threads "$threads" --quiet | tr '\n' ' ')
    # "dump: DIR: S samples, T tokens, X MB stored (Y MB raw, ratio R), B bytes/token dump: this run: W s, forward F s (...), writing G s = P % ..."
    python3 - "$signal" "$r" "$line" "$(cut -d' ' -f1 /proc/loadavg)" >> "$results" <<'EOF'
import json, re, sys
signal, run, line, load = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
num = lambda pat: float(re.search(pat, line).group(1))
rec = {"signal": signal, "run": run, "samples": int(num(r"(\d+) samples")), "tokens": int(num(r"(\d+) tokens")),
       "stored_mb": num(r"([\d.]+) MB stored"), "raw_mb": num(r"([\d.]+) MB raw"), "ratio": num(r"ratio ([\d.]+)"),
       "bytes_per_token": num(r"([\d.]+) bytes/token"), "wall_s": num(r"this run: ([\d.]+) s"),
       "forward_s": num(r"forward ([\d.]+) s"), "write_s": num(r"writing ([\d.]+) s"), "load1_after": load}
rec["write_pct_of_forward"] = 100 * rec["write_s"] / rec["forward_s"]
rec["forward_tokens_per_s"] = rec["tokens"] / rec["forward_s"]
rec["end_to_end_tokens_per_s"] = rec["tokens"] / rec["wall_s"]
rec["write_raw_mb_per_s"] = rec["raw_mb"] / rec["write_s"]
print(json.dumps(rec))
EOF
    tail -1 "$results" >&2
  done
  "$BIN" verify "$WORK/dump-$signal" >&2
  "$BIN" inspect "$WORK/dump-$signal" --size-samples 64 | tee "$out/inspect-$signal.txt"
done

python3 - "$results" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("\n| signal | runs | tokens/run | forward tok/s | end-to-end tok/s | writing % of forward | write MB/s (raw) | ratio | stored B/token |")
print("|---|---|---|---|---|---|---|---|---|")
for s in dict.fromkeys(r["signal"] for r in rows):
    rs = [r for r in rows if r["signal"] == s]
    med = lambda k: statistics.median(r[k] for r in rs)
    spread = lambda k: f"{min(r[k] for r in rs):.1f}–{max(r[k] for r in rs):.1f}"
    print(f"| {s} | {len(rs)} | {rs[0]['tokens']} | {med('forward_tokens_per_s'):.0f} | {med('end_to_end_tokens_per_s'):.0f} | "
          f"{med('write_pct_of_forward'):.2f} ({spread('write_pct_of_forward')}) | {med('write_raw_mb_per_s'):.0f} | {med('ratio'):.3f} | {med('bytes_per_token'):.0f} |")
EOF

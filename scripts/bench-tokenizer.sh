#!/usr/bin/env bash
# Tokenizer encode throughput: eagleprep vs HF `tokenizers` and `tiktoken`, measured in the same run on the same
# text, with identical ids checked. Writes docs/benchmarks/tokenizer.md (and the raw JSON lines beside it).
# Usage: scripts/bench-tokenizer.sh [--size-mb 64] [--runs 3]
set -euo pipefail
cd "$(dirname "$0")/.."
size=64; runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mb) size=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "bench-tokenizer.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
data=${EAGLEPREP_SHARED_DATA:-../shared/data}
venv=.cache/venv-bench
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check \
    $(grep -E '^(tokenizers|tiktoken|regex)==' pipelines/reference/requirements.txt)
fi
scripts/setup.sh --no-model
mkdir -p .cache/bench docs/benchmarks
text=.cache/bench/text-${size}mb.jsonl
[ -f "$text" ] || "$venv/bin/python" scripts/bench/make_bench_text.py "$text" --size-mb "$size"
raw=docs/benchmarks/tokenizer.jsonl
: > "$raw.tmp"
for tok in llama-3.2 llama-2; do
  json=$data/tokenizers/$tok/tokenizer.json
  extra=(); [ "$tok" = llama-3.2 ] && extra=(--tiktoken)
  for threads in 1 2; do
    dump=(); [ "$threads" = 1 ] && dump=(--dump-ids ".cache/bench/$tok.ids.jsonl")
    "$venv/bin/python" scripts/bench/bench_tokenizers_py.py --text "$text" --tokenizer "$json" --threads "$threads" \
      --runs "$runs" "${extra[@]}" "${dump[@]}" | sed "s/^{/{\"tokenizer\": \"$tok\", /" | tee -a "$raw.tmp"
  done
  .build/release/eagleprep bench tokenizer --tokenizer "$json" --text "$text" --threads 1,2 --runs "$runs" \
    --check-ids ".cache/bench/$tok.ids.jsonl" | sed "s/^{/{\"tokenizer\": \"$tok\", /" | tee -a "$raw.tmp"
done
mv "$raw.tmp" "$raw"
"$venv/bin/python" - "$raw" "$size" "$(nproc)" <<'PY'
import json, sys, platform
rows = [json.loads(l) for l in open(sys.argv[1])]
def get(tok, impl, threads):
    for r in rows:
        if r.get("tokenizer") == tok and r.get("impl") == impl and r.get("threads") == threads and "mb_per_s" in r:
            return r
out = ["# Tokenizer throughput", "",
       f"Made by `scripts/bench-tokenizer.sh` on {platform.machine()} with {sys.argv[3]} cores: {sys.argv[2]} MiB of",
       "real-looking text (`scripts/bench/make_bench_text.py`, from the shared conversations), encoded without special",
       "tokens; median MB/s (UTF-8 input) of the timed runs after one warm-up; all implementations in the same run.", "",
       "| tokenizer | implementation | 1 thread MB/s | 2 threads MB/s | 2/1 | peak RSS MiB |", "|---|---|---|---|---|---|"]
for tok in ["llama-3.2", "llama-2"]:
    for impl in ["eagleprep", "tiktoken", "hf-tokenizers"]:
        a, b = get(tok, impl, 1), get(tok, impl, 2)
        if not a: continue
        out.append(f"| {tok} | {impl} | {a['mb_per_s']:.2f} | {b['mb_per_s']:.2f} | {b['mb_per_s']/a['mb_per_s']:.2f}× | {max(a['peak_rss_mb'], b['peak_rss_mb']):.0f} |")
out += ["", "Ratios (eagleprep ÷ peer, same threads):", ""]
for tok in ["llama-3.2", "llama-2"]:
    for peer in ["tiktoken", "hf-tokenizers"]:
        for t in [1, 2]:
            e, p = get(tok, "eagleprep", t), get(tok, peer, t)
            if e and p: out.append(f"- {tok}, {t} thread(s): {e['mb_per_s']/p['mb_per_s']:.2f}× {peer}")
checks = [r for r in rows if "mismatched" in r]
out += ["", "Identical ids: " + "; ".join(f"{r['tokenizer']}: {r['compared'] - r['mismatched']}/{r['compared']} lines equal to HF" for r in checks)]
tk = [r for r in rows if r.get("impl") == "tiktoken" and "mismatch_lines_vs_hf" in r]
if tk: out.append(f"(tiktoken vs HF on Llama-3: {tk[0]['mismatch_lines_vs_hf']} mismatching of {tk[0]['checked_lines']} lines).")
open("docs/benchmarks/tokenizer.md", "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY

#!/usr/bin/env bash
# Tokenize-stage throughput: eagleprep vs the Python path EAGLE-3 and SpecForge use (transformers
# apply_chat_template + tokenizer + the reference's mask), same machine, same run, identical ids and masks checked.
# Llama-3.2 tokenizer, Llama-3.1 template, reference mask and system prompt. Writes docs/benchmarks/tokenize.md.
# Usage: scripts/bench-tokenize.sh [--mb 100] [--python-mb 10] [--runs 3]
#   --python-mb: the Python path is measured on the first N MiB of the same file (it runs ~100 conversations/s;
#   100 MiB would take over an hour); rates are per conversation and per MB, so they compare directly.
set -euo pipefail
cd "$(dirname "$0")/.."
mb=100; pymb=10; runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --mb) mb=$2; shift 2 ;;
    --python-mb) pymb=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "bench-tokenize.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
data=${EAGLEPREP_SHARED_DATA:-../shared/data}
venv=.cache/venv-reference
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check $(grep -E '^(tokenizers|transformers|huggingface_hub|jinja2|numpy|regex|PyYAML|safetensors)==' pipelines/reference/requirements.txt)
fi
scripts/setup.sh --no-model
mkdir -p .cache/bench docs/benchmarks
conv=.cache/bench/conversations-${mb}mb.jsonl
[ -f "$conv" ] || "$venv/bin/python" scripts/bench/make_bench_conversations.py "$conv" --mb "$mb"
tok=$data/tokenizers/llama-3.2
tpl=$data/chat-templates/meta-llama-Llama-3.1-8B-Instruct.jinja
raw=docs/benchmarks/tokenize.jsonl
: > "$raw.tmp"
bytes=$(stat -c %s "$conv")
# Python and eagleprep runs alternate (python, eagleprep, python, …) so both see the same machine load: on a shared
# 2-core machine the load changes by minutes, and a ratio of medians taken minutes apart would measure the load.
# One untimed eagleprep warm-up per thread count (page cache); Python's tokenizer load is outside its clock.
for threads in 1 2; do
  times=(); pyruns=()
  for run in $(seq 0 "$runs"); do
    if [ "$run" -gt 0 ]; then
      dump=(); [ "$threads" = 1 ] && [ "$run" = 1 ] && dump=(--dump .cache/bench/tokenize-python.jsonl)
      pyruns+=("$("$venv/bin/python" scripts/bench/bench_tokenize_py.py --input "$conv" --tokenizer-dir "$tok" --template "$tpl" \
        --limit-mb "$pymb" --threads "$threads" --runs 1 "${dump[@]}" 2>/dev/null | grep '"summary"')")
    fi
    out=.cache/bench/tokenize-out-$threads
    rm -rf "$out"
    start=$EPOCHREALTIME
    .build/release/eagleprep tokenize --tokenizer "$tok" --template "$tpl" --input "$conv" --out "$out" \
      --ignore-tools --quiet --threads "$threads" > .cache/bench/tokenize-summary.txt
    end=$EPOCHREALTIME
    [ "$run" -gt 0 ] && times+=("$(awk "BEGIN{print $end - $start}")")
  done
  "$venv/bin/python" - "$pymb" "${pyruns[@]}" <<'PY' | tee -a "$raw.tmp"
import json, statistics, sys
runs = [json.loads(r) for r in sys.argv[2:]]
each = [r["median_seconds"] for r in runs]
conv = [r["median_conversations_per_s"] for r in runs]
mbps = [r["median_mb_per_s"] for r in runs]
print(json.dumps({"impl": "python", "mb": float(sys.argv[1]), "threads": runs[0]["threads"], "runs": len(runs),
                  "each_seconds": each, "median_conversations_per_s": statistics.median(conv),
                  "median_mb_per_s": statistics.median(mbps), "transformers": runs[0].get("transformers"),
                  "tokenizers": runs[0].get("tokenizers")}))
PY
  records=$(grep -o 'read [0-9]*' .cache/bench/tokenize-summary.txt | grep -o '[0-9]*')
  printf '{"impl": "eagleprep", "threads": %d, "mb": %s, "bytes": %d, "records": %d, "seconds": [%s]}\n' \
    "$threads" "$mb" "$bytes" "$records" "$(IFS=,; echo "${times[*]}")" | tee -a "$raw.tmp"
done
.build/release/eagleprep inspect .cache/bench/tokenize-out-1 --jsonl > .cache/bench/tokenize-swift.jsonl
mv "$raw.tmp" "$raw"
"$venv/bin/python" - "$raw" <<'PY'
import json, os, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
py = {r["threads"]: r for r in rows if r["impl"] == "python"}
sw = {r["threads"]: r for r in rows if r["impl"] == "eagleprep"}
# Identical ids and masks: every kept Python record vs the Swift samples in order (Swift covers the whole file).
swift = [json.loads(l) for l in open(".cache/bench/tokenize-swift.jsonl")]
pyd = [json.loads(l) for l in open(".cache/bench/tokenize-python.jsonl")]
kept = [r for r in pyd if "ids" in r]
same = sum(1 for a, b in zip(kept, swift) if a["ids"] == b["ids"] and a["loss_mask"] == b["loss_mask"])
out = ["# Tokenize-stage throughput", "",
       "Made by `scripts/bench-tokenize.sh`: ShareGPT conversations recombined from the shared files",
       "(`scripts/bench/make_bench_conversations.py`), Llama-3.2 tokenizer, Llama-3.1 template, reference system prompt",
       "and mask, 2048-token length rule. Python: `apply_chat_template` + `tokenizer(...)` + the reference's string-split",
       "mask (the EAGLE-3 path, `scripts/bench/bench_tokenize_py.py`; N processes for N threads). eagleprep: the",
       "`tokenize` command end to end (read, render, tokenize, mask, compress, write shards, fsync). Medians of the timed",
       "runs; Python and eagleprep runs alternate within the script so both see the same machine load.",
       f"Machine: {os.cpu_count()} cores, load average at the end {os.getloadavg()[0]:.1f}.", "",
       "| implementation | threads | input MB | conversations/s | MB/s | ratio vs Python (same threads) |", "|---|---|---|---|---|---|"]
for t in (1, 2):
    p, s = py.get(t), sw.get(t)
    if not p or not s: continue
    sec = statistics.median(s["seconds"])
    s_conv, s_mb = s["records"] / sec, s["bytes"] / 1e6 / sec
    p_conv, p_mb = p["median_conversations_per_s"], p["median_mb_per_s"]
    out.append(f"| Python (transformers) | {t} | {p['mb']} | {p_conv:.0f} | {p_mb:.2f} | 1.00× |")
    out.append(f"| eagleprep | {t} | {s['mb']} | {s_conv:.0f} | {s_mb:.2f} | {s_mb / p_mb:.1f}× |")
if 1 in sw and 2 in sw:
    out.append("")
    out.append(f"eagleprep 2 threads / 1 thread: {statistics.median(sw[1]['seconds']) / statistics.median(sw[2]['seconds']):.2f}×.")
out += ["", f"Identical ids and loss masks: {same} of the {len(kept)} samples the Python path kept from its {py[1]['mb'] if 1 in py else '?'} MiB subset."]
open("docs/benchmarks/tokenize.md", "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY

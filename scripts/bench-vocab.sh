#!/usr/bin/env bash
# Draft-vocabulary counting throughput: `eagleprep vocab` at 1 and 2 threads (reading the token shards from disk)
# against Python collections.Counter (the reference's method) and numpy.bincount on the same ids, same run, median
# of interleaved rounds. Data: synthetic token shards with a Zipf-like id distribution fitted to real Llama-3.2
# tokens (pipelines/reference/vocab/synth_token_shards.py), cached under .cache/bench/. Writes the results table
# into docs/vocab.md (between the bench-vocab markers) and the raw timings to .cache/bench/vocab-bench.json.
# Usage: scripts/bench-vocab.sh [--supervised 100000000] [--counter-subset 10000000] [--runs 3]
#   PYTHON: interpreter with numpy and safetensors (default /work/pyref/bin/python, else .cache/venv-reference).
#   EAGLEPREP: a prebuilt eagleprep binary (default: built here, release, --scratch-path .build-vocab).
set -euo pipefail
cd "$(dirname "$0")/.."
supervised=100000000; subset=10000000; runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --supervised) supervised=$2; shift 2 ;;
    --counter-subset) subset=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "bench-vocab.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
python=${PYTHON:-}
if [ -z "$python" ]; then
  for p in /work/pyref/bin/python .cache/venv-reference/bin/python; do [ -x "$p" ] && { python=$p; break; }; done
fi
[ -n "$python" ] && "$python" -c 'import numpy, safetensors, xxhash' 2>/dev/null || {
  echo "bench-vocab.sh: need a Python with numpy, safetensors and xxhash (set PYTHON=...)" >&2; exit 1; }
bin=${EAGLEPREP:-}
if [ -z "$bin" ]; then
  swift build -c release --scratch-path .build-vocab --product eagleprep
  bin=.build-vocab/release/eagleprep
fi
"$bin" help vocab >/dev/null 2>&1 || {
  echo "bench-vocab.sh: $bin has no 'vocab' command (VocabCommand must be listed in EagleprepMain.commands)" >&2; exit 1; }
data=.cache/bench/vocab-synthetic-v2-$supervised
if [ ! -f "$data/manifest.json" ]; then
  rm -rf "$data"
  "$python" pipelines/reference/vocab/synth_token_shards.py --out "$data" --supervised "$supervised"
fi
"$python" pipelines/reference/vocab/bench_vocab.py --tokens "$data" --eagleprep "$bin" --runs "$runs" \
  --counter-subset "$subset" --doc docs/vocab.md --raw .cache/bench/vocab-bench.json --scratch .cache/bench/vocab-out

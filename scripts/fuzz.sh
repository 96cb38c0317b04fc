#!/usr/bin/env bash
# Coverage-guided fuzzing of every reader of hostile input (libFuzzer + AddressSanitizer through the Swift
# toolchain; see docs/fuzzing.md). Builds the one fuzz binary in .build-fuzz (never touching .build), writes each
# target's seed corpus from ../shared/data and the committed fixtures, then runs the targets one after another.
#
#   scripts/fuzz.sh [--seconds N] [--cores N] [--timeout S] [--nice N] [--build-only | --binary PATH] [TARGET…]
#
# Each target runs N seconds (default 60) in --cores worker processes (default 2) sharing one corpus. Prints per
# target: executions, exec/s, coverage (edges), features, corpus size, peak RSS; exits 1 if any target found a crash,
# a hang (over --timeout s per input, default 10) or an allocation over the limits, with the input saved under
# .build-fuzz/findings/TARGET/. Targets: conversations tokenizer-json tokenizer-encode jinja gguf safetensors
# token-shard dump-shard verify (default: all). The growing corpus is kept in .build-fuzz/corpus/TARGET.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=60 cores=2 nice_level=0 build_only=0 binary="" timeout=10 rss_mb=2048 malloc_mb=1024
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --cores) cores=$2; shift 2 ;;
    --nice) nice_level=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --build-only) build_only=1; shift ;;
    --binary) binary=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(conversations tokenizer-json tokenizer-encode jinja gguf safetensors token-shard dump-shard verify)

scratch=.build-fuzz
if [ -n "$binary" ]; then bin=$binary; else
  echo "fuzz.sh: building the fuzz binary (release, -sanitize=fuzzer,address) in $scratch" >&2
  EAGLEPREP_FUZZ=1 nice -n "$nice_level" swift build -c release --scratch-path "$scratch" --product eagleprep-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Write|Building)|^Build' >&2
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "fuzz.sh: build failed" >&2; exit 1; }
  bin="$scratch/release/eagleprep-fuzz"
fi
[ "$build_only" -eq 1 ] && { echo "$bin"; exit 0; }

max_len() {
  case "$1" in
    jinja) echo 32768 ;; tokenizer-json) echo 131072 ;; gguf) echo 65536 ;; verify|dump-shard|token-shard) echo 8192 ;;
    *) echo 16384 ;;
  esac
}

failed=0
printf '%-17s %10s %7s %8s %8s %7s %7s %s\n' target execs exec/s cov ft corpus rss_mb result
for t in "${targets[@]}"; do
  seeds="$scratch/seeds/$t" corpus="$scratch/corpus/$t" findings="$scratch/findings/$t" log="$scratch/fuzz-$t.log"
  mkdir -p "$corpus" "$findings" "$scratch/seeds"
  # Seeds are rewritten on every run: they come from the binary's own writers, which change with the formats.
  rm -rf "$seeds"
  EAGLEPREP_FUZZ_TARGET=$t EAGLEPREP_FUZZ_SEEDS="$seeds" "$bin" >/dev/null 2>"$scratch/seeds-$t.log" \
    || { echo "fuzz.sh: $t: writing seeds failed: $(tail -1 "$scratch/seeds-$t.log")" >&2; failed=1; continue; }
  flags=(-max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss_mb" -malloc_limit_mb="$malloc_mb"
         -max_len="$(max_len "$t")" -artifact_prefix="$findings/" -print_final_stats=1 -detect_leaks=0)
  start=$(date +%s)
  # LeakSanitizer is off: Swift packs enum tags into spare pointer bits, so it reports objects reachable from globals.
  export ASAN_OPTIONS=detect_leaks=0 EAGLEPREP_FUZZ_TARGET=$t
  # --cores independent workers (libFuzzer's -jobs=N -workers=N, started here so that each has its own log and no
  # idle parent loads the target's fixed data) on the same corpus folder; each re-reads the others' new inputs every
  # second (-reload=1), so their coverage converges. Combined figures: executions summed, coverage, features and
  # corpus of the worker that reached the most edges, peak RSS of the largest worker. (-fork=N restarts a process,
  # with the target's one-time setup, for every job and every merge: 9× fewer tokenizer-encode executions.)
  pids=()
  trap 'kill "${pids[@]}" 2>/dev/null; exit 130' INT TERM
  for w in $(seq 1 "$cores"); do
    nice -n "$nice_level" "$bin" "$corpus" "$seeds" "${flags[@]}" >"$log.$w" 2>&1 &
    pids+=($!)
  done
  status=0
  for p in "${pids[@]}"; do wait "$p" || status=$?; done
  for w in $(seq 1 "$cores"); do echo "=== worker $w"; cat "$log.$w"; done >"$log"
  execs=0 rss=0 last="" best=-1
  for w in $(seq 1 "$cores"); do
    e=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log.$w" | grep -o '[0-9]*$' | tail -1); execs=$((execs + ${e:-0}))
    r=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log.$w" | grep -o '[0-9]*$' | tail -1); [ "${r:-0}" -gt "$rss" ] && rss=$r
    l=$(grep -E '^#[0-9]+' "$log.$w" | tail -1); c=$(grep -o 'cov: [0-9]*' <<<"$l" | grep -o '[0-9]*')
    [ "${c:--1}" -gt "$best" ] && { best=$c; last=$l; }
    rm -f "$log.$w"
  done
  elapsed=$(( $(date +%s) - start ))
  cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*'); ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*')
  corp=$(grep -o 'corp: [0-9]*' <<<"$last" | grep -o '[0-9]*')
  rate=$( [ -n "$execs" ] && [ "$elapsed" -gt 0 ] && echo $(( execs / elapsed )) )
  if [ $status -eq 0 ]; then result="ok (${elapsed} s)"; else
    # A Swift trap's reason first: Swift's crash handler then reads memory that ASan reports as an "unknown-crash".
    why=$(grep -Eo 'Swift runtime failure: [^/]*[a-z]|Fatal error: .*' "$log" | head -1)
    [ -n "$why" ] || why=$(grep -Eo 'ERROR: [A-Za-z]+: [^ ]+( [^ ]+)?|ERROR: libFuzzer: [a-z-]+' "$log" | head -1)
    result="FOUND (exit $status): $why; input in $findings; log $log"
    failed=1
  fi
  printf '%-17s %10s %7s %8s %8s %7s %7s %s\n' "$t" "${execs:--}" "${rate:--}" "${cov:--}" "${ft:--}" "${corp:--}" "${rss:--}" "$result"
done
exit $failed

#!/usr/bin/env bash
# The test command: setup (system libraries, model fetch), then the whole XCTest suite, built optimised
# (the model and tokenizer tests run minutes faster; -enable-testing keeps @testable imports working).
# Ends with one summary line "Tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-build || exit 1
# The Python shard-reader test's numpy + zstandard venv (.cache/python-env); without it that test fails under CI=true.
scripts/python-env.sh >/dev/null || echo "test.sh: scripts/python-env.sh failed; the Python reader test cannot run" >&2
mkdir -p .build
log=.build/test-output.txt
swift test -c release -Xswiftc -enable-testing --disable-swift-testing 2>&1 \
  | grep --line-buffered -Ev '^Test Case .* started|^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Write|Linking|Building)' \
  | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -cE "^Test Case '.*' passed" "$log")
failed=$(grep -cE "^Test Case '.*' failed" "$log")
skipped=$(grep -cE "^Test Case '.*' skipped" "$log")
# The real-Slurm test of `eagleprep slurm` (docs/scale-out.md): CI only, as root (it installs slurm-wlm and munge
# and starts a one-node cluster for a few minutes).
if [ "${CI:-}" = true ] && [ "$(id -u)" = 0 ]; then
  scripts/slurm-test.sh || { echo "test.sh: scripts/slurm-test.sh failed" >&2; [ "$status" -ne 0 ] || status=1; }
fi
echo "Tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then echo "test.sh: no test ran" >&2; exit 1; fi
exit "$status"

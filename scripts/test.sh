#!/usr/bin/env bash
# The test command: setup (system libraries, model fetch; no release build), then the whole Swift test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-build
mkdir -p .build
swift test 2>&1 | grep --line-buffered -Ev '^Test Case .* started|^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Write|Linking|Building)' | tee .build/test-output.txt

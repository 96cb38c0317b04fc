#!/usr/bin/env bash
# The small Python environment the Python shard-reader test needs (pipelines/python, Tests/TargetDumpTests):
# a venv at .cache/python-env with pinned numpy and zstandard wheels from PyPI. Idempotent: a stamp file records
# the pinned versions, so a second run returns at once. Prints the interpreter's path on stdout.
# Usage: scripts/python-env.sh
set -euo pipefail
cd "$(dirname "$0")/.."

NUMPY=numpy==2.2.6
ZSTANDARD=zstandard==0.23.0
ENV=.cache/python-env
STAMP="$ENV/.eagleprep-pins"
want="$NUMPY $ZSTANDARD"

if [ -x "$ENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  echo "$ENV/bin/python"
  exit 0
fi
say() { echo "python-env: $*" >&2; }
command -v python3 >/dev/null || { say "python3 not found"; exit 1; }
mkdir -p .cache
rm -rf "$ENV"
say "creating $ENV with $want"
python3 -m venv "$ENV" || { say "python3 -m venv failed (Debian: apt-get install python3-venv)"; exit 1; }
"$ENV/bin/python" -m pip install -q --disable-pip-version-check --only-binary=:all: "$NUMPY" "$ZSTANDARD" >&2 \
  || { say "pip install failed"; rm -rf "$ENV"; exit 1; }
echo "$want" > "$STAMP"
echo "$ENV/bin/python"

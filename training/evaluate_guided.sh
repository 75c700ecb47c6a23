#!/usr/bin/env bash
# The evaluation behind this round's model card: the new default (archunet-guided) against the previous
# one (archunet-cpu) and the report's GAN, on the held-out test split, through the engine, at each
# image's own resolution: clean (as the app reduces a colour scan to L), aged (the same photographs
# rendered as old prints by training.degrade, fixed seed), with plain bilinear upsampling (for the
# edge-bleed figure), and the guidance curves. Nothing here is tuned on the test split.
set -euo pipefail
cd "$(dirname "$0")/.."
NEW=${NEW:-models/archunet-guided.safetensors}
OLD=${OLD:-models/archunet-cpu.safetensors}
OUT=${OUT:-models/eval}
STRIDE=${STRIDE:-1}
models=(--model "archunet-cpu (previous default)=$OLD" --model "archunet-guided (new default)=$NEW")
python -m training.evaluate --split test --stride "$STRIDE" --out "$OUT/test.md" "${models[@]}" \
  --model "report GAN (reference)=models/report-gan.safetensors"
python -m training.evaluate --split test --stride "$STRIDE" --aged --out "$OUT/test_aged.md" "${models[@]}"
python -m training.evaluate --split test --stride "$STRIDE" --upsampling bilinear --out "$OUT/test_bilinear.md" "${models[@]}"
python -m training.evaluate_guidance --split test --stride $((STRIDE * 4)) --model "$NEW" --out "$OUT/guidance.md"

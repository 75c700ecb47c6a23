#!/usr/bin/env bash
# The evaluation behind models/MODEL_CARD.md: every model on the held-out test split, through the
# engine, at each image's own resolution (and each model's own default working size).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
OUT=${OUT:-models/eval}
python -m training.evaluate --split test --out "$OUT/test.md" \
  --model "report baseline (MSE)=$RUNS/baseline/model.safetensors" \
  --model "report generator, MSE only=$RUNS/mse/model.safetensors" \
  --model "report GAN=models/report-gan.safetensors" \
  --model "ours, equal budget=$RUNS/ours_equal/model.safetensors" \
  --model "ours (bundled: archunet-cpu)=models/archunet-cpu.safetensors"

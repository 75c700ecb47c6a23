#!/usr/bin/env bash
# One prepared use of a lent GPU machine (about 10 minutes of training), in two halves.
#
#   here (has ../shared/datasets):   bash training/gpu_run.sh prepare
#       packs train+val as WebP into runs/data-128.npz (checked under 60 MiB: the call carries 64 MiB)
#   on the GPU machine (the device tool's `run`, carrying runs/data-128.npz):
#       bash training/gpu_run.sh train
#       installs the pinned torch if needed and trains each recipe of RECIPES (default "aged cls":
#       the default model's regression recipe and classification over ab bins, the comparison issue 9
#       asks for at a budget the CPU never had) from the bundled default for MINUTES each (default
#       4.5) at batch 128, the schedule fitted to the time; evaluates nothing (evaluation runs here,
#       on the original files) and leaves in $OUT/<recipe>/: the exported weights, the history and the
#       log; in $OUT: nvidia-smi and a forward-pass benchmark (bench/bench_models.py).
#   back here:  python -m training.bundle ... and training/evaluate_all.sh (see models/MODEL_CARD.md)
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  prepare)
    python -m training.pack --compact runs/data-128.npz --quality "${QUALITY:-55}"
    size=$(stat -c %s runs/data-128.npz)
    echo "runs/data-128.npz: $((size / 1048576)) MiB"
    [ "$size" -lt $((60 * 1048576)) ] || { echo "too big for one call: lower QUALITY" >&2; exit 1; }
    ;;
  train)
    OUT=${OUT:-out}
    mkdir -p "$OUT"
    python -c "import torch, archcolour" 2>/dev/null || {
      python3 -m venv .venv-gpu && . .venv-gpu/bin/activate && pip install -q torch && pip install -q -e . ; }
    nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || true
    for recipe in ${RECIPES:-aged cls}; do
      mkdir -p "$OUT/$recipe"
      python -m training.train --packed runs/data-128.npz --device cuda --recipe "$recipe" \
        --init models/archunet-aged.safetensors --image-steps 5000000 --batch 128 --max-minutes "${MINUTES:-4.5}" \
        --eval-every 50000 --ckpt-every 50000 --val-images 1024 --set lr=1e-3 --set warmup=0.03 \
        --name "archunet-$recipe-gpu" --out "runs/${recipe}_gpu" 2>&1 | tee "$OUT/$recipe/train.log"
      cp "runs/${recipe}_gpu/model.safetensors" "runs/${recipe}_gpu/history.json" "$OUT/$recipe/"
    done
    python bench/bench_models.py > "$OUT/bench_models.txt" 2>&1 || true
    ;;
  *) echo "usage: $0 prepare|train" >&2; exit 2 ;;
esac

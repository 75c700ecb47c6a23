#!/usr/bin/env bash
# One prepared use of a lent GPU machine (about 10 minutes of training), in two halves.
#
#   here (has ../shared/datasets):   bash training/gpu_run.sh prepare
#       packs train+val as WebP into runs/data-128.npz (checked under 60 MiB: the call carries 64 MiB)
#   on the GPU machine (the device tool's `run`, carrying runs/data-128.npz):
#       bash training/gpu_run.sh train
#       installs the pinned torch if needed, trains the 'guided' recipe from the bundled weights for
#       MINUTES (default 9) at batch 128 with the schedule fitted to the time, evaluates nothing
#       (evaluation runs here, on the original files), and leaves in $OUT: the exported weights, the
#       history, the log, nvidia-smi and a forward-pass benchmark (bench/bench_models.py).
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
    python -m training.train --packed runs/data-128.npz --device cuda --recipe guided \
      --init models/archunet-cpu.safetensors --image-steps 5000000 --batch 128 --max-minutes "${MINUTES:-9}" \
      --eval-every 50000 --ckpt-every 50000 --val-images 1024 --drop-dull 0.1 --set lr=1e-3 --set warmup=0.03 \
      --name archunet-guided --out runs/guided_gpu 2>&1 | tee "$OUT/train.log"
    cp runs/guided_gpu/model.safetensors runs/guided_gpu/history.json "$OUT/"
    python bench/bench_models.py > "$OUT/bench_models.txt" 2>&1 || true
    ;;
  *) echo "usage: $0 prepare|train" >&2; exit 2 ;;
esac

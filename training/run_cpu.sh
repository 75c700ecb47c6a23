#!/usr/bin/env bash
# The CPU training run that produced the first bundled weights (no GPU in that session).
# Equal-budget comparison: every recipe gets B = 5,000 image-steps of its own training; the report's
# GAN additionally gets 2,500 adversarial image-steps on top of its 5,000 MSE pre-training (so the
# reference has *more* budget than ours at the comparison point). Our bundled model then continues to
# 48,000 image-steps; its 5,000-step snapshot is the equal-budget entry.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
B=${B:-5000}
LONG=${LONG:-32000}
python -m training.train --recipe ours --image-steps "$LONG" --snapshot "$B" --out "$RUNS/ours" --name archunet-cpu
python -m training.train --recipe baseline --image-steps "$B" --out "$RUNS/baseline" --name report-baseline
python -m training.train --recipe mse --image-steps "$B" --out "$RUNS/mse" --name report-generator-mse
python -m training.train --recipe gan --init "$RUNS/mse/checkpoint.pt" --image-steps "$((B / 2))" --out "$RUNS/gan" --name report-gan

"""Training module: reproduces the report's recipe and trains archcolour's own model.

Not needed at run time; the app only needs the exported weights in ``models/``.

    python -m training.pack   --data-root ../shared/datasets          # scan, split, pack 128-px cache
    python -m training.train  --recipe ours --image-steps 60000 --out runs/ours
    python -m training.evaluate --runs runs --out models/eval.md
"""

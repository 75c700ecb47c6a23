"""Choose how the ensemble's looks are combined: a grid of agreement x gain on the validation split.

The network takes its looks at each photograph once (``Colouriser.take_looks``, the ensemble given);
each (agreement, gain) of the grid is then combined (``archcolour.looks.combine``), upsampled and
recombined by the engine, and scored as ``training.evaluate`` scores. So a grid of 25 settings costs
little more than one evaluation.

    python -m training.tune_ensemble --model models/archunet-aged4.safetensors --split val --stride 5 \\
        --agreement 0,4,8,16 --gain 1.05,1.15,1.2,1.25 [--aged] --out models/eval/round5_val_tune.json

Use it on the validation split only; the test split is for the final table.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from archcolour import looks
from archcolour.engine import Colouriser, Prediction

from .data import default_data_root
from .evaluate import load_images, split_files
from .metrics import image_metrics, summarise


def tune(model: str, files: list[Path], agreements: list[float], gains: list[float], aged: bool = False,
         ensemble: str = "full", seed: int = 0, progress: bool = True) -> dict[str, dict]:
    """Summary metrics per setting, keyed ``"agreement A, gain G"``."""
    c = Colouriser(model, device="cpu", seed=seed, ensemble=ensemble)
    rows: dict[tuple[float, float], list] = {(a, g): [] for a in agreements for g in gains}
    t0 = time.perf_counter()
    images = load_images(files, seed, aged)  # as training.evaluate scores them
    for i, (_, rgb, l_np) in enumerate(images):
        l = torch.from_numpy(l_np)
        views, l_small = c.take_looks(l)
        for a in agreements:
            for g in gains:
                ab = looks.combine(views, g, a)
                out = c.recombine(l, Prediction(ab=ab, l_small=l_small), out_dtype=np.float32)
                rows[(a, g)].append(image_metrics(out, rgb))
        if progress and (i + 1) % 50 == 0:
            print(f"  {i + 1}/{len(images)} ({time.perf_counter() - t0:.0f} s)", flush=True)
    return {f"agreement {a:g}, gain {g:g}": summarise(r) | {"agreement": a, "gain": g, "ensemble": ensemble,
                                                            "sha256": c.info.sha256, "aged": aged}
            for (a, g), r in rows.items()}


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.tune_ensemble", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="weights (.safetensors)")
    p.add_argument("--split", choices=["train", "val", "test"], default="val")
    p.add_argument("--data-root", default="")
    p.add_argument("--only-set", default="", help="only the photographs of this data set (a folder of the data root)")
    p.add_argument("--stride", type=int, default=5, help="every k-th photograph (after --only-set)")
    p.add_argument("--agreement", type=_floats, default=[0.0])
    p.add_argument("--gain", type=_floats, default=[1.0])
    p.add_argument("--aged", action="store_true", help="input L rendered as an old print (as training.evaluate)")
    p.add_argument("--ensemble", default="full", help="whose looks (archcolour.choices.ENSEMBLES)")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--out", default=None, help="a .json with the numbers")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    root = Path(a.data_root) if a.data_root else default_data_root()
    files = split_files(root, a.split)
    if a.only_set:
        files = [f for f in files if f.relative_to(root).parts[0] == a.only_set]
    res = tune(a.model, files[::max(1, a.stride)], a.agreement, a.gain, aged=a.aged, ensemble=a.ensemble)
    for k, s in res.items():
        print(f"{k:26s} PSNR {s['psnr']:.3f}  CIEDE2000 {s['ciede2000']:.3f}  ab RMSE {s['ab_rmse']:.3f}  "
              f"gap {s['colourfulness_gap']:.2f}  edge {s['edge_ab_rmse']:.3f}")
    if a.out:
        from archcolour.fsutil import atomic_write_bytes

        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(Path(a.out), json.dumps(res, indent=1).encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

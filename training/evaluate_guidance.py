"""How much user guidance helps: colour hints and a reference photograph, through the engine.

* **Hints curve** (as Zhang et al. 2017, Fig. 5): every test photograph colourised with 0, 1, 2, 5, 10
  and 20 hints taken from its own colours (random positions, fixed seed per image; each hint's colour
  is the mean ab of the true photograph over a spot of radius 1% of the short side), PSNR,
  CIEDE2000 and ab RMSE for each count.
* **Reference**: the same photographs with their own colour photograph as the reference.
* **Series consistency**: four overlapping crops (60% of each side) of each photograph stand in for
  a series of prints of one site; each crop is colourised without and with one shared reference
  (the whole photograph). Reported: the spread (standard deviation across the crops) of the mean a
  and b, averaged over the scenes, against the same spread in the true colours.

    python -m training.evaluate_guidance --model models/archunet-guided.safetensors --split test \
        --out models/eval/guidance.md
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from archcolour import colour
from archcolour.engine import Colouriser, Guidance, reference_distribution
from archcolour.hints import Hint

from .data import default_data_root
from .evaluate import l_of, load_rgb, report, split_files
from .metrics import image_metrics

COUNTS = (0, 1, 2, 5, 10, 20)


def sample_hints(rgb: np.ndarray, k: int, seed: int, radius: float = 0.01) -> tuple[Hint, ...]:
    """``k`` hints from the true colours of ``rgb`` (H, W, 3) at random positions."""
    if k == 0:
        return ()
    h, w = rgb.shape[:2]
    ab = colour.rgb_to_lab(torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1))[1:].numpy()
    r = max(0, round(radius * min(h, w)))
    g = np.random.default_rng(seed)
    out = []
    for _ in range(k):
        y, x = int(g.integers(0, h)), int(g.integers(0, w))
        patch = ab[:, max(0, y - r):y + r + 1, max(0, x - r):x + r + 1]
        a, b = (float(v) for v in patch.reshape(2, -1).mean(1))
        out.append(Hint(x=(x + 0.5) / w, y=(y + 0.5) / h, a=a, b=b, radius=radius))
    return tuple(out)


def crops(rgb: np.ndarray, frac: float = 0.6) -> list[np.ndarray]:
    h, w = rgb.shape[:2]
    ch, cw = int(h * frac), int(w * frac)
    return [rgb[:ch, :cw], rgb[:ch, w - cw:], rgb[h - ch:, :cw], rgb[h - ch:, w - cw:]]


def mean_ab(rgb: np.ndarray) -> np.ndarray:
    return colour.rgb_to_lab(torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1))[1:].mean((1, 2)).numpy()


def evaluate(model: str, files: list[Path], device: str = "cpu", progress: bool = True) -> dict:
    c = Colouriser(model, device=device)
    if not c.accepts_hints or not c.reference_bins:
        raise SystemExit(f"{model} takes no hints or no reference")
    rows: dict[str, list] = {f"hints_{k}": [] for k in COUNTS} | {"reference": []}
    spread = {"truth": [], "no_reference": [], "shared_reference": []}
    for i, f in enumerate(files):
        rgb = load_rgb(f)
        l = l_of(rgb)
        for k in COUNTS:
            out = c.colourise(l, out_dtype=np.float32, guide=Guidance(hints=sample_hints(rgb, k, seed=i))).rgb
            rows[f"hints_{k}"].append(image_metrics(out, rgb))
        ref = reference_distribution(rgb, c.reference_bins)
        out = c.colourise(l, out_dtype=np.float32, guide=Guidance(reference=ref)).rgb
        rows["reference"].append(image_metrics(out, rgb))
        parts = crops(rgb)
        spread["truth"].append(np.stack([mean_ab(p) for p in parts]).std(0).mean())
        for key, g in (("no_reference", Guidance()), ("shared_reference", Guidance(reference=ref))):
            outs = [c.colourise(l_of(p), out_dtype=np.float32, guide=g).rgb for p in parts]
            spread[key].append(np.stack([mean_ab(o) for o in outs]).std(0).mean())
        if progress and (i + 1) % 50 == 0:
            print(f"  {i + 1}/{len(files)}", flush=True)
    summary = {k: {m: float(np.nanmean([r[m] for r in v])) for m in ("psnr", "ciede2000", "ab_rmse")}
               for k, v in rows.items()}
    summary["series_spread_ab"] = {k: float(np.mean(v)) for k, v in spread.items()}
    summary["n"] = len(files)
    summary["model"] = c.info.name
    return summary


def markdown(s: dict, title: str) -> str:
    lines = [f"**{title}** ({s['n']} photographs, model `{s['model']}`)", "",
             "| guidance | PSNR (dB) ↑ | CIEDE2000 ↓ | ab RMSE ↓ |", "|---|---|---|---|"]
    for k in [f"hints_{k}" for k in COUNTS] + ["reference"]:
        label = f"{k.split('_')[1]} hints" if k.startswith("hints") else "own photograph as reference"
        lines.append(f"| {label} | {s[k]['psnr']:.2f} | {s[k]['ciede2000']:.2f} | {s[k]['ab_rmse']:.2f} |")
    sp = s["series_spread_ab"]
    lines += ["", "Series consistency (4 crops of each photograph; std of mean a, b across crops, averaged): "
              f"truth {sp['truth']:.2f}, without reference {sp['no_reference']:.2f}, "
              f"with one shared reference {sp['shared_reference']:.2f}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.evaluate_guidance", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="weights of a model that takes hints and a reference")
    p.add_argument("--split", choices=["val", "test"], default="test")
    p.add_argument("--stride", type=int, default=1)
    p.add_argument("--data-root", default="")
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    root = Path(a.data_root) if a.data_root else default_data_root()
    s = evaluate(a.model, split_files(root, a.split, stride=a.stride), a.device)
    table = markdown(s, f"{a.split} split of {root.name}")
    report(table, s, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

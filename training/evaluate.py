"""Evaluate colourisers on the held-out test split, through the same engine the app uses.

Each test photograph is read at its own resolution, reduced to L exactly as the app reduces a colour
scan, colourised by :class:`archcolour.engine.Colouriser` (network at the model's working size, ab
upsampled, recombined with the full-resolution L) and compared with the original:
PSNR (sRGB), mean CIEDE2000, ab RMSE, and Hasler-Suesstrunk colourfulness of the output and of the
ground truth, with the gap between them. The grey baseline (a = b = 0) is always included.

    python -m training.evaluate --model "report baseline=runs/baseline/model.safetensors" \
        --model "ours=runs/ours/model.safetensors" --out models/eval_test.md

Use ``--split val`` for any choice you make (working size, which checkpoint); the test split is for
the final table only.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from archcolour import colour
from archcolour.choices import DEFAULT_ENSEMBLE, ENSEMBLES
from archcolour.engine import Colouriser, Guidance

from .data import GREY_CHROMA, default_data_root, discover
from .metrics import image_metrics, summarise


def load_rgb(path: Path) -> np.ndarray:
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
        return np.asarray(im, dtype=np.float32) / 255.0


def l_of(rgb: np.ndarray) -> np.ndarray:
    return colour.rgb_to_l(torch.from_numpy(rgb).permute(2, 0, 1))[0].numpy()


def grey_output(l: np.ndarray) -> np.ndarray:
    lt = torch.from_numpy(l)[None]
    lab = torch.cat((lt, torch.zeros(2, *l.shape)))
    return colour.lab_to_rgb(lab).permute(1, 2, 0).numpy()


def split_files(root: Path, split: str, limit: int | None = None, stride: int = 1) -> list[Path]:
    files = [root / e.relpath for e in discover(root) if e.split == split][::max(1, stride)]
    return files[:limit] if limit else files


def aged_l(rgb: np.ndarray, seed: int) -> np.ndarray:
    """The photograph as an old print would render it (training.degrade, fixed per-image seed)."""
    from .degrade import age_l

    g = torch.Generator().manual_seed(seed)
    return age_l(torch.from_numpy(rgb).permute(2, 0, 1)[None], g, 1.0)[0, 0].numpy()


def upscale(rgb: np.ndarray, factor: float) -> np.ndarray:
    """A larger copy (Lanczos), standing in for a high-resolution scan of the same scene."""
    from PIL import Image

    h, w = rgb.shape[:2]
    im = Image.fromarray((rgb * 255).round().astype(np.uint8))
    im = im.resize((round(w * factor), round(h * factor)), Image.Resampling.LANCZOS)
    return np.asarray(im, dtype=np.float32) / 255.0


def load_images(files: list[Path], seed: int = 0, aged: bool = False, scale: float = 1.0) -> list[tuple[Path, np.ndarray, np.ndarray]]:
    """(path, sRGB, input L) of each photograph of ``files`` that has colour to compare against.
    ``aged``: L is an old-print rendering (a fixed seed per file); ``scale``: enlarged by this factor first."""
    images = []
    for i, f in enumerate(files):
        rgb = load_rgb(f)
        if scale != 1.0:
            rgb = upscale(rgb, scale)
        lab_mean_chroma = float(np.hypot(*colour.rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1))[1:]).mean())
        if lab_mean_chroma < GREY_CHROMA:
            continue  # greyscale photographs have no colour to compare against
        images.append((f, rgb, aged_l(rgb, seed * 100003 + i) if aged else l_of(rgb)))
    return images


def evaluate(models: list[tuple[str, str]], files: list[Path], device: str = "cpu", working_size: int | None = None,
             seed: int = 0, progress: bool = True, aged: bool = False, scale: float = 1.0,
             upsampling: str = "guided", ensemble: str = "full", vividness: float = 1.0) -> dict[str, dict]:
    """Metrics of each model (and grey) on ``files``. ``aged``: the input L is an old-print rendering
    (the truth stays the colour photograph); ``scale``: images enlarged by this factor first."""
    images = load_images(files, seed, aged, scale)
    results: dict[str, dict] = {}
    rows = [image_metrics(grey_output(l), rgb) for _, rgb, l in images]
    results["grey (a = b = 0)"] = summarise(rows) | {"seconds_per_image": 0.0, "working_size": "-"}
    for label, path in models:
        c = Colouriser(path, device=device, working_size=working_size, seed=seed, upsampling=upsampling,
                       ensemble=ensemble)
        rows = []
        t0 = time.perf_counter()
        for i, (f, rgb, l) in enumerate(images):
            out = c.colourise(l, out_dtype=np.float32, guide=Guidance(vividness=vividness)).rgb
            rows.append(image_metrics(out, rgb))
            if progress and (i + 1) % 100 == 0:
                print(f"  {label}: {i + 1}/{len(images)}", flush=True)
        dt = (time.perf_counter() - t0) / max(1, len(images))
        results[label] = summarise(rows) | {"seconds_per_image": dt, "working_size": c.working_size,
                                            "sha256": c.info.sha256, "architecture": c.info.architecture,
                                            "upsampling": upsampling, "ensemble": ensemble, "vividness": vividness}
        if progress:
            s = results[label]
            print(f"{label}: PSNR {s['psnr']:.2f} dE00 {s['ciede2000']:.2f} abRMSE {s['ab_rmse']:.2f} "
                  f"colourfulness {s['colourfulness']:.1f}/{s['colourfulness_gt']:.1f} edge abRMSE {s['edge_ab_rmse']:.2f}",
                  flush=True)
    return results


def markdown_table(results: dict[str, dict], title: str) -> str:
    lines = [f"**{title}**", "",
             "| model | working size | PSNR (dB) ↑ | CIEDE2000 ↓ | ab RMSE ↓ | colourfulness (output / truth) | gap ↓ | edge ab RMSE ↓ |",
             "|---|---|---|---|---|---|---|---|"]
    for label, s in results.items():
        lines.append(f"| {label} | {s['working_size']} | {s['psnr']:.2f} | {s['ciede2000']:.2f} | {s['ab_rmse']:.2f} | "
                     f"{s['colourfulness']:.1f} / {s['colourfulness_gt']:.1f} ({100 * s['colourfulness_ratio']:.0f}%) | "
                     f"{s['colourfulness_gap']:.1f} | {s.get('edge_ab_rmse', float('nan')):.2f} |")
    n = next(iter(results.values()))["n"]
    lines += ["", f"{n} images, each at its own resolution, through `archcolour.engine.Colouriser`."]
    return "\n".join(lines) + "\n"


def report(table: str, results: dict, out: str | None) -> None:
    """Print the Markdown table; with ``out``, write it there (atomically) and the raw numbers beside it."""
    from archcolour.fsutil import atomic_write_bytes

    print(table)
    if out:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, table.encode("utf-8"))
        atomic_write_bytes(path.with_suffix(".json"), json.dumps(results, indent=2).encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", action="append", default=[], metavar="LABEL=WEIGHTS")
    p.add_argument("--split", choices=["train", "val", "test"], default="test")
    p.add_argument("--data-root", default="")
    p.add_argument("--limit", type=int, default=None, help="first N files (sorted by set: not representative)")
    p.add_argument("--stride", type=int, default=1, help="every k-th file: a subsample spread over all sets")
    p.add_argument("--device", default="cpu")
    p.add_argument("--working-size", type=int, default=None, help="override every model's working size")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--aged", action="store_true", help="input L rendered as an old print (fixed seed per image)")
    p.add_argument("--scale", type=float, default=1.0, help="enlarge each image by this factor first (scan-like sizes)")
    p.add_argument("--upsampling", choices=["guided", "bilinear"], default="guided")
    p.add_argument("--ensemble", choices=sorted(ENSEMBLES), default=DEFAULT_ENSEMBLE,
                   help="test-time ensemble (archcolour.choices.ENSEMBLES); default: the engine's")
    p.add_argument("--vividness", type=float, default=1.0, help="the engine's chroma scale (1: as predicted)")
    p.add_argument("--out", default=None, help="Markdown table (a .json with the raw numbers goes beside it)")
    a = p.parse_args(argv)
    models = [tuple(m.split("=", 1)) for m in a.model]
    root = Path(a.data_root) if a.data_root else default_data_root()
    files = split_files(root, a.split, a.limit, a.stride)
    results = evaluate(models, files, a.device, a.working_size, a.seed, aged=a.aged, scale=a.scale, upsampling=a.upsampling,
                       ensemble=a.ensemble, vividness=a.vividness)
    variant = (", aged (old-print rendering)" if a.aged else "") + f", ensemble {a.ensemble}" + (f", vividness {a.vividness:g}" if a.vividness != 1 else "") + (f", enlarged x{a.scale:g}" if a.scale != 1 else "")
    table = markdown_table(results, f"{a.split} split of {root.name}{variant}, {a.upsampling} upsampling")
    report(table, results, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

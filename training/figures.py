"""Figures like the report's: loss curves (its Figure 8) and a comparison grid (its Figure 9).

    python -m training.figures curves --runs runs --out models/figures/loss_curves.png
    python -m training.figures grid --model "Baseline=runs/baseline/model.safetensors" ... \
        --split test --out models/figures/grid_test.png
    python -m training.figures crops --model "old=models/archunet-cpu.safetensors" ... --scale 3 [--aged] \
        [--bilinear] --out models/figures/crops.png
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def _history(run: Path) -> dict:
    p = run / "history.json"
    return json.loads(p.read_text()) if p.is_file() else {"train": [], "val": []}


def _ours_history(runs: Path) -> dict:
    """Our run, followed by its continuation runs (``ours_ft``, ``ours_ft2``) on one image-step axis."""
    h = _history(runs / "ours")
    for cont in ("ours_ft", "ours_ft2"):
        ft = _history(runs / cont)
        if ft["train"] and h["train"]:
            off = h["train"][-1]["image_steps"]
            h = {"train": h["train"] + [r | {"image_steps": r["image_steps"] + off} for r in ft["train"]],
                 "val": h["val"] + [r | {"image_steps": r["image_steps"] + off} for r in ft["val"][1:]]}
    return h


def loss_curves(runs: Path, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    panels = [("baseline", "a) Baseline (MSE, Adam 1e-4)"), ("mse", "b) Generator pre-training (MSE, Adam 1e-4)"),
              ("ours", "e) Ours (L1 + chroma moments, AdamW)")]
    for ax, (name, title) in zip([axes[0, 0], axes[0, 1], axes[0, 2]], panels):
        h = _ours_history(runs) if name == "ours" else _history(runs / name)
        tr = [r for r in h["train"] if "mse" in r]
        ax.plot([r["image_steps"] for r in tr], [r["mse"] for r in tr], label="train MSE", alpha=0.8)
        ax.plot([r["image_steps"] for r in h["val"]], [r["val_mse"] for r in h["val"]], "o-", label="validation MSE")
        ax.set_title(title)
        ax.set_xlabel("image-steps")
        ax.set_ylabel("MSE (ab units²)")
        ax.set_ylim(0, max([r["val_mse"] for r in h["val"]] + [1]) * 1.1 if h["val"] else None)
        ax.legend()
    g = _history(runs / "gan")
    tr = g["train"]
    ax = axes[1, 0]
    ax.plot([r["image_steps"] for r in tr], [r.get("g_bce", np.nan) for r in tr], label="generator BCE (train)")
    ax.set_title("c) GAN generator")
    ax.set_xlabel("image-steps (adversarial phase)")
    ax2 = ax.twinx()
    ax2.plot([r["image_steps"] for r in g["val"]], [r["val_mse"] for r in g["val"]], "o-", color="C1", label="validation MSE")
    ax2.set_ylabel("validation MSE")
    ax.legend(loc="upper left")
    ax2.legend(loc="upper right")
    ax = axes[1, 1]
    ax.plot([r["image_steps"] for r in tr], [r.get("d_bce", np.nan) for r in tr], label="discriminator BCE (train)")
    ax.set_title("d) GAN discriminator")
    ax.set_xlabel("image-steps (adversarial phase)")
    ax2 = ax.twinx()
    ax2.plot([r["image_steps"] for r in g["val"]], [r.get("val_d_acc", np.nan) for r in g["val"]], "o-", color="C1", label="validation accuracy")
    ax2.set_ylim(0, 1)
    ax.legend(loc="upper left")
    ax2.legend(loc="upper right")
    ax = axes[1, 2]
    h = _ours_history(runs)
    tr = h["train"]
    for key in ("l1", "chroma_gap"):
        ax.plot([r["image_steps"] for r in tr], [r.get(key, np.nan) for r in tr], label=f"train {key}")
    ax.set_title("f) Ours: loss terms")
    ax.set_xlabel("image-steps")
    ax.legend()
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out


def comparison_grid(models: list[tuple[str, str]], files: list[Path], out: Path, cell: int = 160) -> Path:
    """Rows: images; columns: original, grey input, then each model (as the report's Figure 9)."""
    from PIL import Image, ImageDraw

    from archcolour.engine import Colouriser

    from .evaluate import grey_output, l_of, load_rgb

    colourisers = [(label, Colouriser(path, device="cpu")) for label, path in models]
    cols = ["Original", "Grey input"] + [label for label, _ in colourisers]
    head = 22
    grid = Image.new("RGB", (cell * len(cols), head + cell * len(files)), "white")
    draw = ImageDraw.Draw(grid)
    for j, name in enumerate(cols):
        draw.text((j * cell + 4, 4), name, fill="black")
    for i, f in enumerate(files):
        rgb = load_rgb(f)
        l = l_of(rgb)
        tiles = [rgb, grey_output(l)] + [c.colourise(l, out_dtype=np.float32).rgb for _, c in colourisers]
        for j, t in enumerate(tiles):
            im = Image.fromarray((np.clip(t, 0, 1) * 255 + 0.5).astype(np.uint8))
            im.thumbnail((cell, cell), Image.Resampling.LANCZOS)
            grid.paste(im, (j * cell + (cell - im.width) // 2, head + i * cell + (cell - im.height) // 2))
    out.parent.mkdir(parents=True, exist_ok=True)
    grid.save(out)
    return out


def full_size_crops(models: list[tuple[str, str]], files: list[Path], out: Path, scale: float = 3.0,
                    crop: int = 240, aged: bool = False, bilinear: bool = False) -> Path:
    """Rows: photographs enlarged ``scale`` times (scan-like sizes); columns: the original, the input the
    colouriser saw (grey, or the old-print rendering with ``aged``), then each model, at 1:1 pixels (a
    ``crop`` x ``crop`` window at the centre, no resampling), with guided upsampling and, with
    ``bilinear``, also with bilinear (to see colour bleeding at edges)."""
    from PIL import Image, ImageDraw

    from archcolour.engine import Colouriser

    from .evaluate import aged_l, grey_output, l_of, load_rgb, upscale

    cols: list[tuple[str, Colouriser]] = []
    for label, path in models:
        cols.append((label, Colouriser(path, device="cpu")))
        if bilinear:
            cols.append((f"{label}, bilinear", Colouriser(path, device="cpu", upsampling="bilinear")))
    names = ["Original", "Old print (input)" if aged else "Grey (input)"] + [label for label, _ in cols]
    head, gap = 22, 4
    sheet = Image.new("RGB", ((crop + gap) * len(names), head + (crop + gap) * len(files)), "white")
    draw = ImageDraw.Draw(sheet)
    for j, name in enumerate(names):
        draw.text((j * (crop + gap) + 4, 4), name, fill="black")
    for i, f in enumerate(files):
        rgb = upscale(load_rgb(f), scale)
        l = aged_l(rgb, i) if aged else l_of(rgb)
        h, w = l.shape
        y0, x0 = max(0, (h - crop) // 2), max(0, (w - crop) // 2)
        tiles = [rgb, grey_output(l)] + [c.colourise(l, out_dtype=np.float32).rgb for _, c in cols]
        for j, t in enumerate(tiles):
            t = t[y0:y0 + crop, x0:x0 + crop]
            sheet.paste(Image.fromarray((np.clip(t, 0, 1) * 255 + 0.5).astype(np.uint8)),
                        (j * (crop + gap), head + i * (crop + gap)))
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out


def main(argv: list[str] | None = None) -> int:
    from .data import default_data_root
    from .evaluate import split_files

    p = argparse.ArgumentParser(prog="python -m training.figures")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("curves")
    c.add_argument("--runs", default="runs")
    c.add_argument("--out", required=True)
    g = sub.add_parser("grid")
    g.add_argument("--model", action="append", default=[], metavar="LABEL=WEIGHTS")
    g.add_argument("--split", default="test")
    g.add_argument("--count", type=int, default=6)
    g.add_argument("--data-root", default="")
    g.add_argument("--out", required=True)
    k = sub.add_parser("crops")
    k.add_argument("--model", action="append", default=[], metavar="LABEL=WEIGHTS")
    k.add_argument("--split", default="test")
    k.add_argument("--count", type=int, default=4)
    k.add_argument("--scale", type=float, default=3.0)
    k.add_argument("--crop", type=int, default=240)
    k.add_argument("--aged", action="store_true")
    k.add_argument("--bilinear", action="store_true")
    k.add_argument("--data-root", default="")
    k.add_argument("--out", required=True)
    a = p.parse_args(argv)
    if a.cmd == "curves":
        print(loss_curves(Path(a.runs), Path(a.out)))
    elif a.cmd == "crops":
        root = Path(a.data_root) if a.data_root else default_data_root()
        files = split_files(root, a.split)
        idx = np.linspace(0, len(files) - 1, a.count + 2).astype(int)[1:-1]
        print(full_size_crops([tuple(m.split("=", 1)) for m in a.model], [files[i] for i in idx], Path(a.out),
                              a.scale, a.crop, a.aged, a.bilinear))
    else:
        root = Path(a.data_root) if a.data_root else default_data_root()
        files = split_files(root, a.split)
        # spread the picks over the split (and so over the data sets) deterministically
        idx = np.linspace(0, len(files) - 1, a.count).astype(int)
        print(comparison_grid([tuple(m.split("=", 1)) for m in a.model], [files[i] for i in idx], Path(a.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

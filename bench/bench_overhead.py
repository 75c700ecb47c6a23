"""Overhead of the whole pipeline against the network alone.

Colourises a folder of 1024x768 greyscale JPEGs to PNG with the batch runner (what the CLI does:
decode, L, network, upsampling + recombination, PNG encode with provenance, atomic write) and
compares the per-image wall time with the network's forward pass alone at the same working size.
Target: ratio <= 1.5.

Model: the bundled default when ``models/manifest.json`` exists, otherwise a randomly initialised
ArchUNet with widths (16, 32, 64, 128, 256) (speed does not depend on training).

    python bench/bench_overhead.py [--images 8] [--working-size N] [--threads N] [--no-overlap]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archcolour import batch, nets, weights  # noqa: E402
from archcolour.engine import Colouriser  # noqa: E402


def make_photos(folder: Path, n: int) -> list[Path]:
    """1024x768 greyscale JPEGs, from the training photos when they are there (realistic content)."""
    folder.mkdir(parents=True, exist_ok=True)
    pool = sorted((ROOT.parent / "shared" / "datasets").glob("wonders7/*/*.jpg"))[::7]
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        if pool:
            with Image.open(pool[i % len(pool)]) as im:
                g = im.convert("L").resize((1024, 768), Image.Resampling.BICUBIC)
        else:
            y, x = np.mgrid[0:768, 0:1024]
            a = 128 + 60 * np.sin(x / 37.0 + i) * np.cos(y / 23.0) + rng.normal(0, 12, (768, 1024))
            g = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
        p = folder / f"photo_{i:02d}.jpg"
        g.save(p, quality=90)
        paths.append(p)
    return paths


def get_colouriser(tmp: Path, working_size: int | None) -> tuple[Colouriser, str]:
    try:
        weights.models_dir()
        return Colouriser(device="cpu", working_size=working_size), "bundled default"
    except weights.WeightsError:
        torch.manual_seed(0)
        hp = {"widths": [16, 32, 64, 128, 256]}
        model = nets.build("archunet", widths=tuple(hp["widths"]))
        path = tmp / "random_archunet.safetensors"
        weights.save_model(model, path, name="random-archunet", architecture="archunet", hparams=hp,
                           working_size=256, data="none (random initialisation, for timing only)")
        return Colouriser(path, device="cpu", working_size=working_size), "random ArchUNet (16,32,64,128,256)"


def forward_time(c: Colouriser, h: int, w: int, repeats: int) -> float:
    nh, nw = c._network_size(h, w, c.working_size)
    mult = int(getattr(c.net, "size_multiple", 16))
    ph, pw = nh + (-nh) % mult, nw + (-nw) % mult
    l = (torch.rand(1, 1, ph, pw) * 100).contiguous(memory_format=torch.channels_last)
    noise = torch.randn_like(l) if getattr(c.net, "needs_noise", False) else None
    times = []
    with torch.inference_mode():
        c.net(l, noise)
        for _ in range(repeats):
            t = time.perf_counter()
            c.net(l, noise)
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--working-size", type=int, default=None)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    ap.add_argument("--rounds", type=int, default=3, help="batch runs; the median per-image time is reported")
    ap.add_argument("--no-overlap", action="store_true", help="decode/encode in line with the network")
    ap.add_argument("--no-provenance", action="store_true", help="no sidecar or manifest files")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_photos(tmp / "in", args.images)
        c, what = get_colouriser(tmp, args.working_size)
        opts = batch.BatchOptions(fmt="png", overwrite=True, overlap=not args.no_overlap,
                                  sidecar=not args.no_provenance, manifest=not args.no_provenance)
        plan = batch.plan_job([tmp / "in"], tmp / "out", fmt="png")
        list(batch.run_job(batch.plan_job([tmp / "in" / "photo_00.jpg"], tmp / "warm", fmt="png"), c, opts))
        per_image, fwd = [], []
        for _ in range(args.rounds):
            fwd.append(forward_time(c, 768, 1024, repeats=max(3, args.images // 2)))
            t = time.perf_counter()
            results = list(batch.run_job(plan, c, opts))
            per_image.append((time.perf_counter() - t) / len(results))
            bad = [r for r in results if r.status != "done"]
            if bad:
                raise SystemExit(f"benchmark run failed: {bad[0].source}: {bad[0].message}")
        wall, net = statistics.median(per_image), statistics.median(fwd)
        nh, nw = c._network_size(768, 1024, c.working_size)
        print(f"model: {what}; {nets.count_parameters(c.net):,} parameters; device {c.device_name}; "
              f"torch threads {torch.get_num_threads()}")
        print(f"images: {args.images} x 1024x768 greyscale JPEG -> PNG (8-bit), working size {c.working_size} "
              f"(network input {nw}x{nh}); overlap {'on' if opts.overlap else 'off'}; "
              f"provenance files {'on' if opts.sidecar else 'off'}; median of {args.rounds} rounds")
        print(f"per-image wall time:        {wall * 1000:8.1f} ms")
        print(f"network forward time alone: {net * 1000:8.1f} ms")
        print(f"ratio:                      {wall / net:8.2f}  (target <= 1.5)")


if __name__ == "__main__":
    main()

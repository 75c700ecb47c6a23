"""Per-image cost of the whole pipeline against its floor, and throughput with --jobs.

For each case, colourises a folder through the batch runner exactly as the CLI does (decode, hash,
L, network, ab upsampling + recombination, encode with provenance, atomic durable write, sidecar,
manifest) and compares the per-image wall time (``--jobs 1``) with the floor measured on the same
images in the same run: plain decode (Pillow / tifffile to an array) + the network's forward pass at
the same working size + plain encode of the same output array (Pillow / tifffile into memory, same
PNG compression level). Target: ratio <= 1.25. Then reports images/s for each ``--jobs`` value.

Cases: 1024x768 8-bit greyscale JPEG -> PNG, and a 20 MP (5472x3648) 16-bit greyscale TIFF ->
16-bit TIFF.

Model: the bundled default when ``models/manifest.json`` exists, otherwise a randomly initialised
ArchUNet with widths (16, 32, 64, 128, 256) (speed does not depend on training).

    python bench/bench_overhead.py [--jpegs 8] [--tiffs 2] [--jobs 1,2] [--rounds 2] [--threads N]
"""
from __future__ import annotations

import argparse
import io
import os
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

from archcolour import batch, imageio, nets, weights  # noqa: E402
from archcolour.engine import Colouriser  # noqa: E402


def _scene(h: int, w: int, i: int) -> np.ndarray:
    """A greyscale photograph: from the training photos when they are there (realistic content)."""
    pool = sorted((ROOT.parent / "shared" / "datasets").glob("wonders7/*/*.jpg"))[::7]
    if pool:
        with Image.open(pool[i % len(pool)]) as im:
            return np.asarray(im.convert("L").resize((w, h), Image.Resampling.BICUBIC), dtype=np.float32) / 255
    y, x = np.mgrid[0:h, 0:w]
    rng = np.random.default_rng(i)
    a = 0.5 + 0.25 * np.sin(x / 37.0 + i) * np.cos(y / 23.0) + rng.normal(0, 0.05, (h, w))
    return np.clip(a, 0, 1).astype(np.float32)


def make_jpegs(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        Image.fromarray((_scene(768, 1024, i) * 255).astype(np.uint8)).save(folder / f"photo_{i:02d}.jpg", quality=90)


def make_tiffs(folder: Path, n: int) -> None:
    import tifffile

    folder.mkdir(parents=True)
    for i in range(n):
        small = _scene(912, 1368, i + 3)
        big = np.asarray(Image.fromarray(small).resize((5472, 3648), Image.Resampling.BILINEAR))
        tifffile.imwrite(folder / f"scan_{i:02d}.tif", (big * 65535).astype(np.uint16), photometric="minisblack")


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


def _decode(path: Path) -> np.ndarray:
    if path.suffix == ".tif":
        import tifffile

        return tifffile.imread(path)
    with Image.open(path) as im:
        return np.asarray(im.convert("L"))


def _decode_rgb(path: Path) -> np.ndarray:
    if path.suffix == ".tif":
        import tifffile

        return tifffile.imread(path)
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _forward(c: Colouriser, h: int, w: int) -> float:
    nh, nw = c._network_size(h, w, c.working_size)
    mult = int(getattr(c.net, "size_multiple", 16))
    l = (torch.rand(1, 1, nh + (-nh) % mult, nw + (-nw) % mult) * 100).contiguous(memory_format=torch.channels_last)
    noise = torch.randn_like(l) if getattr(c.net, "needs_noise", False) else None
    with torch.inference_mode():
        t = time.perf_counter()
        c.net(l, noise)
        return time.perf_counter() - t


def _encode(rgb: np.ndarray, fmt: str) -> None:
    buf = io.BytesIO()
    if fmt == "TIFF":
        import tifffile

        tifffile.imwrite(buf, rgb, photometric="rgb")
    else:
        Image.fromarray(rgb).save(buf, fmt, compress_level=imageio.PNG_LEVEL)


def floor_per_image(c: Colouriser, sources: list[Path], outputs: list[Path], fmt: str) -> float:
    """Median over the images of plain decode + forward + plain encode of the same output pixels."""
    times = []
    for src, out in zip(sources, outputs):
        t = time.perf_counter()
        grey = _decode(src)
        t_dec = time.perf_counter() - t
        t_fwd = _forward(c, *grey.shape)
        pix = _decode_rgb(out)  # not timed: the very pixels the batch wrote
        t = time.perf_counter()
        _encode(pix, fmt)
        t_enc = time.perf_counter() - t
        del pix
        times.append(t_dec + t_fwd + t_enc)
    return statistics.median(times)


def run_case(name: str, folder: Path, out: Path, c: Colouriser, fmt_key: str, fmt: str, jobs_list: list[int],
             rounds: int) -> None:
    sources = sorted(folder.iterdir())
    rates: dict[int, list[float]] = {j: [] for j in jobs_list}
    per_image, floors = [], []
    for _ in range(rounds):
        for j in jobs_list:
            plan = batch.plan_job([folder], out, fmt=fmt_key)
            opts = batch.BatchOptions(fmt=fmt_key, overwrite=True, jobs=j)
            t = time.perf_counter()
            results = list(batch.run_job(plan, c, opts))
            dt = time.perf_counter() - t
            bad = [r for r in results if r.status != "done"]
            if bad:
                raise SystemExit(f"benchmark run failed: {bad[0].source}: {bad[0].message}")
            rates[j].append(len(results) / dt)
            if j == 1:
                per_image.append(dt / len(results))
        outputs = [r.output for r in results]
        floors.append(floor_per_image(c, sources, outputs, fmt))
    wall, floor = statistics.median(per_image), statistics.median(floors)
    print(f"{name}: {len(sources)} images, median of {rounds} rounds")
    print(f"  per-image wall time (--jobs 1):            {wall * 1000:9.1f} ms")
    print(f"  floor (decode + forward + encode, same run): {floor * 1000:7.1f} ms")
    print(f"  ratio:                                       {wall / floor:7.2f}  (target <= 1.25)")
    for j in jobs_list:
        print(f"  --jobs {j}: {statistics.median(rates[j]):6.2f} images/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jpegs", type=int, default=8, help="1024x768 JPEGs (0: skip the case)")
    ap.add_argument("--tiffs", type=int, default=2, help="20 MP 16-bit TIFFs (0: skip the case)")
    ap.add_argument("--jobs", default="1,2", help="comma-separated --jobs values to time (default 1,2)")
    ap.add_argument("--working-size", type=int, default=None)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    jobs_list = sorted({1, *(int(x) for x in args.jobs.split(","))})
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        c, what = get_colouriser(tmp, args.working_size)
        print(f"model: {what}; {nets.count_parameters(c.net):,} parameters; device {c.device_name}; working size "
              f"{c.working_size}; torch threads {torch.get_num_threads()}; {os.cpu_count()} CPU cores; "
              f"load average {os.getloadavg()[0]:.1f}")
        if args.jpegs:
            make_jpegs(tmp / "jpg", args.jpegs)
            list(batch.run_job(batch.plan_job([tmp / "jpg"], tmp / "warm", fmt="png"), c))  # warm-up
            run_case("1024x768 8-bit JPEG -> PNG", tmp / "jpg", tmp / "out_jpg", c, "png", "PNG", jobs_list,
                     args.rounds)
        if args.tiffs:
            make_tiffs(tmp / "tif", args.tiffs)
            run_case("20 MP 16-bit TIFF -> 16-bit TIFF", tmp / "tif", tmp / "out_tif", c, "same", "TIFF", jobs_list,
                     args.rounds)


if __name__ == "__main__":
    main()

"""Peak memory and time of colourising a 10,000 x 10,000 16-bit greyscale TIFF to a 16-bit colour TIFF.

Writes the test TIFF (100 megapixels, 200 MB) into a temporary folder, then runs two child processes
so that each one's peak resident memory is its own:

1. the baseline: a plain decode (tifffile) and encode of the same pixels as a 16-bit RGB TIFF
   (grey copied to three channels: the same output size);
2. archcolour: the batch runner, exactly as ``archcolour colourise big.tif --format tif`` runs it
   (load to L, network at working size, ab upsampling, strip-wise recombination, 16-bit TIFF with
   provenance, atomic write).

Prints each one's peak RSS and wall time and the ratio of the times. Target: peak RSS < 2 GB.
Model: the bundled default when there is one, otherwise a randomly initialised ArchUNet with widths
(16, 32, 64, 128, 256) (memory and speed do not depend on training).

    python bench/bench_memory.py [--size 10000] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

CHILD_PRELUDE = textwrap.dedent("""
    import json, resource, sys, time
    sys.path.insert(0, {root!r})
    t0 = time.perf_counter()
""")
CHILD_EPILOGUE = textwrap.dedent("""
    print(json.dumps({"seconds": time.perf_counter() - t0,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")

BASELINE = """
import numpy as np, tifffile
a = tifffile.imread({src!r})
rgb = np.empty(a.shape + (3,), a.dtype)
for c in range(3):
    rgb[..., c] = a
del a
tifffile.imwrite({dst!r}, rgb, photometric="rgb")
"""

ARCHCOLOUR = """
from archcolour import batch, nets, weights
from archcolour.engine import Colouriser
t_import = time.perf_counter() - t0
try:
    weights.models_dir()
    c = Colouriser(device="cpu")
except weights.WeightsError:
    import torch
    torch.manual_seed(0)
    hp = {{"widths": [16, 32, 64, 128, 256]}}
    weights.save_model(nets.build("archunet", widths=(16, 32, 64, 128, 256)), {wts!r}, name="random-archunet",
                       architecture="archunet", hparams=hp, working_size=256)
    c = Colouriser({wts!r}, device="cpu")
t0 = time.perf_counter()  # time the colourising itself, not importing torch or loading the model
plan = batch.plan_job([{src!r}], {out!r}, fmt="tif")
res = list(batch.run_job(plan, c))
assert res[0].status == "done", res[0].message
"""


def write_test_tiff(path: Path, size: int) -> None:
    """A 16-bit greyscale scan-like image (gradients, structure and grain), written in row blocks."""
    import tifffile

    rng = np.random.default_rng(0)
    x = np.linspace(0, 1, size, dtype=np.float32)[None, :]

    def rows():
        for top in range(0, size, 500):
            y = np.linspace(top / size, (top + 500) / size, 500, dtype=np.float32)[:, None]
            v = 0.35 + 0.3 * y + 0.15 * np.sin(40 * x + 9 * y) * np.cos(25 * y) + rng.normal(0, 0.02, (500, size)).astype(np.float32)
            yield (np.clip(v, 0, 1) * 65535).astype(np.uint16)

    tifffile.imwrite(path, rows(), shape=(size, size), dtype=np.uint16, photometric="minisblack",
                     rowsperstrip=500)


def run_child(code: str) -> dict:
    script = CHILD_PRELUDE.format(root=str(ROOT)) + textwrap.dedent(code) + CHILD_EPILOGUE
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise SystemExit(f"child failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=10_000, help="side of the square test image (default 10000)")
    ap.add_argument("--keep", type=Path, help="keep the files in this folder instead of a temporary one")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = args.keep or Path(tmp)
        d.mkdir(parents=True, exist_ok=True)
        src = d / "big.tif"
        t = time.perf_counter()
        write_test_tiff(src, args.size)
        print(f"test image: {args.size}x{args.size} 16-bit greyscale TIFF, {src.stat().st_size / 1e6:.0f} MB "
              f"(written in {time.perf_counter() - t:.1f} s)")
        base = run_child(BASELINE.format(src=str(src), dst=str(d / "plain_rgb.tif")))
        ours = run_child(ARCHCOLOUR.format(src=str(src), out=str(d / "out"), wts=str(d / "random.safetensors")))
        out = d / "out" / "big_colourised.tif"
        import tifffile

        with tifffile.TiffFile(out) as tf:
            page = tf.pages[0]
            shape, dtype = page.shape, page.dtype
        print(f"output: {out.name} {shape} {dtype}, {out.stat().st_size / 1e6:.0f} MB")
        print(f"plain decode + encode (16-bit RGB TIFF): peak RSS {base['peak_rss_mb']:7.0f} MB, {base['seconds']:6.1f} s")
        print(f"archcolour colourise --format tif:       peak RSS {ours['peak_rss_mb']:7.0f} MB, {ours['seconds']:6.1f} s")
        print(f"time relative to decode + encode: {ours['seconds'] / base['seconds']:.2f}x; "
              f"peak RSS {'under' if ours['peak_rss_mb'] < 2048 else 'OVER'} 2 GB")


if __name__ == "__main__":
    main()

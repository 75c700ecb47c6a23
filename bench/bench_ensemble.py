"""What the test-time ensemble costs, in one run (compare the ratios; the machines here are shared).

    python bench/bench_ensemble.py [--sizes 800x600 4000x3000] [--repeats 5] [--threads N]

For each photograph size, times the bundled default model's network pass (``predict``: what a
preview waits for) and the whole colourisation (``colourise``: network, guided upsampling and
recombination at full resolution) with each ensemble of ``archcolour.choices.ENSEMBLES``, the
ensembles interleaved in every repeat so that load changes hit them alike. Prints medians and the
ratio to ``none``.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from archcolour.choices import ENSEMBLES
from archcolour.engine import Colouriser


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", nargs="+", default=["800x600", "4000x3000"])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    base = Colouriser(device="cpu")
    views = {name: Colouriser(device="cpu", ensemble=name) for name in ENSEMBLES}
    print(f"model {base.info.name}, working size {base.working_size}, {torch.get_num_threads()} threads")
    rng = np.random.default_rng(0)
    for size in a.sizes:
        w, h = (int(x) for x in size.split("x"))
        l = np.clip(rng.normal(50, 20, (h, w)), 0, 100).astype(np.float32)
        lt = torch.from_numpy(l)
        times = {(n, k): [] for n in views for k in ("predict", "colourise")}
        for c in views.values():  # warm-up
            c.predict(lt)
        for _ in range(a.repeats):
            for n, c in views.items():
                t = time.perf_counter()
                c.predict(lt)
                times[(n, "predict")].append(time.perf_counter() - t)
                t = time.perf_counter()
                c.colourise(l)
                times[(n, "colourise")].append(time.perf_counter() - t)
        print(f"\n{w}x{h}")
        for k in ("predict", "colourise"):
            ref = statistics.median(times[("none", k)])
            for n in views:
                m = statistics.median(times[(n, k)])
                print(f"  {k:9s} {n:6s} {m * 1000:8.1f} ms   x{m / ref:.2f} of none")


if __name__ == "__main__":
    main()

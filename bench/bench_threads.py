"""Does torch's OpenMP wait policy matter when the cores are busy?

Colourises a 640 px preview (the GUI's first pass) in fresh processes with ``OMP_WAIT_POLICY``
ACTIVE (torch's default behaviour: threads spin while they wait) and PASSIVE (archcolour's default,
set in ``archcolour/__init__.py``), first on an otherwise idle machine, then while a competing
process keeps every core busy (as a running batch or another program does). Prints the medians and
the ratio ACTIVE / PASSIVE measured in the same run.

    python bench/bench_threads.py [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import sys, time
sys.path.insert(0, {root!r})
import numpy as np, torch
from archcolour.engine import Colouriser
c = Colouriser(device="cpu", working_size=256)
rng = np.random.default_rng(0)
l = np.clip(50 + 20 * rng.standard_normal((480, 640)), 0, 100).astype(np.float32)
c.colourise(l[:64, :64])
ts = []
for _ in range({runs}):
    t = time.perf_counter(); c.colourise(l); ts.append(time.perf_counter() - t)
print(sorted(ts)[len(ts) // 2])
"""

LOAD = r"""
import torch, time
torch.set_num_threads({n})
a = torch.rand(512, 512)
t = time.time()
while time.time() - t < 600:
    a = (a @ a).clamp_(-1, 1)
"""


def median_preview(policy: str, runs: int) -> float:
    env = dict(os.environ, OMP_WAIT_POLICY=policy)
    out = subprocess.run([sys.executable, "-c", PROBE.format(root=str(ROOT), runs=runs)], env=env,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    n = os.cpu_count() or 1
    print(f"{n} CPU cores; load average {os.getloadavg()[0]:.1f} before the run")
    for label, loaded in (("no added load", False), ("cores busy", True)):
        load = None
        if loaded:
            load = subprocess.Popen([sys.executable, "-c", LOAD.format(n=n)])
        try:
            res = {p: median_preview(p, args.runs) for p in ("ACTIVE", "PASSIVE", "ACTIVE", "PASSIVE")}
        finally:
            if load is not None:
                load.kill()
                load.wait()
        a, p = res["ACTIVE"], res["PASSIVE"]
        print(f"{label:13s} 640x480 preview, median of {args.runs}: ACTIVE {a * 1000:7.0f} ms  PASSIVE {p * 1000:7.0f} ms  "
              f"ratio ACTIVE/PASSIVE {a / p:5.2f}")


if __name__ == "__main__":
    main()

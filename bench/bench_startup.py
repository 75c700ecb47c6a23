"""Start-up time of the quick CLI commands (they must not pay for importing torch).

    python bench/bench_startup.py [--runs 5] [--src DIR]

Runs ``python -m archcolour`` for --version, --help, models and inspect (of a small PNG) ``--runs``
times each, in fresh interpreters, and prints the best wall time of each, next to the time of a bare
interpreter and of ``import torch`` in the same run, and the ratio to the bare interpreter. ``--src``
measures another checkout (e.g. an older commit unpacked with ``git archive``) with this interpreter.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def best(cmd: list[str], runs: int, env: dict, cwd: Path) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--src", type=Path, default=ROOT, help="checkout whose archcolour package is measured")
    a = ap.parse_args()
    src = a.src.resolve()  # also the working folder: `python -m` puts it first on sys.path
    env = dict(os.environ, PYTHONPATH=str(src))
    png = Path(tempfile.mkdtemp()) / "plain.png"
    png.write_bytes(bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010800000000"
                                  "3a7e9b550000000a49444154789c6360000000020001e221bc330000000049454e44ae426082"))
    py = [sys.executable]
    base = best(py + ["-c", "pass"], a.runs, env, src)
    torch_t = best(py + ["-c", "import torch"], a.runs, env, src)
    print(f"source: {a.src.resolve()}  (best of {a.runs})")
    print(f"{'bare interpreter':<28}{base:7.3f} s")
    print(f"{'import torch':<28}{torch_t:7.3f} s   ratio {torch_t / base:5.1f}")
    for label, args in (("archcolour --version", ["--version"]), ("archcolour --help", ["--help"]),
                        ("archcolour models", ["models"]), ("archcolour inspect FILE", ["inspect", str(png)])):
        t = best(py + ["-m", "archcolour", *args], a.runs, env, src)
        print(f"{label:<28}{t:7.3f} s   ratio {t / base:5.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

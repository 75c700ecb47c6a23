"""Inference speed of the networks at the same working sizes, in one run (compare the ratios).

    python bench/bench_models.py [--sizes 128 256 512] [--repeats 10] [--threads N]

Prints the median forward time of the report's generator, the report's baseline and ArchUNet (the
bundled architecture) on the CPU (and on CUDA when present), batch 1, channels_last, eval mode.
Random weights: speed does not depend on the values.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from archcolour import nets


def time_forward(model, size: int, device: torch.device, repeats: int) -> float:
    l = (torch.rand(1, 1, size, size) * 100).to(device).contiguous(memory_format=torch.channels_last)
    z = torch.randn(1, 1, size, size).to(device)
    times = []
    with torch.inference_mode():
        for i in range(repeats + 2):
            if device.type == "cuda":
                torch.cuda.synchronize()
            t = time.perf_counter()
            model(l, z)
            if device.type == "cuda":
                torch.cuda.synchronize()
            if i >= 2:
                times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    archs = [("report generator", "seed_generator", {}), ("report baseline", "seed_baseline", {}),
             ("ArchUNet (bundled)", "archunet", {"widths": (16, 32, 64, 128, 256)})]
    for device in devices:
        print(f"device: {device}, torch threads: {torch.get_num_threads()}")
        print(f"{'network':<22}{'params':>12}" + "".join(f"{s:>12}px" for s in a.sizes))
        times = {}
        for label, arch, hp in archs:
            m = nets.build(arch, **hp).eval().to(device, memory_format=torch.channels_last)
            times[arch] = [time_forward(m, s, device, a.repeats) for s in a.sizes]
            print(f"{label:<22}{nets.count_parameters(m):>12,}" + "".join(f"{t * 1000:>11.1f}ms" for t in times[arch]))
        print("ArchUNet time / report generator time: " + ", ".join(
            f"{s}px {u / g:.2f}" for s, u, g in zip(a.sizes, times["archunet"], times["seed_generator"])))


if __name__ == "__main__":
    main()

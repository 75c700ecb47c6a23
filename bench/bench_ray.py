"""Images/s of the local backend against the Ray backend with 1 and 2 workers, on the same images, in one run.

Colourises one folder of 1024x768 greyscale JPEGs to PNG (the CLI's job: decode, hash, network, ab
upsampling, encode with provenance, atomic write, sidecar, manifest) four ways, each into a fresh
output folder:

* local, ``--jobs 1``, torch on 1 thread (what one Ray worker with ``num_cpus=1`` has);
* local, ``--jobs`` = CPU cores (the CLI's default);
* Ray, 1 worker and 2 workers (a local Ray started here, ``num_cpus`` = cores, workers at the driver's
  priority: ``RAY_worker_niceness=0`` unless set), timed from the first item sent to the last result
  recorded; each pool's start (model load) is printed apart.

Ray's per-image overhead is the Ray 1-worker time per image minus the local 1-thread time per image;
the bare round trip of an actor call (no work) is printed too. On a GPU machine pass ``--device cuda``
(one worker per GPU; the local rows use the GPU as well).

Model: the bundled default (``models/manifest.json``), else a randomly initialised ArchUNet (speed does
not depend on training).

    python bench/bench_ray.py [--images 24] [--device cpu] [--working-size PX]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import torch  # noqa: E402

from archcolour import batch, nets, weights  # noqa: E402
from archcolour.engine import Colouriser  # noqa: E402
from bench_overhead import make_jpegs  # noqa: E402


def weights_file(tmp: Path) -> tuple[Path, str]:
    try:
        path, _ = weights.resolve_bundled()
        return path, f"bundled default ({path.name})"
    except weights.WeightsError:
        torch.manual_seed(0)
        hp = {"widths": [16, 32, 64, 128, 256]}
        path = tmp / "random_archunet.safetensors"
        weights.save_model(nets.build("archunet", widths=tuple(hp["widths"])), path, name="random-archunet",
                           architecture="archunet", hparams=hp, working_size=256,
                           data="none (random initialisation, for timing only)")
        return path, "random ArchUNet (16,32,64,128,256)"


def timed(results) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = sum(r.status == "done" for r in results)
    return time.perf_counter() - t0, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=24)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--working-size", type=int, default=None)
    args = ap.parse_args()
    cores = os.cpu_count() or 1

    # Ray starts its workers at niceness +15 (over the driver's) so its own daemons stay responsive; on a
    # busy shared machine that starves them against the local rows. Same priority as the local rows
    # unless the caller says otherwise (figures for both are in docs/SCALE.md).
    os.environ.setdefault("RAY_worker_niceness", "0")
    import ray

    from archcolour.batch.ray_backend import RayBackend

    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        w, wdesc = weights_file(tmp)
        make_jpegs(tmp / "in", args.images)
        rows: list[tuple[str, float, int]] = []

        def plan(name: str):
            return batch.plan_job([tmp / "in"], tmp / name)

        threads = torch.get_num_threads()
        c = Colouriser(w, device=args.device, working_size=args.working_size)
        list(batch.run_job(plan("warm"), c, batch.BatchOptions(jobs=1)))  # warm-up (allocator, caches)
        torch.set_num_threads(1)
        rows.append(("local, --jobs 1, 1 torch thread", *timed(batch.run_job(plan("l1"), c, batch.BatchOptions(jobs=1)))))
        torch.set_num_threads(threads)
        rows.append((f"local, --jobs {cores} (default)",
                     *timed(batch.run_job(plan("lN"), c, batch.BatchOptions(jobs=cores)))))
        del c

        t0 = time.perf_counter()
        ray.init(address="local", num_cpus=cores, num_gpus=torch.cuda.device_count() if args.device == "cuda" else 0,
                 include_dashboard=False, log_to_driver=False, object_store_memory=200 * 2 ** 20)
        print(f"ray.init (local Ray, {cores} CPUs): {time.perf_counter() - t0:.1f} s")
        rtt = None
        try:
            for n in (1, 2):
                t0 = time.perf_counter()
                with RayBackend.start(w, device=args.device, working_size=args.working_size, workers=n) as be:
                    while len(be.pids) < n:  # every worker has loaded the model
                        be._poll(list(be.starting), 1.0)
                    print(f"Ray pool of {n}: workers ready after {time.perf_counter() - t0:.1f} s (model loaded once each)")
                    if rtt is None:
                        h = be.live[0].handle
                        ray.get(h.hello.remote())
                        t1 = time.perf_counter()
                        ray.get([h.hello.remote() for _ in range(200)])
                        rtt = (time.perf_counter() - t1) / 200
                    list(be.run(plan(f"warm{n}"), batch.BatchOptions()))  # warm-up
                    rows.append((f"Ray, {n} worker{'s' if n > 1 else ''}", *timed(be.run(plan(f"r{n}"), batch.BatchOptions()))))
        finally:
            ray.shutdown()

    print(f"\n{args.images} JPEGs 1024x768 -> PNG, model {wdesc}, device {args.device}, {cores} CPU cores\n")
    print(f"{'backend':<36} {'images':>6} {'s':>7} {'images/s':>9} {'s/image':>8}")
    per = {}
    for name, secs, n in rows:
        per[name] = secs / max(1, n)
        print(f"{name:<36} {n:>6} {secs:>7.2f} {n / secs:>9.2f} {secs / max(1, n):>8.3f}")
    l1 = per["local, --jobs 1, 1 torch thread"]
    r1, r2 = per["Ray, 1 worker"], per["Ray, 2 workers"]
    print(f"\nRay 1 worker / local 1 thread, images/s: {l1 / r1:.2f}")
    print(f"Ray 2 workers / Ray 1 worker, images/s:  {r1 / r2:.2f}")
    print(f"Ray per-image overhead (Ray 1 worker - local 1 thread): {1000 * (r1 - l1):+.1f} ms "
          f"({100 * (r1 - l1) / l1:+.1f} %)")
    print(f"bare actor round trip (no work): {1000 * rtt:.2f} ms")


if __name__ == "__main__":
    main()

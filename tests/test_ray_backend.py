"""The Ray backend (``--backend ray``) on a local multi-node Ray cluster.

One cluster for the module, always shut down: a head node without CPUs (only the driver runs there)
and two worker nodes with 2 logical CPUs and a 100 MB object store each (workers are spread one per
node). Checked:

* outputs, sidecars and manifest records equal the local backend's bit for bit (clocks and document
  IDs frozen the same way on the driver and in every Ray worker process);
* a worker process killed mid-batch: its images go to the other worker, the job completes, no
  temporary file is left, every source is recorded exactly once;
* a source a worker node cannot see: one failed line naming the path and the node; the rest goes on;
* the CLI: Ctrl-C stops cleanly (exit 130, every output on disk recorded), a SIGKILLed driver loses
  nothing, and the same command run again resumes and completes;
* without ray installed, ``--backend ray`` is one line naming the extra.
"""
from __future__ import annotations

import collections
import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archcolour import provenance as P
from archcolour.batch import BatchOptions, OutputState, check_output, plan_job, run_job

from testdeps import require  # noqa: E402

ray = require("ray")

ROOT = Path(__file__).resolve().parents[1]
MB = 2 ** 20


def freeze_clock(patch=setattr) -> None:
    """The provenance's time stamps and document IDs, the only things meant to differ between runs.

    The sRGB ICC profile too: LittleCMS stamps it with the time it was made (once per process), so
    without this two processes' outputs differ in those 12 bytes of the profile header.
    """
    import archcolour.weights  # noqa: F401 - a module with a _dt to patch
    from archcolour.imageio import metadata
    from archcolour.provenance import output, record

    icc = metadata.srgb_profile()
    icc = icc[:24] + bytes([0x07, 0xEA, 0, 1, 0, 1]) + bytes(6) + icc[36:]  # made 2026-01-01 00:00:00
    patch(metadata, "srgb_profile", lambda: icc)

    class Frozen(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime(2026, 1, 1, tzinfo=tz)

    patch(output, "utc_now", lambda: "2026-01-01T00:00:00Z")
    patch(record, "uuid", type("U", (), {"uuid4": staticmethod(lambda: uuid.UUID(int=7))}))
    for mod in [m for n, m in list(sys.modules.items()) if n.startswith("archcolour.") and hasattr(m, "_dt")]:
        patch(mod, "_dt", type("D", (), {"datetime": Frozen, "timezone": datetime.timezone}))


@pytest.fixture(scope="module")
def cluster():
    from ray.cluster_utils import Cluster

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the setup hook travels by value
    # Ray runs workers 15 steps of niceness below the driver; on a busy developer machine that starves
    # them (minutes to import torch). The same priority as the tests themselves (the nodes read it at start):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAY_worker_niceness", "0")
        c = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "object_store_memory": 100 * MB,
                                                          "include_dashboard": False})
        try:
            for _ in range(2):
                c.add_node(num_cpus=2, object_store_memory=100 * MB)
        except BaseException:
            c.shutdown()
            raise
    try:
        c.wait_for_nodes()
        ray.init(address=c.address, log_to_driver=False, runtime_env={"worker_process_setup_hook": freeze_clock})
        yield c
    finally:
        ray.shutdown()
        c.shutdown()


@pytest.fixture(scope="module")
def weights(tiny_models_dir) -> Path:
    return tiny_models_dir / "tiny.safetensors"


@pytest.fixture(scope="module")
def backend(cluster, weights):
    from archcolour.batch.ray_backend import RayBackend

    with RayBackend.start(weights, device="cpu", workers=2) as b:
        yield b


def _grey(h: int, w: int, seed: int) -> np.ndarray:
    r = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    return ((x * 3 + y * 2) % 200 + 30 + r.integers(0, 20, (h, w))).clip(0, 255).astype(np.uint8)


def make_images(folder: Path, n: int = 14, size: int = 48) -> list[Path]:
    """``n`` small greyscale images (PNG, JPEG, 16-bit TIFF) and one file that is not an image."""
    import tifffile

    folder.mkdir(parents=True)
    paths = []
    for i in range(n):
        g = _grey(size + 4 * i, size * 4 // 3 + 2 * i, seed=i)
        if i % 5 == 3:
            p = folder / f"scan{i:02d}.jpg"
            Image.fromarray(g).save(p, quality=90)
        elif i % 5 == 4:
            p = folder / f"scan{i:02d}.tif"
            tifffile.imwrite(p, g.astype(np.uint16) * 257, photometric="minisblack")
        else:
            p = folder / f"scan{i:02d}.png"
            Image.fromarray(g).save(p)
        paths.append(p)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    return paths


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("ray") / "archive"
    make_images(d)
    return d


@pytest.fixture(scope="module")
def local_reference(images, weights, tmp_path_factory):
    """The local backend's outputs for ``images``, clocks frozen: (folder, results)."""
    from archcolour.engine import Colouriser

    out = tmp_path_factory.mktemp("local") / "out"
    with pytest.MonkeyPatch.context() as mp:
        freeze_clock(mp.setattr)
        results = list(run_job(plan_job([images], out), Colouriser(weights, device="cpu"), BatchOptions(jobs=1)))
    return out, results


def _files(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".lock"))


def _temps(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.tmp")]


def _items(manifest: Path) -> list[dict]:
    return list(P.iter_items(P.read_manifest(manifest)))


def _runs(manifest: Path) -> list[dict]:
    return [r for r in P.read_manifest(manifest) if r.get("type") == "run"]


# ---------------------------------------------------------------------------------------------
def test_outputs_sidecars_and_manifest_equal_the_local_backends(backend, images, local_reference, tmp_path,
                                                                monkeypatch):
    ref_dir, ref = local_reference
    freeze_clock(monkeypatch.setattr)
    out = tmp_path / "out"
    got = list(backend.run(plan_job([images], out), BatchOptions()))

    key = lambda r, folder: (r.source, r.output.relative_to(folder), r.status)  # noqa: E731
    assert [key(r, out) for r in got] == [key(r, ref_dir) for r in ref]
    assert collections.Counter(r.status for r in got) == {"done": 14, "failed": 1}
    broken = next(r for r in got if r.status == "failed")
    assert broken.source.name == "broken.png" and broken.message == next(r.message for r in ref if r.status == "failed")
    files = _files(out)
    assert files == _files(ref_dir) and len(files) == 2 * 14 + 1  # outputs, sidecars, manifest
    for rel in files:
        if rel.name != P.MANIFEST_NAME:
            assert (out / rel).read_bytes() == (ref_dir / rel).read_bytes(), rel
    def strip(folder: Path) -> list[dict]:  # the manifest's item records, less clocks and the folder's own path
        return [{**{k: v for k, v in r.items() if k not in ("time", "run", "seconds")},
                 "output": str(Path(r["output"]).relative_to(folder))} for r in _items(folder / P.MANIFEST_NAME)]

    assert strip(out) == strip(ref_dir) and len(strip(out)) == 15
    (run,), (ref_run,) = _runs(out / P.MANIFEST_NAME), _runs(ref_dir / P.MANIFEST_NAME)
    for key in ("model", "model_sha256", "model_version", "working_size", "seed", "device", "items"):
        assert run[key] == ref_run[key], key


def test_images_own_settings_are_honoured_by_the_workers_as_locally(backend, weights, tmp_path, monkeypatch):
    from archcolour import image_settings as ims
    from archcolour.engine import Colouriser

    freeze_clock(monkeypatch.setattr)
    make_images(tmp_path / "in", n=3)
    own = ims.parse({"version": 1, "images": {"scan00.png": {"model": "tiny-guided", "working_size": 96},
                                              "scan01.png": {"vividness": 0.5, "upsampling": "bilinear"}}})
    ray_out, local_out = tmp_path / "ray", tmp_path / "local"
    got = list(backend.run(plan_job([tmp_path / "in"], ray_out), BatchOptions(image_settings=own)))
    ref = list(run_job(plan_job([tmp_path / "in"], local_out), Colouriser(weights, device="cpu"),
                       BatchOptions(image_settings=own, jobs=1)))
    assert [r.status for r in got] == [r.status for r in ref]
    assert collections.Counter(r.status for r in got) == {"done": 3, "failed": 1}  # broken.png
    a, b = P.read_sidecar(ray_out / "scan00_colourised.png"), P.read_sidecar(ray_out / "scan01_colourised.png")
    assert (a["model"]["name"], a["engine"]["working_size"]) == ("tiny-guided", 96)
    assert (b["engine"]["upsampling"], b["guidance"]["vividness"]) == ("bilinear", 0.5)
    for name in ("scan00_colourised.png", "scan01_colourised.png", "scan02_colourised.png"):
        assert (ray_out / name).read_bytes() == (local_out / name).read_bytes(), name


def test_a_worker_killed_mid_batch_loses_nothing_and_records_nothing_twice(backend, images, local_reference, tmp_path,
                                                                             monkeypatch):
    ref_dir, _ = local_reference
    freeze_clock(monkeypatch.setattr)
    out = tmp_path / "out"
    plan = plan_job([images], out)
    results = backend.run(plan, BatchOptions())
    got = [next(results)]  # the first image is back; the others are in flight on both workers
    victim = backend.pids[0]
    resent = backend.resent
    os.kill(victim, signal.SIGKILL)
    got += list(results)

    assert backend.resent > resent  # the dead worker's images were sent again, to the other worker
    assert victim not in backend.pids
    assert [r.source for r in got] == [it.source for it in plan.items]
    assert collections.Counter(r.status for r in got) == {"done": 14, "failed": 1}
    assert _temps(out) == []  # no partial output: the killed attempt's temporary files are gone
    for rel in _files(ref_dir):  # outputs equal the local backend's (a resent image is remade identically)
        if rel.name != P.MANIFEST_NAME:
            assert (out / rel).read_bytes() == (ref_dir / rel).read_bytes(), rel
    recorded = collections.Counter(r["source"] for r in _items(out / P.MANIFEST_NAME))
    assert sorted(recorded) == sorted(str(it.source) for it in plan.items)
    assert set(recorded.values()) == {1}


def test_a_source_a_worker_node_cannot_see_is_one_line_naming_it(backend, tmp_path):
    paths = make_images(tmp_path / "in", n=3)
    plan = plan_job([tmp_path / "in"], tmp_path / "out")
    paths[1].unlink()  # planned on the driver; gone from the workers' view (an archive not mounted there)
    got = {r.source.name: r for r in backend.run(plan, BatchOptions())}
    lost = got[paths[1].name]
    assert lost.status == "failed"
    assert str(paths[1].absolute()) in lost.message and "not found on Ray worker" in lost.message
    assert "\n" not in lost.message
    assert [got[p.name].status for p in (paths[0], paths[2])] == ["done", "done"]


def test_device_name_and_model_come_from_the_workers(backend, weights):
    from archcolour.weights import sha256_file

    assert backend.info.sha256 == sha256_file(weights)
    assert backend.working_size == 64 and backend.seed == 0 and backend.device == "cpu"
    assert backend.device_name.startswith("Ray, ") and "worker" in backend.device_name


# ---------------------------------------------------------------------------------------------
# the command line, as a separate driver connecting to the cluster
# ---------------------------------------------------------------------------------------------
def _cli(cluster, images: Path, out: Path, weights: Path) -> list[str]:
    return [sys.executable, "-m", "archcolour", "colourise", str(images), "-o", str(out), "--backend", "ray",
            "--ray-address", cluster.address, "--weights", str(weights), "--device", "cpu", "--jobs", "2"]


def _start_and_signal(cmd: list[str], sig: int, after_done: int) -> tuple[int, str]:
    """Run ``cmd``; after ``after_done`` 'done' lines send ``sig``; (exit status, output)."""
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines, done = [], 0
    deadline = time.monotonic() + 300
    assert p.stdout is not None
    for line in p.stdout:
        lines.append(line)
        done += line.startswith("done ")
        if done >= after_done:
            p.send_signal(sig)
            break
        assert time.monotonic() < deadline, "".join(lines)
    lines += p.stdout.readlines()
    return p.wait(timeout=300), "".join(lines)


def test_cli_ctrl_c_then_driver_killed_then_the_same_command_resumes(cluster, weights, tmp_path):
    images = tmp_path / "archive"
    sources = make_images(images, n=24, size=240)  # enough work that a signal lands mid-batch
    out = tmp_path / "out"
    manifest = out / P.MANIFEST_NAME
    cmd = _cli(cluster, images, out, weights)

    rc, text = _start_and_signal(cmd, signal.SIGINT, after_done=1)
    assert rc == 130 and "Interrupted. Summary:" in text, text
    assert "Traceback" not in text
    assert _temps(out) == []
    on_disk = {str(p) for p in out.glob("*_colourised.*") if not p.name.endswith(".json")}
    done = {r["output"] for r in _items(manifest) if r["status"] == "done"}
    assert 1 <= len(on_disk) < len(sources) and {str(Path(o).absolute()) for o in done} == on_disk

    rc, text = _start_and_signal(cmd, signal.SIGKILL, after_done=1)
    assert rc == -signal.SIGKILL, text

    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 1, res.stdout + res.stderr  # broken.png fails; everything else is there
    assert ", 1 failed" in res.stdout and "skipped" in res.stdout  # broken.png; what the first runs did
    assert _temps(out) == []
    for src in sources:
        output = out / f"{src.stem}_colourised{src.suffix}"
        assert check_output(src, output).state is OutputState.DONE, output
    last = _runs(manifest)[-1]["run"]
    recorded = collections.Counter(r["source"] for r in _items(manifest) if r["run"] == last)
    assert len(recorded) == len(sources) + 1 and set(recorded.values()) == {1}


def test_cli_without_ray_is_one_line_naming_the_extra(images, tmp_path):
    code = ("import importlib.abc, sys\n"
            "class Block(importlib.abc.MetaPathFinder):\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] == 'ray':\n"
            "            raise ImportError('No module named ray (blocked)')\n"
            "sys.meta_path.insert(0, Block())\n"
            "from archcolour.cli import main\n"
            f"sys.exit(main(['colourise', {str(images)!r}, '-o', {str(tmp_path / 'o')!r}, '--backend', 'ray']))\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 2, res.stderr
    errors = [line for line in res.stderr.splitlines() if line.startswith("archcolour: error")]
    assert errors == ["archcolour: error: the Ray backend needs the optional 'ray' package (ray>=2.60): "
                      "pip install 'archcolour[cluster]'"], res.stderr
    assert "Traceback" not in res.stderr


def test_ray_address_without_the_ray_backend_is_a_usage_error(images, tmp_path, capsys):
    from archcolour.cli import main

    assert main(["colourise", str(images), "-o", str(tmp_path / "o"), "--ray-address", "auto"]) == 2
    assert capsys.readouterr().err.strip() == "archcolour: error: --ray-address needs --backend ray"
    assert not (tmp_path / "o").exists()

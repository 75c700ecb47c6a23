"""Safety: SIGKILL a CLI batch at random moments, several times, then resume it.

After every kill, each output file that exists is a complete, decodable image carrying its XMP
provenance (a kill leaves no output or a whole one) and the sources are byte-identical. The resumed
batch completes; every output is valid, carries its metadata and a sidecar matching its bytes; no
temporary file is left; the manifest audits every item.
"""
from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archcolour import provenance as P

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

SEED = 20240605
KILLS = 4
EXPECTED_SOURCES = 8


def _make_sources(folder: Path, rng: np.random.Generator) -> list[Path]:
    import tifffile

    folder.mkdir()
    paths = []
    for i in range(EXPECTED_SOURCES):
        h, w = 40 + 4 * i, 56 + 2 * i
        y, x = np.mgrid[0:h, 0:w]
        g = ((x + 2 * y) % 64 * 4 + rng.integers(0, 8, (h, w))).clip(0, 255).astype(np.uint8)
        kind = i % 4
        if kind == 0:
            p = folder / f"site{i}.png"
            Image.fromarray(g).save(p)
        elif kind == 1:
            p = folder / f"site{i}.jpg"
            Image.fromarray(g).save(p, quality=90)
        elif kind == 2:
            p = folder / f"site{i}.tif"
            tifffile.imwrite(p, g.astype(np.uint16) * 257, photometric="minisblack")
        else:
            p = folder / f"site{i}.webp"
            Image.fromarray(g).convert("RGB").save(p, quality=90)
        paths.append(p)
    return paths


def _digests(paths: list[Path]) -> dict[Path, str]:
    return {p: P.sha256_file(p) for p in paths}


def _outputs(out_dir: Path) -> list[Path]:
    """Final outputs (not sidecars, not the hidden temporary files of a write in progress)."""
    return sorted(p for p in out_dir.glob("*_colourised.*")
                  if not p.name.startswith(".") and not p.name.endswith((".json", ".tmp")))


def _assert_complete_with_provenance(out: Path) -> None:
    with Image.open(out) as im:
        im.load()  # raises on a truncated file
        assert im.width > 0 and im.height > 0
    prov = P.read_provenance(out)
    assert prov is not None and prov["found_in"][0] == P.XMP_CONTAINERS[im.format], out
    assert prov["digital_source_type"] == P.DIGITAL_SOURCE_TYPE


def _start(in_dir: Path, out_dir: Path) -> tuple[subprocess.Popen, "queue.Queue[str | None]"]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "archcolour", "colourise", str(in_dir), "-o", str(out_dir), "--device", "cpu"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    lines: "queue.Queue[str | None]" = queue.Queue()

    def pump() -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return proc, lines


def _wait_for(lines: "queue.Queue[str | None]", pred, timeout: float = 60.0) -> bool:
    """Consume lines until ``pred(line)``; False when the process ended first."""
    end = time.monotonic() + timeout
    while True:
        line = lines.get(timeout=max(0.1, end - time.monotonic()))
        if line is None:
            return False
        if pred(line):
            return True


def test_kill_at_random_points_then_resume(tmp_path):
    rng = random.Random(SEED)
    sources = _make_sources(tmp_path / "in", np.random.default_rng(SEED))
    before = _digests(sources)
    out_dir = tmp_path / "out"
    interrupted = 0
    for _ in range(KILLS):
        proc, lines = _start(tmp_path / "in", out_dir)
        try:
            # after the model is loaded, let 0-2 more images finish, then kill at a random moment
            assert _wait_for(lines, lambda s: s.startswith("Model ") or s.startswith("Summary")), "no start line"
            wait_items = rng.randint(0, 2)
            alive = True
            for _ in range(wait_items):
                alive = _wait_for(lines, lambda s: s.startswith("done") or s.startswith("Summary"))
                if not alive:
                    break
            time.sleep(rng.uniform(0.0, 0.06))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
        finally:
            rc = proc.wait(timeout=60)
        if rc == -signal.SIGKILL:
            interrupted += 1
        # whatever the moment: every output present is whole and carries its provenance
        for out in _outputs(out_dir) if out_dir.exists() else []:
            _assert_complete_with_provenance(out)
        assert _digests(sources) == before
    assert interrupted >= 2, "the kills should interrupt work in progress"

    proc, lines = _start(tmp_path / "in", out_dir)
    rc = proc.wait(timeout=120)
    log = []
    while (line := lines.get(timeout=10)) is not None:
        log.append(line)
    assert rc == 0, "".join(log)
    assert log[-1].startswith("Summary:") and "0 failed" in log[-1]

    outputs = _outputs(out_dir)
    assert len(outputs) == EXPECTED_SOURCES
    for out in outputs:
        _assert_complete_with_provenance(out)
        prov = P.read_provenance(out)
        assert prov["output_sha256_matches"] is True and prov["sidecar_matches"] is True, out
        src = tmp_path / "in" / prov["source"]["name"]
        assert prov["source"]["sha256"] == before[src]
    assert not [p for p in out_dir.rglob("*") if p.name.endswith(".tmp")], "temporary files left behind"
    assert _digests(sources) == before

    items = list(P.iter_items(P.read_manifest(out_dir / P.MANIFEST_NAME)))
    last_run = items[-1]["run"]
    final = [r for r in items if r["run"] == last_run]
    assert sorted(Path(r["output"]).name for r in final) == sorted(p.name for p in outputs)
    assert all(r["status"] in ("done", "skipped") for r in final)
    for r in final:
        assert r["output_sha256"] == P.sha256_file(r["output"])
    # across all runs no output was made twice, and each one recorded as made is still those bytes
    done = [r for r in items if r["status"] == "done"]
    assert len({r["output"] for r in done}) == len(done)
    for r in done:
        assert r["output_sha256"] == P.sha256_file(r["output"])

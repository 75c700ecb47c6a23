"""batch.state: "done" comes from the provenance (the source's SHA-256), never from the file name."""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from PIL import Image

from archcolour import provenance as P
from archcolour.batch import BatchOptions, OutputState, output_state, plan_job, run_job, state, summarise


def _img(path, seed):
    r = np.random.default_rng(seed)
    Image.fromarray((r.random((12, 16)) * 255).astype(np.uint8)).save(path)


@pytest.fixture(scope="module")
def col(tiny_models_dir):
    from archcolour.engine import Colouriser

    return Colouriser(tiny_models_dir / "tiny.safetensors", device="cpu")


@pytest.fixture
def two_collections(tmp_path):
    """Two folders each holding a *different* photograph called Greece1911.png, one output folder."""
    a, b = tmp_path / "A", tmp_path / "B"
    a.mkdir()
    b.mkdir()
    _img(a / "Greece1911.png", 1)
    _img(b / "Greece1911.png", 2)
    return a, b, tmp_path / "out"


def test_another_photo_with_the_same_name_is_not_done_and_is_never_overwritten_silently(two_collections, col):
    a, b, out = two_collections
    target = out / "Greece1911_colourised.png"
    assert output_state(a / "Greece1911.png", target) is OutputState.PENDING
    assert summarise(run_job(plan_job([a], out), col)).done == 1
    made_from_a = target.read_bytes()
    assert output_state(a / "Greece1911.png", target) is OutputState.DONE
    assert output_state(b / "Greece1911.png", target) is OutputState.FOREIGN
    plan = plan_job([b], out)
    assert plan.items[0].state is OutputState.FOREIGN
    for opts in (BatchOptions(), BatchOptions(overwrite=True)):  # --overwrite is not enough
        [r] = run_job(plan_job([b], out), col, opts)
        assert r.status == "skipped" and r.conflict and "another source" in r.message and "\n" not in r.message
        assert target.read_bytes() == made_from_a
    [r] = run_job(plan_job([b], out), col, BatchOptions(replace_foreign=True))
    assert r.status == "done"
    assert P.read_sidecar(target)["source"]["sha256"] == P.sha256_file(b / "Greece1911.png")
    assert output_state(b / "Greece1911.png", target) is OutputState.DONE
    assert output_state(a / "Greece1911.png", target) is OutputState.FOREIGN


def test_a_file_without_provenance_at_the_output_is_a_conflict(tmp_path, col):
    _img(tmp_path / "s.png", 3)
    out = tmp_path / "out"
    out.mkdir()
    (out / "s_colourised.png").write_bytes(b"someone else's file")
    [r] = run_job(plan_job([tmp_path / "s.png"], out), col, BatchOptions(overwrite=True))
    assert r.conflict and r.state is OutputState.UNKNOWN
    assert (out / "s_colourised.png").read_bytes() == b"someone else's file"
    items = list(P.iter_items(P.read_manifest(out / P.MANIFEST_NAME)))
    assert items[-1]["output_state"] == "unknown" and items[-1]["status"] == "skipped"


def test_resume_trusts_the_sidecar_and_hashes_nothing(tmp_path, col, monkeypatch):
    for i in range(3):
        _img(tmp_path / f"{i}.png", i)
    out = tmp_path / "out"
    assert summarise(run_job(plan_job([tmp_path], out), col)).done == 3
    calls = []
    real = state.sha256_file
    monkeypatch.setattr(state, "sha256_file", lambda p: calls.append(p) or real(p))
    from archcolour.batch import item

    monkeypatch.setattr(item, "sha256_file", lambda p: calls.append(p) or real(p))
    s = summarise(run_job(plan_job([tmp_path], out), col))
    assert (s.skipped, calls) == (3, [])
    items = list(P.iter_items(P.read_manifest(out / P.MANIFEST_NAME)))[-3:]
    assert all(i["status"] == "skipped" and i["output_sha256"] == P.sha256_file(i["output"]) for i in items)
    assert all(i["source_sha256"] == P.sha256_file(i["source"]) for i in items)
    # the source touched (same bytes, new time): hashed once, still done, never hashed twice
    os.utime(tmp_path / "0.png", ns=(1, 1))
    s = summarise(run_job(plan_job([tmp_path], out), col))
    assert s.skipped == 3 and calls == [tmp_path / "0.png"]


def test_a_copied_collection_with_another_time_still_counts_as_done(tmp_path, col):
    _img(tmp_path / "s.png", 5)
    out = tmp_path / "out"
    list(run_job(plan_job([tmp_path / "s.png"], out), col))
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(tmp_path / "s.png", copy / "s.png")  # same bytes, new mtime
    assert output_state(copy / "s.png", out / "s_colourised.png") is OutputState.DONE


def test_a_skipped_output_that_cannot_be_hashed_is_a_one_line_audit_problem(tmp_path, col, monkeypatch):
    _img(tmp_path / "s.png", 6)
    out = tmp_path / "out"
    list(run_job(plan_job([tmp_path / "s.png"], out), col, BatchOptions(sidecar=False)))
    from archcolour.batch import item

    def unreadable(p):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(item, "sha256_file", unreadable)
    [r] = run_job(plan_job([tmp_path / "s.png"], out), col, BatchOptions(sidecar=False))
    assert r.status == "skipped" and r.audit_error and "\n" not in r.audit_error
    rec = list(P.iter_items(P.read_manifest(out / P.MANIFEST_NAME)))[-1]
    assert rec["audit_error"] == r.audit_error and rec["output_sha256"] is None


def test_a_manifest_that_is_a_symbolic_link_fails_the_items_before_any_work(tmp_path, col):
    _img(tmp_path / "s.png", 7)
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "elsewhere").write_text("x")
    (out / P.MANIFEST_NAME).symlink_to(tmp_path / "elsewhere")
    [r] = run_job(plan_job([tmp_path / "s.png"], out), col)
    assert r.status == "failed" and "symbolic link" in r.message and "\n" not in r.message
    assert not (out / "s_colourised.png").exists() and (tmp_path / "elsewhere").read_text() == "x"

"""The batch runner: naming, mirroring, skip/overwrite, never touching sources, failures, atomicity."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from archcolour import batch, imageio
from archcolour.batch import BatchOptions, CancelToken, plan_job, run_job, summarise
from archcolour.engine import Colouriser


@pytest.fixture(scope="module")
def colouriser(tiny_models_dir) -> Colouriser:
    return Colouriser(tiny_models_dir / "tiny.safetensors", device="cpu")


def _grey(h=24, w=32, seed=0) -> np.ndarray:
    r = np.random.default_rng(seed)
    return (np.linspace(30, 220, w)[None, :] + r.random((h, w)) * 30).clip(0, 255).astype(np.uint8)


def make_tree(root: Path) -> dict[str, Path]:
    """root/a.jpg, root/b.png, root/sub/c.tif (16-bit), root/sub/deeper/d.webp, root/notes.txt."""
    (root / "sub" / "deeper").mkdir(parents=True)
    files = {
        "a": root / "a.jpg", "b": root / "b.png", "c": root / "sub" / "c.tif", "d": root / "sub" / "deeper" / "d.webp",
    }
    Image.fromarray(_grey(seed=1)).save(files["a"], quality=90)
    Image.fromarray(_grey(seed=2)).save(files["b"])
    tifffile.imwrite(files["c"], (_grey(seed=3).astype(np.uint16) * 257))
    Image.fromarray(_grey(seed=4)).save(files["d"], lossless=True)
    (root / "notes.txt").write_text("not an image")
    return files


def hashes(root: Path) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def test_plan_names_and_mirrors_subfolders(tmp_path):
    files = make_tree(tmp_path / "in")
    out = tmp_path / "out"
    plan = plan_job([tmp_path / "in"], out, recursive=True)
    got = {it.source: it.output for it in plan.items}
    assert got == {
        files["a"]: out / "a_colourised.jpg",
        files["b"]: out / "b_colourised.png",
        files["c"]: out / "sub" / "c_colourised.tif",
        files["d"]: out / "sub" / "deeper" / "d_colourised.webp",
    }
    assert all(not it.exists and it.error is None for it in plan.items)


def test_plan_without_recursion_and_with_format(tmp_path):
    make_tree(tmp_path / "in")
    plan = plan_job([tmp_path / "in"], tmp_path / "out", fmt="png")
    assert [it.output.name for it in plan.items] == ["a_colourised.png", "b_colourised.png"]
    plan = plan_job([tmp_path / "in" / "sub" / "c.tif"], tmp_path / "out", fmt="jpg")
    assert plan.items[0].output == tmp_path / "out" / "c_colourised.jpg"
    with pytest.raises(batch.PlanError):
        plan_job([tmp_path / "in"], tmp_path / "out", fmt="gif")


def test_plan_reports_missing_inputs_and_empty_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    plan = plan_job([tmp_path / "nope.jpg", tmp_path / "empty"], tmp_path / "out")
    assert plan.items == []
    assert any("no such file" in p for p in plan.problems)
    assert any("no images" in p for p in plan.problems)


def test_plan_refuses_outputs_that_would_overwrite_a_source(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(_grey()).save(src / "a.png")
    Image.fromarray(_grey(seed=5)).save(src / "a_colourised.png")  # a source that has the output's name
    plan = plan_job([src], src)  # output folder = source folder
    by_src = {it.source.name: it for it in plan.items}
    assert by_src["a.png"].error and "overwrite a source" in by_src["a.png"].error
    assert by_src["a_colourised.png"].error is None


def test_plan_refuses_an_output_folder_that_is_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    Image.fromarray(_grey()).save(tmp_path / "a.png")
    with pytest.raises(batch.PlanError):
        plan_job([tmp_path / "a.png"], tmp_path / "f")


def test_plan_detects_two_sources_with_one_output(tmp_path):
    for d in ("x", "y"):
        (tmp_path / d).mkdir()
        Image.fromarray(_grey()).save(tmp_path / d / "same.png")
    plan = plan_job([tmp_path / "x", tmp_path / "y"], tmp_path / "out")
    assert plan.items[0].error is None
    assert plan.items[1].error and "also the output of" in plan.items[1].error


def test_default_output_beside_sources_and_not_walked_again(tmp_path, colouriser):
    files = make_tree(tmp_path / "in")
    plan = plan_job([tmp_path / "in"], None, recursive=True)
    assert plan.items[0].output == files["a"].parent / "colourised" / "a_colourised.jpg"
    assert plan.items[2].output == files["c"].parent / "colourised" / "c_colourised.tif"
    assert summarise(run_job(plan, colouriser)).done == 4
    again = plan_job([tmp_path / "in"], None, recursive=True)
    assert len(again.items) == 4 and all(it.exists for it in again.items)


@pytest.mark.parametrize("jobs", [1, 2])
def test_run_writes_outputs_and_leaves_sources_byte_identical(tmp_path, colouriser, jobs):
    files = make_tree(tmp_path / "in")
    before = hashes(tmp_path / "in")
    out = tmp_path / "out"
    results = list(run_job(plan_job([tmp_path / "in"], out, recursive=True), colouriser, BatchOptions(jobs=jobs)))
    assert [r.status for r in results] == ["done"] * 4, [r.message for r in results]
    assert [r.source for r in results] == [files[k] for k in "abcd"]
    assert hashes(tmp_path / "in") == before
    for r in results:
        src, dst = imageio.load_image(r.source), imageio.load_image(r.output)
        assert (dst.width, dst.height) == (src.width, src.height)
        assert r.seconds > 0
    # the 16-bit TIFF stays 16-bit, with the exact lightness
    c_out = tifffile.imread(out / "sub" / "c_colourised.tif")
    assert c_out.dtype == np.uint16 and c_out.shape == (24, 32, 3)
    src_l = imageio.load_image(files["c"]).l
    assert np.abs(imageio.load_image(out / "sub" / "c_colourised.tif").l - src_l).max() < 0.01
    # the lossless 8-bit PNG keeps L within quantisation
    b_l = imageio.load_image(files["b"]).l
    assert np.abs(imageio.load_image(out / "b_colourised.png").l - b_l).max() <= 0.5
    assert not list(out.rglob("*.tmp"))


def test_jobs_1_and_2_give_bit_identical_outputs_and_the_same_manifest(tmp_path, colouriser, monkeypatch):
    import uuid

    from archcolour import provenance as P
    from archcolour.provenance import output, record

    # the provenance's time stamp and document IDs are the only things meant to differ between runs
    monkeypatch.setattr(output, "utc_now", lambda: "2026-01-01T00:00:00Z")
    monkeypatch.setattr(record, "uuid", type("U", (), {"uuid4": staticmethod(lambda: uuid.UUID(int=7))}))
    import datetime
    import sys

    class Frozen(datetime.datetime):  # EXIF DateTime: the processing time
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime(2026, 1, 1, tzinfo=tz)

    for mod in [m for name, m in sys.modules.items() if name.startswith("archcolour.") and hasattr(m, "_dt")]:
        monkeypatch.setattr(mod, "_dt", type("D", (), {"datetime": Frozen, "timezone": datetime.timezone}))
    make_tree(tmp_path / "in")
    for i in range(6):  # more images than jobs, of different sizes, so they finish out of order
        Image.fromarray(_grey(16 + 9 * i, 20 + 5 * i, seed=10 + i)).save(tmp_path / "in" / f"e{i}.png")
    runs = {}
    for jobs in (1, 2):
        out = tmp_path / f"o{jobs}"
        runs[jobs] = list(run_job(plan_job([tmp_path / "in"], out, recursive=True), colouriser, BatchOptions(jobs=jobs)))
    assert [r.source for r in runs[1]] == [r.source for r in runs[2]] and len(runs[1]) == 10
    files1 = sorted(p.relative_to(tmp_path / "o1") for p in (tmp_path / "o1").rglob("*_colourised.*"))
    files2 = sorted(p.relative_to(tmp_path / "o2") for p in (tmp_path / "o2").rglob("*_colourised.*"))
    assert files1 == files2 and len(files1) == 20  # outputs and their sidecars
    for rel in files1:
        assert (tmp_path / "o1" / rel).read_bytes() == (tmp_path / "o2" / rel).read_bytes(), rel
    m1, m2 = (list(P.iter_items(P.read_manifest(tmp_path / f"o{j}" / P.MANIFEST_NAME))) for j in (1, 2))
    key = lambda r: (Path(r["source"]).name, Path(r["output"]).name, r["status"], r["source_sha256"],  # noqa: E731
                     r["output_sha256"])
    assert [key(r) for r in m1] == [key(r) for r in m2]
    assert [Path(r["source"]) for r in m1] == [r.source for r in runs[1]]


def test_rerun_skips_then_overwrite_replaces(tmp_path, colouriser):
    make_tree(tmp_path / "in")
    out = tmp_path / "out"
    plan = lambda: plan_job([tmp_path / "in"], out, recursive=True)  # noqa: E731
    assert summarise(run_job(plan(), colouriser)).done == 4
    target = out / "a_colourised.jpg"
    target.write_bytes(b"stale")
    s = summarise(run_job(plan(), colouriser))
    assert (s.done, s.skipped, s.failed) == (0, 4, 0)
    assert target.read_bytes() == b"stale"
    s = summarise(run_job(plan(), colouriser, BatchOptions(overwrite=True)))
    assert s.done == 4
    assert target.read_bytes() != b"stale"
    assert imageio.load_image(target).width == 32


def test_one_bad_file_does_not_stop_the_batch(tmp_path, colouriser):
    d = tmp_path / "in"
    d.mkdir()
    Image.fromarray(_grey()).save(d / "1.png")
    (d / "2.jpg").write_bytes(b"")
    (d / "3.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    Image.fromarray(_grey(seed=9)).save(d / "4.png")
    before = hashes(d)
    results = list(run_job(plan_job([d], tmp_path / "out"), colouriser))
    assert [r.status for r in results] == ["done", "failed", "failed", "done"]
    assert "empty file" in results[1].message and "\n" not in results[2].message
    assert not (tmp_path / "out" / "2_colourised.jpg").exists()
    assert hashes(d) == before
    assert summarise(results).failed == 2 and not summarise(results).ok


def test_refused_item_fails_and_source_is_untouched(tmp_path, colouriser):
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(_grey()).save(src / "a.png")
    Image.fromarray(_grey(seed=5)).save(src / "a_colourised.png")
    before = hashes(src)
    results = list(run_job(plan_job([src], src), colouriser))
    status = {r.source.name: r.status for r in results}
    assert status == {"a.png": "failed", "a_colourised.png": "done"}
    after = hashes(src)
    assert {p: h for p, h in after.items() if p in before} == before


def test_failed_write_leaves_no_output_and_no_temp_file(tmp_path, colouriser, monkeypatch):
    d = tmp_path / "in"
    d.mkdir()
    Image.fromarray(_grey()).save(d / "a.png")
    Image.fromarray(_grey(seed=2)).save(d / "b.png")
    calls = {"n": 0}
    from archcolour.imageio import write

    real_encode = write._encode

    def half_fail(f, *a, **k):
        calls["n"] += 1
        if calls["n"] == 1:
            f.write(b"half a PNG")
            raise OSError("no space left on device (simulated)")
        return real_encode(f, *a, **k)

    monkeypatch.setattr(write, "_encode", half_fail)
    out = tmp_path / "out"
    results = list(run_job(plan_job([d], out), colouriser, BatchOptions(jobs=1, sidecar=False, manifest=False)))
    assert [r.status for r in results] == ["failed", "done"]
    assert "no space left" in results[0].message
    assert sorted(p.name for p in out.iterdir() if not p.name.endswith(".lock")) == ["b_colourised.png"]


def test_cancel_stops_between_images(tmp_path, colouriser):
    d = tmp_path / "in"
    d.mkdir()
    for i in range(5):
        Image.fromarray(_grey(seed=i)).save(d / f"{i}.png")
    token = CancelToken()
    results = []
    for r in run_job(plan_job([d], tmp_path / "out"), colouriser, BatchOptions(sidecar=False, manifest=False),
                     cancel=token):
        results.append(r)
        token.cancel()
    assert 1 <= len(results) <= 2 and all(r.status == "done" for r in results)
    assert len([p for p in (tmp_path / "out").iterdir() if not p.name.endswith(".lock")]) == len(results)


def test_output_carries_description_dpi_and_exif(tmp_path, colouriser):
    exif = Image.Exif()
    exif[0x010F] = "Linhof"
    exif[0x0112] = 8
    Image.fromarray(_grey(20, 30)).save(tmp_path / "s.jpg", exif=exif.tobytes(), dpi=(400, 400))
    r = next(run_job(plan_job([tmp_path / "s.jpg"], tmp_path / "out"), colouriser))
    assert r.status == "done" and any("orientation 8" in w for w in r.warnings)
    with Image.open(r.output) as im:
        assert im.size == (20, 30)  # rotated upright
        e = im.getexif()
        assert e.get(0x010F) == "Linhof" and e.get(0x0112, 1) == 1
        assert "archcolour" in e.get(0x010E, "")
        assert im.info["dpi"] == pytest.approx((400, 400), abs=0.5)


def test_summary_counts():
    rs = [batch.ItemResult(Path("a"), Path("b"), s, "", 0.0) for s in ("done", "done", "skipped", "failed")]
    s = summarise(rs)
    assert (s.done, s.skipped, s.failed, s.total, s.ok) == (2, 1, 1, 4, False)
    assert str(s) == "2 done, 1 skipped, 1 failed"


# -- the executor hook (issue 13): another backend runs the items, run_job keeps the rest --------------------
def test_run_job_with_another_executor_records_its_results_in_order(tmp_path):
    files = make_tree(tmp_path / "in")
    plan = plan_job([tmp_path / "in"], tmp_path / "out")
    seen = {}

    def executor(items, options, hashes, *, stop, on_abandoned):
        seen["items"] = list(items)
        for it in seen["items"]:
            yield batch.ItemResult(it.source, it.output, "failed", f"by the executor: {it.source.name}", 0.0)

    results = list(run_job(plan, None, BatchOptions(), executor=executor))
    assert [r.source for r in results] == [files["a"], files["b"]] == [it.source for it in seen["items"]]
    lines = [r for r in __import__("archcolour").provenance.read_manifest(tmp_path / "out" / "manifest.jsonl")
             if r.get("type") == "item"]
    assert [r["message"] for r in lines] == ["by the executor: a.jpg", "by the executor: b.png"]


def test_the_ray_backend_uses_only_public_names_of_the_batch_modules():
    import ast

    src = Path(batch.__file__).with_name("ray_backend.py").read_text()
    private = [(n.module, a.name) for n in ast.walk(ast.parse(src)) if isinstance(n, ast.ImportFrom)
               and (n.module or "").lstrip(".") in ("run", "item", "plan", "state", "pipeline", "colourisers")
               for a in n.names if a.name.startswith("_")]
    assert private == []

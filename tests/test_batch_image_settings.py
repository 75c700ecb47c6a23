"""Images' own settings in the batch (issue 12): working size, model, vividness, upsampling per image,
recorded in each output's provenance; "needs work" unchanged by them; each model loaded once a run."""
from __future__ import annotations

import json
import threading

import numpy as np
import pytest
from PIL import Image

from archcolour import image_settings as ims
from archcolour import provenance
from archcolour.batch import BatchOptions, Colourisers, plan_job, process_item, run_job, summarise
from archcolour.batch.colourisers import view
from archcolour.engine import Colouriser


@pytest.fixture(scope="module")
def colouriser(tiny_models_dir) -> Colouriser:
    return Colouriser(tiny_models_dir / "tiny.safetensors", device="cpu", working_size=64)


@pytest.fixture
def photos(tmp_path):
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    r = np.random.default_rng(0)
    for name in ("a.png", "b.png", "sub/c.png"):
        Image.fromarray((np.linspace(30, 220, 80)[None, :] + r.random((60, 80)) * 30).astype(np.uint8)).save(d / name)
    return d


def _settings(images: dict) -> ims.ImageSettingsFile:
    return ims.parse({"version": 1, "images": images}, "image-settings.json")


def _engine(out, name):
    side = provenance.read_sidecar(out / name)
    return side["model"]["name"], side["engine"]["working_size"], side["engine"]["upsampling"], \
        side["guidance"]["vividness"]


def test_each_image_runs_with_its_own_settings_and_its_provenance_says_so(photos, tmp_path, colouriser):
    out = tmp_path / "out"
    own = _settings({"a.png": {"working_size": 96, "vividness": 0.5},
                     "sub/c.png": {"model": "tiny-guided", "upsampling": "bilinear"}})
    plan = plan_job([photos], out, recursive=True)
    results = list(run_job(plan, colouriser, BatchOptions(image_settings=own, vividness=1.25, jobs=2)))
    assert summarise(results).done == 3, [r.message for r in results]
    assert _engine(out, "a_colourised.png") == ("tiny", 96, "guided", 0.5)
    assert _engine(out, "b_colourised.png") == ("tiny", 64, "guided", 1.25)  # the run's settings
    # another model: at the run's working size unless the image sets one
    assert _engine(out, "sub/c_colourised.png") == ("tiny-guided", 64, "bilinear", 1.25)
    lines = {r["source"].rsplit("/", 1)[-1]: r for r in provenance.read_manifest(out / "manifest.jsonl")
             if r.get("type") == "item"}
    assert lines["c.png"]["model"] == "tiny-guided"
    assert lines["c.png"]["image_settings"] == {"model": "tiny-guided", "upsampling": "bilinear"}
    assert "image_settings" not in lines["b.png"]
    assert "working size 96" in next(r for r in results if r.source.name == "a.png").message


def test_own_settings_change_the_pixels(photos, tmp_path, colouriser):
    plain = list(run_job(plan_job([photos / "b.png"], tmp_path / "plain"), colouriser, BatchOptions()))
    own = _settings({"b.png": {"vividness": 0.0}})
    grey = list(run_job(plan_job([photos / "b.png"], tmp_path / "grey"), colouriser, BatchOptions(image_settings=own)))
    assert plain[0].status == grey[0].status == "done"
    a = np.asarray(Image.open(plain[0].output).convert("RGB")).astype(int)
    g = np.asarray(Image.open(grey[0].output).convert("RGB")).astype(int)
    assert np.abs(a - g).max() > 3  # vividness 0: grey
    assert np.abs(g[..., 0] - g[..., 2]).max() <= 2


def test_an_output_made_with_other_settings_is_still_done_unless_overwritten(photos, tmp_path, colouriser):
    out = tmp_path / "out"
    first = list(run_job(plan_job([photos], out), colouriser, BatchOptions()))
    assert summarise(first).done == 2
    own = _settings({"a.png": {"working_size": 128}})
    again = list(run_job(plan_job([photos], out), colouriser, BatchOptions(image_settings=own)))
    assert [r.status for r in again] == ["skipped", "skipped"]  # as for changed hints: done is done
    redo = list(run_job(plan_job([photos], out), colouriser, BatchOptions(image_settings=own, overwrite=True)))
    assert summarise(redo).done == 2
    assert _engine(out, "a_colourised.png")[1] == 128


def test_other_models_load_once_per_run_even_with_several_images_in_flight(photos, tmp_path, colouriser):
    calls = []
    lock = threading.Lock()

    def load(name):
        with lock:
            calls.append(name)
        return Colouriser(model=name, device="cpu")

    pool = Colourisers(colouriser, load)
    own = _settings({"a.png": {"model": "tiny-guided"}, "b.png": {"model": "tiny-guided", "working_size": 80},
                     "c.png": {"model": "tiny"}})
    results = list(run_job(plan_job([photos], tmp_path / "out", recursive=True), pool,
                           BatchOptions(image_settings=own, jobs=3)))
    assert summarise(results).done == 3
    assert calls == ["tiny-guided"]  # "tiny" is the run's own model: never loaded again
    assert _engine(tmp_path / "out", "b_colourised.png")[:2] == ("tiny-guided", 80)


def test_a_model_that_cannot_be_loaded_fails_that_image_only_in_one_line(photos, tmp_path, colouriser):
    own = ims.ImageSettingsFile("s.json", {"a.png": ims.ImageSettings(model="no-such-model")})
    results = list(run_job(plan_job([photos], tmp_path / "out"), colouriser, BatchOptions(image_settings=own)))
    assert [r.status for r in results] == ["failed", "done"]
    assert "no-such-model" in results[0].message and "\n" not in results[0].message


def test_hints_for_an_image_whose_own_model_takes_none_fail_that_image_only(photos, tmp_path, tiny_models_dir):
    from archcolour import hints

    guided = Colouriser(tiny_models_dir / "tiny-guided.safetensors", device="cpu")
    hf = hints.parse({"version": 1, "images": {"a.png": {"points": [{"x": 0.5, "y": 0.5, "colour": "#b03020"}]},
                                               "b.png": {"points": [{"x": 0.5, "y": 0.5, "colour": "#b03020"}]}}})
    own = _settings({"a.png": {"model": "tiny"}})
    results = list(run_job(plan_job([photos], tmp_path / "out"), guided, BatchOptions(hints=hf, image_settings=own)))
    assert [r.status for r in results] == ["failed", "done"]
    assert "hints" in results[0].message


def test_process_item_alone_honours_the_settings(photos, tmp_path, colouriser):
    plan = plan_job([photos / "a.png"], tmp_path / "o")
    res = process_item(plan.items[0], colouriser, BatchOptions(image_settings=_settings({"a.png": {"working_size": 72}})))
    assert res.status == "done" and res.image_settings == {"working_size": 72}
    assert json.loads(provenance.sidecar_path(res.output).read_text())["engine"]["working_size"] == 72


def test_a_pool_with_another_base_shares_the_models_loaded(colouriser):
    calls = []
    pool = Colourisers(colouriser, lambda name: calls.append(name) or Colouriser(model=name, device="cpu"))
    pool.model("tiny-guided")
    other = pool.with_base(view(colouriser, working_size=96))
    assert other.for_settings(ims.ImageSettings(model="tiny-guided")).working_size == 96  # the new base's size
    assert other.for_settings(None).working_size == 96 and calls == ["tiny-guided"]


def test_another_model_runs_with_the_bases_ensemble(colouriser):
    """A pool whose base has another test-time ensemble (the window's colour quality) gives it to the other
    models images ask for too, though they were loaded with the first base's."""
    calls = []
    pool = Colourisers(colouriser, lambda name: calls.append(name) or Colouriser(model=name, device="cpu"))
    assert pool.for_settings(ims.ImageSettings(model="tiny-guided")).ensemble == "full"
    fast = pool.with_base(view(colouriser, ensemble="none"))
    assert fast.for_settings(None).ensemble == "none"
    assert fast.for_settings(ims.ImageSettings(model="tiny-guided")).ensemble == "none"
    assert fast.for_settings(ims.ImageSettings(model="tiny-guided", working_size=72)).ensemble == "none"
    assert pool.loaded["tiny-guided"].ensemble == "full" and calls == ["tiny-guided"]  # a view: no second load

"""batch.plan: problems have a kind; archcolour's own outputs are never inputs."""
from __future__ import annotations

import numpy as np
from PIL import Image

from archcolour.batch import ProblemKind, plan_job, run_job, summarise


def _img(path, seed=0):
    r = np.random.default_rng(seed)
    Image.fromarray((r.random((12, 16)) * 255).astype(np.uint8)).save(path)


def test_problem_kinds(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    d = tmp_path / "d"
    d.mkdir()
    _img(d / "a.png")
    (d / "gone.png").symlink_to(tmp_path / "nowhere.png")
    (tmp_path / "dangling.jpg").symlink_to(tmp_path / "nowhere.jpg")
    plan = plan_job([tmp_path / "missing.png", empty, d, tmp_path / "dangling.jpg"], tmp_path / "out")
    kinds = [(p.kind, p.path.name) for p in plan.problems]
    assert kinds == [(ProblemKind.MISSING, "missing.png"), (ProblemKind.NO_IMAGES, "empty"),
                     (ProblemKind.BROKEN_LINK, "gone.png"), (ProblemKind.BROKEN_LINK, "dangling.jpg")]
    assert all("\n" not in p and str(p).startswith(str(p.path)) for p in plan.problems)
    assert [it.source.name for it in plan.items] == ["a.png"]


def test_output_folder_equal_to_the_input_folder_does_not_colourise_outputs_again(tmp_path, tiny_models_dir):
    from archcolour.engine import Colouriser

    d = tmp_path / "photos"
    d.mkdir()
    _img(d / "a.png", 1)
    _img(d / "b_colourised.png", 2)  # a photograph that merely has such a name: it is a source
    col = Colouriser(tiny_models_dir / "tiny.safetensors", device="cpu")
    assert summarise(run_job(plan_job([d], d), col)).done == 2
    again = plan_job([d], d)
    assert sorted(it.source.name for it in again.items) == ["a.png", "b_colourised.png"]
    assert [p.kind for p in again.problems] == [ProblemKind.OWN_OUTPUT]
    assert "2 archcolour output(s)" in again.problems[0]
    s = summarise(run_job(again, col))
    assert (s.done, s.skipped) == (0, 2)
    assert sorted(p.name for p in d.glob("*.png")) == ["a.png", "a_colourised.png", "b_colourised.png",
                                                       "b_colourised_colourised.png"]
    # an output given by name is not an input either
    single = plan_job([d / "a_colourised.png"], tmp_path / "o")
    assert not single.items and single.problems[0].kind is ProblemKind.OWN_OUTPUT


def test_a_symlinked_sub_folder_is_named_not_followed(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    _img(d / "a.png")
    far = tmp_path / "far"
    far.mkdir()
    _img(far / "b.png")
    (d / "linked").symlink_to(far)
    (d / "up").symlink_to("..")  # a loop back up: never walked
    plan = plan_job([d], tmp_path / "out", recursive=True)
    assert [it.source.name for it in plan.items] == ["a.png"]
    assert sorted((p.kind, p.path.name) for p in plan.problems) == [(ProblemKind.LINKED_FOLDER, "linked"),
                                                                      (ProblemKind.LINKED_FOLDER, "up")]


def test_an_output_name_too_long_for_the_file_system_fails_that_item_only(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    _img(d / "ok.png")
    _img(d / ("m" * 250 + ".png"))  # its output name would be 261 bytes
    (tmp_path / "out").mkdir()  # an output folder that exists (a resumed batch)
    plan = plan_job([d], tmp_path / "out")
    errors = {it.source.name[:3]: it.error for it in plan.items}
    assert errors["ok."] is None and "too long" in errors["mmm"] and "\n" not in errors["mmm"]


def test_a_source_name_that_is_not_utf8_is_recorded(tmp_path, tiny_models_dir):
    import os

    from archcolour import provenance as P
    from archcolour.engine import Colouriser

    d = tmp_path / "d"
    d.mkdir()
    _img(os.fsdecode(os.fsencode(d) + b"/caf\xe9.png"))
    [r] = run_job(plan_job([d], tmp_path / "out"), Colouriser(tiny_models_dir / "tiny.safetensors", device="cpu"))
    assert r.status == "done", r.message
    assert P.read_sidecar(r.output)["source"]["name"] == "caf\ufffd.png"
    [rec] = P.iter_items(P.read_manifest(tmp_path / "out" / P.MANIFEST_NAME))
    assert rec["source"].endswith("caf\udce9.png")  # the exact name, escaped in the JSON line


# -- the naming rule (issue 13): one implementation, in the planner -------------------------------------
def test_the_planner_names_outputs_with_a_template_and_can_flatten(tmp_path):
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    _img(d / "a.png")
    _img(d / "sub" / "b.jpg", 1)
    out = tmp_path / "out"
    plan = plan_job([d], out, recursive=True, name_template="{stem}-colour", fmt="png")
    assert [it.output for it in plan.items] == [out / "a-colour.png", out / "sub" / "b-colour.png"]
    assert [it.rel for it in plan.items] == ["a.png", "sub/b.jpg"]  # hints and settings keep their keys
    flat = plan_job([d], out, recursive=True, name_template="{stem}-colour", mirror=False)
    assert [it.output for it in flat.items] == [out / "a-colour.png", out / "b-colour.jpg"]


def test_a_flattened_name_clash_and_a_template_landing_on_a_source_fail_those_items_only(tmp_path):
    d = tmp_path / "in"
    (d / "x").mkdir(parents=True)
    (d / "y").mkdir()
    _img(d / "x" / "p.png")
    _img(d / "y" / "p.png", 1)
    plan = plan_job([d], tmp_path / "out", recursive=True, mirror=False)
    assert plan.items[0].error is None
    assert "also the output of" in plan.items[1].error and "mirror the sub-folders" in plan.items[1].error
    # the bare "{stem}" with the input folder as output folder: each output would be its source
    same = plan_job([d / "x"], d / "x", name_template="{stem}")
    assert "overwrite a source" in same.items[0].error and "file-name template" in same.items[0].error


def test_a_bad_template_is_a_plan_error():
    import pytest

    from archcolour.batch import PlanError
    from archcolour.naming import DEFAULT_TEMPLATE, SUFFIX, output_name

    assert DEFAULT_TEMPLATE == "{stem}" + SUFFIX and output_name("a/b.tif", ".png") == "b_colourised.png"
    for bad in ("colourised", "{stem}/x", "{stem}_{date}", "{}", "{stem"):
        with pytest.raises(PlanError):
            plan_job([], "out", name_template=bad)

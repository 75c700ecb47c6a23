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

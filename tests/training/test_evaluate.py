"""The evaluator: the engine's settings reach the scores, and the scores mean what they say."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import save_synthetic_photos
from training import evaluate as ev


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("photos")
    return save_synthetic_photos([root / f"p{i}.png" for i in range(4)], 48, seed=7)


def test_vividness_zero_scores_exactly_as_grey(photos, tiny_weights):
    r = ev.evaluate([("m", str(tiny_weights))], photos, progress=False, vividness=0.0)
    grey, m = r["grey (a = b = 0)"], r["m"]
    for k in ("psnr", "ciede2000", "ab_rmse", "colourfulness"):
        assert m[k] == pytest.approx(grey[k], abs=1e-3), k
    assert m["vividness"] == 0.0 and m["ensemble"] == "full"


def test_the_ensemble_reaches_the_engine_and_is_recorded(photos, tiny_weights):
    runs = {e: ev.evaluate([("m", str(tiny_weights))], photos, progress=False, ensemble=e)["m"] for e in ("none", "full")}
    assert runs["none"]["ensemble"] == "none" and runs["full"]["ensemble"] == "full"
    assert runs["none"]["ab_rmse"] != runs["full"]["ab_rmse"]  # another colour, so other scores
    assert runs["none"]["colourfulness_gt"] == runs["full"]["colourfulness_gt"]  # the same photographs

"""training.tune_ensemble: each setting of the grid scores what the engine with that setting outputs."""
from __future__ import annotations

from pathlib import Path

import pytest

from archcolour import engine
from archcolour.choices import Ensemble
from tests.conftest import save_synthetic_photos
from training import evaluate as ev
from training import tune_ensemble as te


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("photos")
    return save_synthetic_photos([root / f"p{i}.png" for i in range(3)], 48, seed=11)


def test_each_setting_scores_as_the_engine_with_that_setting(photos, tiny_weights, monkeypatch):
    grid = te.tune(str(tiny_weights), photos, [0.0, 6.0], [1.0, 1.3], progress=False)
    assert set(grid) == {"agreement 0, gain 1", "agreement 0, gain 1.3", "agreement 6, gain 1", "agreement 6, gain 1.3"}
    for (a, g) in ((0.0, 1.3), (6.0, 1.0)):
        full = engine.ENSEMBLES["full"]
        monkeypatch.setitem(engine.ENSEMBLES, "full", Ensemble(full.mirror, full.scales, g, a))
        want = ev.evaluate([("m", str(tiny_weights))], photos, progress=False)["m"]
        got = grid[f"agreement {a:g}, gain {g:g}"]
        for k in ("psnr", "ciede2000", "ab_rmse", "colourfulness", "edge_ab_rmse"):
            assert got[k] == pytest.approx(want[k], rel=1e-5, nan_ok=True), k
    # the settings differ, so do their scores
    assert grid["agreement 0, gain 1"]["colourfulness"] < grid["agreement 0, gain 1.3"]["colourfulness"]
    assert grid["agreement 6, gain 1"]["colourfulness"] < grid["agreement 0, gain 1"]["colourfulness"]


def test_command_line_scores_only_the_named_set(tmp_path, tiny_weights):
    """``--only-set`` keeps one data set's photographs of the split; the grid goes to ``--out``."""
    from training.data import split_of

    root = tmp_path / "data"
    save_synthetic_photos([root / ("alpha" if i % 2 else "beta") / f"p{i}.png" for i in range(40)], 32, seed=3)
    want = sum(1 for p in (root / "alpha").iterdir() if split_of(p.relative_to(root).as_posix()) == "train")
    assert want > 0
    out = tmp_path / "grid.json"
    assert te.main(["--model", str(tiny_weights), "--data-root", str(root), "--split", "train", "--only-set", "alpha",
                    "--stride", "1", "--agreement", "0,8", "--gain", "1.2", "--out", str(out)]) == 0
    import json

    grid = json.loads(out.read_text())
    assert set(grid) == {"agreement 0, gain 1.2", "agreement 8, gain 1.2"}
    assert all(s["n"] == want for s in grid.values())

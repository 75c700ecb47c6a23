"""The weights committed in models/ match their manifest, load, and colourise.

Unlike the rest of the suite (which uses a tiny model trained at session start), this reads the
repository's own models/ folder: a weights file changed without its manifest fails here.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from archcolour import weights
from archcolour.batch.colourisers import view
from archcolour.engine import Colouriser

MODELS = Path(__file__).resolve().parent.parent / "models"
ENTRIES = json.loads((MODELS / "manifest.json").read_text())["models"] if (MODELS / "manifest.json").is_file() else []


def test_repository_bundles_a_default_model_with_a_model_card():
    manifest = json.loads((MODELS / "manifest.json").read_text())
    assert manifest["default"] in {e["name"] for e in manifest["models"]}
    card = (MODELS / "MODEL_CARD.md").read_text()
    for e in manifest["models"]:
        assert e["name"] in card


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_bundled_weights_verify_load_and_colourise(entry, monkeypatch):
    monkeypatch.setenv("ARCHCOLOUR_MODELS", str(MODELS))
    path, sha = weights.resolve_bundled(entry["name"])
    assert weights.sha256_file(path) == sha == entry["sha256"]
    c = Colouriser(model=entry["name"], device="cpu")
    assert c.info.name == entry["name"] and c.info.architecture == entry["architecture"]
    assert c.working_size == entry["working_size"]
    l = np.tile(np.linspace(5, 95, 96, dtype=np.float32), (64, 1))
    assert c.colourise(l).rgb.shape == (64, 96, 3)
    # the weights themselves add colour: one look is not grey everywhere (on this synthetic ramp the
    # looks of the full ensemble may disagree, and the ensemble then tones the colour down by design)
    out = view(c, ensemble="none").colourise(l).rgb  # the same network, one look
    assert out.shape == (64, 96, 3)
    assert np.abs(out.astype(int) - out.mean(axis=2, keepdims=True)).max() > 2


GUIDED = [e for e in ENTRIES if "hints" in e.get("guidance", [])]


@pytest.mark.parametrize("entry", GUIDED, ids=[e["name"] for e in GUIDED])
def test_a_hint_visibly_moves_the_colour_of_its_region(entry, monkeypatch):
    """Issue 10: one blue spot in the left half of a generated two-region image turns that region
    blue; an orange one turns it warm; the other region moves far less."""
    import torch

    from archcolour import colour
    from archcolour.engine import Guidance
    from archcolour.hints import Hint

    monkeypatch.setenv("ARCHCOLOUR_MODELS", str(MODELS))
    c = Colouriser(model=entry["name"], device="cpu")
    rng = np.random.default_rng(0)
    l = np.full((240, 320), 55.0, np.float32)
    l[:, 160:] = 35.0
    l += rng.normal(0, 2, l.shape).astype(np.float32)

    def regions(guide):
        rgb = c.colourise(l, out_dtype=np.float32, guide=guide).rgb
        lab = colour.rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1))
        return lab[1:, 40:200, 20:140].mean((1, 2)).numpy(), lab[1:, 40:200, 180:300].mean((1, 2)).numpy()

    left0, right0 = regions(Guidance())
    left_b, right_b = regions(Guidance(hints=(Hint(0.25, 0.5, -5.0, -45.0, 0.02),)))
    left_o, _ = regions(Guidance(hints=(Hint(0.25, 0.5, 45.0, 30.0, 0.02),)))
    assert left_b[1] < left0[1] - 10  # bluer (b down) by more than 10 units
    assert left_o[1] > left0[1] + 10 and left_o[0] > left0[0] + 3  # warmer
    assert abs(right_b[1] - right0[1]) < abs(left_b[1] - left0[1]) / 2  # the hint stays mostly in its region

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
    out = c.colourise(l).rgb
    assert out.shape == (64, 96, 3)
    # a trained colouriser adds colour: the output is not grey everywhere
    assert np.abs(out.astype(int) - out.mean(axis=2, keepdims=True)).max() > 2

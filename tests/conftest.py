"""Shared fixtures.

No bundled weights are needed: a small ArchUNet is trained for a few steps on generated images at the
start of the session (a couple of seconds on the CPU) and exported with a manifest into a temporary
models folder, which ``ARCHCOLOUR_MODELS`` points at for the whole session.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests use tiny images; one thread avoids oversubscribing small CI machines (2 cores here).
torch.set_num_threads(1)

TINY_HPARAMS = {"widths": [8, 8, 16, 16, 16]}
#: A second fixture model that takes colour hints and a reference distribution (issue 10's inputs).
TINY_GUIDED_HPARAMS = {"widths": [8, 8, 16, 16, 16], "hints": True, "ref_bins": 4}


def synthetic_rgb_batch(n: int, size: int, seed: int) -> torch.Tensor:
    """Scenes with a blue sky above green or brown ground, with random horizon and brightness."""
    g = torch.Generator().manual_seed(seed)
    imgs = torch.empty(n, 3, size, size)
    rows = torch.linspace(0, 1, size)[:, None].expand(size, size)
    for i in range(n):
        horizon = 0.3 + 0.4 * torch.rand(1, generator=g).item()
        sky = torch.tensor([0.35, 0.55, 0.9]) * (0.7 + 0.3 * torch.rand(1, generator=g).item())
        ground = torch.tensor([0.3, 0.6, 0.2]) if torch.rand(1, generator=g).item() < 0.5 else torch.tensor([0.6, 0.4, 0.25])
        mask = (rows < horizon).float()
        imgs[i] = mask * sky[:, None, None] + (1 - mask) * ground[:, None, None]
        imgs[i] += 0.03 * torch.randn(3, size, size, generator=g)
    return imgs.clamp(0, 1)


def save_synthetic_photos(paths: list[Path], size: int, seed: int) -> list[Path]:
    """:func:`synthetic_rgb_batch` written as 8-bit PNGs, photograph i to ``paths[i]`` (folders made)."""
    from PIL import Image

    for p, t in zip(paths, synthetic_rgb_batch(len(paths), size, seed=seed)):
        p.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray((t.permute(1, 2, 0).numpy() * 255).astype(np.uint8)).save(p)
    return list(paths)


def train_tiny_model(steps: int = 30, seed: int = 0, hparams: dict = TINY_HPARAMS):
    from archcolour import colour, guidance, nets

    torch.manual_seed(seed)
    model = nets.build("archunet", **{k: tuple(v) if isinstance(v, list) else v for k, v in hparams.items()})
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    g = torch.Generator().manual_seed(seed)
    for step in range(steps):
        lab = colour.rgb_to_lab(synthetic_rgb_batch(8, 32, seed * 1000 + step))
        extra = {}
        if hparams.get("hints"):
            extra["hints"] = guidance.sample_hints(lab[:, 1:], g)
        if hparams.get("ref_bins"):
            extra["ref"] = guidance.ab_histogram(lab[:, 1:], hparams["ref_bins"])
        pred = model(lab[:, :1], None, **extra)
        loss = torch.nn.functional.l1_loss(pred, lab[:, 1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model.eval(), losses


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory) -> Path:
    """A models folder with a manifest and one small trained model named 'tiny' (the default)."""
    from archcolour import weights

    d = tmp_path_factory.mktemp("models")
    model, _ = train_tiny_model()
    sha = weights.save_model(
        model, d / "tiny.safetensors", name="tiny", architecture="archunet", hparams=TINY_HPARAMS,
        working_size=64, version="test", data="synthetic sky/ground scenes", recipe="30 Adam steps (test fixture)",
    )
    guided, _ = train_tiny_model(hparams=TINY_GUIDED_HPARAMS)
    sha_g = weights.save_model(
        guided, d / "tiny-guided.safetensors", name="tiny-guided", architecture="archunet",
        hparams=TINY_GUIDED_HPARAMS, working_size=64, version="test", data="synthetic sky/ground scenes",
        recipe="30 Adam steps with sampled hints and references (test fixture)",
    )
    weights.write_manifest(d, [{"name": "tiny", "file": "tiny.safetensors", "sha256": sha, "role": "default",
                                "description": "test fixture"},
                               {"name": "tiny-guided", "file": "tiny-guided.safetensors", "sha256": sha_g,
                                "role": "guided", "description": "test fixture with hint and reference inputs",
                                "guidance": ["hints", "reference"]}],
                          default="tiny")
    return d


@pytest.fixture(autouse=True)
def _use_tiny_models(tiny_models_dir, monkeypatch):
    monkeypatch.setenv("ARCHCOLOUR_MODELS", str(tiny_models_dir))
    yield


@pytest.fixture
def tiny_weights(tiny_models_dir) -> Path:
    return tiny_models_dir / "tiny.safetensors"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)

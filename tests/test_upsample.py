"""Edge-aware colour upsampling (archcolour.upsample) and its use by the engine."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from archcolour import upsample
from archcolour.engine import Colouriser, Prediction


def _step_scene(H=240, W=240, edge=101):
    """A dark left half (L 30, blue) and a bright right half (L 80, orange), edge not on the grid."""
    l = torch.full((H, W), 30.0)
    l[:, edge:] = 80.0
    ab = torch.zeros(2, H, W)
    ab[0, :, :edge], ab[1, :, :edge] = -5.0, -40.0
    ab[0, :, edge:], ab[1, :, edge:] = 20.0, 50.0
    return l, ab


def test_constant_colour_is_kept_exactly():
    l_small = torch.rand(1, 1, 20, 30) * 100
    ab = torch.empty(1, 2, 20, 30)
    ab[:, 0], ab[:, 1] = 12.0, -7.0
    c = upsample.guided_coefficients(l_small, ab)
    rows = upsample.apply_coefficients(torch.rand(1, 20, 30) * 100, c[0])
    assert torch.allclose(rows[0], torch.tensor(12.0), atol=1e-3) and torch.allclose(rows[1], torch.tensor(-7.0), atol=1e-3)


def test_guided_upsampling_keeps_edges_sharper_than_bilinear(tiny_models_dir):
    l, ab = _step_scene()
    small = 24  # the "network" saw the scene at 24 px: a 10x upsampling
    l_small = F.interpolate(l[None, None], size=(small, small), mode="bilinear", antialias=True, align_corners=False)
    ab_small = F.interpolate(ab[None], size=(small, small), mode="bilinear", antialias=True, align_corners=False)
    c = Colouriser(tiny_models_dir / "tiny.safetensors", device="cpu")
    pred = Prediction(ab=ab_small, l_small=l_small)
    errs = {}
    for mode in ("bilinear", "guided"):
        c.upsampling = mode
        rgb = c.recombine(l, pred, out_dtype=np.float32)
        from archcolour.colour import rgb_to_lab

        lab = rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1))
        band = slice(101 - 12, 101 + 12)  # the pixels next to the edge
        errs[mode] = float((lab[1:, :, band] - ab[:, :, band]).pow(2).mean().sqrt())
    assert errs["guided"] < 0.5 * errs["bilinear"], errs


def test_guided_strips_equal_whole(tiny_models_dir):
    c = Colouriser(tiny_models_dir / "tiny.safetensors", device="cpu")
    g = torch.Generator().manual_seed(0)
    l = torch.rand(97, 61, generator=g) * 100
    a = c.colourise(l.numpy(), strip_rows=7).rgb
    b = c.colourise(l.numpy(), strip_rows=4096).rgb
    assert np.array_equal(a, b)

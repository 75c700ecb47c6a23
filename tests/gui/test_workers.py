"""Helpers of the GUI's worker threads: grey rendering, preview shrinking, working-size views."""
from __future__ import annotations

import numpy as np
import torch

from archcolour import colour
from archcolour.gui import workers


def test_grey_from_l_matches_the_core_conversion():
    l = np.random.default_rng(0).random((37, 53), dtype=np.float32) * 100
    lab = torch.zeros(3, 37, 53)
    lab[0] = torch.from_numpy(l)
    ref = np.clip(colour.lab_to_rgb(lab)[0].numpy() * 255 + 0.5, 0, 255)
    grey = workers.grey_from_l(l)
    assert grey.dtype == np.uint8 and grey.shape == (37, 53)
    assert np.abs(grey.astype(int) - ref.astype(int)).max() <= 1


def test_shrink_l_keeps_small_images_and_reduces_big_ones():
    small = np.full((40, 30), 50, np.float32)
    assert workers.shrink_l(small, 64) is small
    big = np.linspace(0, 100, 3000 * 2000, dtype=np.float32).reshape(2000, 3000)
    out = workers.shrink_l(big, 1280)
    assert out.shape == (853, 1280) and out.dtype == np.float32
    assert abs(float(out.mean()) - float(big.mean())) < 0.1


def test_with_working_size_shares_the_network(tiny_weights):
    from archcolour.engine import Colouriser

    c = Colouriser(tiny_weights, device="cpu")
    assert workers.with_working_size(c, None) is c
    v = workers.with_working_size(c, 128)
    assert v.working_size == 128 and c.working_size == 64 and v.net is c.net

"""archcolour.looks: the network's looks at one photograph combined into one colour."""
from __future__ import annotations

import pytest
import torch

from archcolour import looks


def _looks(*planes: torch.Tensor) -> torch.Tensor:
    return torch.stack(planes)


def test_agreement_zero_is_the_plain_mean_times_the_gain():
    g = torch.Generator().manual_seed(0)
    lk = torch.randn(6, 2, 12, 16, generator=g) * 20
    assert torch.allclose(looks.combine(lk), lk.mean(0, keepdim=True))
    assert torch.allclose(looks.combine(lk, gain=1.2), 1.2 * lk.mean(0, keepdim=True))


def test_looks_that_agree_keep_their_colour():
    """Identical looks: no variance, so the colour is the looks' colour times the gain, at any agreement."""
    one = torch.full((2, 10, 10), 30.0)
    one[1] = -12.0
    lk = _looks(one, one.clone(), one.clone())
    for agreement in (0.0, 1.0, 100.0):
        assert torch.allclose(looks.combine(lk, 1.1, agreement), 1.1 * one[None], atol=1e-4)


def test_colour_fades_where_looks_disagree_and_stays_where_they_agree():
    """Left half: the looks agree on a warm colour. Right half: one look says blue, the other red-ish
    with the same mean: the right half loses more of its colour, the more so the larger the agreement."""
    mean = torch.tensor([10.0, 25.0])[:, None, None]
    spread = torch.tensor([-40.0, -45.0])[:, None, None]
    a = mean.expand(2, 8, 16).clone()
    b = a.clone()
    a[:, :, 8:] += spread  # the looks agree on the left, and disagree on the right with the same mean
    b[:, :, 8:] -= spread
    lk = _looks(a, b)
    assert torch.allclose(lk.mean(0)[:, :, 12:], torch.tensor([10.0, 25.0])[:, None, None].expand(2, 8, 4))
    prev = None
    for agreement in (0.5, 2.0, 8.0):
        out = looks.combine(lk, 1.0, agreement)[0]
        left, right = out[:, :, :3], out[:, :, 13:]  # away from the window's reach across the border
        assert torch.allclose(left, torch.tensor([10.0, 25.0])[:, None, None].expand_as(left), atol=1e-3)
        chroma = right.norm(dim=0).mean()
        assert chroma < 0.9 * torch.tensor([10.0, 25.0]).norm()
        if prev is not None:
            assert chroma < prev
        prev = chroma
        # the hue of what remains is the mean's: the colour fades towards grey, it does not turn
        assert torch.allclose(right[1] / right[0], torch.full_like(right[0], 2.5), atol=1e-3)


def test_a_single_look_is_never_shrunk():
    lk = torch.full((1, 2, 4, 4), 20.0)
    assert torch.allclose(looks.combine(lk, 1.0, 50.0), lk)


def test_the_window_averages_disagreement_over_neighbours():
    """One pixel of disagreement among agreeing neighbours: with the window, that pixel keeps most of its
    colour and its neighbours lose a little; without it (window 1) the pixel alone loses it all."""
    base = torch.full((2, 9, 9), 20.0)
    a, b = base.clone(), base.clone()
    a[:, 4, 4] += 20.0
    b[:, 4, 4] -= 20.0
    lk = _looks(a, b)
    sharp = looks.combine(lk, 1.0, 4.0, window=1)[0]
    smooth = looks.combine(lk, 1.0, 4.0)[0]
    assert sharp[0, 4, 4] < 0.5 * 20 and torch.allclose(sharp[0, 0, 0], torch.tensor(20.0))
    assert smooth[0, 4, 4] > sharp[0, 4, 4]
    assert smooth[0, 3, 3] < 20.0 - 1e-3 and torch.allclose(smooth[0, 0, 0], torch.tensor(20.0))


def test_negative_agreement_is_refused():
    with pytest.raises(ValueError, match="agreement"):
        looks.combine(torch.zeros(2, 2, 4, 4), 1.0, -1.0)

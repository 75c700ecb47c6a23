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


# -- where the colour is uncertain: the share of the mean the rule removes ---------------------------
def test_uncertainty_is_zero_where_the_looks_agree_even_on_grey():
    """Identical looks: nothing removed, on coloured and on grey (no colour, no spread) pixels alike."""
    one = torch.full((2, 10, 10), 30.0)
    one[:, :, 5:] = 0.0  # the right half grey in every look
    lk = _looks(one, one.clone(), one.clone())
    for agreement in (1.0, 8.0, 100.0):
        u = looks.uncertainty(lk, agreement)
        assert u.shape == (1, 1, 10, 10)
        assert torch.equal(u, torch.zeros_like(u))


def test_uncertainty_grows_where_the_looks_disagree():
    """Left half: the looks agree. Right half: they disagree about the same mean, by more further right
    (three strips of growing spread): the map is 0 on the left, in (0, 1) on the right, larger where the
    spread and the agreement are larger."""
    mean = torch.tensor([10.0, 25.0])[:, None, None]
    a = mean.expand(2, 8, 32).clone()
    b = a.clone()
    for k, spread in enumerate((5.0, 20.0, 60.0)):
        cols = slice(8 + 8 * k, 16 + 8 * k)
        a[:, :, cols] += spread
        b[:, :, cols] -= spread
    lk = _looks(a, b)
    prev = None
    for agreement in (0.5, 2.0, 8.0):
        u = looks.uncertainty(lk, agreement)[0, 0]
        assert torch.all((u >= 0) & (u < 1))
        assert torch.equal(u[:, :5], torch.zeros_like(u[:, :5]))  # away from the window's reach
        strips = [float(u[:, 11 + 8 * k:13 + 8 * k].mean()) for k in range(3)]
        assert 0 < strips[0] < strips[1] < strips[2] < 1
        if prev is not None:
            assert all(s > p for s, p in zip(strips, prev))
        prev = strips


@pytest.mark.parametrize("agreement", [0.25, 1.0, 8.0, 50.0])
@pytest.mark.parametrize("window", [1, 5])
def test_combine_keeps_exactly_what_uncertainty_does_not_remove(agreement, window):
    g = torch.Generator().manual_seed(1)
    lk = torch.randn(6, 2, 12, 16, generator=g) * 20
    lk[:, :, :4] = lk[:1, :, :4]  # some rows where the looks agree
    mean = lk.mean(0, keepdim=True)
    u = looks.uncertainty(lk, agreement, window)
    assert torch.equal(looks.combine(lk, 1.0, agreement, window), mean * (1 - u))
    assert torch.allclose(looks.combine(lk, 1.25, agreement, window), 1.25 * mean * (1 - u))
    ab, u2 = looks.combine_with_uncertainty(lk, 1.25, agreement, window)
    assert torch.equal(ab, looks.combine(lk, 1.25, agreement, window)) and torch.equal(u2, u)
    assert float(u[..., 4:, :].min()) > 0 and float(u[..., :2, :].max()) < 1e-9  # (the mean's rounding)


def test_no_uncertainty_without_looks_to_compare_or_a_rule_that_removes_colour():
    """One look has no spread; agreement 0 (the plain mean) removes nothing: no map, None (not zeros,
    which would claim the colour is certain)."""
    lk = torch.randn(3, 2, 6, 6)
    assert looks.uncertainty(lk[:1], 8.0) is None
    assert looks.uncertainty(lk, 0.0) is None
    assert looks.combine_with_uncertainty(lk, 1.0, 0.0)[1] is None
    with pytest.raises(ValueError, match="agreement"):
        looks.uncertainty(lk, -1.0)

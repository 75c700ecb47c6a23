"""The quantised ab gamut (archcolour.nets.abbins): bins, soft encoding, annealed mean, rebalancing."""
from __future__ import annotations

import math

import pytest
import torch

from archcolour.colour import rgb_to_lab
from archcolour.nets import abbins


@pytest.fixture(scope="module")
def centres() -> torch.Tensor:
    return abbins.gamut_centres()


def _cells(ab: torch.Tensor) -> set[tuple[int, int]]:
    """Grid cells (multiples of 10) holding each ab (M, 2); a bin is [c - 5, c + 5)."""
    return {tuple(c) for c in torch.floor(ab.double() / 10 + 0.5).long().tolist()}


def _ab_of(rgb: torch.Tensor) -> torch.Tensor:
    """(M, 3) sRGB in [0, 1] -> (M, 2) ab."""
    return rgb_to_lab(rgb.T.reshape(3, 1, -1).float(), chunk_rows=None)[1:, 0].T


def test_gamut_is_a_deterministic_table_of_grid_centres(centres):
    q = centres.shape[0]
    assert 250 <= q <= 340 and centres.shape == (q, 2) and centres.dtype == torch.float32
    assert torch.equal(centres, abbins.gamut_centres())
    assert torch.equal(centres, torch.round(centres / 10) * 10) and centres.abs().max() <= 110
    assert len(_cells(centres)) == q  # no duplicates
    assert (0, 0) in _cells(centres)
    copy = abbins.gamut_centres()
    copy += 1  # a caller's copy: the cached table stays as it was
    assert torch.equal(abbins.gamut_centres(), centres)


def test_gamut_bins_are_exactly_those_the_srgb_cube_reaches(centres):
    """An independent computation, from sRGB to Lab: the ab shadow of the gamut solid is the shadow of
    its surface, the image of the RGB cube's six faces, sampled here at 256 levels."""
    v = torch.linspace(0, 1, 256)
    u, w = (t.reshape(-1) for t in torch.meshgrid(v, v, indexing="ij"))
    faces = []
    for axis in range(3):
        for value in (0.0, 1.0):
            cols = [u, w]
            cols.insert(axis, torch.full_like(u, value))
            faces.append(torch.stack(cols, 1))
    assert _cells(_ab_of(torch.cat(faces))) == _cells(centres)
    # and colours from inside the cube fall in the bins too
    inside = torch.rand(20000, 3, generator=torch.Generator().manual_seed(0))
    assert _cells(_ab_of(inside)) <= _cells(centres)


def test_saturated_primaries_fall_in_the_gamut_bins(centres):
    prim = torch.tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 0]], dtype=torch.float32)
    ab = _ab_of(prim)
    assert _cells(ab) <= _cells(centres)
    # the gamut's range reaches the primaries' extremes (green a -86, red-magenta a +98, blue b -108, yellow b +94)
    lo, hi = centres.min(0).values, centres.max(0).values
    assert (lo - 5 <= ab.min(0).values).all() and (ab.max(0).values < hi + 5).all()
    assert lo.tolist() == [-90.0, -110.0] and hi.tolist() == [100.0, 90.0]


def test_soft_encode_weights_sum_to_one_and_nearest_comes_first(centres):
    g = torch.Generator().manual_seed(1)
    ab = _ab_of(torch.rand(2 * 9 * 11, 3, generator=g)).T.reshape(2, 2, 9, 11).contiguous()
    idx, w = abbins.soft_encode(ab, centres, k=5, sigma=5.0)
    assert idx.shape == w.shape == (2, 5, 9, 11) and idx.dtype == torch.long
    assert torch.allclose(w.sum(1), torch.ones(2, 9, 11), atol=1e-6)
    assert (w[:, :-1] >= w[:, 1:] - 1e-7).all()  # nearest first, so weights fall
    d = torch.cdist(ab.permute(0, 2, 3, 1).reshape(-1, 2).double(), centres.double())  # brute force
    chosen = d.gather(1, idx.permute(0, 2, 3, 1).reshape(-1, 5))
    assert torch.allclose(chosen[:, 0], d.min(1).values, atol=1e-4)
    assert torch.allclose(chosen, d.topk(5, dim=1, largest=False).values, atol=1e-4)
    # the weights are the Gaussian of the distances
    expect = torch.exp(-chosen ** 2 / 50.0)
    assert torch.allclose(w.permute(0, 2, 3, 1).reshape(-1, 5).double(), expect / expect.sum(1, keepdim=True), atol=1e-5)


def test_a_target_on_a_centre_weighs_that_centre_most(centres):
    q = torch.tensor([0, 17, centres.shape[0] // 2, centres.shape[0] - 1])
    ab = centres[q].T.reshape(1, 2, 2, 2)
    idx, w = abbins.soft_encode(ab, centres)
    assert torch.equal(idx[0, 0].reshape(-1), q)
    assert (w[:, 0] > w[:, 1:].max(1).values).all()
    # grey's four grid neighbours are 10 units away: each gets exp(-100 / 50) of grey's weight
    idx, w = abbins.soft_encode(torch.zeros(1, 2, 1, 1), centres)
    assert centres[idx[0, 0, 0, 0]].tolist() == [0.0, 0.0]
    assert sorted(map(tuple, centres[idx[0, 1:, 0, 0]].tolist())) == [(-10, 0), (0, -10), (0, 10), (10, 0)]
    e = math.exp(-2.0)
    assert torch.allclose(w[0, :, 0, 0], torch.tensor([1, e, e, e, e]) / (1 + 4 * e), atol=1e-6)


def test_annealed_mean_small_temperature_gives_the_mode(centres):
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(2, centres.shape[0], 3, 4, generator=g)
    mode = torch.randint(0, centres.shape[0], (2, 3, 4), generator=g)
    logits.scatter_add_(1, mode[:, None], torch.full((2, 1, 3, 4), 10.0))
    assert torch.equal(logits.argmax(1), mode)
    ab = abbins.annealed_mean(logits, centres, T=0.01)
    assert torch.allclose(ab, centres[mode].permute(0, 3, 1, 2), atol=1e-3)
    # while at T = 1 the other bins still pull the colour away from the mode
    assert not torch.allclose(abbins.annealed_mean(logits, centres, T=1.0), ab, atol=1.0)


def test_one_hot_logits_decode_to_their_centre(centres):
    q = torch.tensor([[[5, 100], [200, 0]]])  # (1, 2, 2)
    logits = torch.full((1, centres.shape[0], 2, 2), -20.0).scatter_(1, q[:, None], 20.0)
    ab = abbins.annealed_mean(logits, centres)  # the default T = 0.38
    assert torch.allclose(ab, centres[q].permute(0, 3, 1, 2), atol=1e-4)


def test_temperature_one_is_the_softmax_expectation_with_and_without_autograd(centres):
    logits = torch.randn(2, centres.shape[0], 4, 5, generator=torch.Generator().manual_seed(3)) * 3
    expect = (torch.softmax(logits.double(), 1)[:, :, None] * centres.double()[None, :, :, None, None]).sum(1)
    plain = abbins.annealed_mean(logits, centres, T=1.0)
    tracked = abbins.annealed_mean(logits.clone().requires_grad_(True), centres, T=1.0)
    assert torch.allclose(plain.double(), expect, atol=1e-4)
    assert torch.allclose(tracked.double(), expect, atol=1e-4) and tracked.requires_grad
    # a lower temperature moves the colour away from the mean, toward the mode
    assert not torch.allclose(abbins.annealed_mean(logits, centres, T=0.38), plain, atol=1e-2)


def test_prior_counts_nearest_bins_and_smooths_them(centres):
    q = centres.shape[0]
    grey = next(i for i, c in enumerate(centres.tolist()) if c == [0.0, 0.0])
    ab = torch.zeros(1000, 2)  # 1000 grey pixels, 10 saturated blue ones
    ab[:10] = torch.tensor([70.0, -101.0])
    prior = abbins.empirical_prior(ab, centres, sigma=5.0)
    assert prior.shape == (q,) and torch.isclose(prior.sum(), torch.tensor(1.0)) and (prior >= 0).all()
    assert prior.argmax() == grey
    right = next(i for i, c in enumerate(centres.tolist()) if c == [10.0, 0.0])
    assert torch.isclose(prior[right] / prior[grey], torch.tensor(math.exp(-2.0)), rtol=1e-3)
    # (N, 2, H, W) images give the same as their pixels
    assert torch.allclose(abbins.empirical_prior(ab.T.reshape(1, 2, 10, 100), centres), prior)


def test_rebalance_weights_favour_rare_bins_and_keep_the_scale(centres):
    q = centres.shape[0]
    ab = torch.cat((torch.zeros(1000, 2), torch.tensor([[70.0, -101.0]]).expand(10, 2)))
    prior = abbins.empirical_prior(ab, centres)
    w = abbins.rebalance_weights(prior, lam=0.5)
    assert torch.isclose((prior * w).sum(), torch.tensor(1.0), atol=1e-5)
    blue = abbins.soft_encode(torch.tensor([70.0, -101.0]).reshape(1, 2, 1, 1), centres)[0][0, 0, 0, 0]
    grey = prior.argmax()
    assert w[blue] > w[grey] and w.max() == w[prior.argmin()] and w.min() == w[grey]
    assert torch.allclose(abbins.rebalance_weights(prior, lam=1.0), torch.ones(q))  # lam 1: no rebalancing
    full = (prior + 1.0 / q) / 2  # lam 0 (no bin left empty): the inverse of the prior
    assert torch.allclose(abbins.rebalance_weights(full, lam=0.0).double(), 1.0 / (q * full.double()), rtol=1e-4)

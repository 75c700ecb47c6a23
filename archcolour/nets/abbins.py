"""The quantised ab gamut of classification colourisers (Zhang, Isola and Efros 2016).

ab is cut into squares of 10 x 10 CIELAB units, centred on multiples of 10 in [-110, 110]; a square is
a *bin* when some sRGB colour (of any lightness in [0, 100]) falls in it. A network then predicts a
distribution over the bins for every pixel and the colour is its annealed mean (:func:`annealed_mean`).

* :func:`gamut_centres`: the bin centres (Q, 2), computed once per process from
  :func:`archcolour.colour.lab_to_linear` on a fine grid of L, a and b (Q = 261 with our sRGB
  conversion; Zhang et al. list 313 bins).
* :func:`soft_encode`: a target ab as its k nearest bins with Gaussian weights (indices and weights,
  never the dense (N, Q, H, W) target: at batch 32, 128 px that alone would be 0.7 GB).
* :func:`empirical_prior` and :func:`rebalance_weights`: how often each bin occurs in the training
  data, and the per-bin loss weights that keep rare, saturated colours from being ignored.
"""
from __future__ import annotations

import functools

import torch

from archcolour.colour import lab_to_linear, out_of_gamut

#: Bin size in CIELAB units and the largest |centre| considered.
GRID = 10.0
EXTENT = 110.0
#: Temperature of the annealed mean (Zhang et al.'s 0.38: between the mean, T=1, and the mode, T->0).
TEMPERATURE = 0.38

_CHUNK = 1 << 16  # pixels per block when searching the nearest bins


def _bin_of(ab: torch.Tensor) -> torch.Tensor:
    """Integer grid coordinates of the bin holding each ab (bins are [c - 5, c + 5))."""
    return torch.floor(ab / GRID + 0.5).long()


def _in_gamut_cells(a: torch.Tensor, b: torch.Tensor, lightness: torch.Tensor) -> torch.Tensor:
    """Grid coordinates (M, 2) of the bins holding a point (a, b) that is in gamut at some lightness."""
    hit = torch.zeros(a.shape[0], dtype=torch.bool)
    for ls in lightness.split(8):
        n = ls.shape[0]
        lab = torch.stack((ls[:, None].expand(n, a.shape[0]), a.expand(n, -1), b.expand(n, -1)), 0)
        hit |= (~out_of_gamut(lab_to_linear(lab.float()))).any(0)
    return torch.unique(_bin_of(torch.stack((a[hit], b[hit]), 1)), dim=0)


def _grid(lo: float, hi: float, step: float) -> torch.Tensor:
    """Points at the middle of steps of ``step`` from ``lo`` to ``hi`` (never on a bin edge)."""
    return torch.arange(lo + step / 2, hi, step, dtype=torch.float64)


@functools.lru_cache(maxsize=1)
def _centres() -> torch.Tensor:
    # 1) the whole ab square at 1-unit steps, L at 1-unit steps;
    lim = EXTENT + GRID / 2
    a, b = torch.meshgrid(_grid(-lim, lim, 1.0), _grid(-lim, lim, 1.0), indexing="ij")
    found = {tuple(c) for c in _in_gamut_cells(a.reshape(-1), b.reshape(-1),
                                                torch.arange(0.0, 100.0 + 1e-9, 1.0, dtype=torch.float64)).tolist()}
    # 2) the bins next to those, not yet found, at 0.5-unit steps of ab and 0.25 of L: the gamut's
    # tips are thin in L, and a coarse grid misses bins they only graze (258 -> 261 bins)
    n = int(EXTENT // GRID)
    todo = sorted({(i + di, j + dj) for i, j in found for di in (-1, 0, 1) for dj in (-1, 0, 1)
                   if abs(i + di) <= n and abs(j + dj) <= n} - found)
    if todo:
        off = _grid(-GRID / 2, GRID / 2, 0.5)
        da, db = (t.reshape(-1) for t in torch.meshgrid(off, off, indexing="ij"))
        cells = torch.tensor(todo, dtype=torch.float64) * GRID
        a = (cells[:, :1] + da).reshape(-1)
        b = (cells[:, 1:] + db).reshape(-1)
        found |= {tuple(c) for c in _in_gamut_cells(a, b, torch.arange(0.0, 100.0 + 1e-9, 0.25,
                                                                           dtype=torch.float64)).tolist()}
    return torch.tensor(sorted(found), dtype=torch.float32) * GRID


def gamut_centres() -> torch.Tensor:
    """Bin centres (Q, 2), float32 CIELAB a, b, sorted by a then b. Computed once per process
    (about a second); a fresh copy each call, so the cached table cannot be changed by a caller."""
    return _centres().clone()


def _nearest(ab: torch.Tensor, centres: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(squared distances (M, k), indices (M, k)) of the k nearest centres of each ab (M, 2), nearest
    first. Blocks of pixels, so the (M, Q) distance table never exists whole."""
    centres = centres.to(ab)
    c2 = centres.pow(2).sum(1)
    d_out, i_out = [], []
    for x in ab.split(_CHUNK):
        d = torch.addmm(c2, x, centres.T, alpha=-2.0).add_(x.pow(2).sum(1, keepdim=True))
        idx = d.topk(k, dim=1, largest=False, sorted=True).indices
        i_out.append(idx)
        d_out.append((x[:, None, :] - centres[idx]).pow(2).sum(2))  # exact, not the expanded form
    if not i_out:
        return ab.new_zeros((0, k)), torch.zeros((0, k), dtype=torch.long, device=ab.device)
    return torch.cat(d_out), torch.cat(i_out)


def soft_encode(ab: torch.Tensor, centres: torch.Tensor, k: int = 5,
                sigma: float = 5.0) -> tuple[torch.Tensor, torch.Tensor]:
    """ab (N, 2, H, W) -> (indices (N, k, H, W) long, weights (N, k, H, W) float summing to 1).

    The k nearest bins of each pixel (nearest first), weighted by a Gaussian of ``sigma`` ab units on
    the distance: Zhang et al.'s soft target, kept sparse. The dense target would be
    ``zeros(N, Q, H, W).scatter_(1, indices, weights)``.
    """
    n, _, h, w = ab.shape
    flat = ab.detach().float().permute(0, 2, 3, 1).reshape(-1, 2)
    d2, idx = _nearest(flat, centres, k)
    wts = torch.exp(-(d2 - d2[:, :1]) / (2.0 * sigma * sigma))  # relative to the nearest: no underflow
    wts = wts / wts.sum(1, keepdim=True)
    shape = (n, h, w, k)
    return idx.reshape(shape).permute(0, 3, 1, 2), wts.reshape(shape).permute(0, 3, 1, 2)


def annealed_mean(logits: torch.Tensor, centres: torch.Tensor, T: float = TEMPERATURE) -> torch.Tensor:
    """logits (N, Q, H, W) -> ab (N, 2, H, W): the expectation of the centres under softmax(logits / T).

    T = 1 is the mean of the distribution, T -> 0 its mode. Without autograd the probabilities are
    made in place in one (N, Q, H, W) buffer (the engine's and validation's case)."""
    if torch.is_grad_enabled() and logits.requires_grad:
        p = torch.softmax(logits.float() / T, dim=1)
        return torch.einsum("nqhw,qc->nchw", p, centres.to(p))
    z = logits.float() / T
    z.sub_(z.amax(dim=1, keepdim=True)).exp_()
    s = z.sum(dim=1, keepdim=True)
    return torch.einsum("nqhw,qc->nchw", z, centres.to(z)).div_(s)


def empirical_prior(ab: torch.Tensor, centres: torch.Tensor, sigma: float = 5.0) -> torch.Tensor:
    """How often each bin occurs (Q,), float32, summing to 1.

    ``ab`` is (M, 2) samples or (N, 2, H, W) images. Each sample counts for its nearest bin; the
    histogram is then smoothed with a Gaussian of ``sigma`` ab units over the bins' positions."""
    flat = ab.detach().float()
    if flat.dim() == 4:
        flat = flat.permute(0, 2, 3, 1).reshape(-1, 2)
    centres = centres.float().to(flat.device)
    _, idx = _nearest(flat, centres, 1)
    hist = torch.bincount(idx[:, 0], minlength=centres.shape[0]).double()
    kernel = torch.exp(-torch.cdist(centres.double(), centres.double()).pow(2) / (2.0 * sigma * sigma))
    smooth = kernel @ hist
    return (smooth / smooth.sum()).float()


def rebalance_weights(prior: torch.Tensor, lam: float = 0.5) -> torch.Tensor:
    """Per-bin loss weights (Q,): w ~ 1 / ((1 - lam) * prior + lam / Q), scaled so that
    sum(prior * w) = 1 (the loss keeps its scale on data distributed like the prior)."""
    p = prior.double()
    w = 1.0 / ((1.0 - lam) * p + lam / p.numel())
    return (w / (p * w).sum()).to(prior.dtype if prior.is_floating_point() else torch.float32)


__all__ = ["TEMPERATURE", "annealed_mean", "empirical_prior", "gamut_centres", "rebalance_weights", "soft_encode"]

"""Guidance tensors for networks that take them: colour hints and a reference colour distribution.

One implementation serves the engine (the user's hints and reference photograph) and training (hints
and references sampled from the ground truth), so the network sees the same encoding in both.

* **Hints** are painted into three planes at the network's working size: hint a, hint b (CIELAB
  units) and a mask (1 where a hint is). Each hint is a small square of side ``2 r + 1`` pixels.
* **A reference** is the normalised ``bins x bins`` histogram of its ab over
  ``[-AB_RANGE, AB_RANGE)`` (values outside fall into the edge bins), followed by a flag 1; "no
  reference" is all zeros.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .nets.archunet import AB_RANGE

#: Largest hint radius (pixels at working size) seen in training; larger requests are clamped.
MAX_HINT_RADIUS = 3


@dataclass(frozen=True)
class HintPoint:
    """One hint at working size: pixel position, colour (CIELAB a, b) and radius in pixels."""

    x: int
    y: int
    a: float
    b: float
    radius: int = 1


def paint_hints(points: list[HintPoint], h: int, w: int) -> torch.Tensor:
    """(1, 3, h, w): hint a, hint b, mask; later points win where squares overlap."""
    out = torch.zeros(1, 3, h, w)
    for p in points:
        r = max(0, min(MAX_HINT_RADIUS, int(p.radius)))
        x0, x1 = max(0, p.x - r), min(w, p.x + r + 1)
        y0, y1 = max(0, p.y - r), min(h, p.y + r + 1)
        if x0 >= x1 or y0 >= y1:
            continue
        out[0, 0, y0:y1, x0:x1] = float(p.a)
        out[0, 1, y0:y1, x0:x1] = float(p.b)
        out[0, 2, y0:y1, x0:x1] = 1.0
    return out


def ab_histogram(ab: torch.Tensor, bins: int, weights: torch.Tensor | None = None) -> torch.Tensor:
    """ab (N, 2, H, W) -> (N, bins * bins + 1): normalised histogram, then the flag 1."""
    n = ab.shape[0]
    step = 2 * AB_RANGE / bins
    idx = ((ab.float() + AB_RANGE) / step).floor().clamp_(0, bins - 1).long()
    flat = (idx[:, 0] * bins + idx[:, 1]).reshape(n, -1)
    w = torch.ones_like(flat, dtype=torch.float32) if weights is None else weights.reshape(n, -1).float()
    hist = torch.zeros(n, bins * bins, device=ab.device).scatter_add_(1, flat, w)
    hist = hist / hist.sum(1, keepdim=True).clamp_min(1e-6)
    return torch.cat((hist, torch.ones(n, 1, device=ab.device)), dim=1)


def no_reference(n: int, bins: int, device: torch.device | str = "cpu") -> torch.Tensor:
    return torch.zeros(n, bins * bins + 1, device=device)


def sample_hints(ab: torch.Tensor, gen: torch.Generator, p_none: float = 0.5, mean_count: float = 8.0,
                 max_count: int = 20, max_radius: int = MAX_HINT_RADIUS) -> torch.Tensor:
    """Hints drawn from the ground truth ab (N, 2, H, W) as (N, 3, H, W), for training.

    With probability ``p_none`` an image gets no hint; otherwise a geometric number of hints (mean
    ``mean_count``, at most ``max_count``, as in Zhang et al. 2017), at uniform positions, each with a
    radius in 0..max_radius and the mean ground-truth ab over its square. Random numbers come from
    ``gen`` (on the CPU) so a resumed run draws the same hints.
    """
    n, _, h, w = ab.shape
    dev = ab.device
    k = max_count
    u = torch.rand(n, generator=gen)
    p = 1.0 / mean_count
    geo = (torch.log(torch.rand(n, generator=gen).clamp_min(1e-12)) / torch.log(torch.tensor(1 - p))).floor() + 1
    counts = torch.where(u < p_none, torch.zeros(n), geo.clamp(max=k))
    xs = torch.randint(0, w, (n, k), generator=gen)
    ys = torch.randint(0, h, (n, k), generator=gen)
    rs = torch.randint(0, max_radius + 1, (n, k), generator=gen)
    active = torch.arange(k)[None, :] < counts[:, None]
    # mean ab over each radius' square, looked up at the hint centres
    means = torch.stack([F.avg_pool2d(ab, 2 * r + 1, stride=1, padding=r, count_include_pad=False)
                         for r in range(max_radius + 1)], dim=0)  # (R, N, 2, H, W)
    xs_d, ys_d, rs_d = xs.to(dev), ys.to(dev), rs.to(dev)
    nidx = torch.arange(n, device=dev)[:, None].expand(n, k)
    vals = means[rs_d, nidx, :, ys_d, xs_d]  # (N, K, 2)
    # paint every hint's square in one scatter: (N, K, S) candidate pixels, S offsets of the largest square
    span = torch.arange(-max_radius, max_radius + 1, device=dev)
    dy, dx = (t.reshape(-1) for t in torch.meshgrid(span, span, indexing="ij"))
    yy, xx = ys_d[..., None] + dy, xs_d[..., None] + dx
    ok = (active.to(dev)[..., None] & (rs_d[..., None] >= torch.maximum(dy.abs(), dx.abs()))
          & (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w))
    pix = (nidx[..., None] * (3 * h * w) + yy.clamp(0, h - 1) * w + xx.clamp(0, w - 1))[ok]
    v = vals[:, :, None, :].expand(n, k, dy.numel(), 2)[ok]
    out = torch.zeros(n * 3 * h * w, device=dev)
    out[pix] = v[:, 0]
    out[pix + h * w] = v[:, 1]
    out[pix + 2 * h * w] = 1.0
    return out.view(n, 3, h, w)

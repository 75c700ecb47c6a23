"""Edge-aware upsampling of the network's colour, guided by the full-resolution lightness.

The network predicts ab at its working size (a few hundred pixels); a scan has thousands. Plain
bilinear upsampling blurs the colour across every edge the network could not resolve: halos around
people, railings and thin iron. The *fast guided filter* (He & Sun, 2015) fixes that without ever
holding a full-resolution float image:

1. at the working size, fit in every (2r+1)^2 window a linear model ``ab = A * L + B`` of the
   predicted ab against the L the network saw (regularised by ``eps``, so flat or noisy areas get
   ``A ~ 0`` and keep the smooth colour), and average the coefficients over the windows;
2. upsample the four coefficient planes (A and B for a and b) bilinearly, strip by strip, exactly as
   the engine upsampled ab before;
3. at full resolution, ``ab = A * L + B`` with the *full-resolution* L: a sharp step in L becomes a
   sharp step in colour where the model says colour follows lightness.

Only small planes are ever filtered; per strip the cost is one multiply-add per pixel and channel,
so the 100-megapixel memory bound of the engine is kept.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

#: Window radius at the working size (pixels) and regularisation (L scaled to [0, 1], variance units),
#: chosen on the validation split (see models/MODEL_CARD.md).
DEFAULT_RADIUS = 2
DEFAULT_EPS = 1e-2


def _box_sums(x: torch.Tensor, r: int, dim: int) -> torch.Tensor:
    """Sums over windows of 2r+1 along ``dim`` (-1 or -2), clipped at the borders, by cumulative sums."""
    k = 2 * r + 1
    pad = (r + 1, r) if dim == -1 else (0, 0, r + 1, r)
    c = F.pad(x, pad).cumsum(dim)
    n = c.shape[dim]
    return c.narrow(dim, k, n - k) - c.narrow(dim, 0, n - k)


def _window_counts(n: int, r: int) -> torch.Tensor:
    j = torch.arange(n)
    return ((j + r).clamp(max=n - 1) - (j - r).clamp(min=0) + 1).to(torch.float32)


def _box(x: torch.Tensor, r: int) -> torch.Tensor:
    """Mean over a (2r+1)^2 window, windows clipped at the borders (N, C, H, W).

    The same as ``avg_pool2d(x, 2r+1, stride=1, padding=r, count_include_pad=False)``, computed with
    cumulative sums in float64 (several times faster than avg_pool2d on the CPU at these sizes).
    """
    if r <= 0:
        return x
    h, w = x.shape[-2:]
    s = _box_sums(_box_sums(x, r, -1), r, -2)
    counts = _window_counts(h, r).to(x.device)[:, None] * _window_counts(w, r).to(x.device)[None, :]
    return s / counts


def guided_coefficients(l_small: torch.Tensor, ab_small: torch.Tensor, radius: int = DEFAULT_RADIUS,
                        eps: float = DEFAULT_EPS) -> torch.Tensor:
    """(1, 1, h, w) L in [0, 100] and (1, 2, h, w) ab at the same size -> (1, 4, h, w): A_a, A_b, B_a, B_b.

    ``ab ~ A * (L / 100) + B``, A and B averaged over the windows as in the guided filter.
    """
    if l_small.shape[-2:] != ab_small.shape[-2:]:
        raise ValueError(f"L {tuple(l_small.shape)} and ab {tuple(ab_small.shape)} differ in size")
    r = max(0, min(int(radius), (min(l_small.shape[-2:]) - 1) // 2))
    i = l_small.float() / 100.0
    p = ab_small.float()
    mean_i = _box(i, r)
    mean_p = _box(p, r)
    cov_ip = _box(i * p, r) - mean_i * mean_p
    var_i = _box(i * i, r) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return torch.cat((_box(a, r), _box(b, r)), dim=1)


def apply_coefficients(l_rows: torch.Tensor, coeff_rows: torch.Tensor) -> torch.Tensor:
    """(1, h, W) full-resolution L and (4, h, W) upsampled coefficients -> ab (2, h, W)."""
    return coeff_rows[:2] * (l_rows / 100.0) + coeff_rows[2:]

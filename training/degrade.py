"""Old-print degradations of the network's input L, batched on the training device.

A genuine 19th-century print is not the CIELAB lightness of a modern colour photograph. It differs in:

* **spectral response**: orthochromatic plates are blind to red and very sensitive to blue (skies
  white, red roofs and faces dark); early panchromatic film is closer to the eye but still
  blue-heavy. Simulated by making L from linear RGB with other channel weights;
* **tone**: faded, low-contrast prints with lifted blacks and dull whites, and a different gamma;
* **optics and grain**: soft focus (blur), film grain, vignetting, dust specks and scratches;
* **copies**: low-resolution reproductions (down- then up-sampled).

The target ab stays that of the clean photograph: the network learns to colour the print as the
scene was. All randomness comes from one CPU ``torch.Generator`` (checkpointed with the run). The
same function with a fixed seed builds the "aged" variant of the test split
(:mod:`training.evaluate` ``--aged``).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from archcolour import colour

# Channel weights (R, G, B) on linear RGB, ranges drawn uniformly then normalised to sum 1.
ORTHOCHROMATIC = ((0.0, 0.08), (0.30, 0.50), (0.50, 0.70))
EARLY_PANCHROMATIC = ((0.12, 0.25), (0.45, 0.60), (0.20, 0.35))


def _uniform(n: int, lo: float, hi: float, gen: torch.Generator) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=gen)


def _spectral_weights(n: int, gen: torch.Generator) -> torch.Tensor:
    """(n, 3) channel weights: a third standard luminance, a third orthochromatic, a third panchromatic."""
    std = torch.tensor(colour.Y_FROM_LINEAR_RGB, dtype=torch.float32)
    kind = torch.randint(0, 3, (n,), generator=gen)
    w = std.expand(n, 3).clone()
    for k, ranges in ((1, ORTHOCHROMATIC), (2, EARLY_PANCHROMATIC)):
        draw = torch.stack([_uniform(n, lo, hi, gen) for lo, hi in ranges], dim=1)
        w = torch.where((kind == k)[:, None], draw, w)
    return w / w.sum(1, keepdim=True) * float(std.sum())


def _gaussian_blur(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Per-image Gaussian blur of (N, 1, H, W) with sigmas (N,) in pixels (0 = unchanged)."""
    n = x.shape[0]
    radius = max(1, int(math.ceil(3 * float(sigma.max())))) if n else 1
    t = torch.arange(-radius, radius + 1, dtype=torch.float32, device=x.device)
    s = sigma.to(x.device).clamp_min(1e-3)[:, None]
    k = torch.exp(-0.5 * (t[None] / s) ** 2)
    k = k / k.sum(1, keepdim=True)  # (N, K); sigma ~0 gives a delta
    xp = F.pad(x.transpose(0, 1), (radius, radius, radius, radius), mode="reflect")  # (1, N, H+2r, W+2r)
    y = F.conv2d(xp, k[:, None, None, :], groups=n)
    y = F.conv2d(y, k[:, None, :, None], groups=n)
    return y.transpose(0, 1)


def age_l(rgb: torch.Tensor, gen: torch.Generator, p: float = 1.0, l_clean: torch.Tensor | None = None) -> torch.Tensor:
    """sRGB (N, 3, H, W) in [0, 1] -> L (N, 1, H, W): each image aged with probability ``p``.

    Images that are not aged get the exact CIELAB L (``l_clean`` when the caller has it already), as
    a scan of a modern print would. Only the aged images are processed.
    """
    n, _, h, w = rgb.shape
    dev = rgb.device
    aged = torch.rand(n, generator=gen) < p
    idx = aged.nonzero()[:, 0]
    if l_clean is None:
        lin_all = colour.srgb_to_linear(rgb.float())
        y = torch.einsum("c,nchw->nhw", torch.tensor(colour.Y_FROM_LINEAR_RGB, device=dev), lin_all)[:, None]
        l_clean = colour.y_to_l(y)
    out = l_clean.clone()
    m = len(idx)
    if m == 0:
        return out
    lin = colour.srgb_to_linear(rgb[idx.to(dev)].float())

    def on(prob: float) -> torch.Tensor:
        return torch.rand(m, generator=gen) < prob

    def col(v: torch.Tensor) -> torch.Tensor:
        return v.to(dev)[:, None, None, None]

    # spectral response
    l = colour.y_to_l(torch.einsum("nc,nchw->nhw", _spectral_weights(m, gen).to(dev), lin)[:, None])
    # soft focus
    blur = on(0.5)
    sig = _uniform(m, 0.3, 1.3, gen)
    if bool(blur.any()):
        b = blur.nonzero()[:, 0].to(dev)
        l[b] = _gaussian_blur(l[b], sig[blur])
    # low-resolution copy
    low = on(0.2)
    if bool(low.any()):
        b = low.nonzero()[:, 0].to(dev)
        small = F.interpolate(l[b], scale_factor=0.5, mode="bilinear", antialias=True, align_corners=False)
        l[b] = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
    # tone: lifted blacks, dull whites, gamma
    fade = on(0.6)
    black = col(torch.where(fade, _uniform(m, 0.0, 25.0, gen), torch.zeros(m)))
    white = col(torch.where(fade, _uniform(m, 78.0, 100.0, gen), torch.full((m,), 100.0)))
    gamma = col(torch.where(fade, _uniform(m, 0.8, 1.25, gen), torch.ones(m)))
    l = black + (white - black) * (l.clamp(0, 100) / 100.0).pow(gamma)
    # vignetting
    vig = col(torch.where(on(0.3), _uniform(m, 0.1, 0.45, gen), torch.zeros(m)))
    yy = torch.linspace(-1, 1, h, device=dev)[:, None]
    xx = torch.linspace(-1, 1, w, device=dev)[None, :]
    l = l * (1 - vig * ((xx ** 2 + yy ** 2) / 2))
    # grain (slightly correlated)
    gs = col(torch.where(on(0.6), _uniform(m, 1.0, 5.0, gen), torch.zeros(m)))
    noise = torch.randn((m, 1, h, w), generator=gen).to(dev)
    noise = F.avg_pool2d(noise, 3, stride=1, padding=1, count_include_pad=False) * 1.8 + noise * 0.4
    l = l + gs * noise
    # dust specks and a scratch
    dust = col(on(0.25))
    specks = (torch.rand((m, 1, h, w), generator=gen) < 0.0015).to(dev) & dust
    bright = (torch.rand((m, 1, h, w), generator=gen) < 0.5).to(dev)
    l = torch.where(specks, torch.where(bright, torch.full_like(l, 95.0), torch.full_like(l, 8.0)), l)
    sx = torch.randint(0, w, (m,), generator=gen).to(dev)
    scratch = (torch.arange(w, device=dev)[None, :] == sx[:, None])[:, None, None, :] & dust
    l = torch.where(scratch, (l + 25.0).clamp(max=100.0), l)
    out[idx.to(dev)] = l.clamp_(0.0, 100.0)
    return out

"""ArchUNet: our colouriser, a compact U-Net with a global-context bottleneck.

Design, against the report's generator:

* **Skip connections** at every scale. The report dropped them, but without them the decoder must
  rebuild object boundaries from an 8x8 bottleneck, which bleeds colour across edges; with them
  it only has to decide *which* colour, and boundaries come from the encoder.
* **Cheap at full resolution.** Most of the compute sits at 1/4 - 1/16 scale; the full-resolution
  stage is narrow. This is what makes it faster than the report's generator at the same working size.
* **Global context** at the bottleneck (pooled features fed back through a small MLP), so that a
  sky or a wall gets one consistent colour across the picture instead of drifting patch by patch.
* **Dilated convolutions** at the bottleneck widen the receptive field without more downsampling.
* Fully convolutional: any size that is a multiple of 16 works (the engine pads).

No noise input: our loss does not reward sampling, and a deterministic network is what an archive
wants (the same scan gives the same colours).

**Guidance inputs** (optional, off for the first bundled model, on from ``archunet-guided``):

* ``hints=True``: three more input planes, the user's colour points as in Zhang et al. (2017):
  ``hint_ab`` (N, 2, H, W, CIELAB units, zero where there is no hint) and ``hint_mask`` (N, 1, H, W,
  1 where a hint was placed). With no hints both are zero and the network colourises on its own.
* ``ref_bins=B``: a reference colour distribution, a normalised B x B histogram of ab over
  [-AB_RANGE, AB_RANGE) plus a flag (N, B*B + 1), fed into the global-context block, so one reference
  photograph can steer a whole series. All zeros (flag 0) means "no reference".

Both enter through layers initialised to zero, so a network warm-started from one without them
computes exactly the same function until training teaches it to use them.

**Classification head** (``ab_bins=True``, off by default; Zhang et al. 2016): the head gives logits
over the Q bins of the quantised ab gamut (:mod:`archcolour.nets.abbins`) instead of ab, and
``forward`` decodes them to ab by the annealed mean at ``temperature`` (0.38), so callers see the same
ab in CIELAB units either way; ``forward(..., logits=True)`` gives the logits (N, Q, H, W) for the
training loss. The bin centres are a non-persistent buffer (recomputed, not stored in weights files).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .abbins import TEMPERATURE, annealed_mean, gamut_centres
from .common import AB_SCALE, normalise_l


def _cbr(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class _Up(nn.Module):
    def __init__(self, cin: int, cskip: int, cout: int):
        super().__init__()
        self.reduce = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))
        self.fuse = nn.Sequential(_cbr(cout + cskip, cout), _cbr(cout, cout))

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = self.reduce(x)
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.fuse(torch.cat((x, skip), dim=1))


#: ab range covered by the reference histogram (values outside are clamped into the edge bins).
AB_RANGE = 80.0


class _GlobalContext(nn.Module):
    def __init__(self, c: int, ref_dim: int = 0):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(c, c), nn.ReLU(inplace=True), nn.Linear(c, c))
        self.ref = None
        if ref_dim:
            self.ref = nn.Sequential(nn.Linear(ref_dim, c), nn.ReLU(inplace=True), nn.Linear(c, c))
            nn.init.zeros_(self.ref[2].weight)
            nn.init.zeros_(self.ref[2].bias)

    def forward(self, x: torch.Tensor, ref: torch.Tensor | None = None) -> torch.Tensor:
        g = self.mlp(x.mean(dim=(2, 3)))
        if self.ref is not None:
            if ref is None:  # "no reference" is all zeros, as in training (the branch's biases still act)
                ref = torch.zeros(x.shape[0], self.ref[0].in_features, device=x.device, dtype=g.dtype)
            g = g + self.ref(ref.to(g.dtype))
        return x + g[:, :, None, None]


class ArchUNet(nn.Module):
    """U-Net colouriser. ``widths`` are the channels at scales 1, 1/2, 1/4, 1/8, 1/16."""

    needs_noise = False
    size_multiple = 16

    def __init__(self, widths: tuple[int, ...] = (24, 48, 96, 192, 256), hints: bool = False, ref_bins: int = 0,
                 ab_bins: bool = False, temperature: float = TEMPERATURE):
        super().__init__()
        w = list(widths)
        if len(w) != 5:
            raise ValueError("ArchUNet needs five widths (scales 1 to 1/16)")
        self.hints = bool(hints)
        self.ref_bins = int(ref_bins)
        self.ab_bins = bool(ab_bins)
        self.stem = nn.Sequential(_cbr(1, w[0]), _cbr(w[0], w[0]))
        self.hint_in = None
        if self.hints:
            # added to the first convolution's output; zero-initialised (see the module docstring)
            self.hint_in = nn.Conv2d(3, w[0], 3, padding=1, bias=False)
            nn.init.zeros_(self.hint_in.weight)
        self.down = nn.ModuleList(
            nn.Sequential(_cbr(w[i], w[i + 1], stride=2), _cbr(w[i + 1], w[i + 1])) for i in range(4)
        )
        self.bottleneck = nn.Sequential(_cbr(w[4], w[4], dilation=2), _cbr(w[4], w[4], dilation=4))
        self.context = _GlobalContext(w[4], self.ref_bins ** 2 + 1 if self.ref_bins else 0)
        self.up = nn.ModuleList(_Up(w[i + 1], w[i], w[i]) for i in reversed(range(4)))
        if self.ab_bins:
            self.register_buffer("centres", gamut_centres(), persistent=False)
            self.temperature = float(temperature)
            self.head = nn.Conv2d(w[0], self.centres.shape[0], 1)
        else:
            self.head = nn.Conv2d(w[0], 2, 1)

    def forward(self, l: torch.Tensor, noise: torch.Tensor | None = None, hints: torch.Tensor | None = None,
                ref: torch.Tensor | None = None, logits: bool = False) -> torch.Tensor:
        """``hints`` (N, 3, H, W): hint a, hint b (CIELAB units), mask; ``ref`` (N, ref_bins**2 + 1).
        ``logits=True`` (classification networks only): the bin logits (N, Q, H, W) instead of ab."""
        if self.hint_in is not None and hints is not None:
            conv, bn, relu = self.stem[0]
            x = conv(normalise_l(l)) + self.hint_in(torch.cat((hints[:, :2] / AB_SCALE, hints[:, 2:]), dim=1))
            x = self.stem[1](relu(bn(x)))
        else:
            x = self.stem(normalise_l(l))
        skips = [x]
        for stage in self.down:
            x = stage(x)
            skips.append(x)
        x = self.context(self.bottleneck(x), ref)
        skips.pop()
        for up in self.up:
            x = up(x, skips.pop())
        if self.ab_bins:
            z = self.head(x)
            return z if logits else annealed_mean(z, self.centres, self.temperature)
        if logits:
            raise ValueError("logits=True needs a classification network (ab_bins=True)")
        return self.head(x) * AB_SCALE

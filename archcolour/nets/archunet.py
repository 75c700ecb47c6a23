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
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

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


class _GlobalContext(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(c, c), nn.ReLU(inplace=True), nn.Linear(c, c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = self.mlp(x.mean(dim=(2, 3)))
        return x + g[:, :, None, None]


class ArchUNet(nn.Module):
    """U-Net colouriser. ``widths`` are the channels at scales 1, 1/2, 1/4, 1/8, 1/16."""

    needs_noise = False
    size_multiple = 16

    def __init__(self, widths: tuple[int, ...] = (24, 48, 96, 192, 256)):
        super().__init__()
        w = list(widths)
        if len(w) != 5:
            raise ValueError("ArchUNet needs five widths (scales 1 to 1/16)")
        self.stem = nn.Sequential(_cbr(1, w[0]), _cbr(w[0], w[0]))
        self.down = nn.ModuleList(
            nn.Sequential(_cbr(w[i], w[i + 1], stride=2), _cbr(w[i + 1], w[i + 1])) for i in range(4)
        )
        self.bottleneck = nn.Sequential(_cbr(w[4], w[4], dilation=2), _cbr(w[4], w[4], dilation=4))
        self.context = _GlobalContext(w[4])
        self.up = nn.ModuleList(_Up(w[i + 1] if i == 3 else w[i + 1], w[i], w[i]) for i in reversed(range(4)))
        self.head = nn.Conv2d(w[0], 2, 1)

    def forward(self, l: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        x = self.stem(normalise_l(l))
        skips = [x]
        for stage in self.down:
            x = stage(x)
            skips.append(x)
        x = self.context(self.bottleneck(x))
        skips.pop()
        for up in self.up:
            x = up(x, skips.pop())
        return self.head(x) * AB_SCALE

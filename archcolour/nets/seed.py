"""The report's three networks, reproduced as it describes them.

Reading of the report (Alam et al., "Colourizing historic archaeological sites using GANs"):

* **Generator** (Section 5.1): encoder of one conv (k3, s1, p1) then four convs (k3, s2, p1); decoder
  of four transposed convs (k4, s2, p1) then one transposed conv (k3, s1, p1) to two channels. Batch
  norm then ReLU after every layer except the last (no norm, no activation). No skip connections
  (the report found them worse). The report gives no channel widths; 64-128-256-512-512 and back is
  the conventional doubling that lands on its "roughly 11,000,000" parameters (10.86M here).
  *Input.* The text speaks of "a duplicated L channel input of size N x 2 x 128 x 128" while Figure 2
  says "the L component is passed into the generator along with noise". The only reading that
  satisfies both is a two-channel input whose first plane is L and whose second plane (the duplicate
  slot) carries the noise: ``[L, z]`` with z ~ N(0, 1) per pixel. We seed z, so inference is
  reproducible; ``noise_mode="duplicate"`` gives the other reading, ``[L, L]``, for comparison.
* **Discriminator** (Section 5.2): three convs (k3, stride 3, p1), batch norm and ReLU on each, then a
  two-layer linear classifier (ReLU between, none at the end) giving one logit for BCEWithLogitsLoss.
  Widths 64-128-256 and a 1024-unit hidden layer give 6.93M parameters ("7,000,000"). Its input is the
  N x 2 x 128 x 128 ab pair, real or fake (Figure 2); it is tied to 128 px by its linear layer.
* **Baseline** (Section 6, Figure 7): conv (k3, s1, p1), conv (k3, s2, p1), transposed conv (k4, s2,
  p1), then a conv (k3, s1, p1) over the concatenation of the first conv's output and the previous
  layer. Batch norm + ReLU except on the output layer. Widths 64 and 128 give 208k parameters
  ("about 210,000"). Its two-channel input is the duplicated L, ``[L, L]`` (it is not a GAN, no noise).

All three normalise L to [-1, 1] inside and predict ab / AB_SCALE.
"""
from __future__ import annotations

import torch
from torch import nn

from .common import AB_SCALE, normalise_l


def _conv_bn_relu(cin: int, cout: int, k: int, s: int, p: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, p), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def _deconv_bn_relu(cin: int, cout: int, k: int, s: int, p: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, k, s, p), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SeedGenerator(nn.Module):
    """The report's encoder-decoder generator (~10.9M parameters)."""

    needs_noise = True
    #: The input side must be a multiple of this (four stride-2 stages).
    size_multiple = 16

    def __init__(self, widths: tuple[int, ...] = (64, 128, 256, 512, 512), noise_mode: str = "noise"):
        super().__init__()
        if noise_mode not in ("noise", "duplicate"):
            raise ValueError("noise_mode must be 'noise' or 'duplicate'")
        self.noise_mode = noise_mode
        w = list(widths)
        enc = [_conv_bn_relu(2, w[0], 3, 1, 1)]
        for cin, cout in zip(w[:-1], w[1:]):
            enc.append(_conv_bn_relu(cin, cout, 3, 2, 1))
        self.encoder = nn.Sequential(*enc)
        dec = []
        rev = w[::-1]
        for cin, cout in zip(rev[:-1], rev[1:]):
            dec.append(_deconv_bn_relu(cin, cout, 4, 2, 1))
        dec.append(nn.ConvTranspose2d(w[0], 2, 3, 1, 1))
        self.decoder = nn.Sequential(*dec)

    def forward(self, l: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        x = normalise_l(l)
        if self.noise_mode == "duplicate":
            second = x
        else:
            if noise is None:
                raise ValueError("SeedGenerator needs a noise plane (pass a seeded N(0,1) tensor)")
            second = noise
        return self.decoder(self.encoder(torch.cat((x, second), dim=1))) * AB_SCALE


class SeedDiscriminator(nn.Module):
    """The report's discriminator: three conv layers with stride 3, then a 2-layer classifier."""

    def __init__(self, widths: tuple[int, int, int] = (64, 128, 256), hidden: int = 1024, size: int = 128):
        super().__init__()
        layers = []
        cin = 2
        side = size
        for cout in widths:
            layers.append(_conv_bn_relu(cin, cout, 3, 3, 1))
            cin = cout
            side = (side + 2 - 3) // 3 + 1
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(cin * side * side, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, 1)
        )

    def forward(self, ab: torch.Tensor) -> torch.Tensor:
        """ab in CIELAB units (N, 2, size, size) -> logits (N, 1)."""
        return self.classifier(self.features(ab / AB_SCALE))


class SeedBaseline(nn.Module):
    """The report's baseline autoencoder with one skip connection (~208k parameters)."""

    needs_noise = False
    size_multiple = 2

    def __init__(self, widths: tuple[int, int] = (64, 128)):
        super().__init__()
        c1, c2 = widths
        self.conv1 = _conv_bn_relu(2, c1, 3, 1, 1)
        self.conv2 = _conv_bn_relu(c1, c2, 3, 2, 1)
        self.deconv = _deconv_bn_relu(c2, c1, 4, 2, 1)
        self.out = nn.Conv2d(2 * c1, 2, 3, 1, 1)

    def forward(self, l: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        x = normalise_l(l)
        f1 = self.conv1(torch.cat((x, x), dim=1))
        up = self.deconv(self.conv2(f1))
        return self.out(torch.cat((f1, up), dim=1)) * AB_SCALE

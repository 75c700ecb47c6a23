"""Colourisation networks, chosen by the architecture name stored with the weights.

Every network here maps L (N, 1, H, W, CIELAB lightness in [0, 100]) and an optional noise plane
(N, 1, H, W, standard normal) to ab (N, 2, H, W, in CIELAB units). Normalisation of the input and
scaling of the output happen inside the network, so the engine and training share one convention.

Registered architectures:

* ``seed_generator``     the report's encoder-decoder generator (~10.9M parameters)
* ``seed_discriminator`` the report's three-layer conv discriminator (~6.9M), used only in training
* ``seed_baseline``      the report's baseline autoencoder with one skip connection (~210k)
* ``archunet``           our U-Net (see :mod:`archcolour.nets.archunet`); with ``ab_bins=True`` it
                         classifies over the quantised ab gamut (:mod:`archcolour.nets.abbins`) and
                         still returns ab (the annealed mean)
"""
from __future__ import annotations

from typing import Any, Callable

from torch import nn

from .archunet import ArchUNet
from .seed import SeedBaseline, SeedDiscriminator, SeedGenerator

ARCHITECTURES: dict[str, Callable[..., nn.Module]] = {
    "seed_generator": SeedGenerator,
    "seed_discriminator": SeedDiscriminator,
    "seed_baseline": SeedBaseline,
    "archunet": ArchUNet,
}

#: Architectures that colourise (take L, give ab); the discriminator is not one of them.
COLOURISERS = ("seed_generator", "seed_baseline", "archunet")


def build(name: str, **hparams: Any) -> nn.Module:
    """Instantiate the architecture ``name`` with its hyper-parameters."""
    try:
        cls = ARCHITECTURES[name]
    except KeyError:
        known = ", ".join(sorted(ARCHITECTURES))
        raise ValueError(f"unknown architecture {name!r} (known: {known})") from None
    return cls(**hparams)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


__all__ = ["ARCHITECTURES", "COLOURISERS", "ArchUNet", "SeedBaseline", "SeedDiscriminator",
           "SeedGenerator", "build", "count_parameters"]

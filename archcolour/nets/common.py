"""Conventions shared by all colourisation networks."""
from __future__ import annotations

import torch

#: ab values are predicted in units of AB_SCALE (so the raw network output is of order 1).
AB_SCALE = 100.0


def normalise_l(l: torch.Tensor) -> torch.Tensor:
    """L in [0, 100] -> [-1, 1]."""
    return l / 50.0 - 1.0

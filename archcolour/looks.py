"""Combining the network's looks at one photograph into one colour (torch only, Qt-free).

The engine's test-time ensemble (``archcolour.choices.ENSEMBLES``) runs the network on several views
of a photograph (itself, its mirror image, other working sizes) and brings each view's ab onto the
working-size grid. :func:`combine` turns those looks into the photograph's colour:

* the mean of the looks;
* where the looks disagree, less of it. Per pixel, with ``m`` the mean and ``v`` the looks' variance
  around it (both summed over a and b, and averaged over a small window so a single pixel does not
  decide), the mean is scaled by ``|m|^2 / (|m|^2 + agreement * v)``: a shrinkage estimate, as a
  Wiener filter weighs a signal against its noise. Colour the looks agree on stays; colour that one
  look puts there and another does not (the blotches: a blue patch on stone, red on sand) fades;
* times the ensemble's chroma gain, which gives back the colour averaging and shrinking take away
  where the looks agree.

``agreement`` 0 is the plain mean (the fourth round's ensemble).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

#: Side of the window (working-size pixels) over which disagreement and colour are averaged.
WINDOW = 5


def _local_mean(x: torch.Tensor, window: int) -> torch.Tensor:
    """``x`` (1, 1, h, w) averaged over a ``window`` x ``window`` neighbourhood (1: unchanged)."""
    return F.avg_pool2d(x, window, 1, window // 2, count_include_pad=False) if window > 1 else x


def disagreement(looks: torch.Tensor, window: int = WINDOW) -> tuple[torch.Tensor, torch.Tensor]:
    """The mean of ``looks`` (k, 2, h, w) as (1, 2, h, w), and their variance around it (1, 1, h, w),
    summed over a and b and averaged over a ``window`` x ``window`` neighbourhood."""
    mean = looks.mean(0, keepdim=True)
    return mean, _local_mean(((looks - mean) ** 2).sum(1, keepdim=True).mean(0, keepdim=True), window)


def combine(looks: torch.Tensor, gain: float = 1.0, agreement: float = 0.0, window: int = WINDOW) -> torch.Tensor:
    """One colour (1, 2, h, w) from the network's ``looks`` (k, 2, h, w) on the working-size grid."""
    if agreement < 0:
        raise ValueError(f"agreement must be at least 0, not {agreement}")
    if agreement == 0 or looks.shape[0] == 1:
        mean = looks.mean(0, keepdim=True)
    else:
        mean, var = disagreement(looks, window)
        power = _local_mean((mean ** 2).sum(1, keepdim=True), window)
        mean = mean * (power / (power + agreement * var + 1e-6))
    return mean * gain if gain != 1.0 else mean

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

The same rule says where the colour is a guess: :func:`uncertainty` is, per pixel, the fraction of the
looks' mean colour the shrinkage removes, ``agreement * v / (|m|^2 + agreement * v)`` (0: the looks
agree, the colour is kept; towards 1: they disagree, the colour faded). :func:`combine` keeps exactly
the rest (``combine(looks, 1, a) == mean * (1 - uncertainty(looks, a))``): both come from one helper.
There is no such map for a single look (no spread to measure) or agreement 0 (nothing is removed):
then :func:`uncertainty` returns None.
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


#: Keeps the shrinkage defined where the looks agree on grey (no colour, no spread: nothing removed).
EPS = 1e-6


def _shrinkage(looks: torch.Tensor, agreement: float, window: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The one implementation of the agreement rule: the mean of ``looks`` (1, 2, h, w), and the fraction
    of it the rule removes (1, 1, h, w) in [0, 1), ``agreement * v / (power + agreement * v + EPS)``;
    that fraction is None when nothing is removed (a single look, or agreement 0)."""
    if agreement < 0:
        raise ValueError(f"agreement must be at least 0, not {agreement}")
    if agreement == 0 or looks.shape[0] == 1:
        return looks.mean(0, keepdim=True), None
    mean, var = disagreement(looks, window)
    power = _local_mean((mean ** 2).sum(1, keepdim=True), window)
    doubt = agreement * var
    return mean, doubt / (power + doubt + EPS)


def combine_with_uncertainty(looks: torch.Tensor, gain: float = 1.0, agreement: float = 0.0,
                             window: int = WINDOW) -> tuple[torch.Tensor, torch.Tensor | None]:
    """:func:`combine` and :func:`uncertainty` from one computation of the rule (what the engine calls).

    The colour keeps ``1 - removed`` of the mean, ``(power + EPS) / (power + agreement * v + EPS)``; before
    the rule was shared this was ``power / (...)``, the same to within ``EPS / power`` (on the look-book,
    5 or 6 pixels of a 640 x 512 output moved by one 8-bit level)."""
    mean, removed = _shrinkage(looks, agreement, window)
    ab = mean if removed is None else mean * (1.0 - removed)
    return (ab * gain if gain != 1.0 else ab), removed


def combine(looks: torch.Tensor, gain: float = 1.0, agreement: float = 0.0, window: int = WINDOW) -> torch.Tensor:
    """One colour (1, 2, h, w) from the network's ``looks`` (k, 2, h, w) on the working-size grid."""
    return combine_with_uncertainty(looks, gain, agreement, window)[0]


def uncertainty(looks: torch.Tensor, agreement: float, window: int = WINDOW) -> torch.Tensor | None:
    """Where the colour is a guess: (1, 1, h, w) in [0, 1), per pixel the fraction of the looks' mean colour
    that :func:`combine` removes because the looks disagree (0 where they agree, also on grey).

    None when there is no such information: a single look (``looks`` (1, 2, h, w): no spread) or
    ``agreement`` 0 (the plain mean removes nothing). Independent of the gain.
    """
    return _shrinkage(looks, agreement, window)[1]

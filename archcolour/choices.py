"""Engine choices offered to users: devices, working-size bounds, upsampling, ensembles (torch-free, Qt-free).

One table each, read by the CLI (``--device``, ``--working-size``), settings validation and the GUI.
"""
from __future__ import annotations

from typing import NamedTuple

#: (key, label): where the network runs. Settings also accept an explicit "cuda:N".
DEVICE_CHOICES: tuple[tuple[str, str], ...] = (
    ("auto", "Automatic (GPU if available)"),
    ("cpu", "CPU"),
    ("cuda", "NVIDIA GPU (CUDA)"),
    ("mps", "Apple GPU (MPS)"),
)
DEVICES: tuple[str, ...] = tuple(k for k, _ in DEVICE_CHOICES)

#: Smallest and largest working size (short side, pixels, the network sees).
MIN_WORKING_SIZE = 64
MAX_WORKING_SIZE = 8192
#: Working sizes the GUI offers in its list (any size within the bounds is accepted elsewhere).
WORKING_SIZE_PRESETS: tuple[int, ...] = (128, 192, 256, 320, 384, 512, 768, 1024)


#: How the network's colour is brought to full resolution: "guided" (edge-aware, the default; see
#: archcolour.upsample) or "bilinear" (the first version's, kept for comparison).
UPSAMPLING: tuple[str, ...] = ("guided", "bilinear")


class Ensemble(NamedTuple):
    """A test-time ensemble: which looks the network takes at a photograph, and how they are combined."""

    mirror: bool  # the mirror image too
    scales: tuple[float, ...]  # other working sizes, as multiples of the working size
    gain: float  # chroma gain on the combined colour
    agreement: float  # 0: the plain mean; > 0: less colour where the looks disagree (archcolour.looks)

    @property
    def n_looks(self) -> int:
        """How many looks the network takes at a photograph."""
        return (2 if self.mirror else 1) * (1 + len(self.scales))

    @property
    def shows_uncertainty(self) -> bool:
        """Does this ensemble say where its colour is uncertain (``archcolour.looks.uncertainty``)? Only
        when it has looks to compare *and* tones colour down where they disagree (agreement > 0): the map
        is the share of colour that faded, and an ensemble that fades nothing (the plain mean of
        "mirror") has no faded colour to show. A map at some other agreement would mark colour the output
        still has, so none is made."""
        return self.n_looks >= 2 and self.agreement > 0


#: Test-time ensembles by name. The network's colour for the photograph is combined from its colour
#: for each look (each brought onto the working-size grid; ``archcolour.looks.combine``): the mean,
#: reduced where the looks disagree in proportion to ``agreement``, times the gain. "full" is the
#: default; its agreement (8) was chosen on the validation split with archunet-aged (MODEL_CARD.md,
#: fifth round: more accurate than the fourth round's plain mean with gain 1.05), its gain (1.35,
#: 1.25 in 0.2.0) with archunet-aged4, the sixth round's default, whose plain output is less colourful
#: (sixth round: the most accurate setting that keeps at least archunet-cpu's colour). The gain
#: suits the default model; with an older model "full" is more colourful than it was. The network
#: runs 6.7x longer. "mirror" is
#: the plain mean of two looks (its combination was not tuned).
ENSEMBLES: dict[str, Ensemble] = {
    "full": Ensemble(True, (0.75, 4 / 3), 1.35, 8.0),
    "mirror": Ensemble(True, (), 1.0, 0.0),
    "none": Ensemble(False, (), 1.0, 0.0),
}
DEFAULT_ENSEMBLE = "full"
#: Bounds of the vividness control, a chroma scale on the predicted colour (1 = as predicted, 0 = grey).
VIVIDNESS_RANGE: tuple[float, float] = (0.0, 2.0)


def valid_device(value: object) -> bool:
    """Is ``value`` a device key ('auto', 'cpu', 'cuda', 'mps') or an explicit 'cuda:N'?"""
    if not isinstance(value, str):
        return False
    if value in DEVICES:
        return True
    head, _, index = value.partition(":")
    return head == "cuda" and index.isdigit()


def check_working_size(value: int) -> int:
    """``value`` when it lies within the bounds; ValueError (a one-line reason) otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"working size must be a whole number of pixels, not {value!r}")
    if not MIN_WORKING_SIZE <= value <= MAX_WORKING_SIZE:
        raise ValueError(f"working size must be between {MIN_WORKING_SIZE} and {MAX_WORKING_SIZE} px, not {value}")
    return value


__all__ = ["DEFAULT_ENSEMBLE", "DEVICES", "DEVICE_CHOICES", "ENSEMBLES", "Ensemble", "MAX_WORKING_SIZE", "MIN_WORKING_SIZE", "UPSAMPLING", "VIVIDNESS_RANGE",
           "WORKING_SIZE_PRESETS",
           "check_working_size", "valid_device"]

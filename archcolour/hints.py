"""Colour hints: the user's colour points, their JSON file format and its validation.

A hints file is JSON, UTF-8, in one of two shapes (``version`` is 1):

* one image's hints: ``{"version": 1, "points": [POINT, ...]}``
* a folder's: ``{"version": 1, "images": {"NAME": {"points": [POINT, ...]}, ...}}`` where ``NAME``
  is the image's path relative to the input folder (``sub/scan.tif``) or its bare file name.

``POINT`` is ``{"x": X, "y": Y, "colour": COLOUR, "radius": R}``:

* ``x``, ``y``: the position as a fraction of the image's width and height, 0 to 1, from the top
  left of the image as displayed (after its EXIF orientation);
* ``colour``: ``"#rrggbb"`` (sRGB; only its hue and chroma are used, the photograph keeps its own
  lightness) or ``{"ab": [a, b]}`` (CIELAB a and b, each within -128..127);
* ``radius`` (optional, default 0.01): the size of the hinted spot as a fraction of the image's short
  side, at most 0.05. The network spreads a hint along the region it belongs to; a hint is a small
  spot, not a brush stroke.

Any error gives one line naming the file and the offending entry (:class:`HintsError`).
This module does not import torch.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

from .keyed_files import for_image, read_json

VERSION = 1
DEFAULT_RADIUS = 0.01
MAX_RADIUS = 0.05
MAX_POINTS = 64
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class HintsError(ValueError):
    """A hints file that cannot be used; the message is one line."""


@dataclass(frozen=True)
class Hint:
    """One colour point: relative position, CIELAB a and b, radius as a fraction of the short side."""

    x: float
    y: float
    a: float
    b: float
    radius: float = DEFAULT_RADIUS

    def to_json(self) -> dict:
        return {"x": round(self.x, 5), "y": round(self.y, 5), "colour": {"ab": [round(self.a, 2), round(self.b, 2)]},
                "radius": round(self.radius, 5)}


def ab_of_srgb(hex_colour: str) -> tuple[float, float]:
    """CIELAB (a, b) of an sRGB colour ``#rrggbb``, with the engine's own conversion."""
    import numpy as np
    import torch

    from .colour import rgb_to_lab

    v = [int(hex_colour[i:i + 2], 16) / 255.0 for i in (1, 3, 5)]
    lab = rgb_to_lab(torch.tensor(np.array(v, np.float32)).view(3, 1, 1), chunk_rows=None)
    return float(lab[1, 0, 0]), float(lab[2, 0, 0])


def _number(v, where: str, lo: float, hi: float) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
        raise HintsError(f"{where} must be a number from {lo:g} to {hi:g}")
    return float(v)


def parse_point(obj, where: str) -> Hint:
    if not isinstance(obj, dict):
        raise HintsError(f"{where} must be an object with x, y and colour")
    unknown = set(obj) - {"x", "y", "colour", "color", "radius"}
    if unknown:
        raise HintsError(f"{where} has unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    x = _number(obj.get("x"), f"{where}.x", 0.0, 1.0)
    y = _number(obj.get("y"), f"{where}.y", 0.0, 1.0)
    c = obj.get("colour", obj.get("color"))
    if isinstance(c, str) and _HEX.match(c):
        a, b = ab_of_srgb(c)
    elif isinstance(c, dict) and set(c) == {"ab"} and isinstance(c["ab"], list) and len(c["ab"]) == 2:
        a = _number(c["ab"][0], f"{where}.colour.ab[0]", -128.0, 127.0)
        b = _number(c["ab"][1], f"{where}.colour.ab[1]", -128.0, 127.0)
    else:
        raise HintsError(f'{where}.colour must be "#rrggbb" or {{"ab": [a, b]}}')
    r = _number(obj.get("radius", DEFAULT_RADIUS), f"{where}.radius", 0.0, MAX_RADIUS)
    return Hint(x, y, a, b, r)


def parse_points(obj, where: str) -> tuple[Hint, ...]:
    if not isinstance(obj, list):
        raise HintsError(f"{where} must be a list of points")
    if len(obj) > MAX_POINTS:
        raise HintsError(f"{where} has {len(obj)} points; at most {MAX_POINTS} are allowed")
    return tuple(parse_point(p, f"{where}[{i}]") for i, p in enumerate(obj))


@dataclass(frozen=True)
class HintsFile:
    """A parsed hints file: ``single`` for a one-image file, ``images`` for a folder's."""

    path: str
    single: tuple[Hint, ...] | None
    images: dict[str, tuple[Hint, ...]]

    def for_image(self, rel: str | os.PathLike) -> tuple[Hint, ...]:
        """The hints for a source, looked up by its path relative to its input folder, then its name."""
        if self.single is not None:
            return self.single
        return for_image(self.images, rel, ())


def parse(data, path: str = "<hints>") -> HintsFile:
    name = os.path.basename(str(path))
    try:
        if not isinstance(data, dict):
            raise HintsError("the top level must be an object")
        if data.get("version") != VERSION:
            raise HintsError(f'"version" must be {VERSION}')
        if "points" in data and "images" in data:
            raise HintsError('give either "points" (one image) or "images" (a folder), not both')
        if "points" in data:
            return HintsFile(str(path), parse_points(data["points"], "points"), {})
        imgs = data.get("images")
        if not isinstance(imgs, dict):
            raise HintsError('expected "points" (one image) or "images" (a folder)')
        parsed = {}
        for k, v in imgs.items():
            if not isinstance(v, dict) or "points" not in v:
                raise HintsError(f'images["{k}"] must be an object with "points"')
            parsed[str(k)] = parse_points(v["points"], f'images["{k}"].points')
        return HintsFile(str(path), None, parsed)
    except HintsError as exc:
        raise HintsError(f"hints file {name}: {exc}") from None


def load(path: str | os.PathLike) -> HintsFile:
    """Read and validate a hints file; :class:`HintsError` (one line) on any problem."""
    return parse(read_json(path, "hints file", HintsError), str(path))


def to_hint_points(hints, h: int, w: int):
    """Relative hints -> :class:`archcolour.guidance.HintPoint` at a (h, w) working size."""
    from .guidance import HintPoint

    short = min(h, w)
    return [HintPoint(x=min(w - 1, int(hint.x * w)), y=min(h - 1, int(hint.y * h)), a=hint.a, b=hint.b,
                      radius=int(round(hint.radius * short))) for hint in hints]

"""Settings of one image that override the folder's: working size, model, vividness, upsampling.

Torch-free and Qt-free. A file of them is JSON, UTF-8 (``version`` is 1)::

    {"version": 1, "images": {"sub/scan.tif": {"working_size": 512, "model": "archunet-guided",
                                               "vividness": 1.4, "upsampling": "bilinear"}}}

``NAME`` (the key) is the image's path relative to its input folder (``sub/scan.tif``) or its bare file
name, looked up exactly as colour hints are (:mod:`archcolour.hints`). Every field is optional; what an
image does not set is the folder's, that is the run's (``--working-size``, ``--model``, ``--vividness``,
``--upsampling``; the desktop application's export and guidance choices). The bounds and vocabularies
are those of :mod:`archcolour.choices`; a model must be one of the bundled models (``archcolour models``).

The desktop application keeps the file as ``image-settings.json`` in the output folder, beside
``hints.json``; ``archcolour colourise --image-settings FILE`` reads it (or any such file). Every output
records the settings it was actually made with (working size, model, upsampling, vividness).
Any error gives one line naming the file and the offending entry (:class:`ImageSettingsError`).
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable

from .choices import UPSAMPLING, VIVIDNESS_RANGE, check_working_size
from .keyed_files import for_image, read_json

VERSION = 1
FILE_NAME = "image-settings.json"


class ImageSettingsError(ValueError):
    """A settings file that cannot be used; the message is one line."""


def _working_size(v: Any) -> int:
    try:
        return check_working_size(v)
    except ValueError as e:
        raise ImageSettingsError(str(e)) from None


def _model(v: Any) -> str:
    if not isinstance(v, str) or not v.strip() or len(v) > 200 or any(ord(c) < 32 for c in v):
        raise ImageSettingsError(f"must be the name of a bundled model (see `archcolour models`), not {v!r}")
    return v


def _vividness(v: Any) -> float:
    lo, hi = VIVIDNESS_RANGE
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
        raise ImageSettingsError(f"must be a number from {lo:g} to {hi:g}, not {v!r}")
    return float(v)


def _upsampling(v: Any) -> str:
    if v not in UPSAMPLING:
        raise ImageSettingsError(f"must be one of {', '.join(UPSAMPLING)}, not {v!r}")
    return v


#: The one table of what an image may set: key -> check (returns the value, or raises one line).
FIELDS: dict[str, Callable[[Any], Any]] = {
    "working_size": _working_size,
    "model": _model,
    "vividness": _vividness,
    "upsampling": _upsampling,
}


@dataclass(frozen=True)
class ImageSettings:
    """One image's own settings; None: the folder's."""

    working_size: int | None = None
    model: str | None = None
    vividness: float | None = None
    upsampling: str | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def describe(self) -> str:
        """A short phrase for tooltips and messages: ``working size 512 px, model x, vividness 1.4``."""
        parts = []
        if self.working_size is not None:
            parts.append(f"working size {self.working_size} px")
        if self.model is not None:
            parts.append(f"model {self.model}")
        if self.vividness is not None:
            parts.append(f"vividness {self.vividness:g}")
        if self.upsampling is not None:
            parts.append(f"{self.upsampling} upsampling")
        return ", ".join(parts) or "the folder's settings"


assert set(FIELDS) == {f.name for f in fields(ImageSettings)}  # one table, one record


def parse_entry(obj: Any, where: str) -> ImageSettings:
    """One image's settings from its JSON object (ImageSettingsError naming ``where``)."""
    if not isinstance(obj, dict):
        raise ImageSettingsError(f"{where} must be an object with some of: {', '.join(FIELDS)}")
    unknown = set(obj) - set(FIELDS)
    if unknown:
        raise ImageSettingsError(f"{where} has unknown key(s): {', '.join(sorted(map(str, unknown)))} "
                                 f"(known: {', '.join(FIELDS)})")
    values = {}
    for key, check in FIELDS.items():
        if obj.get(key) is not None:
            try:
                values[key] = check(obj[key])
            except ImageSettingsError as e:
                raise ImageSettingsError(f"{where}.{key}: {e}") from None
    return ImageSettings(**values)


@dataclass(frozen=True)
class ImageSettingsFile:
    """A parsed settings file: each image's own settings, by its key."""

    path: str = ""
    images: dict[str, ImageSettings] = field(default_factory=dict)

    def for_image(self, rel: str | os.PathLike) -> ImageSettings | None:
        """The settings of a source, by its path relative to its input folder, then its name (None: none)."""
        s = for_image(self.images, rel)
        return None if s is None or s.empty else s

    def models(self) -> set[str]:
        """The model names the images ask for."""
        return {s.model for s in self.images.values() if s.model is not None}

    def with_image(self, key: str, settings: ImageSettings | None) -> "ImageSettingsFile":
        """A copy with ``key``'s settings replaced (None or empty: removed, the folder's again)."""
        images = dict(self.images)
        if settings is None or settings.empty:
            images.pop(key, None)
        else:
            images[key] = settings
        return replace(self, images=images)

    def to_json(self) -> dict[str, Any]:
        return {"version": VERSION,
                "images": {k: s.to_json() for k, s in sorted(self.images.items()) if not s.empty}}


def parse(data: Any, path: str | os.PathLike = "<image settings>") -> ImageSettingsFile:
    """Validate the JSON of a settings file; ImageSettingsError (one line naming the file) on any problem."""
    name = os.path.basename(str(path))
    try:
        if not isinstance(data, dict):
            raise ImageSettingsError("the top level must be an object")
        if data.get("version") != VERSION:
            raise ImageSettingsError(f'"version" must be {VERSION}')
        unknown = set(data) - {"version", "images"}
        if unknown:
            raise ImageSettingsError(f"unknown key(s) at the top level: {', '.join(sorted(map(str, unknown)))}")
        imgs = data.get("images", {})
        if not isinstance(imgs, dict):
            raise ImageSettingsError('"images" must be an object: {"NAME": {...}, ...}')
        parsed = {str(k): parse_entry(v, f'images["{k}"]') for k, v in imgs.items()}
        return ImageSettingsFile(str(path), parsed)
    except ImageSettingsError as exc:
        raise ImageSettingsError(f"image settings file {name}: {' '.join(str(exc).split())}") from None


def load(path: str | os.PathLike) -> ImageSettingsFile:
    """Read and validate a settings file; ImageSettingsError (one line) on any problem, a missing file too."""
    return parse(read_json(path, "image settings file", ImageSettingsError), str(path))


def check_models(settings: ImageSettingsFile, known: list[str] | set[str]) -> None:
    """ImageSettingsError (one line) when an image asks for a model that is not among ``known``."""
    missing = sorted(settings.models() - set(known))
    if missing:
        name = os.path.basename(settings.path) or "image settings"
        raise ImageSettingsError(f"image settings file {name}: no bundled model named {', '.join(map(repr, missing))} "
                                 f"(bundled: {', '.join(sorted(known)) or 'none'}; see `archcolour models`)")


def write(settings: ImageSettingsFile, path: str | os.PathLike | None = None) -> Path:
    """Write ``settings`` whole, atomically (its folder is made when missing); what is written always parses."""
    from .fsutil import atomic_write_bytes

    p = Path(path if path is not None else settings.path)
    data = settings.to_json()
    parse(data, str(p))  # never write what the batch could not read
    p.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(p, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))
    return p


__all__ = ["FIELDS", "FILE_NAME", "VERSION", "ImageSettings", "ImageSettingsError", "ImageSettingsFile",
           "check_models", "load", "parse", "parse_entry", "write"]

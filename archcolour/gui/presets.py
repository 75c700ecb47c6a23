"""Export presets: format, bit depth, quality, file-name template, sub-folder mirroring (Qt-free).

Built-in presets cover the usual cases; the user's own are kept with the export choices the settings
file does not hold in ``presets.json`` beside ``settings.json`` (written atomically; a missing or
corrupt file gives the built-ins).
"""
from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass

from .. import settings as settings_mod
from ..formats import OUTPUT_KEYS
from ..fsutil import atomic_write_bytes
from .naming import DEFAULT_TEMPLATE, check_template

log = logging.getLogger(__name__)
PRESETS_FILE = "presets.json"


@dataclass(frozen=True)
class Preset:
    name: str
    fmt: str = "same"  # an output choice key (archcolour.formats.OUTPUT_KEYS)
    bit_depth: str | None = None  # None: the format's own; "8" or "16"
    quality: int = 95
    naming: str = DEFAULT_TEMPLATE
    mirror: bool = True

    def valid(self) -> bool:
        try:
            check_template(self.naming)
        except ValueError:
            return False
        return (self.fmt in OUTPUT_KEYS and self.bit_depth in (None, "8", "16") and isinstance(self.quality, int)
                and 1 <= self.quality <= 100 and isinstance(self.mirror, bool) and bool(self.name))


BUILT_IN: tuple[Preset, ...] = (
    Preset("Archive master (16-bit TIFF)", "tif", "16"),
    Preset("Working copy (8-bit TIFF)", "tif", "8"),
    Preset("Lossless (PNG)", "png"),
    Preset("Sharing (JPEG, quality 90)", "jpg", "8", 90),
    Preset("Web (WebP, quality 85)", "webp", "8", 85),
)


def _path():
    return settings_mod.config_dir() / PRESETS_FILE


def _preset(d) -> Preset | None:
    if not isinstance(d, dict):
        return None
    fields = {f.name for f in dataclasses.fields(Preset)}
    try:
        p = Preset(**{k: v for k, v in d.items() if k in fields})
    except TypeError:
        return None
    return p if p.valid() else None


def load() -> tuple[list[Preset], Preset | None]:
    """(the user's presets, the last export choices as a preset or None)."""
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [], None
    if not isinstance(data, dict):
        return [], None
    user = [p for p in map(_preset, data.get("presets") or []) if p is not None]
    return user, _preset(data.get("current"))


def save(user: list[Preset], current: Preset | None) -> None:
    data = {"presets": [dataclasses.asdict(p) for p in user],
            "current": dataclasses.asdict(current) if current is not None else None}
    atomic_write_bytes(_path(), (json.dumps(data, indent=2) + "\n").encode("utf-8"))


def all_presets(user: list[Preset]) -> list[Preset]:
    names = {p.name for p in user}
    return [p for p in BUILT_IN if p.name not in names] + list(user)

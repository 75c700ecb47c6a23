"""Persistent user settings: a small JSON file in the platform's config folder (Qt-free).

Where the file lives:

* ``$ARCHCOLOUR_CONFIG_DIR/settings.json`` when that variable is set (tests, screenshots, portable use);
* otherwise ``platformdirs.user_config_dir("archcolour")/settings.json``.

Reading never fails: a missing, unreadable or corrupt file, unknown keys and values of the wrong type
all fall back to the defaults (a corrupt file is kept aside as ``settings.json.bad``). Writing is atomic
(temporary file in the same folder + ``os.replace``), so a crash never leaves half a settings file.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .choices import DEFAULT_ENSEMBLE, ENSEMBLES, check_working_size, valid_device
from .formats import OUTPUT_KEYS, output_choice
from .fsutil import atomic_write_bytes

log = logging.getLogger(__name__)

APP_NAME = "archcolour"
ENV_CONFIG_DIR = "ARCHCOLOUR_CONFIG_DIR"
SETTINGS_FILE = "settings.json"
MAX_RECENT = 10

#: Output formats offered for export: the one vocabulary of :mod:`archcolour.formats`.
FORMATS = OUTPUT_KEYS


def config_dir() -> Path:
    """The folder that holds ``settings.json``."""
    env = os.environ.get(ENV_CONFIG_DIR)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Cache folder (thumbnails). Follows ``$ARCHCOLOUR_CONFIG_DIR`` when set, so tests stay sandboxed."""
    env = os.environ.get(ENV_CONFIG_DIR)
    if env:
        return Path(env) / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


@dataclass
class Settings:
    """Everything the desktop application remembers between sessions."""

    # folders
    last_folder: str | None = None
    recent_folders: list[str] = field(default_factory=list)
    include_subfolders: bool = False
    last_add_folder: str | None = None  # where the "Add images" dialog last looked
    # export choices
    output_dir: str | None = None  # None: a "colourised" folder beside the source
    fmt: str = "same"  # one of formats.OUTPUT_KEYS (older files' "PNG", "JPEG", "TIFF16" are read as png, jpg, tif)
    jpeg_quality: int = 95
    overwrite: bool = False  # False: skip images whose output already exists
    # engine
    device: str = "auto"  # one of DEVICES (or an explicit torch device string such as "cuda:1")
    working_size: int | None = None  # None: the model's own
    model: str | None = None  # bundled model name; None: the manifest's default
    ensemble: str = DEFAULT_ENSEMBLE  # test-time ensemble, one of choices.ENSEMBLES (the window's "Colour quality")
    # window
    window_geometry: str | None = None  # base64 of QWidget.saveGeometry()
    window_state: str | None = None  # base64 of QMainWindow.saveState()
    splitter_state: str | None = None
    side_by_side: bool = False
    show_uncertainty: bool = False  # View → Show uncertain colour (hatching over the preview's colour)

    # -- recent folders -------------------------------------------------------------------------
    def add_recent(self, folder: str | os.PathLike) -> None:
        """Put ``folder`` first in the recent list (no duplicates, at most MAX_RECENT) and make it the last folder."""
        f = str(Path(folder))
        self.recent_folders = [f] + [r for r in self.recent_folders if r != f]
        del self.recent_folders[MAX_RECENT:]
        self.last_folder = f

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Settings":
        """Build settings from a dict, ignoring unknown keys and values of the wrong type."""
        s = cls()
        if not isinstance(data, dict):
            return s
        for f in dataclasses.fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name == "fmt" and isinstance(value, str) and value not in FORMATS:
                try:  # an older settings file ("PNG", "JPEG", "TIFF16")
                    value = output_choice(value).key
                except ValueError:
                    pass
            default = getattr(s, f.name)
            if _valid(f.name, value, default):
                setattr(s, f.name, list(value) if isinstance(value, list) else value)
            else:
                log.warning("settings: ignoring invalid value for %s: %r", f.name, value)
        del s.recent_folders[MAX_RECENT:]
        return s


def _valid(name: str, value: Any, default: Any) -> bool:
    if name == "fmt":
        return value in FORMATS
    if name == "jpeg_quality":
        return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 100
    if name == "working_size":
        if value is None:
            return True
        try:
            check_working_size(value)
        except ValueError:
            return False
        return True
    if name == "device":
        return valid_device(value)
    if name == "ensemble":
        return isinstance(value, str) and value in ENSEMBLES
    if name == "recent_folders":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if isinstance(default, bool):
        return isinstance(value, bool)
    # optional strings
    return value is None or isinstance(value, str)


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Read the settings; defaults for anything missing or unreadable."""
    p = Path(path) if path is not None else settings_path()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        log.warning("settings: cannot read %s: %s", p, exc)
        return Settings()
    try:
        data = json.loads(text)
    except ValueError as exc:
        log.warning("settings: %s is not valid JSON (%s); using defaults", p, exc)
        try:
            os.replace(p, p.with_name(p.name + ".bad"))
        except OSError:
            pass
        return Settings()
    return Settings.from_dict(data)


def save_settings(settings: Settings, path: str | os.PathLike | None = None) -> Path:
    """Write the settings atomically; returns the file written."""
    p = Path(path) if path is not None else settings_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(settings.to_dict(), indent=2, sort_keys=True) + "\n"
    atomic_write_bytes(p, payload.encode("utf-8"))
    return p

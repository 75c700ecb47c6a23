"""Where the window keeps images' own settings, and the bundled models' capabilities (Qt-free).

An image's own settings (:mod:`archcolour.image_settings`: working size, model, vividness, upsampling)
go in ``image-settings.json`` in the same folder as its hints (:func:`.hints_store.guidance_folder`:
the output folder), keyed like its hints (:func:`.hints_store.hints_key`), exactly what
``archcolour colourise --image-settings`` and the batch read. Written whole and atomically; a file that
does not validate is never overwritten (it is shown with its one-line error, and its images have no
settings of their own until it is fixed).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import image_settings as ims
from . import hints_store as hs

FILE_NAME = ims.FILE_NAME


@dataclass
class FolderSettings:
    """One settings file as the window holds it."""

    file: ims.ImageSettingsFile
    error: str | None = None  # the file does not validate: shown, never overwritten


def read_settings(path: Path) -> FolderSettings:
    """The settings file at ``path``; a missing file is an empty one; an invalid one carries its error."""
    path = Path(path)
    if not path.exists():
        return FolderSettings(ims.ImageSettingsFile(str(path)))
    try:
        return FolderSettings(ims.load(path))
    except ims.ImageSettingsError as exc:
        return FolderSettings(ims.ImageSettingsFile(str(path)), error=str(exc))


class ImageSettingsStore:
    """The own settings of the images on show, one file per output folder, each read once."""

    def __init__(self) -> None:
        self._files: dict[Path, FolderSettings] = {}

    def forget(self) -> None:
        self._files.clear()

    def folder(self, path: Path) -> FolderSettings:
        path = Path(path)
        if path not in self._files:
            self._files[path] = read_settings(path)
        return self._files[path]

    def get(self, path: Path, key: str) -> ims.ImageSettings | None:
        """The own settings of ``key`` in the file at ``path`` (looked up as the batch does), None: the folder's."""
        return self.folder(path).file.for_image(key)

    def set(self, path: Path, key: str, settings: ims.ImageSettings | None) -> None:
        """Give ``key`` these settings (None or empty: the folder's again) and write the file (OSError, ValueError)."""
        fs = self.folder(path)
        if fs.error is not None:
            raise OSError(f"{Path(path).name} is not written: {fs.error}")
        new = fs.file.with_image(key, settings)
        if new.images or Path(path).exists():
            ims.write(new, path)
        fs.file = new


def location(source: Path, root: Path | None, output_dir: Path | None) -> tuple[Path, str]:
    """(settings file, key) of ``source`` found in ``root`` (None: a single file)."""
    return hs.guidance_folder(source, root, output_dir) / FILE_NAME, hs.hints_key(source, root)


@dataclass(frozen=True)
class ModelChoice:
    """A bundled model as the settings dialog offers it."""

    name: str
    description: str = ""
    takes: tuple[str, ...] = ()  # the guidance it accepts: "hints", "reference"


def bundled_models() -> list[ModelChoice]:
    """The bundled models (from their manifest: no torch); empty when none can be read."""
    from ..weights import WeightsError, list_bundled

    try:
        entries = list_bundled()
    except (WeightsError, OSError, ValueError):
        return []
    out = []
    for e in entries:
        takes = e.get("guidance") if isinstance(e.get("guidance"), list) else []
        out.append(ModelChoice(str(e["name"]), str(e.get("description", "")), tuple(map(str, takes))))
    return out


__all__ = ["FILE_NAME", "FolderSettings", "ImageSettingsStore", "ModelChoice", "bundled_models", "location",
           "read_settings"]

"""Where the GUI keeps the user's guidance, and how it reads and writes it (Qt-free).

* **Hints** go in ``hints.json`` in the output folder of the opened folder (the folder given as the
  output folder, else the ``colourised`` folder the batch writes to beside the sources): the
  folder-level shape of :mod:`archcolour.hints` (docs/HINTS.md), keyed by the source's path relative
  to the opened folder, exactly what ``archcolour colourise --hints`` and the batch read. Sources'
  folders are never written to.
* **The reference photograph and the vividness** of a folder go in ``guidance.json`` beside it:
  ``{"version": 1, "reference": "/abs/path.jpg" | null, "vividness": 1.0}``.

Both are written whole and atomically (:func:`archcolour.fsutil.atomic_write_bytes`). A hints file
that does not validate is never overwritten: it is shown read-only, with its one-line error.
Points are kept as the file's own JSON objects, so an sRGB colour the user chose stays ``#rrggbb``.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from .. import hints as hints_mod
from ..choices import VIVIDNESS_RANGE

HINTS_NAME = "hints.json"
GUIDANCE_NAME = "guidance.json"
DEFAULT_OUTPUT_FOLDER = "colourised"  # archcolour.batch.plan.DEFAULT_FOLDER (not imported: keeps this light)


def guidance_folder(source: Path, root: Path | None, output_dir: Path | None) -> Path:
    """The folder holding the hints (and guidance) of ``source``, found in ``root`` (None: a single file)."""
    if output_dir is not None:
        return Path(output_dir)
    base = Path(root) if root is not None else Path(source).parent
    return base / DEFAULT_OUTPUT_FOLDER


def hints_key(source: Path, root: Path | None) -> str:
    """The key of ``source`` in its hints file: its path relative to ``root`` (the batch's ``rel``), else its name."""
    if root is not None:
        try:
            return Path(source).relative_to(root).as_posix()
        except ValueError:
            pass
    return Path(source).name


def point(x: float, y: float, colour: str, radius: float = hints_mod.DEFAULT_RADIUS) -> dict:
    """A hint point as the file holds it (``colour`` is ``#rrggbb``)."""
    return {"x": round(min(1.0, max(0.0, float(x))), 5), "y": round(min(1.0, max(0.0, float(y))), 5),
            "colour": colour.lower(), "radius": round(float(radius), 5)}


def parse_points(points: list[dict]) -> tuple[hints_mod.Hint, ...]:
    """The engine's hints for a list of points (validated by :mod:`archcolour.hints`)."""
    return hints_mod.parse_points(list(points), "points")


def display_hex(colour) -> str:
    """``#rrggbb`` to draw a point's colour with: the sRGB it was given, or its ab at a middle lightness."""
    if isinstance(colour, str):
        return colour.lower()
    a, b = (float(v) for v in colour["ab"])
    return _lab_to_hex(60.0, a, b)


def _lab_to_hex(l: float, a: float, b: float) -> str:
    fy = (l + 16) / 116
    fx, fz = fy + a / 500, fy - b / 200

    def finv(t: float) -> float:
        return t ** 3 if t > 6 / 29 else 3 * (6 / 29) ** 2 * (t - 4 / 29)

    x, y, z = 0.95047 * finv(fx), finv(fy), 1.08883 * finv(fz)
    lin = (3.2404542 * x - 1.5371385 * y - 0.4985314 * z, -0.9692660 * x + 1.8760108 * y + 0.0415560 * z,
           0.0556434 * x - 0.2040259 * y + 1.0572252 * z)

    def enc(c: float) -> int:
        c = min(1.0, max(0.0, c))
        s = 12.92 * c if c <= 0.0031308 else 1.055 * math.pow(c, 1 / 2.4) - 0.055
        return int(round(s * 255))

    return "#" + "".join(f"{enc(c):02x}" for c in lin)


@dataclass
class FolderHints:
    """One hints file as the GUI holds it."""

    path: Path
    images: dict[str, list[dict]] = field(default_factory=dict)
    every: list[dict] | None = None  # a one-image file ("points" at the top): applies to every image
    error: str | None = None  # the file does not validate: shown, never overwritten

    @property
    def read_only(self) -> bool:
        return self.error is not None or self.every is not None


def read_hints(path: Path) -> FolderHints:
    """The hints file at ``path``; a missing file is an empty one; an invalid one is read-only with its error."""
    path = Path(path)
    if not path.exists():
        return FolderHints(path)
    try:
        parsed = hints_mod.load(path)  # validation, one line on any problem
        data = json.loads(path.read_text(encoding="utf-8"))
    except (hints_mod.HintsError, OSError, ValueError) as exc:
        return FolderHints(path, error=" ".join(str(exc).split()))
    if parsed.single is not None:
        return FolderHints(path, every=list(data["points"]))
    return FolderHints(path, images={str(k): list(v["points"]) for k, v in data["images"].items()})


def write_hints(fh: FolderHints) -> None:
    """Write ``fh`` whole, atomically (the folder is made when missing)."""
    from ..fsutil import atomic_write_bytes

    if fh.read_only:
        raise OSError(f"{fh.path.name} is not written: {fh.error or 'it holds one set of points for every image'}")
    data = {"version": hints_mod.VERSION,
            "images": {k: {"points": v} for k, v in sorted(fh.images.items()) if v}}
    hints_mod.parse(data, str(fh.path))  # never write what the batch could not read
    fh.path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(fh.path, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))


class HintsStore:
    """The hints of the images on show, one :class:`FolderHints` per hints file, read once."""

    def __init__(self) -> None:
        self._files: dict[Path, FolderHints] = {}

    def forget(self) -> None:
        self._files.clear()

    def file(self, path: Path) -> FolderHints:
        path = Path(path)
        if path not in self._files:
            self._files[path] = read_hints(path)
        return self._files[path]

    def points(self, path: Path, key: str) -> list[dict]:
        fh = self.file(path)
        if fh.every is not None:
            return list(fh.every)
        if key in fh.images:
            return list(fh.images[key])
        return list(fh.images.get(Path(key).name, []))  # as the batch looks it up: the path, then the name

    def set_points(self, path: Path, key: str, points: list[dict]) -> None:
        """Replace the points of ``key`` and write the file (``OSError`` when it cannot be written)."""
        fh = self.file(path)
        old = fh.images.get(key)
        if points:
            fh.images[key] = [dict(p) for p in points]
        else:
            fh.images.pop(key, None)
        try:
            write_hints(fh)
        except Exception:
            if old is None:
                fh.images.pop(key, None)
            else:
                fh.images[key] = old
            raise


@dataclass
class FolderGuidance:
    reference: Path | None = None
    vividness: float = 1.0


def read_guidance(folder: Path) -> FolderGuidance:
    """``guidance.json`` in ``folder``; anything missing or unusable falls back to the default."""
    try:
        data = json.loads((Path(folder) / GUIDANCE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return FolderGuidance()
    if not isinstance(data, dict):
        return FolderGuidance()
    ref = data.get("reference")
    v = data.get("vividness", 1.0)
    ok_v = isinstance(v, (int, float)) and not isinstance(v, bool) and VIVIDNESS_RANGE[0] <= v <= VIVIDNESS_RANGE[1]
    return FolderGuidance(Path(ref) if isinstance(ref, str) and ref else None, float(v) if ok_v else 1.0)


def write_guidance(folder: Path, g: FolderGuidance) -> None:
    from ..fsutil import atomic_write_bytes

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = {"version": 1, "reference": str(g.reference) if g.reference else None,
            "vividness": round(float(g.vividness), 3)}
    atomic_write_bytes(folder / GUIDANCE_NAME, (json.dumps(data, indent=1) + "\n").encode("utf-8"))

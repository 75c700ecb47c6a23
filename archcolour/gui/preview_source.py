"""A screen-sized reading of a source image for the preview: the scan as it looks, and its lightness.

The preview must come fast, so this never hashes the file (provenance is the batch's job) and never
decodes more pixels than a screen shows: JPEGs are decoded at a reduced scale (``draft``), other formats
are reduced right after decoding. What the user sees as *Before* is the scan itself (a sepia print stays
sepia); the lightness ``l`` (what the network sees) comes from the same pixels through the core's own
sRGB -> CIELAB code. Sources Pillow cannot read (unusual TIFFs) go through
:func:`archcolour.imageio.load_image`, whose one-line message names the problem.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

_LUT8: np.ndarray | None = None


@dataclass
class PreviewSource:
    original: np.ndarray  # the scan as it looks (orientation applied): (h, w, 3) uint8 sRGB, (h, w) for a grey one
    l: np.ndarray  # (h, w) float32 CIELAB lightness in [0, 100]
    source_size: tuple[int, int]  # full width, height of the file
    notes: list[str] = field(default_factory=list)


def _grey8_to_l(grey: np.ndarray) -> np.ndarray:
    global _LUT8
    if _LUT8 is None:
        import torch

        from .. import colour

        _LUT8 = colour.grey_to_l(torch.arange(256, dtype=torch.float64) / 255.0).to(torch.float32).numpy()
    return _LUT8[grey]


def _rgb8_to_l(rgb: np.ndarray) -> np.ndarray:
    import torch

    from .. import colour

    t = torch.from_numpy(np.array(rgb, dtype=np.float32)).permute(2, 0, 1) / 255.0
    return colour.rgb_to_l(t, chunk_rows=None)[0].numpy()


def _reduce(im, max_side: int):
    from PIL import Image

    if max(im.size) > max_side:
        s = max_side / max(im.size)
        im = im.resize((max(1, round(im.width * s)), max(1, round(im.height * s))), Image.Resampling.BOX,
                       reducing_gap=2.0)
    return im


def _to_8bit(im):
    """Pillow image of any mode -> 'L' or 'RGB' (16-bit and float greys scaled to 8 bits)."""
    if im.mode in ("L", "RGB"):
        return im
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        a = np.asarray(im, dtype=np.float32)
        top = 65535.0 if im.mode.startswith("I;16") or a.max() > 255 else 255.0
        if im.mode == "F" and a.max() <= 1.0:
            top = 1.0
        from PIL import Image

        return Image.fromarray(np.clip(a * (255.0 / top) + 0.5, 0, 255).astype(np.uint8), "L")
    if im.mode in ("1", "LA", "La") or (im.mode == "P" and _palette_is_grey(im)):
        return im.convert("L")
    return im.convert("RGB")


def _palette_is_grey(im) -> bool:
    pal = im.getpalette() or []
    return all(pal[i] == pal[i + 1] == pal[i + 2] for i in range(0, len(pal) - 2, 3))


def load_preview_source(path: Path, max_side: int) -> PreviewSource:
    """Read ``path`` reduced to at most ``max_side`` pixels on its long side (no hashing)."""
    from PIL import Image, ImageOps

    path = Path(path)
    try:
        with Image.open(path) as im:
            full = im.size
            if im.format == "JPEG":
                im.draft(im.mode if im.mode in ("L", "RGB") else "RGB", (max_side, max_side))
            im.load()
            orientation = im.getexif().get(0x0112, 1) if hasattr(im, "getexif") else 1
            im = _to_8bit(_reduce(ImageOps.exif_transpose(im), max_side))
            arr = np.asarray(im)
            if orientation in (5, 6, 7, 8):
                full = (full[1], full[0])
            notes = [f"EXIF orientation {orientation} applied"] if orientation not in (None, 1) else []
    except Exception:  # noqa: BLE001 - Pillow cannot read it: the core reader decides and words the error
        return _via_imageio(path, max_side)
    if arr.ndim == 2:
        return PreviewSource(arr, _grey8_to_l(arr), full, notes)
    if np.array_equal(arr[..., 0], arr[..., 1]) and np.array_equal(arr[..., 0], arr[..., 2]):
        grey = np.ascontiguousarray(arr[..., 0])
        return PreviewSource(grey, _grey8_to_l(grey), full, notes)
    return PreviewSource(np.ascontiguousarray(arr), _rgb8_to_l(arr), full, notes)


def _via_imageio(path: Path, max_side: int) -> PreviewSource:
    from .. import imageio
    from .workers import grey_from_l, shrink_l

    loaded = imageio.load_image(path)
    l = shrink_l(loaded.l, max_side)
    grey = grey_from_l(l)
    return PreviewSource(grey, l, (loaded.width, loaded.height), list(loaded.notes))

"""Image files in and out: load any photograph into its CIELAB lightness; save results atomically with
their metadata. Torch is not imported until pixels are converted.

=================  ============================================================================
module             job
=================  ============================================================================
:mod:`.read`       :func:`load_image`: open -> TIFF decode (tifffile) or Pillow decode -> L;
                   :func:`read_source_metadata`: the metadata blocks alone (header only)
:mod:`.lightness`  pixel arrays of any type -> L (exact grey tables, colour via :mod:`archcolour.colour`)
:mod:`.write`      :func:`save_image`: the one atomic, durable image writer (returns SHA-256 and size)
:mod:`.png16`      16-bit PNG encoder, PNG metadata chunks, PNG text-chunk reader
:mod:`.metadata`   a source's EXIF / ICC / DPI / XMP / IIM read; the ICC rule for outputs; XMP read back
:mod:`.exif`       EXIF: descriptive fields as text, blocks with their tag types, made right for outputs
:mod:`.containers` IPTC-IIM in a JPEG's APP13 and TIFF EXIF sub-IFDs, written
=================  ============================================================================
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ..formats import FOLDER_EXTENSIONS as IMAGE_EXTENSIONS
from ..formats import FORMATS as _FORMATS
from ..formats import WRITABLE as _WRITABLE
from ..formats import format_for_extension
from ..fsutil import Written

#: Formats :func:`save_image` writes, with their usual extension.
SAVE_FORMATS = {name: _FORMATS[name].extension for name in _WRITABLE}

# Names resolved on first use (PEP 562), so that reading metadata (``archcolour inspect``) does not
# import numpy and the decoders.
_LAZY = {
    "XMP_CONTAINERS": "metadata", "exif_for_output": "exif", "icc_description": "metadata",
    "icc_for_output": "metadata", "read_embedded_xmp": "metadata", "read_xmp": "metadata",
    "srgb_profile": "metadata", "PNG_LEVEL": "png16", "read_png_text": "png16", "MAX_PIXELS": "read",
    "ImageLoadError": "read", "LoadedImage": "read", "SourceMetadata": "read", "load_image": "read",
    "read_source_metadata": "read",
    "save_image": "write",
}
_SUBMODULES = ("containers", "exif", "lightness", "metadata", "png16", "read", "write")

if TYPE_CHECKING:  # pragma: no cover
    from .exif import exif_for_output
    from .metadata import XMP_CONTAINERS, icc_description, icc_for_output, read_embedded_xmp, read_xmp, srgb_profile
    from .png16 import PNG_LEVEL, read_png_text
    from .read import MAX_PIXELS, ImageLoadError, LoadedImage, SourceMetadata, load_image, read_source_metadata
    from .write import save_image


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))


__all__ = ["IMAGE_EXTENSIONS", "ImageLoadError", "LoadedImage", "MAX_PIXELS", "PNG_LEVEL", "SAVE_FORMATS",
           "SourceMetadata", "Written", "XMP_CONTAINERS", "exif_for_output", "format_for_extension",
           "icc_description", "icc_for_output", "load_image", "read_embedded_xmp", "read_png_text",
           "read_source_metadata", "read_xmp", "save_image", "srgb_profile"]

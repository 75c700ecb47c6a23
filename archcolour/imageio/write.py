"""Saving: the one atomic, durable writer for images, which returns the SHA-256 and size it wrote.

:func:`save_image` encodes through :func:`archcolour.fsutil.atomic_write` (temporary file in the
destination folder, fsync, ``os.replace``, fsync of the folder), so a reader never sees half a file, a
failed write leaves nothing behind, and after a power loss a sidecar never vouches for an image that is
not on disk. Metadata per format (which of them: ``formats.Format.embeds``):

========  =====  ==========================  ======================  ======  =====  ====  ===========
format    bits   XMP                         IPTC-IIM                EXIF    ICC    DPI   description
========  =====  ==========================  ======================  ======  =====  ====  ===========
JPEG      8      APP1 (Pillow ``xmp=``)      APP13 Photoshop block   APP1    APP2   JFIF  EXIF 270
WebP      8      XMP chunk (Pillow ``xmp=``)  no                     EXIF    ICCP   no    EXIF 270
PNG       8/16   iTXt ``XML:com.adobe.xmp``  no                      eXIf    iCCP   pHYs  tEXt ``Description``
TIFF      8/16   tag 700 (tifffile)          tag 33723 (LONG)        (1)     34675  yes   tag 270
BMP       8      no                          no                      no      no     yes   no
========  =====  ==========================  ======================  ======  =====  ====  ===========

(1) TIFF carries the descriptive IFD0 fields (Make, Model, DateTime, Artist, Copyright) as baseline TIFF
tags, and the EXIF and GPS sub-IFDs (capture date and the rest), which tifffile cannot write, are
appended by :func:`.containers.tiff_add_sub_ifds`. 16-bit PNG is written by :mod:`.png16` (Pillow
cannot write 16-bit colour PNG); 16-bit TIFF by tifffile. A 16-bit array saved as JPEG/WebP/BMP is
rounded to 8 bits. The ``exif`` given is the *source's*: :func:`.metadata.exif_for_output` makes it
right for the output (orientation 1, ...). ``iptc`` is the output's IPTC-IIM stream, ready made
(``provenance.iptc.iim_for_output``). Text that is not ASCII goes into EXIF and TIFF text tags as UTF-8
(MWG). TIFF output is uncompressed baseline TIFF.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

from .. import __version__
from ..formats import FORMATS, normalise_format
from ..fsutil import Written, atomic_write
from . import containers, png16
from .exif import exif_for_output, legacy_text, tiff_exif_tags

_ROWS = 512
SOFTWARE = f"archcolour {__version__}"


def to_uint8(rgb: np.ndarray) -> np.ndarray:
    if rgb.dtype == np.uint8:
        return rgb
    if rgb.dtype == np.uint16:
        out = np.empty(rgb.shape, dtype=np.uint8)
        for top in range(0, rgb.shape[0], _ROWS):
            c = rgb[top:top + _ROWS].astype(np.uint32)
            out[top:top + _ROWS] = (c * 255 + 32767) // 65535
        return out
    raise ValueError(f"rgb must be uint8 or uint16, got {rgb.dtype}")


def save_image(
    path: str | os.PathLike,
    rgb: np.ndarray,
    fmt: str,
    *,
    xmp: bytes | None = None,
    iptc: bytes | None = None,
    exif: bytes | None = None,
    icc: bytes | None = None,
    dpi=None,
    description: str | None = None,
    jpeg_quality: int = 95,
    software: str | None = SOFTWARE,
) -> Written:
    """Write ``rgb`` (H, W, 3) uint8 or uint16 to ``path`` atomically and durably.

    ``fmt`` is 'JPEG', 'PNG', 'TIFF', 'WEBP' or 'BMP' (or 'jpg', 'tif'...). 16 bits are kept for PNG
    and TIFF. ``exif`` is the source's EXIF; ``iptc`` an IPTC-IIM stream (JPEG and TIFF only);
    ``description`` the text for EXIF ImageDescription, PNG ``Description`` and TIFF tag 270 (control
    characters dropped). Returns the :class:`~archcolour.fsutil.Written` file (``.path``, ``.sha256``,
    ``.size``).
    """
    path = Path(path)
    fmt = normalise_format(fmt)
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"rgb must be (H, W, 3) uint8 or uint16, got {rgb.shape} {rgb.dtype}")
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    dpi = tuple(float(d) for d in dpi) if dpi else None
    description = legacy_text(description) if description else None
    if fmt in ("JPEG", "WEBP") and not exif and description:
        exif = Image.Exif().tobytes()  # the description goes into EXIF ImageDescription
    embeds = FORMATS[fmt].embeds
    xmp = xmp if "xmp" in embeds else None
    iptc = iptc if "iptc" in embeds else None
    icc = icc if "icc" in embeds else None
    dpi = dpi if "dpi" in embeds else None
    out_exif = None
    if "exif" in embeds:
        out_exif = exif_for_output(exif, width=rgb.shape[1], height=rgb.shape[0], software=software,
                                   description=description, fmt=fmt, dpi=dpi)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda f: _encode(f, rgb, fmt, xmp=xmp, iptc=iptc, exif=out_exif, icc=icc, dpi=dpi,
                                                description=description, jpeg_quality=int(jpeg_quality)))


def _encode(f, rgb, fmt, *, xmp, iptc, exif, icc, dpi, description, jpeg_quality) -> None:
    if fmt == "TIFF":
        _encode_tiff(f, rgb, xmp=xmp, iptc=iptc, exif=exif, icc=icc, dpi=dpi, description=description)
        return
    if fmt == "PNG" and rgb.dtype == np.uint16:
        png16.write_png16(f, rgb, png16.meta_chunks(xmp, exif, icc, dpi, description))
        return
    kwargs: dict = {}
    if fmt == "PNG":
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        if xmp:
            info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8", errors="replace"), zip=False)
        if description:
            info.add_text("Description", description)
        kwargs = {"pnginfo": info, "compress_level": png16.PNG_LEVEL}
    elif fmt == "JPEG":
        # full-resolution colour (4:4:4): Pillow's default 4:2:0 halves the chroma's resolution, and
        # colour at the photograph's edges is what the guided upsampling works for
        kwargs = {"quality": jpeg_quality, "optimize": True, "subsampling": 0}
    elif fmt == "WEBP":
        kwargs = {"quality": jpeg_quality, "method": 4}
    if exif:
        kwargs["exif"] = exif
    if xmp and fmt in ("JPEG", "WEBP"):
        kwargs["xmp"] = xmp
    if icc:
        kwargs["icc_profile"] = bytes(icc)
    if dpi:
        kwargs["dpi"] = dpi
    im = Image.fromarray(to_uint8(rgb), "RGB")
    try:
        if fmt == "JPEG" and iptc:
            buf = io.BytesIO()
            im.save(buf, format=fmt, **kwargs)
            f.write(containers.jpeg_with_app13(buf.getvalue(), containers.photoshop_iptc(iptc)))
        else:
            im.save(f, format=fmt, **kwargs)
    finally:
        im.close()


def _encode_tiff(f, rgb, *, xmp, iptc, exif, icc, dpi, description) -> None:
    import tifffile

    kwargs = {}
    if dpi:
        kwargs.update(resolution=(dpi[0], dpi[1]), resolutionunit="INCH")
    if icc:
        kwargs["iccprofile"] = bytes(icc)
    extratags = tiff_exif_tags(exif)
    if description:
        extratags.append((270, "s", 0, description.encode("utf-8"), True))  # UTF-8 when not ASCII (MWG)
    if xmp:
        extratags.append((700, "B", len(xmp), bytes(xmp), True))
    if iptc:  # as LONGs, as Photoshop and exiftool write it (padded with NULs to a multiple of 4)
        longs = np.frombuffer(bytes(iptc) + b"\x00" * (-len(iptc) % 4), "<u4")
        extratags.append((33723, "I", len(longs), tuple(longs.tolist()), True))
    head = containers.HeadRecorder(f)
    tifffile.imwrite(head, np.ascontiguousarray(rgb), photometric="rgb", planarconfig="contig", metadata=None,
                     software="archcolour", byteorder="<", bigtiff=False, extratags=extratags, **kwargs)
    containers.tiff_add_sub_ifds(f, bytes(head.head), containers.tiff_sub_ifd_dicts(exif))


__all__ = ["SOFTWARE", "save_image", "to_uint8"]

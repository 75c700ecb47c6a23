"""A source's metadata read (EXIF, ICC, DPI, XMP, IPTC-IIM), the ICC rule for outputs, XMP read back.
Once each; EXIF for outputs is in :mod:`.exif`.

* :func:`metadata_from_pillow` - the source's EXIF, ICC profile, DPI, XMP and IPTC-IIM, from an opened image
  (IIM from a JPEG's APP13, a TIFF's tag 33723 or Photoshop block, a PNG's "Raw profile type iptc" text);
* :func:`icc_for_output` - the one ICC rule: outputs are sRGB, so they are tagged sRGB - including
  untagged sources (greyscale or not: our RGB is sRGB whatever the source was), keeping the source's
  own bytes when it already is an sRGB RGB profile;
* :func:`read_embedded_xmp` - the XMP packet of any file (PNG iTXt, TIFF tag 700, JPEG/WebP via
  Pillow, or a raw packet found by scanning), with where it was found.

Nothing here imports torch.
"""
from __future__ import annotations

import io
import logging
import os
import re
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image

from ..formats import FORMATS, TIFF_MAGIC, sniff
from .exif import ORIENTATION, ExifBlock
from .png16 import read_png_text

log = logging.getLogger(__name__)

#: Where the XMP packet lives in each output format (``inspect`` shows it).
XMP_CONTAINERS = {f.name: f.xmp_container for f in FORMATS.values() if f.xmp_container}
#: How much of a file the raw packet scan reads, from each end.
SCAN_BYTES = 1 << 20
#: Largest IPTC-IIM block read from a TIFF (a real one is a few KiB).
_MAX_IIM_BYTES = 1 << 20
_XMPMETA_RE = re.compile(rb"<(?:[\w.-]+:)?xmpmeta\b.*?</(?:[\w.-]+:)?xmpmeta\s*>", re.S)

# Descriptive IFD0 EXIF tags that also exist as baseline TIFF tags.
_EXIF_DESCRIPTIVE = {271: "Make", 272: "Model", 305: "Software", 306: "DateTime", 315: "Artist", 33432: "Copyright",
                     270: "ImageDescription"}


# --------------------------------------------------------------------------------------------
# reading a source's metadata
# --------------------------------------------------------------------------------------------
def _exif_from_pillow(im: Image.Image, notes: list[str]) -> tuple[bytes | None, int | None]:
    """(EXIF bytes, orientation) of an opened image; for TIFF its descriptive IFD0 tags and its EXIF and
    GPS IFDs (:meth:`ExifBlock.from_tiff`: every tag keeps its type)."""
    try:
        exif = im.getexif()
    except Exception as e:  # noqa: BLE001 - broken EXIF is not a reason to refuse the picture
        notes.append(f"EXIF unreadable, not copied ({' '.join(str(e).split()) or type(e).__name__})")
        return None, None
    orientation = exif.get(ORIENTATION)
    if im.format == "TIFF":  # the TIFF's own tags are not EXIF: its descriptive ones, and its sub-IFDs
        try:
            blk = ExifBlock.from_tiff(im.filename, (*_EXIF_DESCRIPTIVE, ORIENTATION))
            return (blk.tobytes() if blk.ifd0 or blk.exif or blk.gps else None), orientation
        except Exception as e:  # noqa: BLE001
            notes.append(f"EXIF unreadable, not copied ({' '.join(str(e).split()) or type(e).__name__})")
            return None, orientation
    raw = im.info.get("exif")
    if isinstance(raw, (bytes, bytearray)) and raw:
        return bytes(raw), orientation
    if len(exif):
        try:
            return exif.tobytes(), orientation
        except Exception:  # noqa: BLE001
            notes.append("EXIF could not be re-encoded, not copied")
            return None, orientation
    return None, orientation


def metadata_from_pillow(im: Image.Image, meta, notes: list[str]) -> int | None:
    """Fill ``meta`` (a SourceMetadata) from an opened image; returns the EXIF orientation."""
    meta.exif, orientation = _exif_from_pillow(im, notes)
    icc = im.info.get("icc_profile")
    meta.icc = bytes(icc) if icc else None
    dpi = im.info.get("dpi")
    if dpi and len(dpi) == 2:
        try:
            meta.dpi = (round(float(dpi[0]), 3), round(float(dpi[1]), 3))
        except (TypeError, ValueError):
            meta.dpi = None
    xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    meta.xmp = bytes(xmp) if xmp else None
    iptc = None
    photoshop = im.info.get("photoshop")
    if isinstance(photoshop, dict):
        iptc = photoshop.get(0x0404)
    if iptc is None and im.format == "TIFF":
        iptc = _tiff_iptc(im)
    if iptc is None and im.format == "PNG":
        iptc = _png_raw_profile(im.info.get("Raw profile type iptc") or im.info.get("Raw profile type 8bim"))
    meta.iptc = bytes(iptc) if iptc else None
    return orientation


def _tiff_iptc(im: Image.Image) -> bytes | None:
    """The IPTC-IIM of a TIFF as the bytes in the file: tag 33723, else the Photoshop block (34377).

    Read with tifffile: Photoshop and exiftool give tag 33723 the type LONG, which Pillow decodes to
    its first value only (and warns about). A TIFF tifffile cannot parse falls back to Pillow's tags
    when they are bytes.
    """
    src = getattr(im, "filename", None)
    try:
        import tifffile

        with tifffile.TiffFile(src) as tf:
            tags = tf.pages[0].tags
            for code in (33723, 34377):
                tag = tags.get(code)
                if tag is not None and 0 < tag.valuebytecount <= _MAX_IIM_BYTES:
                    tf.filehandle.seek(tag.valueoffset)
                    return tf.filehandle.read(tag.valuebytecount) or None
            return None
    except Exception:  # noqa: BLE001 - an unreadable IIM is not a reason to refuse the picture
        pass
    tags = getattr(im, "tag_v2", None)
    types = getattr(tags, "tagtype", {})
    for code in (33723, 34377):
        if types.get(code) in (1, 7):  # BYTE or UNDEFINED: Pillow gives them whole
            v = tags.get(code)
            if isinstance(v, (bytes, bytearray)) and v:
                return bytes(v)
    return None


_RAW_PROFILE_RE = re.compile(r"\s*[^\n]*\n\s*(\d{1,9})\n(.*)", re.S)


def _png_raw_profile(text: Any) -> bytes | None:
    """ImageMagick's and exiftool's PNG text "Raw profile type iptc": name line, length line, hex."""
    m = _RAW_PROFILE_RE.match(text) if isinstance(text, str) else None
    if not m:
        return None
    try:
        data = bytes.fromhex("".join(m.group(2).split()))
    except ValueError:
        return None
    return data[:int(m.group(1))] or None


# --------------------------------------------------------------------------------------------
# ICC
# --------------------------------------------------------------------------------------------
#: The creation date written into the header of the sRGB profile we embed (ICC header bytes 24:36).
ICC_HEADER_DATE = (2000, 1, 1, 0, 0, 0)


def _fixed_icc_date(icc: bytes) -> bytes:
    """``icc`` with its header date set to :data:`ICC_HEADER_DATE` (and its profile ID, when it has
    one, recomputed: the MD5 of the profile with the flags, rendering intent and ID fields zeroed)."""
    import hashlib

    b = bytearray(icc)
    b[24:36] = struct.pack(">6H", *ICC_HEADER_DATE)
    if any(b[84:100]):
        z = bytearray(b)
        z[44:48] = z[64:68] = bytes(4)
        z[84:100] = bytes(16)
        b[84:100] = hashlib.md5(z).digest()
    return bytes(b)


@lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    """A small sRGB ICC profile (Pillow/LittleCMS built-in), the same bytes in every process.

    LittleCMS stamps the time of the call into the header; a fixed date makes outputs of the same
    input byte-identical across runs (issue 13).
    """
    from PIL import ImageCms

    return _fixed_icc_date(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def icc_description(icc: bytes | None) -> str | None:
    """The profile's description ('sRGB IEC61966-2.1', 'Dot Gain 20%') plus its colour space."""
    if not icc:
        return None
    space = icc[16:20].decode("latin-1", "replace").strip() if len(icc) >= 20 else "?"
    try:
        from PIL import ImageCms

        desc = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip()
    except Exception:  # noqa: BLE001
        desc = "unreadable profile"
    return f"{desc} ({space})"


def icc_for_output(source_icc: bytes | None) -> tuple[bytes, str]:
    """(profile to embed, what was done). The output is always sRGB-encoded, so it is always tagged sRGB.

    The engine produces sRGB values whatever the source's profile (its L is computed as if the source
    were sRGB-encoded), so a greyscale ("GRAY") or other RGB source profile would describe the output
    wrongly, and an untagged output would leave colour-managed viewers guessing: the output gets an
    sRGB profile, keeping the source's own bytes when the source's profile already *is* an sRGB RGB
    profile.
    """
    if source_icc and len(source_icc) >= 20 and source_icc[16:20] == b"RGB ":
        desc = (icc_description(source_icc) or "").lower()
        if "srgb" in desc or "iec61966-2" in desc:
            return source_icc, "kept the source's sRGB profile"
    if source_icc:
        return srgb_profile(), f"source profile {icc_description(source_icc)} replaced by sRGB (output is sRGB)"
    return srgb_profile(), "tagged sRGB (source had no profile)"


# --------------------------------------------------------------------------------------------
# reading a file's XMP back
# --------------------------------------------------------------------------------------------
def _as_bytes(v: Any) -> bytes | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, (tuple, list)):  # some Pillow versions: tuple of ints for BYTE tags
        return bytes(v)
    return bytes(v) or None


def read_embedded_xmp(path: str | os.PathLike) -> tuple[bytes | None, str | None]:
    """(XMP packet bytes, where it was found) from a JPEG, PNG, TIFF or WebP file, or (None, None).

    PNG: its text chunks; TIFF: tag 700 (tifffile); others: Pillow's ``info['xmp']``; anything else:
    a scan of the first and last :data:`SCAN_BYTES` of the file for an uncompressed packet. A file
    that cannot be opened gives (None, None).
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(SCAN_BYTES)
            size = os.fstat(f.fileno()).st_size
            tail = b""
            if size > SCAN_BYTES:
                f.seek(max(SCAN_BYTES, size - SCAN_BYTES))
                tail = f.read(SCAN_BYTES)
    except OSError:
        return None, None
    fmt = sniff(head[:12])
    xmp = None
    try:
        if fmt == "PNG":
            xmp = read_png_text(path).get("XML:com.adobe.xmp")
        elif head[:4] in TIFF_MAGIC:
            import tifffile

            with tifffile.TiffFile(path) as tf:
                tag = tf.pages[0].tags.get(700)
                xmp = _as_bytes(tag.value) if tag is not None else None
        elif fmt is not None:
            with Image.open(path) as im:
                xmp = _as_bytes(im.info.get("xmp"))
    except Exception as e:  # noqa: BLE001 - damaged container: the scan below may still find a packet
        log.debug("reading XMP of %s: %s", path, e)
    if xmp:
        return xmp, XMP_CONTAINERS.get(fmt or "", f"{fmt} XMP")
    for chunk in (head, tail):
        m = _XMPMETA_RE.search(chunk)
        if m:
            return m.group(0), f"{fmt or 'file'} (raw packet found by scanning)"
    return None, None


def read_xmp(path: str | os.PathLike) -> bytes | None:
    """The XMP packet embedded in an image file (None if none): :func:`read_embedded_xmp` without the where."""
    return read_embedded_xmp(path)[0]


__all__ = ["ICC_HEADER_DATE", "XMP_CONTAINERS", "icc_description", "icc_for_output", "metadata_from_pillow", "read_embedded_xmp", "read_xmp", "srgb_profile"]

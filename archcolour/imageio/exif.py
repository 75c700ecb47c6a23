"""EXIF: the descriptive fields as text, blocks read and written with every tag's type, and the
source's EXIF made right for an output. Once each.

* :func:`exif_descriptive` / :func:`exif_with_descriptive` - the descriptive EXIF fields (capture date,
  digitisation date, Artist, Copyright, ImageDescription) as text, and set on an EXIF block;
* :func:`legacy_text` - text for the legacy containers (EXIF, IIM, TIFF and PNG description): control
  characters dropped, trimmed to a byte limit;
* :class:`ExifBlock` - an EXIF block read and written with every tag's type kept (Pillow's ``Image.Exif``
  guesses the types of EXIF-IFD tags again on writing);
* :func:`exif_for_output` - the source's EXIF made right for an output (orientation 1, pixel layout
  dropped, resolution, Software/DateTime/ImageDescription/ColorSpace set, the tags EXIF requires
  present); :func:`~archcolour.imageio.save_image` applies it to the ``exif`` it is given, so callers
  pass the *source's* EXIF; :func:`tiff_exif_tags` - its IFD0 tags for a TIFF writer.

Nothing here imports torch.
"""
from __future__ import annotations

import datetime as _dt
import io
import logging
import os
import re
import struct
from typing import Any

from PIL import Image

log = logging.getLogger(__name__)

ORIENTATION, EXIF_IFD, GPS_IFD = 0x0112, 0x8769, 0x8825
#: TIFF structure tags that describe the *source's* pixel layout; never copied into an output's EXIF.
_STRUCTURAL_TAGS = {256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 280, 281, 284, 317, 320, 322, 323, 324,
                    325, 338, 339, 340, 341, 513, 514, 530, 531, 532, 700, 33723, 34377, 34665, 34853,
                    34675, 40965, GPS_IFD}


# --------------------------------------------------------------------------------------------
# descriptive EXIF fields, as text
# --------------------------------------------------------------------------------------------
#: EXIF tag -> name, for the descriptive fields carried across containers (IFD0 and the EXIF IFD).
EXIF_DESCRIPTIVE_IFD0 = {0x010E: "ImageDescription", 0x013B: "Artist", 0x8298: "Copyright"}
EXIF_DESCRIPTIVE_SUB = {0x9003: "DateTimeOriginal", 0x9011: "OffsetTimeOriginal", 0x9004: "DateTimeDigitized",
                        0x9012: "OffsetTimeDigitized"}
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def legacy_text(text: str, max_bytes: int | None = None) -> str:
    """``text`` for a legacy field: control characters (but tab, CR, LF) dropped; at most ``max_bytes``
    bytes of UTF-8, cut at a character boundary and ending in ' [...]' when trimmed."""
    text = _CONTROL.sub("", text)
    if max_bytes is None or len(text.encode("utf-8")) <= max_bytes:
        return text
    cut = text.encode("utf-8")[:max(0, max_bytes - 6)].decode("utf-8", "ignore")
    return cut + " [...]"


def _exif_text(v: Any) -> str | None:
    """An EXIF ASCII value as text: UTF-8 when it is UTF-8 (MWG), else Latin-1; NULs split values."""
    if isinstance(v, str):
        try:
            v = v.encode("latin-1")  # Pillow decodes ASCII tags as Latin-1
        except UnicodeEncodeError:
            v = v.encode("utf-8")
    if not isinstance(v, (bytes, bytearray)):
        return None
    try:
        text = bytes(v).decode("utf-8")
    except UnicodeDecodeError:
        text = bytes(v).decode("latin-1")
    parts = [p.strip() for p in text.split("\x00")]
    text = "; ".join(p for p in parts if p)
    return text or None


def _load_exif(exif: bytes) -> Image.Exif:
    ex = Image.Exif()
    ex.load(exif if exif.startswith(b"Exif\x00\x00") or exif[:4] in (b"II*\x00", b"MM\x00*")
            else b"Exif\x00\x00" + exif)
    return ex


def exif_descriptive(exif: bytes | None) -> dict[str, str]:
    """The descriptive EXIF fields (names as :data:`EXIF_DESCRIPTIVE_IFD0` / ``_SUB``) as text; {} when
    there is no EXIF or it is unreadable. Dates are as EXIF writes them ('1911:05:14 10:30:00'); a
    blank or all-zero date is left out."""
    if not exif:
        return {}
    try:
        ex = _load_exif(exif)
        sub = ex.get_ifd(EXIF_IFD)
    except Exception:  # noqa: BLE001
        return {}
    out = {}
    for ifd, names in ((ex, EXIF_DESCRIPTIVE_IFD0), (sub, EXIF_DESCRIPTIVE_SUB)):
        for tag, name in names.items():
            text = _exif_text(ifd.get(tag))
            if text and not (name.startswith("DateTime") and not text.strip(" :0")):
                out[name] = text
    return out


def exif_with_descriptive(exif: bytes | None, fields: dict[str, str]) -> bytes | None:
    """``exif`` (or a new EXIF block) with the descriptive ``fields`` it lacks set (names as
    :func:`exif_descriptive` gives them; non-ASCII text as UTF-8). Fields it has are left alone; every
    other tag keeps its value and type. Returns ``exif`` itself when there is nothing to add, None when
    it is unreadable."""
    if not fields:
        return exif
    try:
        blk = ExifBlock.read(exif) if exif else ExifBlock()
    except Exception:  # noqa: BLE001
        return None
    changed = False
    for ifd, names in ((blk.ifd0, EXIF_DESCRIPTIVE_IFD0), (blk.exif, EXIF_DESCRIPTIVE_SUB)):
        for tag, name in names.items():
            if not fields.get(name) or _exif_text(blk.value(ifd, tag)) is not None:
                continue
            date_name = _OFFSET_OF.get(name)
            if date_name and _exif_text(blk.value(blk.exif, _SUB_TAG[date_name])) not in (None, fields.get(date_name)):
                continue  # a zone for another date than the one this EXIF holds
            ifd[tag] = (_ASCII, _exif_value(legacy_text(fields[name])))
            changed = True
    return blk.tobytes() if changed else exif


#: OffsetTime* -> the date it is the zone of.
_OFFSET_OF = {"OffsetTimeOriginal": "DateTimeOriginal", "OffsetTimeDigitized": "DateTimeDigitized"}
_SUB_TAG = {name: tag for tag, name in EXIF_DESCRIPTIVE_SUB.items()}


def _exif_value(text: str) -> str | bytes:
    return text if text.isascii() else text.encode("utf-8")


# --------------------------------------------------------------------------------------------
# EXIF blocks, each tag with its type
# --------------------------------------------------------------------------------------------
_BYTE, _ASCII, _SHORT, _LONG, _RATIONAL, _UNDEFINED = 1, 2, 3, 4, 5, 7
_INTEROP_IFD, _SUB_IFDS = 0xA005, 0x014A
#: Tags that point at data by offset, which a rewritten block would leave pointing at nothing.
_OFFSET_TAGS = {_SUB_IFDS, _INTEROP_IFD, 0x0201, 0x0202}


class ExifBlock:
    """An EXIF block as IFD0 and its EXIF and GPS IFDs: ``{tag: (TIFF type, value)}`` each.

    Pillow's ``Image.Exif`` hands the EXIF and GPS IFDs out as plain dicts and guesses every tag's type
    again when it writes them: UNDEFINED data (ComponentsConfiguration, UserComment, FileSource) comes
    out as BYTE and a positive SRATIONAL (ExposureBiasValue) as RATIONAL, which readers flag. Here every
    tag keeps the type it was read with; tags set anew give theirs. The byte order is the source's, so
    UNDEFINED data laid out in it stays right; IFD1 (the thumbnail), the interoperability IFD and other
    offsets into the source are not carried.
    """

    def __init__(self, byte_order: bytes = b"II"):
        """An empty block, little-endian (b'II') or big-endian (b'MM': what a header starting so gives)."""
        self.head = b"MM\x00*\x00\x00\x00\x08" if byte_order[:2] == b"MM" else b"II*\x00\x08\x00\x00\x00"
        self.ifd0: dict[int, tuple[int | None, Any]] = {}
        self.exif: dict[int, tuple[int | None, Any]] = {}
        self.gps: dict[int, tuple[int | None, Any]] = {}

    @classmethod
    def read(cls, exif: bytes) -> "ExifBlock":
        """The block of APP1/eXIf/WebP EXIF bytes (with or without 'Exif\\0\\0'); raises on a broken one."""
        data = exif[6:] if exif.startswith(b"Exif\x00\x00") else exif
        if data[:4] not in (b"II*\x00", b"MM\x00*"):
            raise ValueError("not an EXIF block")
        return cls._load(io.BytesIO(data), data[:8], None)

    @classmethod
    def from_tiff(cls, path: str | os.PathLike, ifd0_tags: Any) -> "ExifBlock":
        """A TIFF file's EXIF: the ``ifd0_tags`` of its first IFD, and its EXIF and GPS IFDs (the file is
        read where they lie, not whole)."""
        with open(path, "rb") as fp:
            head = fp.read(16)
            return cls._load(fp, head if head[2:3] == b"+" else head[:8], set(ifd0_tags))

    @classmethod
    def _load(cls, fp, ifh: bytes, ifd0_tags: set[int] | None) -> "ExifBlock":
        from PIL import TiffImagePlugin

        blk = cls(ifh[:2])

        def load(offset: int, group: int | None, only: set[int] | None = None) -> dict[int, tuple[int | None, Any]]:
            ifd = TiffImagePlugin.ImageFileDirectory_v2(ifh=ifh, group=group)
            fp.seek(offset)
            ifd.load(fp)
            return {tag: (ifd.tagtype.get(tag), ifd[tag]) for tag in ifd
                    if tag not in _OFFSET_TAGS and (only is None or tag in only)}

        first = load(TiffImagePlugin.ImageFileDirectory_v2(ifh=ifh).next, None,
                     None if ifd0_tags is None else ifd0_tags | {EXIF_IFD, GPS_IFD})
        for tag, name in ((EXIF_IFD, "exif"), (GPS_IFD, "gps")):
            pointer = first.pop(tag, (None, None))[1]
            if isinstance(pointer, int) and pointer > 0:
                try:
                    setattr(blk, name, load(pointer, tag))
                except (OSError, SyntaxError, ValueError, struct.error):  # a broken sub-IFD is left out
                    log.info("EXIF: IFD %#x unreadable, left out", tag)
        blk.ifd0 = first
        return blk

    @staticmethod
    def value(ifd: dict[int, tuple[int | None, Any]], tag: int) -> Any:
        return ifd.get(tag, (None, None))[1]

    def tobytes(self) -> bytes:
        """'Exif\\0\\0', the TIFF header, IFD0, then the EXIF and GPS IFDs (those not empty)."""
        first = {**self.ifd0, **{tag: (_LONG, 0) for tag, d in ((EXIF_IFD, self.exif), (GPS_IFD, self.gps)) if d}}
        subs, where = self.sub_ifds(8 + _even(len(self._ifd(first, None).tobytes(8))))
        first.update({tag: (_LONG, offset) for tag, offset in where.items()})
        ifd0 = self._ifd(first, None).tobytes(8)
        return b"Exif\x00\x00" + self.head + ifd0 + b"\x00" * (len(ifd0) % 2) + subs

    def sub_ifds(self, offset: int) -> tuple[bytes, dict[int, int]]:
        """The EXIF and GPS IFDs (those not empty) laid out from ``offset`` in the file, in this block's
        byte order: (their bytes, of even length; {34665 / 34853: the offset each starts at})."""
        blobs, where = [], {}
        for tag, entries in ((EXIF_IFD, self.exif), (GPS_IFD, self.gps)):
            if entries:
                where[tag] = offset
                blob = self._ifd(entries, tag).tobytes(offset)
                blobs.append(blob + b"\x00" * (len(blob) % 2))
                offset += len(blobs[-1])
        return b"".join(blobs), where

    def _ifd(self, entries: dict[int, tuple[int | None, Any]], group: int | None):
        from PIL import TiffImagePlugin

        ifd = TiffImagePlugin.ImageFileDirectory_v2(ifh=self.head, group=group)
        for tag, (typ, value) in sorted(entries.items()):
            if typ:
                ifd.tagtype[tag] = typ
            ifd[tag] = _exif_str(value)
        return ifd


def _even(n: int) -> int:
    return n + n % 2


# --------------------------------------------------------------------------------------------
# EXIF for an output
# --------------------------------------------------------------------------------------------
#: EXIF IFD tags that describe the source's compressed data (its components, its bits per pixel) or
#: point into its file (the maker note's offsets): never carried.
_SOURCE_DATA_TAGS = {0x9101, 0x9102, 0x927C}
#: The EXIF version written: the source's when newer (EXIF 2.32 holds every tag written here, the
#: OffsetTime* zones included, which 2.2 readers would refuse).
EXIF_VERSION = b"0232"
#: A JPEG's components (Y, Cb, Cr) and its chroma positioning (centred, as libjpeg samples it).
_JPEG_COMPONENTS, _JPEG_YCBCR_CENTRED = b"\x01\x02\x03\x00", 1


def exif_for_output(exif: bytes | None, *, width: int | None = None, height: int | None = None,
                    software: str | None = None, description: str | None = None,
                    datetime_: _dt.datetime | None = None, fmt: str | None = None,
                    dpi: tuple[float, float] | None = None) -> bytes | None:
    """The source's EXIF made right for the output, or None when there is none (or it is unreadable).

    Orientation is reset to 1 (the loader already turned the pixels upright); the source's pixel
    layout tags, its compressed-data tags and its thumbnail are dropped; PixelX/YDimension follow the
    output, XResolution/YResolution/ResolutionUnit its ``dpi`` (else the source's, else EXIF's 72 dpi);
    Software, DateTime and ImageDescription say what made this file; ColorSpace says sRGB. The tags the
    EXIF standard requires are there (ExifVersion, FlashpixVersion and, for a ``fmt`` of 'JPEG',
    ComponentsConfiguration and YCbCrPositioning), and every tag has its standard type (the source's,
    see :class:`ExifBlock`). Applying it to its own result changes nothing but DateTime.
    """
    if not exif:
        return None
    try:
        src = ExifBlock.read(exif)
    except Exception as e:  # noqa: BLE001 - corrupt EXIF is dropped rather than copied
        log.info("EXIF dropped from an output (unreadable: %s)", e)
        return None
    out = ExifBlock(src.head)
    out.ifd0 = {tag: tv for tag, tv in src.ifd0.items() if tag not in _STRUCTURAL_TAGS}
    out.ifd0[ORIENTATION] = (_SHORT, 1)  # pixels are upright
    if dpi or not all(tag in out.ifd0 for tag in (0x011A, 0x011B, 0x0128)):
        from PIL.TiffImagePlugin import IFDRational

        x, y = dpi or (72, 72)
        out.ifd0.update({0x011A: (_RATIONAL, IFDRational(x)), 0x011B: (_RATIONAL, IFDRational(y)),
                         0x0128: (_SHORT, 2)})  # inches
    if software:
        out.ifd0[0x0131] = (_ASCII, software)
    out.ifd0[0x0132] = (_ASCII, (datetime_ or _dt.datetime.now()).strftime("%Y:%m:%d %H:%M:%S"))
    if description is not None:
        out.ifd0[0x010E] = (_ASCII, _exif_value(legacy_text(description)))  # non-ASCII as UTF-8 (MWG)
    out.exif = {tag: tv for tag, tv in src.exif.items() if tag not in _SOURCE_DATA_TAGS}
    version = out.value(out.exif, 0x9000)
    if not (isinstance(version, bytes) and len(version) == 4 and version.isdigit() and version > EXIF_VERSION):
        out.exif[0x9000] = (_UNDEFINED, EXIF_VERSION)
    out.exif.setdefault(0xA000, (_UNDEFINED, b"0100"))  # FlashpixVersion
    out.exif[0xA001] = (_SHORT, 1)  # ColorSpace sRGB
    if width is not None and height is not None:
        out.exif[0xA002], out.exif[0xA003] = (_LONG, int(width)), (_LONG, int(height))
    if (fmt or "").upper() == "JPEG":
        out.ifd0[0x0213] = (_SHORT, _JPEG_YCBCR_CENTRED)
        out.exif[0x9101] = (_UNDEFINED, _JPEG_COMPONENTS)
    out.gps = dict(src.gps)
    try:
        return out.tobytes()
    except Exception as e:  # noqa: BLE001
        log.info("EXIF dropped from an output (cannot be re-encoded: %s)", e)
        return None


def _exif_str(v: Any) -> Any:
    # Pillow decodes ASCII tags as latin-1 and re-encodes ASCII-with-replace: keep the original bytes
    if isinstance(v, str) and not v.isascii():
        try:
            return v.encode("latin-1")
        except UnicodeEncodeError:
            return v.encode("utf-8")
    return v


def tiff_exif_tags(exif: bytes | None) -> list[tuple]:
    """Baseline TIFF tags (Make, Model, DateTime, Artist, Copyright) from EXIF, as tifffile extratags
    (text that is not ASCII as UTF-8). The EXIF and GPS sub-IFDs: :func:`.containers.tiff_add_sub_ifds`."""
    if not exif:
        return []
    try:
        ex = _load_exif(exif)
    except Exception:  # noqa: BLE001
        return []
    tags = []
    for tag in (271, 272, 306, 315, 33432):
        v = _exif_text(ex.get(tag))
        if v:
            v = _exif_value(legacy_text(v))
            tags.append((tag, "s", 0, v.encode("ascii") if isinstance(v, str) else v, True))
    return tags


__all__ = ["EXIF_IFD", "GPS_IFD", "ORIENTATION", "EXIF_DESCRIPTIVE_IFD0", "EXIF_DESCRIPTIVE_SUB", "EXIF_VERSION", "ExifBlock", "exif_descriptive", "exif_for_output", "exif_with_descriptive", "legacy_text", "tiff_exif_tags"]

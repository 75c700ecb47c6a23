"""Provenance and embedded metadata for one output: the batch's hook.

:func:`build_provenance` assembles the :class:`Provenance` record of one output from the loaded
source and the colouriser; :func:`output_metadata` adds what ``imageio.save_image`` embeds (XMP packet,
EXIF, ICC profile, DPI, description). The EXIF and ICC rules live here until ``archcolour.imageio``
holds them (see docs/PROVENANCE.md).
"""
from __future__ import annotations

import datetime as _dt
import io
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from ..formats import format_from_suffix
from ..fsutil import sha256_file
from .iptc import iim_to_xmp_props, kept_fields
from .record import Provenance, ProvenanceError, alt_text, utc_now
from .xmp import JPEG_XMP_LIMIT, parse_xmp, to_xmp

def build_provenance(
    source: Any = None,
    colouriser: Any = None,
    *,
    output_path: str | os.PathLike | None = None,
    output_format: str | None = None,
    working_size: int | None = None,
    model_info: Any = None,
    seed: int | None = None,
    device: str | None = None,
    device_name: str | None = None,
    source_path: str | os.PathLike | None = None,
    source_size: int | None = None,
    source_sha256: str | None = None,
    source_mtime_ns: int | None = None,
    source_format: str | None = None,
    source_xmp: bytes | None = None,
    source_iptc: Any = None,
    source_icc: bytes | None = None,
    warnings: Iterable[str] = (),
    notes: Iterable[str] = (),
    created: str | None = None,
) -> Provenance:
    """Provenance of one output.

    ``source`` is an ``imageio.LoadedImage`` (path, format, notes, meta.{xmp, iptc, icc, file_size,
    sha256}); ``colouriser`` an ``engine.Colouriser`` (info, working_size, seed, device,
    device_name). Keyword arguments override what those give, and let callers without them (tests,
    tools) pass plain values. ``working_size`` should be the size actually used (after any
    out-of-memory fallback: ``ColourisedImage.working_size``).
    """
    meta = getattr(source, "meta", None)
    spath = source_path if source_path is not None else getattr(source, "path", None)
    if spath is None:
        raise ValueError("build_provenance needs a source (LoadedImage) or source_path")
    spath = Path(spath)
    st = None
    if source_size is None:
        source_size = getattr(meta, "file_size", None)
    if source_mtime_ns is None:
        source_mtime_ns = getattr(meta, "mtime_ns", None)
    if source_size is None or source_mtime_ns is None:
        try:
            st = spath.stat()
        except OSError:
            st = None
        if st is not None:
            source_size = st.st_size if source_size is None else source_size
            source_mtime_ns = st.st_mtime_ns if source_mtime_ns is None else source_mtime_ns
    if source_sha256 is None:
        source_sha256 = getattr(meta, "sha256", None) or (sha256_file(spath) if spath.is_file() else "")
    source_format = source_format or getattr(source, "format", None)
    source_xmp = source_xmp if source_xmp is not None else getattr(meta, "xmp", None)
    source_iptc = source_iptc if source_iptc is not None else getattr(meta, "iptc", None)
    source_icc = source_icc if source_icc is not None else getattr(meta, "icc", None)

    info = model_info if model_info is not None else getattr(colouriser, "info", None)
    if info is None:
        raise ValueError("build_provenance needs a colouriser or model_info")
    if working_size is None:
        working_size = getattr(colouriser, "working_size", None) or getattr(info, "working_size", 0)
    if seed is None:
        seed = getattr(colouriser, "seed", 0)
    if device is None:
        device = str(getattr(colouriser, "device", "") or "")
    if device_name is None:
        device_name = str(getattr(colouriser, "device_name", "") or "")

    src_props: dict[str, Any] = {}
    if source_xmp:
        try:
            src_props = parse_xmp(source_xmp)
        except ProvenanceError:
            notes = [*notes, "the source's XMP packet could not be parsed and was not kept"]
    kept = kept_fields(src_props)
    for k, v in iim_to_xmp_props(source_iptc).items():
        kept.setdefault(k, v)
    src_desc = alt_text(src_props.get("dc:description"))
    if src_desc is None and source_iptc is not None:
        src_desc = alt_text(iim_to_xmp_props(source_iptc, include_description=True).get("dc:description"))

    doc_id = src_props.get("xmpMM:DocumentID")
    doc_id = doc_id if isinstance(doc_id, str) and doc_id else (f"urn:sha256:{source_sha256}" if source_sha256 else None)
    inst_id = src_props.get("xmpMM:InstanceID")
    orig_id = src_props.get("xmpMM:OriginalDocumentID")

    fmt = output_format
    if fmt is None and output_path is not None:
        fmt = format_from_suffix(Path(output_path).suffix)
    return Provenance(
        source_name=spath.name, source_sha256=source_sha256, source_size=source_size,
        source_mtime_ns=source_mtime_ns,
        model_name=str(getattr(info, "name", "")), model_version=str(getattr(info, "version", "")),
        model_sha256=str(getattr(info, "sha256", "")), model_architecture=str(getattr(info, "architecture", "")),
        working_size=int(working_size), seed=int(seed), device=device, device_name=device_name,
        created=created or utc_now(), source_format=source_format,
        source_document_id=doc_id, source_instance_id=inst_id if isinstance(inst_id, str) else None,
        source_original_document_id=orig_id if isinstance(orig_id, str) and orig_id else doc_id,
        source_description=src_desc, source_icc_profile=icc_description(source_icc) if source_icc else None,
        output_name=Path(output_path).name if output_path is not None else None,
        output_format=fmt.upper() if fmt else None,
        warnings=list(warnings), notes=list(getattr(source, "notes", None) or []) + list(notes), kept=kept,
    )


# ---------------------------------------------------------------------------------------------
# Source metadata carried to the output: EXIF, ICC, DPI
# ---------------------------------------------------------------------------------------------
#: TIFF structure tags that describe the *source's* pixel layout; never copied into an output's EXIF.
_STRUCTURAL_TAGS = {256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 280, 281, 284, 317, 320, 322, 323, 324,
                    325, 338, 339, 340, 341, 513, 514, 530, 531, 532, 700, 33723, 34377, 34665, 34853,
                    34675, 40965, 0x8825}


def exif_for_output(exif: bytes | None, *, width: int | None = None, height: int | None = None,
                    software: str | None = None, description: str | None = None,
                    datetime_: _dt.datetime | None = None) -> bytes | None:
    """The source's EXIF made right for the output, or None when there is none (or it is unreadable).

    Orientation is reset to 1 (the loader already turned the pixels upright); the source's pixel
    layout tags and its thumbnail are dropped; PixelX/YDimension follow the output; Software,
    DateTime and ImageDescription say what made this file; ColorSpace says sRGB.
    """
    if not exif:
        return None
    from PIL import Image

    src = Image.Exif()
    try:
        src.load(exif if exif.startswith(b"Exif\x00\x00") or exif[:4] in (b"II*\x00", b"MM\x00*")
                 else b"Exif\x00\x00" + exif)
        exif_ifd = dict(src.get_ifd(0x8769))
        gps_ifd = dict(src.get_ifd(0x8825))
    except Exception:  # noqa: BLE001 - corrupt EXIF is dropped (the caller notes it)
        return None
    out = Image.Exif()
    for tag, val in src.items():
        if tag not in _STRUCTURAL_TAGS:
            out[tag] = _exif_str(val)
    out[0x0112] = 1  # Orientation: pixels are upright
    if software:
        out[0x0131] = software
    out[0x0132] = (datetime_ or _dt.datetime.now()).strftime("%Y:%m:%d %H:%M:%S")
    if description is not None:
        if description.isascii():
            out[0x010E] = description
        else:
            out.pop(0x010E, None)
    if exif_ifd:
        e = out.get_ifd(0x8769)
        for tag, val in exif_ifd.items():
            if tag not in (0xA005, 0x927C):  # interop pointer, MakerNote (offsets would break)
                e[tag] = _exif_str(val)
        e[0xA001] = 1  # ColorSpace sRGB
        if width is not None and height is not None:
            e[0xA002], e[0xA003] = int(width), int(height)
    if gps_ifd:
        out.get_ifd(0x8825).update(gps_ifd)
    try:
        return out.tobytes()
    except Exception:  # noqa: BLE001
        return None


def _exif_str(v: Any) -> Any:
    # Pillow decodes ASCII tags as latin-1 and re-encodes ASCII-with-replace: keep the original bytes
    if isinstance(v, str) and not v.isascii():
        try:
            return v.encode("latin-1")
        except UnicodeEncodeError:
            return v.encode("utf-8")
    return v


@lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    """A small sRGB ICC profile (Pillow/LittleCMS built-in)."""
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


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
    """(profile to embed, what was done). The output is always sRGB-encoded.

    The engine produces sRGB values whatever the source's profile (its L is computed as if the source
    were sRGB-encoded), so a greyscale ("GRAY") or other RGB source profile would describe the output
    wrongly: the output is tagged with an sRGB profile, keeping the source's own bytes when the
    source's profile already *is* an sRGB RGB profile. Untagged sources get an sRGB tag too.
    """
    if source_icc and len(source_icc) >= 20 and source_icc[16:20] == b"RGB ":
        desc = (icc_description(source_icc) or "").lower()
        if "srgb" in desc or "iec61966-2" in desc:
            return source_icc, "kept the source's sRGB profile"
    if source_icc:
        return srgb_profile(), f"source profile {icc_description(source_icc)} replaced by sRGB (output is sRGB)"
    return srgb_profile(), "tagged sRGB (source had no profile)"


@dataclass
class OutputMetadata:
    """Everything ``imageio.save_image`` needs to embed for one output, and the provenance."""

    provenance: Provenance
    xmp: bytes
    exif: bytes | None
    icc: bytes
    dpi: tuple[float, float] | None
    description: str


def output_metadata(source: Any, colouriser: Any, output_path: str | os.PathLike, fmt: str | None = None, *,
                    working_size: int | None = None, warnings: Iterable[str] = (), width: int | None = None,
                    height: int | None = None, **overrides: Any) -> OutputMetadata:
    """Provenance, XMP packet, EXIF, ICC, DPI and description for one output (the batch's hook)."""
    meta = getattr(source, "meta", None)
    fmt = (fmt or format_from_suffix(Path(output_path).suffix) or "").upper()
    icc, icc_note = icc_for_output(getattr(meta, "icc", None))
    prov = build_provenance(source, colouriser, output_path=output_path, output_format=fmt,
                            working_size=working_size, warnings=warnings, **overrides)
    prov.notes.append(f"ICC: {icc_note}")
    w = width if width is not None else getattr(source, "width", None)
    h = height if height is not None else getattr(source, "height", None)
    src_exif = getattr(meta, "exif", None)
    exif = exif_for_output(src_exif, width=w, height=h, software=prov.creator_tool,
                           description=prov.short_description)
    if src_exif and exif is None:
        prov.notes.append("EXIF: the source's EXIF could not be parsed and was not carried over")
    src_xmp = overrides.get("source_xmp", getattr(meta, "xmp", None))
    xmp = to_xmp(prov, src_xmp, max_size=JPEG_XMP_LIMIT if fmt == "JPEG" else None)
    dpi = getattr(meta, "dpi", None)
    return OutputMetadata(provenance=prov, xmp=xmp, exif=exif, icc=icc,
                          dpi=tuple(float(x) for x in dpi) if dpi else None, description=prov.short_description)

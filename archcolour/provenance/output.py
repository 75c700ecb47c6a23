"""Provenance and embedded metadata for one output: the batch's hook.

:func:`build_provenance` assembles the :class:`Provenance` record of one output from the loaded
source and the colouriser (with the source's descriptive fields gathered from its XMP, IIM and EXIF:
``descriptive``); :func:`output_metadata` adds what ``imageio.save_image`` embeds (XMP packet, IPTC-IIM,
EXIF, ICC profile, DPI, description). The EXIF and ICC rules themselves live in
``archcolour.imageio.metadata`` (one implementation each).

The output's description (XMP ``dc:description``, and, cut to :data:`LEGACY_DESCRIPTION_BYTES`, EXIF
ImageDescription, IIM Caption-Abstract, PNG ``Description``, TIFF tag 270) is our note that a model
colourised it, followed by "Original description: " and the source's caption; the caption alone is
``archcolour:SourceDescription`` and the sidecar's ``source.description``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ..formats import FORMATS, format_from_suffix
from ..fsutil import sha256_file
from ..imageio.exif import exif_for_output, exif_with_descriptive, legacy_text  # noqa: F401
from ..imageio.metadata import icc_description, icc_for_output, srgb_profile  # noqa: F401
from .descriptive import exif_fields_for_output, merge_descriptive
from .iptc import iim_for_output
from .record import Provenance, ProvenanceError, utc_now
from .xmp import JPEG_XMP_LIMIT, parse_xmp, to_xmp

#: Most bytes of the description in the legacy fields (the IIM caption's limit); the XMP holds it whole.
LEGACY_DESCRIPTION_BYTES = 2000


def text_name(name: str) -> str:
    """A file name as text every record can hold: bytes that are not UTF-8 become U+FFFD."""
    return os.fsencode(name).decode("utf-8", "replace")


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
    source_exif: bytes | None = None,
    source_icc: bytes | None = None,
    warnings: Iterable[str] = (),
    notes: Iterable[str] = (),
    created: str | None = None,
    upsampling: str | None = None,
    vividness: float = 1.0,
    hints: Iterable[dict] = (),
    reference_name: str | None = None,
    reference_sha256: str | None = None,
) -> Provenance:
    """Provenance of one output.

    ``source`` is an ``imageio.LoadedImage`` (path, format, notes, meta.{xmp, iptc, exif, icc, file_size,
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
    source_exif = source_exif if source_exif is not None else getattr(meta, "exif", None)
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
    kept, src_desc = merge_descriptive(src_props, source_iptc, source_exif)

    doc_id = src_props.get("xmpMM:DocumentID")
    doc_id = doc_id if isinstance(doc_id, str) and doc_id else (f"urn:sha256:{source_sha256}" if source_sha256 else None)
    inst_id = src_props.get("xmpMM:InstanceID")
    orig_id = src_props.get("xmpMM:OriginalDocumentID")

    fmt = output_format
    if fmt is None and output_path is not None:
        fmt = format_from_suffix(Path(output_path).suffix)
    return Provenance(
        source_name=text_name(spath.name), source_sha256=source_sha256, source_size=source_size,
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
        upsampling=str(upsampling if upsampling is not None else getattr(colouriser, "upsampling", "") or ""),
        ensemble=str(getattr(colouriser, "ensemble", "") or ""),
        vividness=float(vividness), hints=[dict(h) for h in hints], reference_name=reference_name,
        reference_sha256=reference_sha256,
    )


# ---------------------------------------------------------------------------------------------
# Source metadata carried to the output: IIM, EXIF, ICC, DPI
# ---------------------------------------------------------------------------------------------
@dataclass
class OutputMetadata:
    """Everything ``imageio.save_image`` needs to embed for one output, and the provenance."""

    provenance: Provenance
    xmp: bytes
    exif: bytes | None  # the source's EXIF with the capture date, Artist, Copyright it lacked (save_image
    #                     makes it right for the output); None when there is nothing to carry or it is unreadable
    icc: bytes
    dpi: tuple[float, float] | None
    description: str  # for EXIF ImageDescription, PNG Description, TIFF 270 (cut to LEGACY_DESCRIPTION_BYTES)
    iptc: bytes | None = None  # the output's IPTC-IIM stream (JPEG, TIFF); None when the source had none


def output_metadata(source: Any, colouriser: Any, output_path: str | os.PathLike, fmt: str | None = None, *,
                    working_size: int | None = None, warnings: Iterable[str] = (), width: int | None = None,
                    height: int | None = None, **overrides: Any) -> OutputMetadata:
    """Provenance, XMP packet, IIM, EXIF, ICC, DPI and description for one output (the batch's hook)."""
    meta = getattr(source, "meta", None)
    fmt = (fmt or format_from_suffix(Path(output_path).suffix) or "").upper()
    icc, icc_note = icc_for_output(getattr(meta, "icc", None))
    prov = build_provenance(source, colouriser, output_path=output_path, output_format=fmt,
                            working_size=working_size, warnings=warnings, **overrides)
    prov.notes.append(f"ICC: {icc_note}")
    w = width if width is not None else getattr(source, "width", None)
    h = height if height is not None else getattr(source, "height", None)
    src_exif = overrides.get("source_exif", getattr(meta, "exif", None))
    if src_exif and exif_for_output(src_exif, width=w, height=h) is None:
        prov.notes.append("EXIF: the source's EXIF could not be parsed and was not carried over")
        src_exif = None
    exif = exif_with_descriptive(src_exif, exif_fields_for_output(prov.kept))
    description = legacy_text(prov.description, LEGACY_DESCRIPTION_BYTES)
    src_iptc = overrides.get("source_iptc", getattr(meta, "iptc", None))
    iptc = iim_for_output(src_iptc, prov.kept, description) if src_iptc else None
    if src_iptc and iptc is None and FORMATS.get(fmt) and "iptc" in FORMATS[fmt].embeds:
        prov.notes.append("IPTC-IIM: the source's IIM block was not carried (unreadable or too large); "
                          "its fields are in the XMP")
    src_xmp = overrides.get("source_xmp", getattr(meta, "xmp", None))
    xmp = to_xmp(prov, src_xmp, max_size=JPEG_XMP_LIMIT if fmt == "JPEG" else None)
    dpi = getattr(meta, "dpi", None)
    return OutputMetadata(provenance=prov, xmp=xmp, exif=exif, icc=icc,
                          dpi=tuple(float(x) for x in dpi) if dpi else None, description=description, iptc=iptc)

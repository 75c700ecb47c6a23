"""Provenance of colourised images: XMP packet, sidecar JSON, batch manifest, archival metadata.

Every image archcolour writes says, in the file itself (XMP) and beside it (``<output>.json``), that
its colour was added by a trained model, from which source, with which model and how. The fields and
where they go per format are listed in ``docs/PROVENANCE.md``.

Pure functions, no Qt, no torch: they work on plain values and on duck-typed ``LoadedImage`` /
``Colouriser`` / ``ModelInfo`` objects (only the attributes named in docs/ARCHITECTURE.md are read).

Main entry points
-----------------
``build_provenance(...) -> Provenance``      what we know about one output
``to_xmp(prov, source_xmp=None) -> bytes``   a complete XMP packet (source's descriptive fields kept)
``parse_xmp(bytes) -> dict``                 XMP properties as plain values ("prefix:Name" keys)
``read_provenance(path) -> dict | None``     provenance of a file (embedded XMP, else its sidecar)
``output_metadata(...) -> OutputMetadata``   everything ``imageio.save_image`` needs for one output
``write_sidecar(output, prov)``              atomic ``<output>.json``
``ManifestWriter``                           per-batch ``manifest.jsonl``, one fsynced line per item
"""
from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import io
import json
import os
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

from .formats import MIME_TYPES, TEMP_RE, format_from_suffix
from .fsutil import atomic_write_bytes, sha256_file
from . import __version__

TOOL_NAME = "archcolour"
SCHEMA = "archcolour-provenance/1"
MANIFEST_NAME = "manifest.jsonl"
SIDECAR_SUFFIX = ".json"
#: Temporary files (every writer's): ``.<final name>.<8 hex digits>.tmp`` in the destination folder
#: (formats.TEMP_RE); see :func:`cleanup_stale_temps`.

#: IPTC NewsCodes term for "a photograph whose content was changed by a trained model".
DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
#: Private namespace for engine parameters that no public schema covers.
ARCHCOLOUR_NS = "urn:archcolour:xmp:provenance:1.0#"

NS: dict[str, str] = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "stRef": "http://ns.adobe.com/xap/1.0/sType/ResourceRef#",
    "stEvt": "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "plus": "http://ns.useplus.org/ldf/xmp/1.0/",
    "archcolour": ARCHCOLOUR_NS,
}
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_URI_TO_PREFIX = {uri: p for p, uri in NS.items()}
for _p, _uri in NS.items():
    ET.register_namespace(_p, _uri)

#: Where the XMP packet lives in each output format (for ``inspect`` and the docs).
XMP_CONTAINERS = {
    "JPEG": "JPEG APP1 XMP segment",
    "PNG": "PNG iTXt chunk 'XML:com.adobe.xmp'",
    "TIFF": "TIFF tag 700 (XMLPacket)",
    "WEBP": "WebP XMP chunk",
}
#: Largest XMP packet a JPEG APP1 segment holds (65535 - 2 length bytes - 29-byte namespace header).
JPEG_XMP_LIMIT = 65502


class ProvenanceError(ValueError):
    """An XMP packet or sidecar that cannot be read."""


def _t(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _key(tag: str) -> str:
    """'{uri}Name' -> 'prefix:Name' for known namespaces, else unchanged."""
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        p = _URI_TO_PREFIX.get(uri)
        return f"{p}:{local}" if p else tag
    return tag


def _tag(key: str) -> str:
    """'prefix:Name' -> '{uri}Name'."""
    if key.startswith("{"):
        return key
    p, _, local = key.partition(":")
    return f"{{{NS[p]}}}{local}"


def utc_now() -> str:
    """Current UTC time, ISO 8601 with a 'Z' and whole seconds (XMP Date)."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------
# What we know about one output
# ---------------------------------------------------------------------------------------------
@dataclass
class Provenance:
    """Provenance of one colourised output. ``to_dict`` is the sidecar's JSON shape."""

    source_name: str
    source_sha256: str
    source_size: int | None
    model_name: str
    model_version: str
    model_sha256: str
    working_size: int
    seed: int
    device: str
    created: str = field(default_factory=utc_now)
    model_architecture: str = ""
    device_name: str = ""
    source_format: str | None = None
    source_document_id: str | None = None
    source_instance_id: str | None = None
    source_original_document_id: str | None = None
    source_description: str | None = None
    source_icc_profile: str | None = None
    output_name: str | None = None
    output_format: str | None = None
    output_colour_space: str = "sRGB"
    document_id: str = field(default_factory=lambda: f"xmp.did:{uuid.uuid4()}")
    instance_id: str = field(default_factory=lambda: f"xmp.iid:{uuid.uuid4()}")
    tool_name: str = TOOL_NAME
    tool_version: str = __version__
    digital_source_type: str = DIGITAL_SOURCE_TYPE
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: descriptive fields kept from the source ("dc:title" -> value, as parse_xmp gives them)
    kept: dict[str, Any] = field(default_factory=dict)

    # -- derived text ---------------------------------------------------------------------------
    @property
    def creator_tool(self) -> str:
        return f"{self.tool_name} {self.tool_version}"

    @property
    def ai_system(self) -> str:
        arch = f" ({self.model_architecture})" if self.model_architecture else ""
        return f"{self.tool_name} colouriser model {self.model_name}{arch}"

    @property
    def ai_system_version(self) -> str:
        return f"{self.model_version}; weights sha256:{self.model_sha256[:12]}"

    @property
    def output_mime(self) -> str | None:
        return MIME_TYPES.get((self.output_format or "").upper())

    @property
    def description(self) -> str:
        text = (
            f"Colourised by {self.tool_name} {self.tool_version} with model {self.model_name} "
            f"(version {self.model_version}) from {self.source_name}; the colours are a machine estimate, "
            "not a historical record."
        )
        if self.source_description:
            text += f" Original description: {self.source_description}"
        return text

    @property
    def short_description(self) -> str:
        """One line for PNG tEXt 'Description' and EXIF ImageDescription."""
        return (
            f"Colourised by {self.tool_name} {self.tool_version} (model {self.model_name}) from "
            f"{self.source_name}; colours are a machine estimate, not a historical record."
        )

    # -- JSON ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "digital_source_type": self.digital_source_type,
            "description": self.description,
            "created": self.created,
            "document_id": self.document_id,
            "instance_id": self.instance_id,
            "tool": {"name": self.tool_name, "version": self.tool_version},
            "ai_system": {"used": self.ai_system, "version_used": self.ai_system_version},
            "model": {"name": self.model_name, "version": self.model_version,
                      "architecture": self.model_architecture, "sha256": self.model_sha256},
            "engine": {"working_size": self.working_size, "seed": self.seed, "device": self.device,
                       "device_name": self.device_name},
            "source": {"name": self.source_name, "size": self.source_size, "sha256": self.source_sha256,
                       "format": self.source_format, "document_id": self.source_document_id,
                       "instance_id": self.source_instance_id,
                       "original_document_id": self.source_original_document_id,
                       "description": self.source_description, "icc_profile": self.source_icc_profile},
            "output": {"name": self.output_name, "format": self.output_format, "mime_type": self.output_mime,
                       "colour_space": self.output_colour_space},
            "kept": self.kept,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Provenance":
        src, model, eng = d.get("source", {}), d.get("model", {}), d.get("engine", {})
        out, tool = d.get("output", {}), d.get("tool", {})
        return cls(
            source_name=src.get("name", ""), source_sha256=src.get("sha256", ""), source_size=src.get("size"),
            model_name=model.get("name", ""), model_version=model.get("version", ""),
            model_sha256=model.get("sha256", ""), model_architecture=model.get("architecture", ""),
            working_size=int(eng.get("working_size") or 0), seed=int(eng.get("seed") or 0),
            device=eng.get("device", ""), device_name=eng.get("device_name", ""),
            created=d.get("created", ""), source_format=src.get("format"),
            source_document_id=src.get("document_id"), source_instance_id=src.get("instance_id"),
            source_original_document_id=src.get("original_document_id"),
            source_description=src.get("description"), source_icc_profile=src.get("icc_profile"),
            output_name=out.get("name"), output_format=out.get("format"),
            output_colour_space=out.get("colour_space", "sRGB"),
            document_id=d.get("document_id", ""), instance_id=d.get("instance_id", ""),
            tool_name=tool.get("name", TOOL_NAME), tool_version=tool.get("version", ""),
            digital_source_type=d.get("digital_source_type", DIGITAL_SOURCE_TYPE),
            warnings=list(d.get("warnings", [])), notes=list(d.get("notes", [])), kept=dict(d.get("kept", {})),
        )


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
    if source_size is None:
        source_size = getattr(meta, "file_size", None)
        if source_size is None and spath.is_file():
            source_size = spath.stat().st_size
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
            source_xmp = None
    kept = kept_fields(src_props)
    for k, v in iim_to_xmp_props(source_iptc).items():
        kept.setdefault(k, v)
    src_desc = _alt_text(src_props.get("dc:description"))
    if src_desc is None and source_iptc is not None:
        src_desc = _alt_text(iim_to_xmp_props(source_iptc, include_description=True).get("dc:description"))

    doc_id = src_props.get("xmpMM:DocumentID")
    doc_id = doc_id if isinstance(doc_id, str) and doc_id else (f"urn:sha256:{source_sha256}" if source_sha256 else None)
    inst_id = src_props.get("xmpMM:InstanceID")
    orig_id = src_props.get("xmpMM:OriginalDocumentID")

    out_name = Path(output_path).name if output_path is not None else None
    fmt = output_format
    if fmt is None and output_path is not None:
        fmt = format_from_suffix(Path(output_path).suffix)
    all_notes = list(getattr(source, "notes", None) or []) + list(notes)
    return Provenance(
        source_name=spath.name, source_sha256=source_sha256, source_size=source_size,
        model_name=str(getattr(info, "name", "")), model_version=str(getattr(info, "version", "")),
        model_sha256=str(getattr(info, "sha256", "")), model_architecture=str(getattr(info, "architecture", "")),
        working_size=int(working_size), seed=int(seed), device=device, device_name=device_name,
        created=created or utc_now(), source_format=source_format,
        source_document_id=doc_id, source_instance_id=inst_id if isinstance(inst_id, str) else None,
        source_original_document_id=orig_id if isinstance(orig_id, str) and orig_id else doc_id,
        source_description=src_desc, source_icc_profile=icc_description(source_icc) if source_icc else None,
        output_name=out_name, output_format=fmt.upper() if fmt else None,
        warnings=list(warnings), notes=all_notes, kept=kept,
    )


# ---------------------------------------------------------------------------------------------
# Which source fields an archivist keeps
# ---------------------------------------------------------------------------------------------
_KEEP_DC = {"title", "creator", "rights", "identifier", "subject", "source", "publisher", "contributor",
            "coverage", "date", "relation", "language", "type"}
_KEEP_PHOTOSHOP = {"Credit", "Source", "Headline", "City", "State", "Country", "DateCreated", "CaptionWriter",
                   "Instructions", "TransmissionReference", "AuthorsPosition", "Category",
                   "SupplementalCategories", "Urgency"}
#: Iptc4xmpExt properties that describe *this* rendition (ours replace them), so never copied.
_DROP_IPTC_EXT = {"DigitalSourceType", "DigitalSourceFileType", "AISystemUsed", "AISystemVersionUsed",
                  "AIPromptInformation", "AIPromptWriterName", "DigImageGUID"}


def is_kept(key: str) -> bool:
    """Is this source XMP property ('prefix:Name') one an archivist keeps on the derivative?"""
    prefix, _, name = key.partition(":")
    if prefix == "dc":
        return name in _KEEP_DC
    if prefix == "photoshop":
        return name in _KEEP_PHOTOSHOP
    if prefix in ("xmpRights", "Iptc4xmpCore", "plus"):
        return True
    if prefix == "Iptc4xmpExt":
        return name not in _DROP_IPTC_EXT
    return False


def kept_fields(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if is_kept(k)}


# ---- IPTC-IIM (legacy) -> XMP, only for fields the source's XMP lacks (MWG: XMP wins) ---------
_IIM_MAP = {  # dataset number (record 2) -> (xmp key, kind)
    5: ("dc:title", "alt"), 80: ("dc:creator", "seq"), 116: ("dc:rights", "alt"), 25: ("dc:subject", "bag"),
    110: ("photoshop:Credit", "text"), 115: ("photoshop:Source", "text"), 105: ("photoshop:Headline", "text"),
    90: ("photoshop:City", "text"), 95: ("photoshop:State", "text"), 101: ("photoshop:Country", "text"),
    55: ("photoshop:DateCreated", "date"), 40: ("photoshop:Instructions", "text"),
    103: ("photoshop:TransmissionReference", "text"), 122: ("photoshop:CaptionWriter", "text"),
    85: ("photoshop:AuthorsPosition", "text"), 92: ("Iptc4xmpCore:Location", "text"),
    100: ("Iptc4xmpCore:CountryCode", "text"), 120: ("dc:description", "alt"),
}


def _iim_records(iptc: Any) -> dict[tuple[int, int], list[bytes]]:
    """IIM datasets from Pillow's dict, a raw IIM stream, or a Photoshop 8BIM resource block."""
    out: dict[tuple[int, int], list[bytes]] = {}
    if not iptc:
        return out
    if isinstance(iptc, dict):
        for k, v in iptc.items():
            vals = v if isinstance(v, list) else [v]
            out[tuple(k)] = [x if isinstance(x, bytes) else str(x).encode() for x in vals]
        return out
    data = bytes(iptc)
    if data.startswith(b"Photoshop 3.0\x00"):
        data = data[14:]
    if data.startswith(b"8BIM"):  # find resource 0x0404 (IPTC-NAA)
        pos, found = 0, b""
        while pos + 12 <= len(data) and data[pos:pos + 4] == b"8BIM":
            rid = int.from_bytes(data[pos + 4:pos + 6], "big")
            nlen = data[pos + 6]
            p = pos + 7 + nlen + ((nlen + 1) % 2)
            size = int.from_bytes(data[p:p + 4], "big")
            body = data[p + 4:p + 4 + size]
            if rid == 0x0404:
                found = body
                break
            pos = p + 4 + size + (size % 2)
        data = found
    pos = 0
    while pos + 5 <= len(data):
        if data[pos] != 0x1C:
            pos += 1
            continue
        rec, ds = data[pos + 1], data[pos + 2]
        size = int.from_bytes(data[pos + 3:pos + 5], "big")
        if size & 0x8000:  # extended dataset: not used for text fields
            break
        out.setdefault((rec, ds), []).append(data[pos + 5:pos + 5 + size])
        pos += 5 + size
    return out


def iim_to_xmp_props(iptc: Any, include_description: bool = False) -> dict[str, Any]:
    """Map legacy IPTC-IIM text fields to their XMP equivalents (plain values as parse_xmp gives)."""
    recs = _iim_records(iptc)
    if not recs:
        return {}
    utf8 = any(v.startswith(b"\x1b%G") for v in recs.get((1, 90), []))

    def dec(b: bytes) -> str:
        b = b.rstrip(b"\x00")
        if utf8:
            return b.decode("utf-8", "replace").strip()
        try:
            return b.decode("utf-8").strip()
        except UnicodeDecodeError:
            return b.decode("latin-1").strip()

    props: dict[str, Any] = {}
    for ds, (key, kind) in _IIM_MAP.items():
        vals = [dec(v) for v in recs.get((2, ds), []) if v.strip(b"\x00 ")]
        if not vals or (key == "dc:description" and not include_description):
            continue
        if kind == "alt":
            props[key] = {"x-default": vals[0]}
        elif kind in ("seq", "bag"):
            props[key] = vals
        elif kind == "date" and re.fullmatch(r"\d{8}", vals[0]):
            props[key] = f"{vals[0][:4]}-{vals[0][4:6]}-{vals[0][6:]}"
        else:
            props[key] = vals[0]
    return props


# ---------------------------------------------------------------------------------------------
# XMP writing
# ---------------------------------------------------------------------------------------------
_SEQ_KEYS = {"dc:creator", "dc:date", "xmpMM:History"}
_ALT_KEYS = {"dc:title", "dc:rights", "dc:description", "xmpRights:UsageTerms"}


def _value_element(key: str, value: Any) -> ET.Element:
    """An XMP property element from a plain value as parse_xmp returns it."""
    el = ET.Element(_tag(key))
    _fill(el, key, value)
    return el


def _fill(el: ET.Element, key: str, value: Any) -> None:
    rdf = NS["rdf"]
    if isinstance(value, dict) and value and all(":" not in k and not k.startswith("{") for k in value):
        alt = ET.SubElement(el, f"{{{rdf}}}Alt")  # language alternative
        items = sorted(value.items(), key=lambda kv: kv[0] != "x-default")
        for lang, text in items:
            li = ET.SubElement(alt, f"{{{rdf}}}li", {f"{{{_XML_NS}}}lang": lang})
            li.text = str(text)
    elif isinstance(value, dict):  # struct
        el.set(f"{{{rdf}}}parseType", "Resource")
        for k, v in value.items():
            ET.SubElement(el, _tag(k))
            _fill(el[-1], k, v)
    elif isinstance(value, (list, tuple)):
        arr = ET.SubElement(el, f"{{{rdf}}}{'Seq' if key in _SEQ_KEYS else 'Bag'}")
        for v in value:
            li = ET.SubElement(arr, f"{{{rdf}}}li")
            _fill(li, key, v)
    elif value is not None:
        el.text = str(value)


def _lang_alt(key: str, text: str) -> ET.Element:
    return _value_element(key, {"x-default": text})


def _source_description_elements(source_xmp: bytes | None) -> tuple[list[ET.Element], list[ET.Element]]:
    """(kept property elements, history <rdf:li> items) copied verbatim from a source packet."""
    if not source_xmp:
        return [], []
    try:
        root = _parse_root(source_xmp)
    except ProvenanceError:
        return [], []
    kept: list[ET.Element] = []
    history: list[ET.Element] = []
    rdf = NS["rdf"]
    rdf_el = root if root.tag == f"{{{rdf}}}RDF" else root.find(f"{{{rdf}}}RDF")
    for desc in (rdf_el.findall(f"{{{rdf}}}Description") if rdf_el is not None else []):
        for attr, val in desc.attrib.items():
            if not attr.startswith(f"{{{rdf}}}") and is_kept(_key(attr)):
                e = ET.Element(attr)
                e.text = val
                kept.append(e)
        for child in desc:
            k = _key(child.tag)
            if k == "xmpMM:History":
                history.extend(copy.deepcopy(li) for arr in child for li in arr.findall(f"{{{rdf}}}li"))
            elif is_kept(k):
                kept.append(copy.deepcopy(child))
    return kept, history


def to_xmp(prov: Provenance, source_xmp: bytes | None = None, *, padding: int = 2048,
           max_size: int | None = None) -> bytes:
    """A complete XMP packet (UTF-8) for one output.

    Descriptive fields the archivist keeps (dc:title, dc:creator, dc:rights, dc:identifier,
    dc:subject, xmpRights:*, photoshop:Credit/Source/..., Iptc4xmpCore:*, plus:*, Iptc4xmpExt:* other
    than the AI fields) are copied verbatim from ``source_xmp`` when given, else rebuilt from
    ``prov.kept``; the source's xmpMM:History is kept and our step appended. ``max_size`` (e.g.
    :data:`JPEG_XMP_LIMIT`) drops the padding, then the history, then the kept fields, to fit.
    """
    kept_elems, history = _source_description_elements(source_xmp)
    for level in range(4):
        pad = padding if level == 0 else 0
        packet = _serialise(prov, kept_elems if level < 3 else [], history if level < 2 else [], pad,
                            keep_from_dict=level < 3)
        if max_size is None or len(packet) <= max_size:
            return packet
    raise ProvenanceError(f"the XMP packet ({len(packet)} bytes) does not fit in {max_size} bytes")


def _serialise(prov: Provenance, kept_elems: list[ET.Element], history: list[ET.Element], padding: int,
               keep_from_dict: bool) -> bytes:
    rdf = NS["rdf"]
    root = ET.Element(_t("x", "xmpmeta"), {_t("x", "xmptk"): f"{prov.tool_name} {prov.tool_version}"})
    rdf_el = ET.SubElement(root, f"{{{rdf}}}RDF")
    desc = ET.SubElement(rdf_el, f"{{{rdf}}}Description", {f"{{{rdf}}}about": ""})

    def simple(key: str, value: Any) -> None:
        if value is None or value == "":
            return
        ET.SubElement(desc, _tag(key)).text = str(value)

    # kept descriptive fields first, so a reader sees the archive's title/creator/rights on top
    copied = set()
    for e in kept_elems:
        desc.append(copy.deepcopy(e))
        copied.add(_key(e.tag))
    if keep_from_dict:
        for k, v in prov.kept.items():
            if k not in copied and is_kept(k):
                desc.append(_value_element(k, v))

    desc.append(_lang_alt("dc:description", prov.description))
    simple("dc:format", prov.output_mime)
    simple("Iptc4xmpExt:DigitalSourceType", prov.digital_source_type)
    simple("Iptc4xmpExt:AISystemUsed", prov.ai_system)
    simple("Iptc4xmpExt:AISystemVersionUsed", prov.ai_system_version)
    simple("xmp:CreatorTool", prov.creator_tool)
    simple("xmp:CreateDate", prov.created)
    simple("xmp:ModifyDate", prov.created)
    simple("xmp:MetadataDate", prov.created)
    simple("xmpMM:DocumentID", prov.document_id)
    simple("xmpMM:InstanceID", prov.instance_id)
    simple("xmpMM:OriginalDocumentID", prov.source_original_document_id)
    derived = {"stRef:documentID": prov.source_document_id, "stRef:instanceID": prov.source_instance_id,
               "stRef:filePath": prov.source_name}
    desc.append(_value_element("xmpMM:DerivedFrom", {k: v for k, v in derived.items() if v}))
    hist = ET.SubElement(desc, _t("xmpMM", "History"))
    seq = ET.SubElement(hist, f"{{{rdf}}}Seq")
    for li in history:
        seq.append(li)
    conv = ""
    if prov.source_format and prov.output_mime:
        conv = f"; converted from {MIME_TYPES.get(prov.source_format.upper(), prov.source_format)} to {prov.output_mime}"
    event = {"stEvt:action": "derived",
             "stEvt:parameters": f"colourised with model {prov.model_name} (version {prov.model_version}){conv}",
             "stEvt:instanceID": prov.instance_id, "stEvt:when": prov.created,
             "stEvt:softwareAgent": prov.creator_tool, "stEvt:changed": "/"}
    li = ET.SubElement(seq, f"{{{rdf}}}li")
    _fill(li, "stEvt", event)

    for key, value in _private_fields(prov).items():
        if isinstance(value, list):
            if value:
                desc.append(_value_element(key, value))
        else:
            simple(key, value)

    body = ET.tostring(root, encoding="unicode")
    pad = ((" " * 99 + "\n") * (padding // 100 + 1))[:padding] if padding else ""
    text = f'<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n{body}\n{pad}<?xpacket end="w"?>'
    return text.encode("utf-8")


def _private_fields(prov: Provenance) -> dict[str, Any]:
    return {
        "archcolour:SchemaVersion": SCHEMA,
        "archcolour:ToolName": prov.tool_name,
        "archcolour:ToolVersion": prov.tool_version,
        "archcolour:ModelName": prov.model_name,
        "archcolour:ModelVersion": prov.model_version,
        "archcolour:ModelArchitecture": prov.model_architecture,
        "archcolour:ModelSHA256": prov.model_sha256,
        "archcolour:WorkingSize": prov.working_size,
        "archcolour:Seed": prov.seed,
        "archcolour:Device": prov.device,
        "archcolour:DeviceName": prov.device_name,
        "archcolour:SourceFileName": prov.source_name,
        "archcolour:SourceFileSize": prov.source_size,
        "archcolour:SourceSHA256": prov.source_sha256,
        "archcolour:SourceFormat": prov.source_format,
        "archcolour:SourceDescription": prov.source_description,
        "archcolour:SourceICCProfile": prov.source_icc_profile,
        "archcolour:OutputColourSpace": prov.output_colour_space,
        "archcolour:Warnings": list(prov.warnings),
        "archcolour:Notes": list(prov.notes),
    }


# ---------------------------------------------------------------------------------------------
# XMP reading
# ---------------------------------------------------------------------------------------------
_XMPMETA_RE = re.compile(rb"<(?:[\w.-]+:)?xmpmeta\b.*?</(?:[\w.-]+:)?xmpmeta\s*>", re.S)
_RDF_RE = re.compile(rb"<(?:[\w.-]+:)?RDF\b.*?</(?:[\w.-]+:)?RDF\s*>", re.S)


def _parse_root(data: bytes | str) -> ET.Element:
    if isinstance(data, str):
        data = data.encode("utf-8")
    data = bytes(data)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ProvenanceError("XMP packet with a DTD or entities refused")
    m = _XMPMETA_RE.search(data) or _RDF_RE.search(data)
    if not m:
        raise ProvenanceError("no x:xmpmeta or rdf:RDF element in the XMP packet")
    try:
        return ET.fromstring(m.group(0))
    except ET.ParseError as exc:
        raise ProvenanceError(f"XMP packet is not well-formed XML: {exc}") from None


def _node_value(el: ET.Element) -> Any:
    rdf = NS["rdf"]
    res = el.get(f"{{{rdf}}}resource")
    if res is not None:
        return res
    children = list(el)
    if el.get(f"{{{rdf}}}parseType") == "Resource":
        return {_key(c.tag): _node_value(c) for c in children}
    if children:
        first = children[0]
        if first.tag in (f"{{{rdf}}}Alt",):
            out = {}
            for li in first.findall(f"{{{rdf}}}li"):
                out[li.get(f"{{{_XML_NS}}}lang", "x-default")] = (li.text or "").strip() if not list(li) else _node_value(li)
            return out
        if first.tag in (f"{{{rdf}}}Seq", f"{{{rdf}}}Bag"):
            return [_node_value(li) for li in first.findall(f"{{{rdf}}}li")]
        if first.tag == f"{{{rdf}}}Description":
            return _struct(first)
        return {_key(c.tag): _node_value(c) for c in children}
    attrs = {k: v for k, v in el.attrib.items() if not k.startswith(f"{{{rdf}}}") and not k.startswith(f"{{{_XML_NS}}}")}
    if attrs:
        return {_key(k): v for k, v in attrs.items()}
    return (el.text or "").strip()


def _struct(desc: ET.Element) -> dict[str, Any]:
    rdf = NS["rdf"]
    out = {_key(k): v for k, v in desc.attrib.items() if not k.startswith(f"{{{rdf}}}")}
    for c in desc:
        out[_key(c.tag)] = _node_value(c)
    return out


def parse_xmp(data: bytes | str) -> dict[str, Any]:
    """XMP properties as plain values, keyed 'prefix:Name' (known namespaces) or '{uri}Name'.

    Simple values are strings; rdf:Seq/Bag lists; rdf:Alt a dict language -> text; structs dicts.
    Raises :class:`ProvenanceError` on a packet that is not well-formed XMP.
    """
    root = _parse_root(data)
    rdf = NS["rdf"]
    rdf_el = root if root.tag == f"{{{rdf}}}RDF" else root.find(f"{{{rdf}}}RDF")
    if rdf_el is None:
        raise ProvenanceError("no rdf:RDF element in the XMP packet")
    props: dict[str, Any] = {}
    for desc in rdf_el.findall(f"{{{rdf}}}Description"):
        props.update(_struct(desc))
    return props


def _alt_text(v: Any) -> str | None:
    if isinstance(v, dict):
        return v.get("x-default") or next(iter(v.values()), None)
    if isinstance(v, list):
        return ", ".join(str(x) for x in v) or None
    return v or None


def _int(v: Any) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def provenance_from_xmp(props: dict[str, Any]) -> dict[str, Any] | None:
    """The sidecar-shaped provenance dict from parsed XMP, or None when the packet has none of ours.

    A packet counts as archcolour provenance when it carries our private namespace or the
    compositeWithTrainedAlgorithmicMedia digital source type.
    """
    g = props.get
    ours = any(k.startswith("archcolour:") for k in props)
    dst = g("Iptc4xmpExt:DigitalSourceType")
    if not ours and not dst:
        return None
    derived = g("xmpMM:DerivedFrom") if isinstance(g("xmpMM:DerivedFrom"), dict) else {}
    fmt = next((f for f, m in MIME_TYPES.items() if m == g("dc:format")), None)

    def lst(v: Any) -> list[str]:
        return [str(x) for x in v] if isinstance(v, list) else ([str(v)] if v else [])

    d = {
        "schema": g("archcolour:SchemaVersion") or SCHEMA,
        "digital_source_type": dst,
        "description": _alt_text(g("dc:description")),
        "created": g("xmp:CreateDate"),
        "document_id": g("xmpMM:DocumentID"),
        "instance_id": g("xmpMM:InstanceID"),
        "tool": {"name": g("archcolour:ToolName") or TOOL_NAME if ours else None,
                 "version": g("archcolour:ToolVersion"), "creator_tool": g("xmp:CreatorTool")},
        "ai_system": {"used": g("Iptc4xmpExt:AISystemUsed"), "version_used": g("Iptc4xmpExt:AISystemVersionUsed")},
        "model": {"name": g("archcolour:ModelName"), "version": g("archcolour:ModelVersion"),
                  "architecture": g("archcolour:ModelArchitecture"), "sha256": g("archcolour:ModelSHA256")},
        "engine": {"working_size": _int(g("archcolour:WorkingSize")), "seed": _int(g("archcolour:Seed")),
                   "device": g("archcolour:Device"), "device_name": g("archcolour:DeviceName")},
        "source": {"name": g("archcolour:SourceFileName") or derived.get("stRef:filePath"),
                   "size": _int(g("archcolour:SourceFileSize")), "sha256": g("archcolour:SourceSHA256"),
                   "format": g("archcolour:SourceFormat"), "document_id": derived.get("stRef:documentID"),
                   "instance_id": derived.get("stRef:instanceID"),
                   "original_document_id": g("xmpMM:OriginalDocumentID"),
                   "description": g("archcolour:SourceDescription"),
                   "icc_profile": g("archcolour:SourceICCProfile")},
        "output": {"name": None, "format": fmt, "mime_type": g("dc:format"),
                   "colour_space": g("archcolour:OutputColourSpace")},
        "kept": kept_fields(props),
        "warnings": lst(g("archcolour:Warnings")),
        "notes": lst(g("archcolour:Notes")),
        "history": g("xmpMM:History") if isinstance(g("xmpMM:History"), list) else [],
    }
    return d


# ---------------------------------------------------------------------------------------------
# Reading a file's embedded XMP
# ---------------------------------------------------------------------------------------------
def read_embedded_xmp(path: str | os.PathLike) -> tuple[bytes | None, str | None]:
    """(XMP packet bytes, where it was found) from a JPEG, PNG, TIFF or WebP file, or (None, None).

    Uses Pillow's ``info['xmp']`` (no defusedxml needed); falls back to tifffile for TIFF tag 700
    and to a byte scan for an uncompressed packet in any container.
    """
    path = Path(path)
    fmt = None
    try:
        from PIL import Image

        with Image.open(path) as im:
            fmt = im.format
            xmp = im.info.get("xmp")
            if not xmp and fmt == "PNG":
                xmp = im.info.get("XML:com.adobe.xmp")
            if not xmp and fmt == "TIFF":
                xmp = im.tag_v2.get(700) if hasattr(im, "tag_v2") else None
            if xmp:
                if isinstance(xmp, str):
                    xmp = xmp.encode("utf-8")
                if isinstance(xmp, tuple):  # some Pillow versions: tuple of ints for BYTE tags
                    xmp = bytes(xmp)
                return bytes(xmp), XMP_CONTAINERS.get(fmt, f"{fmt} XMP")
    except Exception:  # noqa: BLE001 - not something Pillow reads; try the fallbacks
        pass
    head = path.read_bytes()[:4] if path.is_file() else b""
    if head in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        try:
            import tifffile

            with tifffile.TiffFile(path) as tf:
                tag = tf.pages[0].tags.get(700)
                if tag is not None and tag.value:
                    v = tag.value
                    return (v if isinstance(v, bytes) else str(v).encode("utf-8")), XMP_CONTAINERS["TIFF"]
        except Exception:  # noqa: BLE001
            pass
    if path.is_file() and path.stat().st_size <= 512 << 20:
        data = path.read_bytes()
        m = _XMPMETA_RE.search(data)
        if m:
            return m.group(0), f"{fmt or 'file'} (raw packet found by scanning)"
    return None, None


def sidecar_path(output: str | os.PathLike) -> Path:
    """``photo_colourised.png`` -> ``photo_colourised.png.json``."""
    output = Path(output)
    return output.with_name(output.name + SIDECAR_SUFFIX)


def read_sidecar(output: str | os.PathLike) -> dict[str, Any] | None:
    p = sidecar_path(output)
    if not p.is_file():
        return None
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProvenanceError(f"{p.name}: sidecar is not valid JSON ({exc})") from None
    if not isinstance(d, dict) or d.get("schema", "").split("/")[0] != SCHEMA.split("/")[0]:
        raise ProvenanceError(f"{p.name}: not an archcolour provenance sidecar")
    return d


def read_provenance(path: str | os.PathLike) -> dict[str, Any] | None:
    """Provenance of a file: from its embedded XMP, else from its sidecar; None when it has none.

    The result has the sidecar's shape plus ``found_in`` (list of places), ``file``,
    ``sidecar`` (the sidecar's path or None), ``output_sha256_matches`` (does the file's SHA-256
    equal the one the sidecar recorded; None without a sidecar) and ``sidecar_matches`` (do the
    embedded and sidecar document IDs agree; None unless both exist).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    xmp, where = read_embedded_xmp(path)
    result: dict[str, Any] | None = None
    if xmp:
        try:
            result = provenance_from_xmp(parse_xmp(xmp))
        except ProvenanceError:
            result = None
        if result is not None:
            result["found_in"] = [where]
    try:
        side = read_sidecar(path)
    except ProvenanceError:
        side = None
    if side is not None:
        if result is None:
            result = dict(side)
            result["found_in"] = []
        result["found_in"].append(f"sidecar {sidecar_path(path).name}")
        out = side.get("output") or {}
        result["output"] = {**(result.get("output") or {}), **{k: v for k, v in out.items() if v is not None}}
        rec = out.get("sha256")
        result["output_sha256_matches"] = (sha256_file(path) == rec) if rec else None
        result["sidecar_matches"] = (side.get("document_id") == result.get("document_id")) if xmp else None
    elif result is not None:
        result["output_sha256_matches"] = None
        result["sidecar_matches"] = None
    if result is not None:
        result["file"] = str(path)
        result["sidecar"] = str(sidecar_path(path)) if side is not None else None
        if not (result.get("output") or {}).get("name"):
            result.setdefault("output", {})["name"] = path.name
    return result


def format_provenance(path: str | os.PathLike, prov: dict[str, Any] | None) -> str:
    """Human-readable text for ``archcolour inspect``."""
    name = Path(path).name
    if prov is None:
        return (f"{name}: no archcolour provenance. The file carries no archcolour XMP and has no sidecar "
                f"{sidecar_path(path).name}; nothing here says whether or how its colours were made.")
    src, model, eng, tool = (prov.get(k) or {} for k in ("source", "model", "engine", "tool"))
    ai = prov.get("ai_system") or {}
    lines = [f"{name}: colourised by {tool.get('name') or 'archcolour'} {tool.get('version') or ''}".rstrip(),
             f"  found in:            {'; '.join(prov.get('found_in') or [])}",
             f"  description:         {prov.get('description')}",
             f"  digital source type: {prov.get('digital_source_type')}"]
    if ai.get("used"):
        lines.append(f"  AI system used:      {ai.get('used')} (version {ai.get('version_used')})")
    lines.append(f"  model:               {model.get('name')} version {model.get('version')}"
                 f"{' (' + model['architecture'] + ')' if model.get('architecture') else ''}")
    lines.append(f"  model SHA-256:       {model.get('sha256')}")
    lines.append(f"  working size / seed: {eng.get('working_size')} px / {eng.get('seed')}")
    lines.append(f"  device:              {eng.get('device_name') or ''} ({eng.get('device')})")
    size = src.get("size")
    lines.append(f"  source:              {src.get('name')} ({src.get('format') or '?'}, "
                 f"{'{:,}'.format(size) + ' bytes' if isinstance(size, int) else 'size unknown'})")
    lines.append(f"  source SHA-256:      {src.get('sha256')}")
    if src.get("document_id"):
        lines.append(f"  source document ID:  {src.get('document_id')}")
    lines.append(f"  created (UTC):       {prov.get('created')}")
    lines.append(f"  document ID:         {prov.get('document_id')}")
    for k, v in (prov.get("kept") or {}).items():
        lines.append(f"  kept {k}: {_alt_text(v) if not isinstance(v, dict) or _is_lang(v) else json.dumps(v)}")
    for w in prov.get("warnings") or []:
        lines.append(f"  warning: {w}")
    for n in prov.get("notes") or []:
        lines.append(f"  note: {n}")
    m = prov.get("output_sha256_matches")
    if m is True:
        lines.append("  sidecar: output SHA-256 matches this file")
    elif m is False:
        lines.append("  sidecar: WARNING: this file's SHA-256 differs from the one its sidecar recorded")
    if prov.get("sidecar_matches") is False:
        lines.append("  sidecar: WARNING: sidecar and embedded XMP describe different documents")
    return "\n".join(lines)


def _is_lang(v: dict) -> bool:
    return all(":" not in k for k in v)


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
    except Exception:  # noqa: BLE001 - corrupt EXIF is dropped rather than copied
        return None
    out = Image.Exif()
    for tag, val in src.items():
        if tag not in _STRUCTURAL_TAGS:
            out[tag] = _exif_str(val)
    out[0x0112] = 1  # Orientation: pixels are upright
    if software:
        out[0x0131] = software
    when = (datetime_ or _dt.datetime.now()).strftime("%Y:%m:%d %H:%M:%S")
    out[0x0132] = when
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
        g = out.get_ifd(0x8825)
        g.update(gps_ifd)
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
    source's profile already *is* an sRGB RGB profile. The source's profile name goes into the
    provenance (archcolour:SourceICCProfile).
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

    def save_kwargs(self) -> dict[str, Any]:
        return {"xmp": self.xmp, "exif": self.exif, "icc": self.icc, "dpi": self.dpi,
                "description": self.description}


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
    src_xmp = overrides.get("source_xmp", getattr(meta, "xmp", None))
    xmp = to_xmp(prov, src_xmp, max_size=JPEG_XMP_LIMIT if fmt == "JPEG" else None)
    w = width if width is not None else getattr(source, "width", None)
    h = height if height is not None else getattr(source, "height", None)
    exif = exif_for_output(getattr(meta, "exif", None), width=w, height=h, software=prov.creator_tool,
                           description=prov.short_description)
    dpi = getattr(meta, "dpi", None)
    return OutputMetadata(provenance=prov, xmp=xmp, exif=exif, icc=icc,
                          dpi=tuple(float(x) for x in dpi) if dpi else None, description=prov.short_description)


# ---------------------------------------------------------------------------------------------
# Sidecar and manifest
# ---------------------------------------------------------------------------------------------
def cleanup_stale_temps(folder: str | os.PathLike, recursive: bool = True) -> list[Path]:
    """Remove the temporary files (``.<name>.<8 hex>.tmp``) a killed process left in ``folder``.

    Only call this on an output folder no other archcolour process is writing to.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    it = folder.rglob(".*.tmp") if recursive else folder.glob(".*.tmp")
    removed = []
    for p in it:
        if not (TEMP_RE.match(p.name) and p.is_file()):
            continue
        try:
            p.unlink()
            removed.append(p)
        except OSError:
            pass
    return removed


def sidecar_dict(prov: Provenance | dict[str, Any], output: str | os.PathLike,
                 output_sha256: str | None = None) -> dict[str, Any]:
    output = Path(output)
    d = prov.to_dict() if isinstance(prov, Provenance) else copy.deepcopy(prov)
    out = d.setdefault("output", {})
    out["name"] = output.name
    if output.is_file():
        out["size"] = output.stat().st_size
        out["sha256"] = output_sha256 or sha256_file(output)
    elif output_sha256:
        out["sha256"] = output_sha256
    return d


def write_sidecar(output: str | os.PathLike, prov: Provenance | dict[str, Any],
                  output_sha256: str | None = None) -> Path:
    """Write ``<output>.json`` atomically; it records the output's size and SHA-256 when it exists."""
    d = sidecar_dict(prov, output, output_sha256)
    p = sidecar_path(output)
    atomic_write_bytes(p, (json.dumps(d, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return p


def repair_sidecar(output: str | os.PathLike) -> Path | None:
    """Rebuild a missing sidecar from an output's embedded XMP (after a kill between the two writes)."""
    output = Path(output)
    if sidecar_path(output).exists() or not output.is_file():
        return None
    xmp, _ = read_embedded_xmp(output)
    if not xmp:
        return None
    try:
        d = provenance_from_xmp(parse_xmp(xmp))
    except ProvenanceError:
        return None
    if d is None:
        return None
    d.pop("history", None)
    d["tool"].pop("creator_tool", None)
    return write_sidecar(output, d)


class ManifestWriter:
    """Append-only per-batch ``manifest.jsonl``: one JSON object per line, flushed and fsynced per line.

    A kill can at worst leave a truncated last line; the next writer starts on a fresh line and
    :func:`read_manifest` skips the fragment. Each run first appends a ``{"type": "run", ...}``
    record; item records carry ``"type": "item"`` and the run's id.
    """

    def __init__(self, path: str | os.PathLike, run_info: dict[str, Any] | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.run_id = str(uuid.uuid4())
        self._f = open(self.path, "ab")
        if self._f.tell() > 0:
            with open(self.path, "rb") as r:
                r.seek(-1, os.SEEK_END)
                if r.read(1) != b"\n":
                    self._f.write(b"\n")
        self._write({"type": "run", "run": self.run_id, "time": utc_now(), "tool": TOOL_NAME,
                     "version": __version__, **(run_info or {})})

    def _write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
        self._f.write(line.encode("utf-8"))
        self._f.flush()
        os.fsync(self._f.fileno())

    def append(self, *, source: str | os.PathLike, output: str | os.PathLike | None, status: str,
               message: str = "", source_sha256: str | None = None, output_sha256: str | None = None,
               model: str | None = None, model_sha256: str | None = None, seconds: float | None = None,
               **extra: Any) -> dict[str, Any]:
        rec = {"type": "item", "run": self.run_id, "time": utc_now(), "source": str(source),
               "output": str(output) if output is not None else None, "status": status, "message": message,
               "source_sha256": source_sha256, "output_sha256": output_sha256, "model": model,
               "model_sha256": model_sha256, "seconds": None if seconds is None else round(float(seconds), 3),
               **extra}
        self._write(rec)
        return rec

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()

    def __enter__(self) -> "ManifestWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def read_manifest(path: str | os.PathLike) -> list[dict[str, Any]]:
    """All complete records of a manifest, skipping a truncated or corrupt line."""
    out = []
    p = Path(path)
    if not p.is_file():
        return out
    for line in p.read_bytes().splitlines():
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out


def iter_items(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    return (r for r in records if r.get("type") == "item")


__all__ = [
    "ARCHCOLOUR_NS", "DIGITAL_SOURCE_TYPE", "JPEG_XMP_LIMIT", "MANIFEST_NAME", "NS", "SCHEMA", "ManifestWriter",
    "OutputMetadata", "Provenance", "ProvenanceError", "atomic_write_bytes", "build_provenance",
    "cleanup_stale_temps", "exif_for_output", "format_provenance", "icc_for_output", "iim_to_xmp_props",
    "output_metadata", "parse_xmp", "provenance_from_xmp", "read_embedded_xmp", "read_manifest",
    "read_provenance", "read_sidecar", "repair_sidecar", "sidecar_path", "srgb_profile", "to_xmp",
    "write_sidecar",
]

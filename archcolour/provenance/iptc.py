"""Which of the source's descriptive fields an archivist keeps, and the legacy IPTC-IIM reader.

The policy (:func:`is_kept`) decides which source XMP properties are carried onto the derivative;
:func:`iim_to_xmp_props` maps a legacy IPTC-IIM block (Pillow's dict, a raw IIM stream or a
Photoshop 8BIM resource block) to the XMP equivalents, for the fields the source's XMP lacks (MWG:
XMP wins). The binary parser never reads past the data it was given.
"""
from __future__ import annotations

import re
from typing import Any

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


#: dataset number (record 2) -> (XMP key, kind)
IIM_MAP = {
    5: ("dc:title", "alt"), 80: ("dc:creator", "seq"), 116: ("dc:rights", "alt"), 25: ("dc:subject", "bag"),
    110: ("photoshop:Credit", "text"), 115: ("photoshop:Source", "text"), 105: ("photoshop:Headline", "text"),
    90: ("photoshop:City", "text"), 95: ("photoshop:State", "text"), 101: ("photoshop:Country", "text"),
    55: ("photoshop:DateCreated", "date"), 40: ("photoshop:Instructions", "text"),
    103: ("photoshop:TransmissionReference", "text"), 122: ("photoshop:CaptionWriter", "text"),
    85: ("photoshop:AuthorsPosition", "text"), 92: ("Iptc4xmpCore:Location", "text"),
    100: ("Iptc4xmpCore:CountryCode", "text"), 120: ("dc:description", "alt"),
}


def _photoshop_iptc(data: bytes) -> bytes:
    """The IPTC-NAA resource (0x0404) of a Photoshop 8BIM resource block, or b''."""
    pos = 0
    while pos + 12 <= len(data) and data[pos:pos + 4] == b"8BIM":
        rid = int.from_bytes(data[pos + 4:pos + 6], "big")
        nlen = data[pos + 6]
        p = pos + 7 + nlen + ((nlen + 1) % 2)
        size = int.from_bytes(data[p:p + 4], "big")
        if rid == 0x0404:
            return data[p + 4:p + 4 + size]
        pos = p + 4 + size + (size % 2)
    return b""


def iim_records(iptc: Any) -> dict[tuple[int, int], list[bytes]]:
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
    if data.startswith(b"8BIM"):
        data = _photoshop_iptc(data)
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
    recs = iim_records(iptc)
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
    for ds, (key, kind) in IIM_MAP.items():
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

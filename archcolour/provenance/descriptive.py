"""The source's descriptive and rights fields, gathered from its XMP, IPTC-IIM and EXIF, and given back.

A photograph's title, caption, creator, rights, keywords, place and capture date may sit in any of the
three blocks. :func:`gather_descriptive` gathers them as XMP properties in the order the Metadata
Working Group gives (XMP wins, then IIM, then EXIF), saying which block each came from: every
output's XMP and sidecar carry them whatever block the source used (:func:`merge_descriptive`), and the
desktop application's metadata panel shows the same values. :func:`exif_fields_for_output` gives back
what an output's EXIF should say (capture date, Artist, Copyright) when the source's EXIF did not say it. The capture date stays the
capture date everywhere: ``photoshop:DateCreated`` / EXIF DateTimeOriginal / IIM 2:55+2:60; the time
of processing is ``xmp:ModifyDate`` (and EXIF DateTime).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..imageio.exif import exif_descriptive
from .iptc import iim_to_xmp_props, kept_fields
from .record import alt_text

_EXIF_DATE = re.compile(r"(\d{4}):(\d\d):(\d\d)(?: (\d\d):(\d\d)(?::(\d\d))?)?")
_XMP_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?(?:\.\d+)?(Z|[+-]\d\d:\d\d)?")
_OFFSET = re.compile(r"[+-]\d\d:\d\d")


def exif_date_to_xmp(date: str, offset: str | None = None) -> str | None:
    """EXIF '1911:05:14 10:30:00' (+ OffsetTime '+02:00') -> XMP '1911-05-14T10:30:00+02:00'."""
    m = _EXIF_DATE.fullmatch(date.strip())
    if not m or m[1] == "0000":
        return None
    if m[2] == "00":
        return m[1]
    if m[3] == "00":
        return f"{m[1]}-{m[2]}"
    out = f"{m[1]}-{m[2]}-{m[3]}"
    if m[4] is not None:
        out += f"T{m[4]}:{m[5]}:{m[6] or '00'}"
        if offset and _OFFSET.fullmatch(offset.strip()):
            out += offset.strip()
    return out


def xmp_date_to_exif(date: str) -> tuple[str, str | None] | None:
    """XMP '1911-05-14T10:30:00+02:00' -> ('1911:05:14 10:30:00', '+02:00'); None unless the date has
    a day and a time (EXIF dates are whole)."""
    m = _XMP_DATE.fullmatch(str(date).strip())
    if not m:
        return None
    zone = m[7]
    return (f"{m[1]}:{m[2]}:{m[3]} {m[4]}:{m[5]}:{m[6] or '00'}",
            "+00:00" if zone == "Z" else zone)


def exif_to_xmp_props(fields: dict[str, str]) -> dict[str, Any]:
    """The descriptive EXIF fields (``imageio.metadata.exif_descriptive``) as XMP properties (MWG)."""
    props: dict[str, Any] = {}
    taken = exif_date_to_xmp(fields.get("DateTimeOriginal", ""), fields.get("OffsetTimeOriginal"))
    if taken:
        props["photoshop:DateCreated"] = taken
    digitised = exif_date_to_xmp(fields.get("DateTimeDigitized", ""), fields.get("OffsetTimeDigitized"))
    if digitised:
        props["xmp:CreateDate"] = digitised
    if fields.get("Artist"):
        props["dc:creator"] = [a.strip() for a in fields["Artist"].split(";") if a.strip()]
    if fields.get("Copyright"):
        props["dc:rights"] = {"x-default": fields["Copyright"]}
    return props


#: The blocks a field may come from, named as exiftool's groups name them.
XMP, IPTC, EXIF = "XMP", "IPTC", "EXIF"


@dataclass
class Descriptive:
    """The source's descriptive fields, merged (:func:`gather_descriptive`)."""

    kept: dict[str, Any]  # the kept fields as XMP properties
    caption: str | None  # the source's caption
    origin: dict[str, str] = field(default_factory=dict)  # XMP key (the caption: dc:description) -> XMP, IPTC or EXIF

    def text(self, key: str) -> str | None:
        """A field as one line of text (the caption for 'dc:description'; several values '; '-joined)."""
        v = self.caption if key == "dc:description" else self.kept.get(key)
        if isinstance(v, list):  # as EXIF Artist joins creators
            v = "; ".join(str(x) for x in v if x not in (None, ""))
        v = alt_text(v)
        return " ".join(str(v).split()) or None if v is not None else None


def gather_descriptive(xmp_props: dict[str, Any], iptc: Any, exif: bytes | None) -> Descriptive:
    """The kept fields, the caption and where each came from, from the source's parsed XMP, IIM and EXIF.

    XMP wins, IIM fills what it lacks, EXIF what both lack; an XMP ``exif:DateTimeOriginal`` stands in
    for a missing ``photoshop:DateCreated`` before the EXIF block does. The caption: XMP
    ``dc:description``, else IIM Caption-Abstract, else EXIF ImageDescription.
    """
    kept = kept_fields(xmp_props)
    origin = dict.fromkeys(kept, XMP)
    for k, v in iim_to_xmp_props(iptc).items():
        if k not in kept:
            kept[k], origin[k] = v, IPTC
    if "photoshop:DateCreated" not in kept and isinstance(kept.get("exif:DateTimeOriginal"), str):
        kept["photoshop:DateCreated"] = kept["exif:DateTimeOriginal"]
        origin["photoshop:DateCreated"] = XMP
    fields = exif_descriptive(exif)
    for k, v in exif_to_xmp_props(fields).items():
        if k not in kept:
            kept[k], origin[k] = v, EXIF
    caption, where = alt_text(xmp_props.get("dc:description")), XMP
    if caption is None and iptc is not None:
        caption, where = alt_text(iim_to_xmp_props(iptc, include_description=True).get("dc:description")), IPTC
    if caption is None:
        caption, where = fields.get("ImageDescription"), EXIF
    if caption is not None:
        origin["dc:description"] = where
    return Descriptive(kept, caption, origin)


def merge_descriptive(xmp_props: dict[str, Any], iptc: Any, exif: bytes | None) -> tuple[dict[str, Any], str | None]:
    """(the kept fields as XMP properties, the source's caption): :func:`gather_descriptive` without
    where each came from."""
    d = gather_descriptive(xmp_props, iptc, exif)
    return d.kept, d.caption


def exif_fields_for_output(kept: dict[str, Any]) -> dict[str, str]:
    """What the output's EXIF says from the kept fields, where the source's EXIF is silent: the capture
    date (DateTimeOriginal, OffsetTimeOriginal; only a whole date and time), Artist, Copyright."""
    out: dict[str, str] = {}
    for key, name, offset_name in (("photoshop:DateCreated", "DateTimeOriginal", "OffsetTimeOriginal"),
                                   ("xmp:CreateDate", "DateTimeDigitized", "OffsetTimeDigitized")):
        value = kept.get(key)
        both = xmp_date_to_exif(value) if isinstance(value, str) else None
        if both:
            out[name] = both[0]
            if both[1]:
                out[offset_name] = both[1]
    creators = kept.get("dc:creator")
    if isinstance(creators, list) and creators:
        out["Artist"] = "; ".join(str(c) for c in creators if isinstance(c, str))
    rights = alt_text(kept.get("dc:rights"))
    if isinstance(rights, str) and rights:
        out["Copyright"] = rights
    return {k: v for k, v in out.items() if v}


__all__ = ["EXIF", "IPTC", "XMP", "Descriptive", "exif_date_to_xmp", "exif_fields_for_output", "exif_to_xmp_props",
           "gather_descriptive", "merge_descriptive", "xmp_date_to_exif"]

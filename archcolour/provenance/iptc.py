"""Which of the source's descriptive fields an archivist keeps, and legacy IPTC-IIM both ways.

The policy (:func:`is_kept`) decides which source XMP properties are carried onto the derivative;
:func:`iim_to_xmp_props` maps a legacy IPTC-IIM block (Pillow's dict, a raw IIM stream or a
Photoshop 8BIM resource block) to the XMP equivalents, for the fields the source's XMP lacks (MWG:
XMP wins); :func:`iim_for_output` writes the output's IIM stream back from the kept fields, for the
formats that hold IIM (JPEG, TIFF) when the source had IIM. :data:`IIM_MAP` is the one table of
datasets for both directions. The binary parser never reads past the data it was given.
"""
from __future__ import annotations

import re
from typing import Any

from ..imageio.exif import legacy_text

_KEEP_XMP = {"CreateDate"}  # the source's digitisation date (MWG: EXIF DateTimeDigitized); ours is ModifyDate
_KEEP_EXIF = {"DateTimeOriginal"}  # the capture date; the other exif: properties describe the source's pixels
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
    if prefix == "xmp":
        return name in _KEEP_XMP
    if prefix == "exif":
        return name in _KEEP_EXIF
    if prefix in ("xmpRights", "Iptc4xmpCore", "plus"):
        return True
    if prefix == "Iptc4xmpExt":
        return name not in _DROP_IPTC_EXT
    return False


def kept_fields(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if is_kept(k)}


#: dataset number (record 2) -> (XMP key, kind, most bytes IIM allows). Kind: alt (language
#: alternative), seq/bag (repeatable dataset), text, date (2:55 with 2:60, the time, as one XMP date).
IIM_MAP = {
    5: ("dc:title", "alt", 64), 80: ("dc:creator", "seq", 32), 116: ("dc:rights", "alt", 128),
    25: ("dc:subject", "bag", 64), 110: ("photoshop:Credit", "text", 32), 115: ("photoshop:Source", "text", 32),
    105: ("photoshop:Headline", "text", 256), 90: ("photoshop:City", "text", 32),
    95: ("photoshop:State", "text", 32), 101: ("photoshop:Country", "text", 64),
    55: ("photoshop:DateCreated", "date", 8), 40: ("photoshop:Instructions", "text", 256),
    103: ("photoshop:TransmissionReference", "text", 32), 122: ("photoshop:CaptionWriter", "text", 32),
    85: ("photoshop:AuthorsPosition", "text", 32), 92: ("Iptc4xmpCore:Location", "text", 32),
    100: ("Iptc4xmpCore:CountryCode", "text", 3), 15: ("photoshop:Category", "text", 3),
    20: ("photoshop:SupplementalCategories", "bag", 32), 10: ("photoshop:Urgency", "text", 1),
    120: ("dc:description", "alt", 2000),
}
IIM_COUNTRY_CODE = 100
IIM_TIME = 60  # TimeCreated, HHMMSS+HHMM: read and written with 2:55 as photoshop:DateCreated
#: Record 2 datasets that describe the source's file rather than the photograph (its program, its
#: digitisation, its pixel type and orientation, audio, its preview): not carried onto an output.
_IIM_NOT_CARRIED = {0, 62, 63, 65, 70, 130, 131, 150, 151, 152, 153, 154, 200, 201, 202}
#: Largest IIM stream written (one JPEG APP13 segment holds the block with its header and digest).
IIM_MAX_BYTES = 65000
_IIM_OTHER_MAX = 32000  # a dataset not in the table: below the 32,767 bytes of a standard dataset
_UTF8_ESCAPE = b"\x1b%G"


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


def _decoder(recs: dict[tuple[int, int], list[bytes]]):
    utf8 = any(v.startswith(_UTF8_ESCAPE) for v in recs.get((1, 90), []))

    def dec(b: bytes) -> str:
        b = b.rstrip(b"\x00")
        if utf8:
            return b.decode("utf-8", "replace").strip()
        try:
            return b.decode("utf-8").strip()
        except UnicodeDecodeError:
            return b.decode("latin-1").strip()
    return dec


def _iim_date(date: str, time: str | None) -> str | None:
    """IIM 2:55 'CCYYMMDD' (00 for an unknown month or day) and 2:60 'HHMMSS+HHMM' -> an XMP date."""
    if not re.fullmatch(r"\d{8}", date):
        return None
    out = date[:4]
    if date[4:6] != "00":
        out += f"-{date[4:6]}" + (f"-{date[6:]}" if date[6:] != "00" else "")
    m = re.fullmatch(r"(\d\d)(\d\d)(\d\d)(?:([+-])(\d\d)(\d\d))?", time or "")
    if m and date[6:] != "00":
        out += f"T{m[1]}:{m[2]}:{m[3]}" + (f"{m[4]}{m[5]}:{m[6]}" if m[4] else "")
    return out


def _xmp_date_to_iim(value: str) -> tuple[str | None, str | None]:
    """An XMP date -> (IIM 2:55, IIM 2:60 or None when it has no time with a zone)."""
    m = re.fullmatch(r"(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d))?(?:\.\d+)?(Z|[+-]\d\d:\d\d)?)?)?)?",
                     value.strip())
    if not m:
        return None, None
    date = f"{m[1]}{m[2] or '00'}{m[3] or '00'}"
    if m[4] is None or m[7] is None:
        return date, None
    zone = "+0000" if m[7] == "Z" else m[7].replace(":", "")
    return date, f"{m[4]}{m[5]}{m[6] or '00'}{zone}"


def iim_to_xmp_props(iptc: Any, include_description: bool = False) -> dict[str, Any]:
    """Map legacy IPTC-IIM text fields to their XMP equivalents (plain values as parse_xmp gives)."""
    recs = iim_records(iptc)
    if not recs:
        return {}
    dec = _decoder(recs)
    props: dict[str, Any] = {}
    for ds, (key, kind, _limit) in IIM_MAP.items():
        vals = [dec(v) for v in recs.get((2, ds), []) if v.strip(b"\x00 ")]
        if not vals or (key == "dc:description" and not include_description):
            continue
        if kind == "alt":
            props[key] = {"x-default": vals[0]}
        elif kind in ("seq", "bag"):
            props[key] = vals
        elif kind == "date":
            times = [dec(v) for v in recs.get((2, IIM_TIME), [])]
            date = _iim_date(vals[0], times[0] if times else None)
            if date:
                props[key] = date
        else:
            props[key] = vals[0]
    return props


def _texts(value: Any) -> list[str]:
    """A kept value (as parse_xmp gives it) as IIM strings: a list's items, an alternative's default."""
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)][:1000]
    if isinstance(value, dict):
        v = value.get("x-default") or next(iter(value.values()), None)
        return _texts(v) if not isinstance(v, dict) else []
    return [str(value)] if value not in (None, "") else []


def iim_for_output(source_iptc: Any, kept: dict[str, Any], description: str) -> bytes | None:
    """The output's IPTC-IIM stream (UTF-8), or None when the source had no IIM (MWG: IIM is not made
    up for files that had none) or it cannot fit :data:`IIM_MAX_BYTES`.

    The datasets of :data:`IIM_MAP` are written from ``kept`` (the fields the output's XMP carries,
    so the two agree), the caption from ``description`` (the output's dc:description); the source's
    other record-2 datasets are carried as they were, but those that describe its file rather than the
    photograph. Each value is cut to the length IIM allows (the XMP keeps it whole).
    """
    recs = iim_records(source_iptc)
    if not any(rec == 2 for rec, _ in recs):
        return None
    dec = _decoder(recs)
    values: dict[int, list[str]] = {}
    for ds, (key, kind, _limit) in IIM_MAP.items():
        if key == "dc:description":
            values[ds] = [description]
        elif kind == "date":
            date, time = _xmp_date_to_iim(next(iter(_texts(kept.get(key))), ""))
            if date:
                values[ds] = [date]
            if time:
                values[IIM_TIME] = [time]
        elif key in kept:
            values[ds] = _texts(kept[key])[:1 if kind in ("alt", "text") else None]
    if any(len(c) != 3 for c in values.get(IIM_COUNTRY_CODE, [])):
        del values[IIM_COUNTRY_CODE]  # IIM takes ISO 3166 alpha-3; XMP's is usually alpha-2
    own = set(values) | {IIM_TIME}
    others = {ds: [dec(v) for v in vals] for (rec, ds), vals in recs.items()
              if rec == 2 and ds not in IIM_MAP and ds not in own and ds not in _IIM_NOT_CARRIED}
    for with_others in (True, False):
        data = _iim_stream({**values, **(others if with_others else {})})
        if len(data) <= IIM_MAX_BYTES:
            return data
    return None


def _dataset(record: int, number: int, value: bytes) -> bytes:
    return bytes([0x1C, record, number]) + len(value).to_bytes(2, "big") + value


def _iim_stream(values: dict[int, list[str]]) -> bytes:
    out = [_dataset(1, 0, b"\x00\x04"), _dataset(1, 90, _UTF8_ESCAPE), _dataset(2, 0, b"\x00\x04")]
    for ds in sorted(values):
        limit = IIM_MAP[ds][2] if ds in IIM_MAP else _IIM_OTHER_MAX
        for text in values[ds]:
            raw = legacy_text(text, limit).strip().encode("utf-8")
            if raw:
                out.append(_dataset(2, ds, raw))
    return b"".join(out)

"""The descriptive metadata of a source scan, for the metadata panel (Qt-free, no hashing).

Title, caption, creator, date and copyright, from XMP (Dublin Core, Photoshop), IPTC-IIM and EXIF,
in that order of preference (XMP is the newest and the one archives edit); each value says where it
came from. Reading never raises: an unreadable block is skipped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: (field, label) in the order shown
FIELDS = [("title", "Title"), ("caption", "Caption"), ("creator", "Creator"), ("date", "Date"),
          ("copyright", "Copyright")]

_XMP = {"title": ("dc:title",), "caption": ("dc:description",), "creator": ("dc:creator",),
        "date": ("photoshop:DateCreated", "xmp:CreateDate", "exif:DateTimeOriginal"), "copyright": ("dc:rights",)}
_IIM = {"title": (2, 5), "caption": (2, 120), "creator": (2, 80), "date": (2, 55), "copyright": (2, 116)}
# EXIF: IFD0 tags, and DateTimeOriginal in the Exif sub-IFD
_EXIF = {"caption": 0x010E, "creator": 0x013B, "copyright": 0x8298}
_EXIF_DATE_ORIGINAL = 0x9003
_EXIF_IFD = 0x8769


@dataclass
class SourceMetadata:
    values: dict[str, tuple[str, str]] = field(default_factory=dict)  # field -> (value, where from)

    def get(self, key: str) -> str | None:
        v = self.values.get(key)
        return v[0] if v else None


def _text(v) -> str:
    if isinstance(v, dict):
        v = v.get("x-default") or next(iter(v.values()), "")
    if isinstance(v, (list, tuple)):
        v = "; ".join(_text(x) for x in v)
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    return " ".join(str(v).split())


def _from_xmp(path: Path, out: SourceMetadata) -> None:
    from .. import provenance

    try:
        data, _where = provenance.read_embedded_xmp(path)
        if not data:
            return
        props = provenance.parse_xmp(data)
    except Exception:  # noqa: BLE001 - a broken packet shows nothing, never an error
        return
    for key, names in _XMP.items():
        for n in names:
            t = _text(props.get(n, ""))
            if t and key not in out.values:
                out.values[key] = (t, "XMP")


def _from_pillow(path: Path, out: SourceMetadata) -> None:
    from PIL import Image, IptcImagePlugin

    try:
        with Image.open(path) as im:
            try:
                iim = IptcImagePlugin.getiptcinfo(im) or {}
            except Exception:  # noqa: BLE001
                iim = {}
            exif = im.getexif()
            sub = exif.get_ifd(_EXIF_IFD) if exif else {}
    except Exception:  # noqa: BLE001
        return
    for key, tag in _IIM.items():
        if key not in out.values and iim.get(tag):
            t = _text(iim[tag])
            if key == "date" and len(t) == 8 and t.isdigit():
                t = f"{t[:4]}-{t[4:6]}-{t[6:]}"
            if t:
                out.values[key] = (t, "IPTC")
    for key, tag in _EXIF.items():
        if key not in out.values and exif.get(tag):
            t = _text(exif[tag]).strip("\x00 ")
            if t:
                out.values[key] = (t, "EXIF")
    date = sub.get(_EXIF_DATE_ORIGINAL) if sub else None
    if "date" not in out.values and date:
        out.values["date"] = (_text(date), "EXIF")


def read_source_metadata(path: str | Path) -> SourceMetadata:
    out = SourceMetadata()
    p = Path(path)
    _from_xmp(p, out)
    _from_pillow(p, out)
    return out

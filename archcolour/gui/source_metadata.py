"""The descriptive metadata of a source scan, for the metadata panel (Qt-free; no decoding, no hashing).

Title, caption, creator, capture date, digitisation date and copyright, read as the batch reads them
(``imageio.read_source_metadata``: the file's header only) and merged by the rule the outputs follow
(``provenance.descriptive.gather_descriptive``: XMP, then IPTC-IIM, then EXIF), so the panel shows what
an output will carry. Each value says which block it came from. Reading never raises: an unreadable
file or block shows nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: (field, label) in the order shown
FIELDS = [("title", "Title"), ("caption", "Caption"), ("creator", "Creator"), ("date", "Date"),
          ("digitised", "Digitised"), ("copyright", "Copyright")]
#: field -> the XMP property the merge gives it under (the caption: the merge's caption)
_KEYS = {"title": "dc:title", "caption": "dc:description", "creator": "dc:creator", "date": "photoshop:DateCreated",
         "digitised": "xmp:CreateDate", "copyright": "dc:rights"}


@dataclass
class SourceFields:
    values: dict[str, tuple[str, str]] = field(default_factory=dict)  # field -> (value, where from)

    def get(self, key: str) -> str | None:
        v = self.values.get(key)
        return v[0] if v else None


def read_source_metadata(path: str | Path) -> SourceFields:
    from ..imageio import ImageLoadError
    from ..imageio import read_source_metadata as read_blocks
    from ..provenance import parse_xmp
    from ..provenance.descriptive import gather_descriptive

    out = SourceFields()
    try:
        meta = read_blocks(path)
    except ImageLoadError:
        return out
    props = {}
    if meta.xmp:
        try:
            props = parse_xmp(meta.xmp)
        except Exception:  # noqa: BLE001 - a broken packet shows nothing, never an error
            props = {}
    merged = gather_descriptive(props, meta.iptc, meta.exif)
    for name, key in _KEYS.items():
        text = merged.text(key)
        if text:
            out.values[name] = (text, merged.origin.get(key, ""))
    return out

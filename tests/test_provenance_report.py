"""provenance.report: what `archcolour inspect` prints is safe for a terminal."""
from __future__ import annotations

from archcolour import provenance as P


def test_control_characters_from_a_file_are_shown_escaped():
    prov = {"found_in": ["sidecar x.json"], "description": "desc\x1b]0;pwned\x07", "tool": {"name": "archcolour"},
            "source": {"name": "a\x1b[2Jb.tif", "size": 3}, "kept": {"dc:title": {"x-default": "t\rx"}},
            "warnings": ["w\x00"], "notes": []}
    text = P.format_provenance("out\x1b.png", prov)
    assert not any(c in text for c in "\x1b\x07\x00\r")
    assert "a\\x1b[2Jb.tif" in text and "t\\rx" in text and "out\\x1b.png" in text

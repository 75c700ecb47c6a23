"""provenance.record: the one field table drives the sidecar and XMP forms, both ways."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from archcolour import provenance as P
from archcolour.provenance.record import FIELDS, Provenance, dict_from_xmp, xmp_properties


def _every_field_set() -> Provenance:
    """A record whose every non-derived field holds a value different from its default."""
    kw = {}
    for i, f in enumerate(FIELDS):
        if f.derived or f.attr == "kept":
            continue
        if f.kind == "int":
            kw[f.attr] = 1000 + i
        elif f.kind == "list":
            kw[f.attr] = [f"{f.attr} one", f"{f.attr} two"]
        elif f.kind == "mime":
            kw[f.attr] = "WEBP"
        elif f.kind == "float":
            kw[f.attr] = 0.25 + i
        elif f.kind == "json":
            kw[f.attr] = [{"x": 0.5, "y": 0.25, "colour": {"ab": [float(i), -3.5]}, "radius": 0.01}]
        else:
            kw[f.attr] = f"{f.attr}-value"
    kw["kept"] = {"dc:title": {"x-default": "A title"}, "dc:creator": ["Someone"]}
    return Provenance(**kw)


def test_every_table_field_round_trips_through_the_sidecar_form():
    prov = _every_field_set()
    assert Provenance.from_dict(prov.to_dict()) == prov


def test_every_table_field_round_trips_through_the_xmp_packet():
    prov = _every_field_set()
    want = prov.to_dict()
    props = P.parse_xmp(P.to_xmp(prov))
    got = P.provenance_from_xmp(props)
    for f in FIELDS:
        if f.path is None or f.attr == "output_name":  # the output's own name lives in the sidecar only
            continue
        node_w, node_g = want, got
        for k in f.path:
            node_w, node_g = node_w[k], node_g[k]
        assert node_g == node_w, f.attr
    assert Provenance.from_dict(got) .to_dict() | {"output": want["output"]} == want
    # and every XMP property of the table is in the packet
    for key in xmp_properties(prov):
        assert key in props, key


def test_strings_with_characters_xml_forbids_still_give_a_valid_packet():
    prov = _every_field_set()
    prov.source_name = "evil\x00name\x1b[31m.tif"
    prov.warnings = ["bell\x07", "ok"]
    prov.kept = {"dc:title": {"x-default": "nul\x00 title", "bad\x01lang": "x"}, "dc:bad name": "dropped",
                 "dc:creator": ["\ufffe\ud800 creator"]}
    pkt = P.to_xmp(prov)
    ET.fromstring(pkt.decode("utf-8").lstrip())  # well-formed XML 1.0
    props = P.parse_xmp(pkt)
    assert props["archcolour:SourceFileName"] == "evilname[31m.tif"
    assert props["dc:title"]["x-default"] == "nul title"
    assert props["dc:creator"] == ["creator"]
    assert not any("bad name" in k for k in props)


def test_a_packet_of_another_tool_is_not_ours():
    assert P.provenance_from_xmp({"dc:title": {"x-default": "x"}}) is None
    d = dict_from_xmp({"archcolour:WorkingSize": "not a number", "archcolour:Warnings": "one"}, {})
    assert d["engine"]["working_size"] is None and d["warnings"] == ["one"]

"""The XMP packet: writer (:func:`to_xmp`), parser (:func:`parse_xmp`) and the file reader.

Every string that enters the XML goes through :func:`xml_safe` (characters XML 1.0 forbids, such as
NUL or ESC, are dropped), and property names that are not XML names are left out, so the packet always
parses. The parser refuses DTDs and entity declarations (XMP forbids them), so Pillow's ``getxmp()``
and defusedxml are not needed.
"""
from __future__ import annotations


import copy
import dataclasses
import re
import xml.etree.ElementTree as ET
from typing import Any

from ..imageio.metadata import XMP_CONTAINERS, read_embedded_xmp  # noqa: F401 - one reader, re-exported
from .iptc import is_kept
from .record import ARCHCOLOUR_NS, MIME_TYPES, Provenance, ProvenanceError, xmp_properties

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
    "exif": "http://ns.adobe.com/exif/1.0/",
    "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "plus": "http://ns.useplus.org/ldf/xmp/1.0/",
    "archcolour": ARCHCOLOUR_NS,
}
_RDF = NS["rdf"]
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_URI_TO_PREFIX = {uri: p for p, uri in NS.items()}
for _p, _uri in NS.items():
    ET.register_namespace(_p, _uri)

#: Largest XMP packet a JPEG APP1 segment holds (65535 - 2 length bytes - 29-byte namespace header).
JPEG_XMP_LIMIT = 65502

_SEQ_KEYS = {"dc:creator", "dc:date", "xmpMM:History"}
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NCNAME = re.compile(r"^[A-Za-z_][\w.\-]*$")


def xml_safe(text: Any) -> str:
    """``text`` as a string XML 1.0 can hold: forbidden characters (NUL, ESC, lone surrogates...) dropped."""
    return _XML_FORBIDDEN.sub("", str(text))


def _key(tag: str) -> str:
    """'{uri}Name' -> 'prefix:Name' for known namespaces, else unchanged."""
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        p = _URI_TO_PREFIX.get(uri)
        return f"{p}:{local}" if p else tag
    return tag


def _tag(key: str) -> str | None:
    """'prefix:Name' (known prefix) or '{uri}Name' -> '{uri}Name'; None when it is not a valid XML name."""
    if key.startswith("{"):
        uri, _, local = key[1:].partition("}")
    else:
        p, _, local = key.partition(":")
        uri = NS.get(p)
    if not uri or not _NCNAME.match(local) or _XML_FORBIDDEN.search(uri):
        return None
    return f"{{{uri}}}{local}"


# ---------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------
def _value_element(key: str, value: Any) -> ET.Element | None:
    """An XMP property element from a plain value as parse_xmp returns it (None for a bad name)."""
    tag = _tag(key)
    if tag is None:
        return None
    el = ET.Element(tag)
    _fill(el, key, value)
    return el


def _fill(el: ET.Element, key: str, value: Any) -> None:
    if isinstance(value, dict) and value and all(":" not in k and not k.startswith("{") for k in value):
        alt = ET.SubElement(el, f"{{{_RDF}}}Alt")  # language alternative
        for lang, text in sorted(value.items(), key=lambda kv: kv[0] != "x-default"):
            li = ET.SubElement(alt, f"{{{_RDF}}}li", {f"{{{_XML_NS}}}lang": xml_safe(lang)})
            li.text = xml_safe(text)
    elif isinstance(value, dict):  # struct
        el.set(f"{{{_RDF}}}parseType", "Resource")
        for k, v in value.items():
            child = _value_element(k, v)
            if child is not None:
                el.append(child)
    elif isinstance(value, (list, tuple)):
        arr = ET.SubElement(el, f"{{{_RDF}}}{'Seq' if key in _SEQ_KEYS else 'Bag'}")
        for v in value:
            _fill(ET.SubElement(arr, f"{{{_RDF}}}li"), key, v)
    elif value is not None:
        el.text = xml_safe(value)


def _source_elements(source_xmp: bytes | None) -> tuple[list[ET.Element], list[ET.Element]]:
    """(kept property elements, history <rdf:li> items) copied verbatim from a source packet."""
    if not source_xmp:
        return [], []
    try:
        root = _parse_root(source_xmp)
    except ProvenanceError:
        return [], []
    kept: list[ET.Element] = []
    history: list[ET.Element] = []
    rdf_el = root if root.tag == f"{{{_RDF}}}RDF" else root.find(f"{{{_RDF}}}RDF")
    for desc in (rdf_el.findall(f"{{{_RDF}}}Description") if rdf_el is not None else []):
        for attr, val in desc.attrib.items():
            if not attr.startswith(f"{{{_RDF}}}") and is_kept(_key(attr)):
                e = ET.Element(attr)
                e.text = val
                kept.append(e)
        for child in desc:
            k = _key(child.tag)
            if k == "xmpMM:History":
                history.extend(copy.deepcopy(li) for arr in child for li in arr.findall(f"{{{_RDF}}}li"))
            elif is_kept(k):
                kept.append(copy.deepcopy(child))
    return kept, history


def to_xmp(prov: Provenance, source_xmp: bytes | None = None, *, padding: int = 2048,
           max_size: int | None = None) -> bytes:
    """A complete XMP packet (UTF-8) for one output.

    Descriptive fields the archivist keeps (see :func:`iptc.is_kept`) are copied verbatim from
    ``source_xmp`` when given, else rebuilt from ``prov.kept``; the source's xmpMM:History is kept and
    our step appended. ``max_size`` (e.g. :data:`JPEG_XMP_LIMIT`) drops the padding, then the history,
    then the kept fields, to fit.
    """
    kept_elems, history = _source_elements(source_xmp)
    packet = b""
    for level in range(4):
        packet = _serialise(prov, kept_elems if level < 3 else [], history if level < 2 else [],
                            padding if level == 0 else 0, keep_from_record=level < 3)
        if max_size is None or len(packet) <= max_size:
            return packet
    full = prov.source_description or ""
    for keep in (8192, 2048, 256, 0):  # last: the source's description (it is in the packet twice)
        if keep >= len(full):
            continue
        trimmed = dataclasses.replace(prov, source_description=(full[:keep] + " [...]") if keep else None)
        packet = _serialise(trimmed, [], [], 0, keep_from_record=False)
        if len(packet) <= max_size:
            prov.warnings.append(f"the source's description ({len(full):,} characters) was trimmed to {keep:,} in "
                                 f"this file's XMP, which holds at most {max_size:,} bytes; the sidecar keeps it whole")
            return packet
    raise ProvenanceError(f"the XMP packet ({len(packet)} bytes) does not fit in {max_size} bytes")


def _history_event(prov: Provenance) -> dict[str, str]:
    conv = ""
    if prov.source_format and prov.output_mime:
        conv = f"; converted from {MIME_TYPES.get(prov.source_format.upper(), prov.source_format)} to {prov.output_mime}"
    return {"stEvt:action": "derived",
            "stEvt:parameters": f"colourised with model {prov.model_name} (version {prov.model_version}){conv}",
            "stEvt:instanceID": prov.instance_id, "stEvt:when": prov.created,
            "stEvt:softwareAgent": prov.creator_tool, "stEvt:changed": "/"}


def _serialise(prov: Provenance, kept_elems: list[ET.Element], history: list[ET.Element], padding: int,
               keep_from_record: bool) -> bytes:
    root = ET.Element(f"{{{NS['x']}}}xmpmeta", {f"{{{NS['x']}}}xmptk": xml_safe(prov.creator_tool)})
    rdf_el = ET.SubElement(root, f"{{{_RDF}}}RDF")
    desc = ET.SubElement(rdf_el, f"{{{_RDF}}}Description", {f"{{{_RDF}}}about": ""})

    # kept descriptive fields first, so a reader sees the archive's title/creator/rights on top
    copied = set()
    for e in kept_elems:
        desc.append(copy.deepcopy(e))
        copied.add(_key(e.tag))
    extra = prov.kept.items() if keep_from_record else ()
    for k, v in extra:
        if k not in copied and is_kept(k):
            el = _value_element(k, v)
            if el is not None:
                desc.append(el)
    for k, v in xmp_properties(prov).items():
        el = _value_element(k, v)
        if el is not None:
            desc.append(el)
    hist = ET.SubElement(desc, f"{{{NS['xmpMM']}}}History")
    seq = ET.SubElement(hist, f"{{{_RDF}}}Seq")
    for li in history:
        seq.append(li)
    _fill(ET.SubElement(seq, f"{{{_RDF}}}li"), "stEvt", _history_event(prov))

    body = ET.tostring(root, encoding="unicode")
    pad = ((" " * 99 + "\n") * (padding // 100 + 1))[:padding] if padding else ""
    return f'<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n{body}\n{pad}<?xpacket end="w"?>'.encode("utf-8")


# ---------------------------------------------------------------------------------------------
# parsing
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
    res = el.get(f"{{{_RDF}}}resource")
    if res is not None:
        return res
    children = list(el)
    if el.get(f"{{{_RDF}}}parseType") == "Resource":
        return {_key(c.tag): _node_value(c) for c in children}
    if children:
        first = children[0]
        if first.tag == f"{{{_RDF}}}Alt":
            return {li.get(f"{{{_XML_NS}}}lang", "x-default"): (li.text or "").strip() if not list(li) else _node_value(li)
                    for li in first.findall(f"{{{_RDF}}}li")}
        if first.tag in (f"{{{_RDF}}}Seq", f"{{{_RDF}}}Bag"):
            return [_node_value(li) for li in first.findall(f"{{{_RDF}}}li")]
        if first.tag == f"{{{_RDF}}}Description":
            return _struct(first)
        return {_key(c.tag): _node_value(c) for c in children}
    attrs = {k: v for k, v in el.attrib.items() if not k.startswith(f"{{{_RDF}}}") and not k.startswith(f"{{{_XML_NS}}}")}
    if attrs:
        return {_key(k): v for k, v in attrs.items()}
    return (el.text or "").strip()


def _struct(desc: ET.Element) -> dict[str, Any]:
    out = {_key(k): v for k, v in desc.attrib.items() if not k.startswith(f"{{{_RDF}}}")}
    for c in desc:
        out[_key(c.tag)] = _node_value(c)
    return out


def parse_xmp(data: bytes | str) -> dict[str, Any]:
    """XMP properties as plain values, keyed 'prefix:Name' (known namespaces) or '{uri}Name'.

    Simple values are strings; rdf:Seq/Bag lists; rdf:Alt a dict language -> text; structs dicts.
    Raises :class:`ProvenanceError` on a packet that is not well-formed XMP.
    """
    root = _parse_root(data)
    rdf_el = root if root.tag == f"{{{_RDF}}}RDF" else root.find(f"{{{_RDF}}}RDF")
    if rdf_el is None:
        raise ProvenanceError("no rdf:RDF element in the XMP packet")
    props: dict[str, Any] = {}
    try:
        for desc in rdf_el.findall(f"{{{_RDF}}}Description"):
            props.update(_struct(desc))
    except RecursionError:
        raise ProvenanceError("XMP packet nested too deeply") from None
    return props


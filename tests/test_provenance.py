"""Provenance: XMP packet, reading it back from every output format, sidecar, manifest, EXIF/ICC/DPI."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from archcolour import __version__, provenance as P

DST = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"

SOURCE_XMP = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
    ' xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"'
    ' xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"'
    ' xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"'
    ' xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/"'
    ' photoshop:Credit="Musée du Temple" photoshop:Source="Glass negative 12" tiff:Orientation="6"'
    ' xmpMM:DocumentID="xmp.did:MASTER-1" xmpMM:InstanceID="xmp.iid:MASTER-1a"'
    ' Iptc4xmpCore:Location="South portico" xmpRights:Marked="True">'
    '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Temple of Hephaestus, 1890</rdf:li>'
    '<rdf:li xml:lang="fr">Temple d\'Héphaïstos, 1890</rdf:li></rdf:Alt></dc:title>'
    '<dc:creator><rdf:Seq><rdf:li>A. Photographer</rdf:li></rdf:Seq></dc:creator>'
    '<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">Public domain</rdf:li></rdf:Alt></dc:rights>'
    '<dc:identifier>INV-1890-042</dc:identifier>'
    '<dc:subject><rdf:Bag><rdf:li>temple</rdf:li><rdf:li>Athens</rdf:li></rdf:Bag></dc:subject>'
    '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">West front seen from the agora</rdf:li></rdf:Alt>'
    '</dc:description>'
    '<xmpRights:UsageTerms><rdf:Alt><rdf:li xml:lang="x-default">Cite the archive</rdf:li></rdf:Alt>'
    '</xmpRights:UsageTerms>'
    '<Iptc4xmpCore:CreatorContactInfo rdf:parseType="Resource"><Iptc4xmpCore:CiAdrCity>Athens'
    '</Iptc4xmpCore:CiAdrCity></Iptc4xmpCore:CreatorContactInfo>'
    '<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/negativeFilm'
    '</Iptc4xmpExt:DigitalSourceType>'
    '<xmpMM:History><rdf:Seq><rdf:li rdf:parseType="Resource"><stEvt:action>created</stEvt:action>'
    '<stEvt:when>2001-02-03T04:05:06Z</stEvt:when></rdf:li></rdf:Seq></xmpMM:History>'
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
).encode("utf-8")

KEPT_KEYS = {"dc:title", "dc:creator", "dc:rights", "dc:identifier", "dc:subject", "xmpRights:UsageTerms",
             "xmpRights:Marked", "photoshop:Credit", "photoshop:Source", "Iptc4xmpCore:Location",
             "Iptc4xmpCore:CreatorContactInfo"}


def fake_colouriser(seed: int = 7):
    info = SimpleNamespace(name="tiny", version="test", sha256="ab" * 32, architecture="archunet", working_size=64)
    return SimpleNamespace(info=info, working_size=64, seed=seed, device="cpu", device_name="CPU")


def make_prov(tmp_path: Path, **kw) -> P.Provenance:
    src = tmp_path / "temple.tif"
    if not src.exists():
        src.write_bytes(b"pretend source bytes")
    args = dict(source_path=src, source_format="TIFF", output_path=tmp_path / "temple_colourised.png")
    args.update(kw)
    return P.build_provenance(colouriser=fake_colouriser(), **args)


def assert_same_provenance(read: dict, prov: P.Provenance) -> None:
    """Every field of ``prov`` is read back (output size/hash only exist in the sidecar)."""
    want = prov.to_dict()
    for key in ("schema", "digital_source_type", "description", "created", "document_id", "instance_id",
                "tool", "ai_system", "model", "engine", "source", "kept", "warnings", "notes"):
        got = read[key]
        if key == "tool":
            got = {k: v for k, v in got.items() if k in want["tool"]}
        assert got == want[key], key
    for k in ("format", "mime_type", "colour_space"):
        assert read["output"][k] == want["output"][k], k


# ------------------------------------------------------------------------------------------------
# building and serialising
# ------------------------------------------------------------------------------------------------
def test_build_provenance_fields(tmp_path):
    prov = make_prov(tmp_path, warnings=["retried at working size 45"])
    src = tmp_path / "temple.tif"
    assert prov.digital_source_type == DST
    assert (prov.tool_name, prov.tool_version) == ("archcolour", __version__)
    assert (prov.model_name, prov.model_version, prov.model_sha256) == ("tiny", "test", "ab" * 32)
    assert (prov.working_size, prov.seed, prov.device, prov.device_name) == (64, 7, "cpu", "CPU")
    assert prov.source_name == "temple.tif" and prov.source_size == src.stat().st_size
    assert prov.source_sha256 == P.sha256_file(src)
    assert prov.source_document_id == f"urn:sha256:{prov.source_sha256}"  # no source XMP: content-derived id
    assert prov.created.endswith("Z") and "T" in prov.created
    assert prov.document_id.startswith("xmp.did:") and prov.instance_id.startswith("xmp.iid:")
    assert prov.output_format == "PNG" and prov.output_mime == "image/png"
    assert prov.description.startswith(f"Colourised by archcolour {__version__} with model tiny")
    assert "from temple.tif" in prov.description
    assert "the colours are a machine estimate, not a historical record" in prov.description
    assert prov.warnings == ["retried at working size 45"]


def test_xmp_packet_is_valid_xml_with_the_right_namespaces(tmp_path):
    prov = make_prov(tmp_path)
    pkt = P.to_xmp(prov)
    assert pkt.startswith(b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>')
    assert pkt.rstrip().endswith(b'<?xpacket end="w"?>')
    body = pkt[pkt.index(b"<x:xmpmeta"):pkt.index(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")]
    root = ET.fromstring(body)
    assert root.tag == "{adobe:ns:meta/}xmpmeta"
    desc = root.find("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF/"
                     "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description")
    assert desc.find(f"{{{IPTC_EXT}}}DigitalSourceType").text == DST
    assert desc.find(f"{{{IPTC_EXT}}}AISystemUsed").text == "archcolour colouriser model tiny (archunet)"
    assert "ababababab" in desc.find(f"{{{IPTC_EXT}}}AISystemVersionUsed").text
    assert desc.find("{http://ns.adobe.com/xap/1.0/}CreatorTool").text == f"archcolour {__version__}"
    derived = desc.find("{http://ns.adobe.com/xap/1.0/mm/}DerivedFrom")
    assert derived.find("{http://ns.adobe.com/xap/1.0/sType/ResourceRef#}filePath").text == "temple.tif"
    # a whole-packet parse works too (processing instructions around the root are legal XML)
    ET.fromstring(pkt.decode("utf-8").lstrip())


def test_xmp_round_trip_of_every_field(tmp_path):
    prov = make_prov(tmp_path, warnings=["w1", "w2"], notes=["multi-page TIFF: first page of 3 used"])
    read = P.provenance_from_xmp(P.parse_xmp(P.to_xmp(prov)))
    assert_same_provenance(read, prov)
    assert read["history"][-1]["stEvt:action"] == "derived"
    assert read["history"][-1]["stEvt:softwareAgent"] == f"archcolour {__version__}"


def test_source_xmp_descriptive_fields_are_kept(tmp_path):
    prov = make_prov(tmp_path, source_xmp=SOURCE_XMP)
    assert set(prov.kept) == KEPT_KEYS
    props = P.parse_xmp(P.to_xmp(prov, SOURCE_XMP))
    assert props["dc:title"] == {"x-default": "Temple of Hephaestus, 1890", "fr": "Temple d'Héphaïstos, 1890"}
    assert props["dc:creator"] == ["A. Photographer"]
    assert props["dc:rights"] == {"x-default": "Public domain"}
    assert props["dc:identifier"] == "INV-1890-042"
    assert props["dc:subject"] == ["temple", "Athens"]
    assert props["photoshop:Credit"] == "Musée du Temple"
    assert props["Iptc4xmpCore:CreatorContactInfo"] == {"Iptc4xmpCore:CiAdrCity": "Athens"}
    assert props["xmpRights:UsageTerms"] == {"x-default": "Cite the archive"}
    # ours replace the source's description of *its* rendition; the caption is carried along
    assert props["Iptc4xmpExt:DigitalSourceType"] == DST
    assert props["dc:description"]["x-default"].endswith("Original description: West front seen from the agora")
    assert "{http://ns.adobe.com/tiff/1.0/}Orientation" not in props  # pixels are upright now
    assert props["xmpMM:DerivedFrom"] == {"stRef:documentID": "xmp.did:MASTER-1",
                                          "stRef:instanceID": "xmp.iid:MASTER-1a", "stRef:filePath": "temple.tif"}
    assert props["xmpMM:DocumentID"] != "xmp.did:MASTER-1"
    assert [h["stEvt:action"] for h in props["xmpMM:History"]] == ["created", "derived"]
    # the same fields come back when the packet is rebuilt from the provenance alone (sidecar path)
    props2 = P.parse_xmp(P.to_xmp(prov))
    assert {k: props2[k] for k in KEPT_KEYS} == {k: props[k] for k in KEPT_KEYS}


def test_iptc_iim_fields_fill_what_xmp_lacks(tmp_path):
    def ds(n, text):
        b = text.encode("utf-8")
        return bytes([0x1C, 2, n]) + len(b).to_bytes(2, "big") + b

    iim = bytes([0x1C, 1, 90, 0, 3]) + b"\x1b%G" + ds(5, "Agora, 1901") + ds(80, "É. Durand") + ds(116, "© Archive") \
        + ds(25, "stoa") + ds(25, "ruins") + ds(110, "Archive X") + ds(120, "A caption") + ds(55, "19010203")
    block = b"8BIM\x04\x04\x00\x00" + len(iim).to_bytes(4, "big") + iim + (b"\x00" if len(iim) % 2 else b"")
    for form in (iim, b"Photoshop 3.0\x00" + block, {(2, 5): b"Agora, 1901", (2, 80): [b"\xc9. Durand"]}):
        props = P.iim_to_xmp_props(form)
        assert props["dc:title"] == {"x-default": "Agora, 1901"}
        assert props["dc:creator"] == ["É. Durand"]
    prov = make_prov(tmp_path, source_iptc=iim)
    assert prov.kept["dc:rights"] == {"x-default": "© Archive"}
    assert prov.kept["dc:subject"] == ["stoa", "ruins"]
    assert prov.kept["photoshop:DateCreated"] == "1901-02-03"
    assert prov.source_description == "A caption"
    props = P.parse_xmp(P.to_xmp(prov))
    assert props["photoshop:Credit"] == "Archive X" and props["dc:creator"] == ["É. Durand"]
    # XMP wins over IIM (MWG guidance)
    prov2 = make_prov(tmp_path, source_xmp=SOURCE_XMP, source_iptc=iim)
    assert prov2.kept["dc:title"]["x-default"] == "Temple of Hephaestus, 1890"


def test_xmp_fits_a_size_limit_by_dropping_extras(tmp_path):
    big = SOURCE_XMP.replace(b"<dc:identifier>INV-1890-042</dc:identifier>",
                             b"<dc:identifier>" + b"x" * 70000 + b"</dc:identifier>")
    prov = make_prov(tmp_path, source_xmp=big)
    pkt = P.to_xmp(prov, big, max_size=P.JPEG_XMP_LIMIT)
    assert len(pkt) <= P.JPEG_XMP_LIMIT
    read = P.provenance_from_xmp(P.parse_xmp(pkt))
    assert read["digital_source_type"] == DST and read["model"]["sha256"] == "ab" * 32
    assert len(P.to_xmp(prov, SOURCE_XMP, max_size=P.JPEG_XMP_LIMIT)) > 2048  # small ones keep padding


@pytest.mark.parametrize("bad", [b"", b"not xml at all", b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF",
                                 b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x:xmpmeta xmlns:x="adobe:ns:meta/">'
                                 b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>'])
def test_bad_packets_raise_a_clear_error(bad):
    with pytest.raises(P.ProvenanceError):
        P.parse_xmp(bad)


def test_foreign_xmp_is_not_taken_for_provenance():
    props = P.parse_xmp(SOURCE_XMP.replace(b"Iptc4xmpExt:DigitalSourceType", b"Iptc4xmpExt:Other"))
    assert P.provenance_from_xmp(props) is None


# ------------------------------------------------------------------------------------------------
# EXIF, ICC, DPI
# ------------------------------------------------------------------------------------------------
def _source_exif() -> bytes:
    e = Image.Exif()
    e[0x0112] = 6  # rotated
    e[0x010F] = "Kodak"
    e[0x0100] = 999  # stale structural tag
    e[0x013B] = "Jos\xc3\xa9".encode("latin-1")  # artist, UTF-8 bytes (Pillow decodes them as latin-1)
    sub = e.get_ifd(0x8769)
    sub[0x9003] = "1890:05:06 10:00:00"
    sub[0xA002], sub[0xA003] = 10, 20
    return e.tobytes()


def test_exif_for_output_resets_orientation_and_keeps_the_rest():
    out = P.exif_for_output(_source_exif(), width=40, height=30, software="archcolour 9", description="ascii text")
    e = Image.Exif()
    e.load(out)
    assert e[0x0112] == 1
    assert e[0x010F] == "Kodak" and e[0x0131] == "archcolour 9" and e[0x010E] == "ascii text"
    assert 0x0100 not in e
    assert b"Jos\xc3\xa9\x00" in out  # the bytes are kept, not replaced by '?'
    sub = e.get_ifd(0x8769)
    assert sub[0x9003] == "1890:05:06 10:00:00" and (sub[0xA002], sub[0xA003]) == (40, 30) and sub[0xA001] == 1
    assert P.exif_for_output(None) is None
    assert P.exif_for_output(b"garbage that is not exif") is None


def _grey_profile() -> bytes:
    b = bytearray(P.srgb_profile())
    b[16:20] = b"GRAY"
    return bytes(b)


def test_icc_policy():
    srgb = P.srgb_profile()
    assert srgb[36:40] == b"acsp" and srgb[16:20] == b"RGB "
    icc, note = P.icc_for_output(None)
    assert icc == srgb and "tagged sRGB" in note
    icc, note = P.icc_for_output(_grey_profile())
    assert icc == srgb and "replaced by sRGB" in note
    own = P.srgb_profile() + b""  # an sRGB RGB profile is kept byte for byte
    assert P.icc_for_output(own) == (own, "kept the source's sRGB profile")


# ------------------------------------------------------------------------------------------------
# reading the packet back from files written by other tools (Pillow, tifffile)
# ------------------------------------------------------------------------------------------------
def _write_with_pillow_or_tifffile(path: Path, fmt: str, xmp: bytes) -> None:
    if fmt == "TIFF":
        import tifffile

        tifffile.imwrite(path, np.zeros((8, 8, 3), np.uint16), photometric="rgb",
                         extratags=[(700, "B", len(xmp), xmp, True)])
        return
    im = Image.new("RGB", (8, 8))
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"), zip=True)  # compressed iTXt too
        im.save(path, "PNG", pnginfo=info)
    else:
        im.save(path, fmt, xmp=xmp)


@pytest.mark.parametrize("fmt,ext", [("JPEG", ".jpg"), ("PNG", ".png"), ("TIFF", ".tif"), ("WEBP", ".webp")])
def test_read_embedded_xmp_from_files_of_other_writers(tmp_path, fmt, ext):
    prov = make_prov(tmp_path, output_path=tmp_path / f"o{ext}")
    pkt = P.to_xmp(prov)
    out = tmp_path / f"o{ext}"
    _write_with_pillow_or_tifffile(out, fmt, pkt)
    xmp, where = P.read_embedded_xmp(out)
    assert where == P.XMP_CONTAINERS[fmt]
    read = P.read_provenance(out)
    assert read["found_in"] == [P.XMP_CONTAINERS[fmt]] and read["sidecar"] is None
    assert_same_provenance(read, prov)


# ------------------------------------------------------------------------------------------------
# sidecar and manifest
# ------------------------------------------------------------------------------------------------
def test_sidecar_round_trip_and_fallback(tmp_path):
    out = tmp_path / "temple_colourised.png"
    Image.new("RGB", (4, 4)).save(out)  # no XMP inside
    assert P.read_provenance(out) is None
    text = P.format_provenance(out, None)
    assert "no archcolour provenance" in text and "temple_colourised.png.json" in text
    prov = make_prov(tmp_path, source_xmp=SOURCE_XMP)
    side = P.write_sidecar(out, prov)
    assert side == tmp_path / "temple_colourised.png.json"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    d = json.loads(side.read_text(encoding="utf-8"))
    assert d["output"]["sha256"] == P.sha256_file(out) and d["output"]["size"] == out.stat().st_size
    assert P.Provenance.from_dict(d).to_dict() == prov.to_dict() | {"output": prov.to_dict()["output"]}
    read = P.read_provenance(out)
    assert read["found_in"] == ["sidecar temple_colourised.png.json"]
    assert read["output_sha256_matches"] is True
    assert_same_provenance(read, prov)
    out.write_bytes(out.read_bytes() + b"tampered")
    assert P.read_provenance(out)["output_sha256_matches"] is False
    assert "differs" in P.format_provenance(out, P.read_provenance(out))


def test_stale_temp_cleanup_only_touches_temp_names(tmp_path):
    keep = [tmp_path / "photo.tmp", tmp_path / ".hidden", tmp_path / ".a.png.nothex12.tmp"]
    stale = [tmp_path / ".a.png.0123abcd.tmp", tmp_path / "sub" / ".b.jpg.json.deadbeef.tmp"]
    for p in keep + stale:
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(b"x")
    removed = P.cleanup_stale_temps(tmp_path)
    assert sorted(removed) == sorted(stale)
    assert all(p.exists() for p in keep)


def test_manifest_appends_and_survives_a_torn_line(tmp_path):
    path = tmp_path / P.MANIFEST_NAME
    with P.ManifestWriter(path, {"model": "tiny"}) as m:
        m.append(source="a.tif", output="a_colourised.tif", status="done", source_sha256="1" * 64,
                 output_sha256="2" * 64, model="tiny", seconds=0.1234)
        m.append(source="b.tif", output="b_colourised.tif", status="failed", message="truncated file")
    with open(path, "ab") as f:  # a kill in the middle of a line
        f.write(b'{"type":"item","source":"c.ti')
    with P.ManifestWriter(path) as m2:
        m2.append(source="c.tif", output="c_colourised.tif", status="done")
    recs = P.read_manifest(path)
    assert [r["type"] for r in recs] == ["run", "item", "item", "run", "item"]
    items = list(P.iter_items(recs))
    assert [(r["source"], r["status"]) for r in items] == [("a.tif", "done"), ("b.tif", "failed"), ("c.tif", "done")]
    assert items[0]["output_sha256"] == "2" * 64 and items[0]["seconds"] == 0.123
    assert items[1]["message"] == "truncated file"
    assert recs[0]["model"] == "tiny" and recs[0]["version"] == __version__
    assert items[2]["run"] == recs[3]["run"] != recs[0]["run"]
    assert all(line.startswith(b"{") for line in path.read_bytes().splitlines() if line)


# ------------------------------------------------------------------------------------------------
# end to end: imageio.save_image through the batch runner, every output format, and `inspect`
# ------------------------------------------------------------------------------------------------
def _grey(h: int, w: int, dtype=np.uint8) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    top = 65535 if dtype == np.uint16 else 255
    return ((x * 3 + y * 5) % 97 / 96 * top).astype(dtype)


def _exif_rotated() -> bytes:
    e = Image.Exif()
    e[0x0112] = 6
    e[0x010F] = "Plate camera"
    return e.tobytes()


def make_sources(folder: Path) -> dict[str, Path]:
    """One small greyscale source per kind, several carrying EXIF / ICC / DPI / XMP."""
    import tifffile

    folder.mkdir()
    grey_icc = _grey_profile()
    s = {}
    s["jpeg"] = folder / "agora.jpg"
    Image.fromarray(_grey(24, 32)).save(s["jpeg"], "JPEG", quality=90, exif=_exif_rotated(), dpi=(300, 300),
                                        xmp=SOURCE_XMP)
    s["png8"] = folder / "stoa.png"
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", SOURCE_XMP.decode("utf-8"), zip=False)
    Image.fromarray(_grey(20, 28)).save(s["png8"], "PNG", pnginfo=info, dpi=(600, 600), icc_profile=grey_icc)
    s["png16"] = folder / "theatre.png"
    Image.fromarray(_grey(22, 26, np.uint16)).save(s["png16"], "PNG")
    s["tiff8"] = folder / "temple.tif"
    tifffile.imwrite(s["tiff8"], _grey(26, 30), photometric="minisblack", resolution=(400, 400),
                     resolutionunit="INCH", extratags=[(700, "B", len(SOURCE_XMP), SOURCE_XMP, True)])
    s["tiff16"] = folder / "odeon.tif"
    tifffile.imwrite(s["tiff16"], _grey(24, 24, np.uint16), photometric="minisblack")
    s["webp"] = folder / "gate.webp"
    Image.fromarray(_grey(20, 30)).convert("RGB").save(s["webp"], "WEBP", quality=90, xmp=SOURCE_XMP)
    return s


@pytest.fixture(scope="module")
def batch_run(tmp_path_factory, tiny_models_dir):
    """Colourise one source of each kind through batch.run_job (real model, real imageio)."""
    from archcolour import batch
    from archcolour.engine import Colouriser

    root = tmp_path_factory.mktemp("prov_e2e")
    sources = make_sources(root / "in")
    digests = {k: P.sha256_file(p) for k, p in sources.items()}
    col = Colouriser(tiny_models_dir / "tiny.safetensors", device="cpu", seed=5)
    plan = batch.plan_job(list(sources.values()), root / "out")
    results = list(batch.run_job(plan, col, batch.BatchOptions()))
    outputs = {k: next(r.output for r in results if r.source == p) for k, p in sources.items()}
    return SimpleNamespace(root=root, sources=sources, digests=digests, col=col, plan=plan, results=results,
                           outputs=outputs)


FORMAT_OF = {"jpeg": "JPEG", "png8": "PNG", "png16": "PNG", "tiff8": "TIFF", "tiff16": "TIFF", "webp": "WEBP"}


@pytest.mark.parametrize("kind", list(FORMAT_OF))
def test_every_field_round_trips_from_every_format(batch_run, kind):
    r = batch_run
    assert all(x.status == "done" for x in r.results), [(x.source.name, x.message) for x in r.results]
    out, src = r.outputs[kind], r.sources[kind]
    fmt = FORMAT_OF[kind]
    with Image.open(out) as im:
        assert im.format == fmt
        im.load()  # a complete, decodable image
        icc = im.info.get("icc_profile")
        dpi = im.info.get("dpi")
        exif = im.getexif()
    side = json.loads(P.sidecar_path(out).read_text(encoding="utf-8"))
    xmp, where = P.read_embedded_xmp(out)
    assert where == P.XMP_CONTAINERS[fmt]
    embedded = P.provenance_from_xmp(P.parse_xmp(xmp))
    # every field the sidecar holds is read back from the file itself
    for key in ("schema", "digital_source_type", "description", "created", "document_id", "instance_id",
                "ai_system", "model", "engine", "source", "kept", "warnings", "notes"):
        assert embedded[key] == side[key], key
    assert {k: embedded["tool"][k] for k in ("name", "version")} == side["tool"]
    assert embedded["output"]["mime_type"] == side["output"]["mime_type"] == P.MIME_TYPES[fmt]
    # ... and says the right things
    info = r.col.info
    assert side["digital_source_type"] == DST
    assert side["tool"] == {"name": "archcolour", "version": __version__}
    assert side["model"] == {"name": "tiny", "version": "test", "architecture": "archunet", "sha256": info.sha256}
    assert side["engine"]["seed"] == 5 and side["engine"]["working_size"] == 64 and side["engine"]["device"] == "cpu"
    assert side["source"]["name"] == src.name and side["source"]["size"] == src.stat().st_size
    assert side["source"]["sha256"] == r.digests[kind] == P.sha256_file(src)  # source untouched
    assert side["output"]["sha256"] == P.sha256_file(out) and side["output"]["name"] == out.name
    assert f"from {src.name}" in side["description"] and "not a historical record" in side["description"]
    # through the public reader and `inspect`-style text
    read = P.read_provenance(out)
    assert read["found_in"] == [P.XMP_CONTAINERS[fmt], f"sidecar {out.name}.json"]
    assert read["output_sha256_matches"] is True and read["sidecar_matches"] is True
    # archival metadata: colour profile, resolution, orientation, kept descriptive fields
    assert icc and icc[16:20] == b"RGB "
    if kind == "png8":  # a grey source profile is never put on an RGB output
        assert icc == P.srgb_profile() and any("replaced by sRGB" in n for n in side["notes"])
    if kind in ("jpeg", "png8", "tiff8"):
        assert dpi and round(dpi[0]) == {"jpeg": 300, "png8": 600, "tiff8": 400}[kind]
    if kind == "jpeg":
        assert exif.get(0x0112) == 1 and exif.get(0x010F) == "Plate camera"
        with Image.open(src) as s_im:
            assert (s_im.height, s_im.width) == Image.open(out).size  # rotated upright by the loader
    if kind in ("jpeg", "png8", "tiff8", "webp"):  # the sources with XMP
        assert side["kept"]["dc:title"]["x-default"] == "Temple of Hephaestus, 1890"
        assert side["kept"]["dc:creator"] == ["A. Photographer"]
        assert side["kept"]["dc:identifier"] == "INV-1890-042"
        assert side["source"]["document_id"] == "xmp.did:MASTER-1"
        assert side["source"]["description"] == "West front seen from the agora"
    else:
        assert side["kept"] == {} and side["source"]["document_id"] == f"urn:sha256:{r.digests[kind]}"
    if kind == "png16":  # 16-bit sources give 16-bit outputs (read the header: Pillow reads RGB48 as 8-bit)
        assert out.read_bytes()[24:26] == bytes([16, 2])
    if kind == "tiff16":
        import tifffile

        assert tifffile.imread(out).dtype == np.uint16
    if fmt == "PNG":
        from archcolour import imageio

        assert imageio.read_png_text(out)["Description"].startswith(b"Colourised by archcolour")


def test_manifest_records_every_item_and_the_resume(batch_run, tiny_models_dir):
    from archcolour import batch

    r = batch_run
    manifest = r.root / "out" / P.MANIFEST_NAME
    recs = P.read_manifest(manifest)
    items = list(P.iter_items(recs))
    assert recs[0]["type"] == "run" and recs[0]["model_sha256"] == r.col.info.sha256
    assert len(items) == len(r.sources) and all(i["status"] == "done" for i in items)
    for i in items:
        assert i["source_sha256"] == P.sha256_file(i["source"])
        assert i["output_sha256"] == P.sha256_file(i["output"])
        assert i["model"] == "tiny" and i["run"] == recs[0]["run"]
    # a second run skips everything, rebuilds a missing sidecar, and is recorded as a new run
    lost = P.sidecar_path(r.outputs["tiff16"])
    before = json.loads(lost.read_text(encoding="utf-8"))
    lost.unlink()
    again = list(batch.run_job(r.plan, r.col, batch.BatchOptions()))
    assert {x.status for x in again} == {"skipped"}
    rebuilt = json.loads(lost.read_text(encoding="utf-8"))
    assert rebuilt["output"]["sha256"] == before["output"]["sha256"]
    assert {k: rebuilt[k] for k in ("source", "model", "engine", "document_id")} == \
        {k: before[k] for k in ("source", "model", "engine", "document_id")}
    recs2 = P.read_manifest(manifest)
    new = [x for x in P.iter_items(recs2) if x["run"] != recs[0]["run"]]
    assert len(new) == len(r.sources) and all(x["status"] == "skipped" for x in new)
    assert {x["output_sha256"] for x in new} == {x["output_sha256"] for x in items}
    assert {x["source_sha256"] for x in new} == {x["source_sha256"] for x in items}


def test_inspect_on_every_format_and_on_a_file_without_provenance(batch_run, capsys):
    from archcolour import cli

    for kind, out in batch_run.outputs.items():
        assert cli.main(["inspect", str(out)]) == 0
        text = capsys.readouterr().out
        assert text.startswith(f"{out.name}: colourised by archcolour {__version__}")
        assert P.XMP_CONTAINERS[FORMAT_OF[kind]] in text
        assert "compositeWithTrainedAlgorithmicMedia" in text and "not a historical record" in text
        assert batch_run.digests[kind] in text and batch_run.col.info.sha256 in text
        assert "output SHA-256 matches this file" in text
    assert cli.main(["inspect", "--json", str(batch_run.outputs["jpeg"])]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["kept"]["dc:rights"] == {"x-default": "Public domain"}
    src = batch_run.sources["png16"]  # a plain greyscale PNG: no provenance anywhere
    assert cli.main(["inspect", str(src)]) == 1
    text = capsys.readouterr().out
    assert "no archcolour provenance" in text
    assert cli.main(["inspect", str(batch_run.root / "missing.png")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_no_sidecar_option(tmp_path, tiny_models_dir, capsys):
    from archcolour import cli

    src = tmp_path / "wall.png"
    Image.fromarray(_grey(16, 20)).save(src)
    out_dir = tmp_path / "out"
    assert cli.main(["colourise", str(src), "-o", str(out_dir), "--no-sidecar", "--no-manifest", "-q"]) == 0
    out = out_dir / "wall_colourised.png"
    assert out.is_file() and not P.sidecar_path(out).exists() and not (out_dir / P.MANIFEST_NAME).exists()
    read = P.read_provenance(out)  # still carries its XMP
    assert read["found_in"] == [P.XMP_CONTAINERS["PNG"]] and read["source"]["name"] == "wall.png"
    capsys.readouterr()


def test_ensemble_is_recorded_and_changes_the_colour(tmp_path, tiny_models_dir, capsys):
    """The test-time ensemble is part of how an output was made: in the XMP and the sidecar."""
    from archcolour import cli

    src = tmp_path / "wall.png"
    Image.fromarray(_grey(40, 56)).save(src)
    outs = {}
    for ens in ("full", "none"):
        out_dir = tmp_path / ens
        args = ["colourise", str(src), "-o", str(out_dir), "-q"] + ([] if ens == "full" else ["--ensemble", ens])
        assert cli.main(args) == 0
        out = out_dir / "wall_colourised.png"
        read = P.read_provenance(out)
        assert read["engine"]["ensemble"] == ens
        assert json.loads(P.sidecar_path(out).read_text())["engine"]["ensemble"] == ens
        outs[ens] = np.asarray(Image.open(out))
    assert not np.array_equal(outs["full"], outs["none"])
    capsys.readouterr()


def test_guidance_round_trips_through_xmp_and_sidecar(tmp_path):
    """Hints, the reference and vividness are part of how an output was made (issue 10)."""
    hints = [{"x": 0.25, "y": 0.5, "colour": {"ab": [30.0, 20.0]}, "radius": 0.01}]
    prov = make_prov(tmp_path, hints=hints, vividness=1.3, reference_name="today.jpg",
                     reference_sha256="cd" * 32, upsampling="guided")
    assert "guided by the user (1 colour hint and the reference photograph today.jpg)" in prov.description
    assert "Vividness 1.3" in prov.description
    assert prov.guided_by_user
    d = prov.to_dict()
    assert d["guidance"] == {"vividness": 1.3, "hints": hints, "reference": {"name": "today.jpg", "sha256": "cd" * 32}}
    assert d["engine"]["upsampling"] == "guided"
    assert P.Provenance.from_dict(d).to_dict() == d
    read = P.provenance_from_xmp(P.parse_xmp(P.to_xmp(prov)))
    assert read["guidance"] == d["guidance"]
    assert read["engine"]["upsampling"] == "guided"


def test_no_guidance_is_not_claimed(tmp_path):
    prov = make_prov(tmp_path)
    assert "guided by the user" not in prov.description.lower()
    read = P.provenance_from_xmp(P.parse_xmp(P.to_xmp(prov)))
    assert read["guidance"] == {"vividness": 1.0, "hints": [], "reference": {"name": None, "sha256": None}}


# ------------------------------------------------------------------------------------------------
# issue 12: descriptive fields from XMP, IIM and EXIF; the output's IIM; the capture date
# ------------------------------------------------------------------------------------------------
def _ds(record: int, n: int, text: str | bytes) -> bytes:
    b = text.encode("utf-8") if isinstance(text, str) else text
    return bytes([0x1C, record, n]) + len(b).to_bytes(2, "big") + b


def _exif_taken(**ifd0) -> bytes:
    e = Image.Exif()
    for tag, v in ifd0.items():
        e[{"artist": 0x013B, "copyright": 0x8298, "description": 0x010E}[tag]] = v
    sub = e.get_ifd(0x8769)
    sub[0x9003], sub[0x9011], sub[0x9004] = "1911:05:14 10:30:00", "+02:00", "1960:01:02 03:04:05"
    return e.tobytes()


def test_descriptive_fields_merge_xmp_then_iim_then_exif():
    from archcolour.provenance import descriptive as D

    iim = _ds(1, 90, b"\x1b%G") + _ds(2, 5, "IIM title") + _ds(2, 105, "IIM headline") + _ds(2, 120, "IIM caption") \
        + _ds(2, 55, "19110514") + _ds(2, 60, "103000+0200")
    exif = _exif_taken(artist="E. Artist; F. Second", copyright="EXIF rights", description="EXIF caption")
    kept, caption = D.merge_descriptive(P.parse_xmp(SOURCE_XMP), iim, exif)
    assert kept["dc:title"]["x-default"] == "Temple of Hephaestus, 1890"  # XMP wins
    assert kept["photoshop:Headline"] == "IIM headline"  # IIM fills what the XMP lacks
    assert kept["photoshop:DateCreated"] == "1911-05-14T10:30:00+02:00"  # IIM 2:55 + 2:60
    assert kept["xmp:CreateDate"] == "1960-01-02T03:04:05"  # EXIF DateTimeDigitized: the source's digitisation
    assert kept["dc:creator"] == ["A. Photographer"] and caption == "West front seen from the agora"
    kept, caption = D.merge_descriptive({}, None, exif)  # EXIF alone
    assert kept["photoshop:DateCreated"] == "1911-05-14T10:30:00+02:00"
    assert kept["dc:creator"] == ["E. Artist", "F. Second"] and kept["dc:rights"] == {"x-default": "EXIF rights"}
    assert caption == "EXIF caption"
    assert D.merge_descriptive({}, iim, None)[1] == "IIM caption"
    # an XMP exif:DateTimeOriginal (Lightroom writes one) stands in for photoshop:DateCreated
    kept, _ = D.merge_descriptive({"exif:DateTimeOriginal": "1920-03-04T05:06:07"}, None, exif)
    assert kept["photoshop:DateCreated"] == "1920-03-04T05:06:07" and kept["exif:DateTimeOriginal"]


def test_the_merge_says_which_block_each_field_came_from():
    """One merge for the outputs and the desktop application's metadata panel: its origins follow it."""
    from archcolour.provenance import descriptive as D

    iim = _ds(1, 90, b"\x1b%G") + _ds(2, 105, "IIM headline") + _ds(2, 120, "IIM caption") + _ds(2, 55, "19110514")
    exif = _exif_taken(artist="E. Artist; F. Second", copyright="EXIF rights", description="EXIF caption")
    d = D.gather_descriptive(P.parse_xmp(SOURCE_XMP), iim, exif)
    assert (d.kept, d.caption) == D.merge_descriptive(P.parse_xmp(SOURCE_XMP), iim, exif)
    assert (d.origin["dc:title"], d.origin["photoshop:Headline"], d.origin["xmp:CreateDate"]) == ("XMP", "IPTC", "EXIF")
    assert d.origin["dc:description"] == "XMP" and d.text("dc:description") == "West front seen from the agora"
    d = D.gather_descriptive({}, iim, exif)
    assert d.origin["dc:description"] == "IPTC" and d.text("dc:description") == "IIM caption"
    assert d.origin["photoshop:DateCreated"] == "IPTC" and d.text("photoshop:DateCreated") == "1911-05-14"
    assert d.origin["dc:creator"] == "EXIF" and d.text("dc:creator") == "E. Artist; F. Second"
    assert d.text("dc:rights") == "EXIF rights" and d.text("dc:title") is None
    d = D.gather_descriptive({"exif:DateTimeOriginal": "1920-03-04T05:06:07"}, None, None)
    assert d.origin["photoshop:DateCreated"] == "XMP" and "dc:description" not in d.origin


def test_dates_between_exif_xmp_and_iim():
    from archcolour.provenance import descriptive as D, iptc as I

    assert D.exif_date_to_xmp("1911:05:14 10:30:00", "+02:00") == "1911-05-14T10:30:00+02:00"
    assert D.exif_date_to_xmp("1911:05:00 00:00:00") == "1911-05" and D.exif_date_to_xmp("    :  :     :  :  ") is None
    assert D.xmp_date_to_exif("1911-05-14T10:30:00+02:00") == ("1911:05:14 10:30:00", "+02:00")
    assert D.xmp_date_to_exif("1911-05-14T10:30Z") == ("1911:05:14 10:30:00", "+00:00")
    assert D.xmp_date_to_exif("1911-05-14") is None  # EXIF dates are whole: never a made-up time
    assert I._xmp_date_to_iim("1911-05-14T10:30:00+02:00") == ("19110514", "103000+0200")
    assert I._xmp_date_to_iim("1911") == ("19110000", None)
    assert I._xmp_date_to_iim("1911-05-14T10:30:00") == ("19110514", None)  # no zone: no 2:60
    assert I.iim_to_xmp_props(_ds(2, 55, "19110500"))["photoshop:DateCreated"] == "1911-05"


def test_the_outputs_iim_follows_the_xmp_and_carries_only_what_describes_the_photograph():
    from archcolour.provenance import iptc as I

    src = _ds(1, 20, b"\x00\x01") + _ds(2, 5, "old title") + _ds(2, 100, "GRC") + _ds(2, 118, "archive@example.org") \
        + _ds(2, 65, "ScanSoft") + _ds(2, 130, "1M") + _ds(2, 120, "old caption") + _ds(2, 25, "stoa")
    kept = {"dc:title": {"x-default": "T" * 100}, "dc:subject": ["a", "b"], "photoshop:City": "Délos",
            "photoshop:DateCreated": "1911-05-14T10:30:00+02:00", "Iptc4xmpCore:CountryCode": "GR"}
    out = I.iim_for_output(src, kept, "our note. Original description: old caption")
    recs = I.iim_records(out)
    assert recs[(1, 90)] == [b"\x1b%G"] and (1, 20) not in recs  # UTF-8 declared; the source's envelope not carried
    assert recs[(2, 5)] == [("T" * 58 + " [...]").encode()]  # the XMP's value, cut to IIM's 64 bytes
    assert recs[(2, 25)] == [b"a", b"b"] and recs[(2, 90)] == ["Délos".encode()]
    assert recs[(2, 55)] == [b"19110514"] and recs[(2, 60)] == [b"103000+0200"]
    assert recs[(2, 120)] == [b"our note. Original description: old caption"]
    assert recs[(2, 118)] == [b"archive@example.org"]  # no XMP twin: carried as it was
    assert (2, 65) not in recs and (2, 130) not in recs  # the source's program and its pixel type
    assert (2, 100) not in recs  # IIM's country code is alpha-3; the XMP's "GR" is not
    assert I.iim_for_output(None, kept, "x") is None and I.iim_for_output(b"", kept, "x") is None
    assert I.iim_for_output(_ds(1, 90, b"\x1b%G"), kept, "x") is None  # an envelope alone is no IIM


def test_output_metadata_gives_the_capture_date_to_exif_and_the_iim_to_the_writer(tmp_path):
    src = tmp_path / "temple.jpg"
    src.write_bytes(b"pretend source bytes")
    iim = _ds(1, 90, b"\x1b%G") + _ds(2, 80, "É. Durand") + _ds(2, 55, "19110514") + _ds(2, 60, "103000+0200") \
        + _ds(2, 120, "C" * 3000)
    meta = SimpleNamespace(xmp=None, iptc=iim, exif=None, icc=None, dpi=None, file_size=20, sha256="cd" * 32)
    source = SimpleNamespace(path=src, format="JPEG", notes=[], meta=meta, width=8, height=6)
    md = P.output_metadata(source, fake_colouriser(), tmp_path / "temple_colourised.jpg", "JPEG")
    e = Image.Exif()
    e.load(md.exif)  # made for the capture date and creator, the source had no EXIF
    sub = e.get_ifd(0x8769)
    assert (sub[0x9003], sub[0x9011], e[0x013B]) == ("1911:05:14 10:30:00", "+02:00", "É. Durand".encode().decode("latin-1"))
    recs = P.iptc.iim_records(md.iptc)
    assert recs[(2, 80)] == ["É. Durand".encode()] and len(recs[(2, 120)][0]) <= 2000
    assert len(md.description.encode()) <= 2000 and md.description.endswith(" [...]")
    assert md.provenance.source_description == "C" * 3000  # whole in the XMP and the sidecar
    props = P.parse_xmp(md.xmp)
    assert props["photoshop:DateCreated"] == "1911-05-14T10:30:00+02:00" and "xmp:CreateDate" not in props
    assert props["xmp:ModifyDate"] == props["xmp:MetadataDate"] == md.provenance.created


def test_an_exif_date_of_the_source_is_never_overwritten_nor_given_another_dates_zone():
    from archcolour.imageio import exif as E

    e = Image.Exif()
    e.get_ifd(0x8769)[0x9003] = "1920:01:01 12:00:00"
    raw = e.tobytes()
    out = Image.Exif()
    out.load(E.exif_with_descriptive(raw, {"DateTimeOriginal": "1911:05:14 10:30:00", "OffsetTimeOriginal": "+02:00",
                                           "Artist": "Ελένη"}))
    sub = out.get_ifd(0x8769)
    assert sub[0x9003] == "1920:01:01 12:00:00" and 0x9011 not in sub
    assert out[0x013B].encode("latin-1").decode("utf-8") == "Ελένη"  # UTF-8 bytes (MWG)
    assert E.exif_with_descriptive(raw, {}) is raw
    assert E.exif_descriptive(E.exif_with_descriptive(None, {"Copyright": "c"})) == {"Copyright": "c"}

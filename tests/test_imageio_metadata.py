"""imageio.metadata: the one EXIF-for-output, the one ICC rule, the one XMP reader."""
from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PIL import Image, ImageCms

from archcolour import imageio
from archcolour.imageio import exif as E, metadata as M

XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description rdf:about=""/></rdf:RDF></x:xmpmeta>')


def _grey_profile() -> bytes:
    # a "GRAY" profile: what greyscale scans are often tagged with
    p = ImageCms.createProfile("sRGB")
    data = bytearray(ImageCms.ImageCmsProfile(p).tobytes())
    data[16:20] = b"GRAY"
    return bytes(data)


# -- ICC: one rule --------------------------------------------------------------------------------
def test_untagged_sources_are_tagged_srgb_because_our_rgb_is_srgb():
    icc, note = M.icc_for_output(None)
    assert icc == M.srgb_profile() and icc[16:20] == b"RGB " and "no profile" in note


def test_a_grey_or_foreign_profile_is_replaced_by_srgb_and_an_srgb_one_kept_byte_for_byte():
    icc, note = M.icc_for_output(_grey_profile())
    assert icc == M.srgb_profile() and "replaced by sRGB" in note
    own = M.srgb_profile() + b""
    assert M.icc_for_output(own) == (own, "kept the source's sRGB profile")


def test_an_untagged_greyscale_source_gives_an_srgb_tagged_output(tmp_path):
    """End to end through the CLI: the output of an untagged greyscale PNG and JPEG carries sRGB."""
    from archcolour import cli

    for name in ("grey.png", "grey.jpg"):
        Image.fromarray((np.arange(32 * 48) % 251).astype(np.uint8).reshape(32, 48)).save(tmp_path / name)
    rc = cli.main(["colourise", str(tmp_path / "grey.png"), str(tmp_path / "grey.jpg"), "-o", str(tmp_path / "out"),
                   "-q", "--no-manifest"])
    assert rc == 0
    for out in ("grey_colourised.png", "grey_colourised.jpg"):
        with Image.open(tmp_path / "out" / out) as im:
            icc = im.info.get("icc_profile")
        assert icc and "sRGB" in M.icc_description(icc), out


def test_the_embedded_srgb_profile_is_the_same_bytes_in_every_process():
    """Issue 13: LittleCMS stamps the current time into the profile header (bytes 24:36), so two runs
    gave outputs that differ. Two processes, in different seconds, must build the same bytes."""
    import struct
    import subprocess
    import sys
    import time

    code = "import sys; from archcolour.imageio.metadata import srgb_profile; sys.stdout.buffer.write(srgb_profile())"
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    time.sleep(1.1 - time.time() % 1)  # into the next second (the header's resolution)
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    assert first == second == M.srgb_profile()
    assert struct.unpack(">6H", first[24:36]) == M.ICC_HEADER_DATE
    assert first[36:40] == b"acsp" and "sRGB" in M.icc_description(first)


# -- EXIF -------------------------------------------------------------------------------------------
def _exif(orientation=6) -> bytes:
    e = Image.Exif()
    e[0x010F] = "Hasselblad"
    e[0x0112] = orientation
    e[0x0100] = 4000  # the source's pixel width: stale on the output
    e.get_ifd(0x8769)[0x9003] = "1931:05:01 10:00:00"
    return e.tobytes()


def test_exif_for_output_is_right_and_stable_when_applied_twice():
    once = E.exif_for_output(_exif(), width=40, height=30, software="archcolour t", description="colourised")
    twice = E.exif_for_output(once, width=40, height=30, software="archcolour t", description="colourised")
    for raw in (once, twice):
        e = Image.Exif()
        e.load(raw)
        assert (e[0x010F], e[0x0112], e[0x0131], e[0x010E]) == ("Hasselblad", 1, "archcolour t", "colourised")
        assert 0x0100 not in e
        sub = e.get_ifd(0x8769)
        assert sub[0x9003] == "1931:05:01 10:00:00" and (sub[0xA002], sub[0xA003], sub[0xA001]) == (40, 30, 1)
    assert E.exif_for_output(None) is None and E.exif_for_output(b"not exif at all") is None


def _tag_types(exif: bytes) -> dict[str, dict[int, tuple[int, bytes]]]:
    """{'IFD0'|'ExifIFD': {tag: (TIFF type, the entry's 4 value bytes)}}, parsed here with struct alone."""
    import struct

    data = exif[6:] if exif.startswith(b"Exif\x00\x00") else exif
    bo = "<" if data[:2] == b"II" else ">"

    def entries(offset):
        n = struct.unpack_from(bo + "H", data, offset)[0]
        return {tag: (typ, data[offset + 10 + 12 * i:offset + 14 + 12 * i])
                for i, (tag, typ) in enumerate(struct.unpack_from(bo + "HH", data, offset + 2 + 12 * i)
                                               for i in range(n))}
    ifd0 = entries(struct.unpack_from(bo + "I", data, 4)[0])
    out = {"IFD0": ifd0}
    if 0x8769 in ifd0:
        out["ExifIFD"] = entries(struct.unpack_from(bo + "I", ifd0[0x8769][1])[0])
    return out


def _camera_exif(byteorder: str = "MM") -> bytes:
    """A camera's EXIF: UNDEFINED data and a positive SRATIONAL, which Pillow's Image.Exif re-types."""
    blk = E.ExifBlock((b"II*\x00" if byteorder == "II" else b"MM\x00*") + bytes(4))
    blk.ifd0 = {0x010F: (2, "Hasselblad"), 0x0112: (3, 6), 0x011A: (5, 300.0), 0x011B: (5, 300.0), 0x0128: (3, 2)}
    blk.exif = {0x9000: (7, b"0221"), 0x9101: (7, b"\x01\x02\x03\x00"), 0x9102: (5, 4.0),
                0x9003: (2, "1931:05:01 10:00:00"), 0x9204: (10, 1.0), 0x9286: (7, b"ASCII\x00\x00\x00a note"),
                0xA300: (7, b"\x03")}
    return blk.tobytes()


@pytest.mark.parametrize("byteorder", ["MM", "II"])
def test_exif_for_output_keeps_every_tags_type_and_has_the_tags_exif_requires(byteorder):
    """exiftool -validate flagged our JPEGs: no XResolution/YResolution/ResolutionUnit/YCbCrPositioning in
    IFD0, ComponentsConfiguration as BYTE (Pillow's Image.Exif guesses EXIF-IFD types again)."""
    src = _camera_exif(byteorder)
    jpeg = E.exif_for_output(src, width=40, height=30, software="archcolour t", fmt="JPEG", dpi=(600, 600))
    t = _tag_types(jpeg)
    assert jpeg[6:8] == byteorder.encode()  # the source's byte order (UNDEFINED data may be laid out in it)
    assert {tag: typ for tag, (typ, _) in t["IFD0"].items() if tag in (0x011A, 0x011B, 0x0128, 0x0213, 0x0112)} == \
        {0x011A: 5, 0x011B: 5, 0x0128: 3, 0x0213: 3, 0x0112: 3}
    sub = t["ExifIFD"]
    assert {tag: sub[tag][0] for tag in (0x9000, 0x9101, 0xA000, 0x9286, 0xA300, 0x9204, 0xA001)} == \
        {0x9000: 7, 0x9101: 7, 0xA000: 7, 0x9286: 7, 0xA300: 7, 0x9204: 10, 0xA001: 3}
    assert 0x9102 not in sub  # the source's compression, not ours
    e = Image.Exif()
    e.load(jpeg)
    assert (e[0x011A], e[0x011B], e[0x0128], e[0x0213], e[0x0112]) == (600, 600, 2, 1, 1)
    s = e.get_ifd(0x8769)
    assert (s[0x9000], s[0x9101], s[0xA000], s[0xA002], s[0xA003]) == (b"0232", b"\x01\x02\x03\x00", b"0100", 40, 30)
    assert s[0x9286] == b"ASCII\x00\x00\x00a note" and s[0x9003] == "1931:05:01 10:00:00"
    # not a JPEG: no YCbCr tags; no dpi: the source's resolution stays
    png = E.exif_for_output(src, width=40, height=30, fmt="PNG")
    t = _tag_types(png)
    assert 0x0213 not in t["IFD0"] and 0x9101 not in t["ExifIFD"]
    e.load(png)
    assert (e[0x011A], e[0x0128]) == (300, 2)
    # no resolution anywhere: EXIF's default, 72 dpi
    e.load(E.exif_for_output(Image.Exif().tobytes(), fmt="JPEG"))
    assert (e[0x011A], e[0x011B], e[0x0128]) == (72, 72, 2)
    # descriptive fields added to the camera's EXIF keep the other tags' types too
    added = E.exif_with_descriptive(src, {"Artist": "Ελένη", "OffsetTimeOriginal": "+02:00",
                                          "DateTimeOriginal": "1931:05:01 10:00:00"})
    t = _tag_types(added)
    assert t["IFD0"][0x013B][0] == 2 and t["ExifIFD"][0x9101][0] == 7 and t["ExifIFD"][0x9204][0] == 10
    assert t["ExifIFD"][0x9011][0] == 2


def test_a_newer_exif_version_is_kept():
    blk = E.ExifBlock()
    blk.exif = {0x9000: (7, b"0300"), 0x9003: (2, "1931:05:01 10:00:00")}
    e = Image.Exif()
    e.load(E.exif_for_output(blk.tobytes(), fmt="JPEG"))
    assert e.get_ifd(0x8769)[0x9000] == b"0300"


def test_read_source_metadata_is_load_images_metadata_without_decoding_or_hashing(tmp_path, monkeypatch):
    from archcolour.imageio import read as read_mod

    p = tmp_path / "scan.jpg"
    Image.fromarray(np.zeros((16, 24), np.uint8)).save(p, exif=_exif(), dpi=(600, 600), xmp=XMP,
                                                       icc_profile=M.srgb_profile())
    loaded = imageio.load_image(p).meta

    def refused(*_a, **_k):
        raise AssertionError("pixels decoded or the file hashed")
    for name in ("decode_tiff", "decode_pillow", "_Hasher"):
        monkeypatch.setattr(read_mod, name, refused)
    meta = imageio.read_source_metadata(p)
    assert meta.sha256 == "" and meta.exif and meta.xmp == XMP and meta.dpi == (600, 600)
    assert (meta.exif, meta.icc, meta.dpi, meta.xmp, meta.iptc, meta.file_size) == \
        (loaded.exif, loaded.icc, loaded.dpi, loaded.xmp, loaded.iptc, loaded.file_size)
    with pytest.raises(imageio.ImageLoadError, match="empty file"):
        (tmp_path / "empty.png").write_bytes(b"")
        imageio.read_source_metadata(tmp_path / "empty.png")


def test_unreadable_exif_is_noted_on_load(tmp_path, monkeypatch):
    p = tmp_path / "x.jpg"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(p)

    def broken(self):
        raise SyntaxError("bad EXIF IFD")

    monkeypatch.setattr(Image.Image, "getexif", broken)
    loaded = imageio.load_image(p)
    assert loaded.meta.exif is None and any("EXIF unreadable" in n for n in loaded.notes)


# -- XMP: one reader ----------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt, ext", [("JPEG", "jpg"), ("PNG", "png"), ("TIFF", "tif"), ("WEBP", "webp")])
def test_read_embedded_xmp_finds_what_other_writers_put_there(tmp_path, fmt, ext):
    p = tmp_path / f"x.{ext}"
    rgb = np.zeros((8, 8, 3), np.uint8)
    if fmt == "TIFF":
        tifffile.imwrite(p, rgb, photometric="rgb", extratags=[(700, "B", len(XMP), XMP, True)])
    elif fmt == "PNG":
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", XMP.decode(), zip=True)  # compressed: Pillow's reader needs zlib too
        Image.fromarray(rgb).save(p, pnginfo=info)
    else:
        Image.fromarray(rgb).save(p, format=fmt, xmp=XMP)
    assert M.read_embedded_xmp(p) == (XMP, M.XMP_CONTAINERS[fmt])
    assert imageio.read_xmp(p) == XMP


def test_read_embedded_xmp_scans_other_containers_and_never_raises(tmp_path):
    p = tmp_path / "x.gif"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(p)
    p.write_bytes(p.read_bytes() + b"junk" + XMP)
    data, where = M.read_embedded_xmp(p)
    assert data == XMP and "scanning" in where
    assert M.read_embedded_xmp(tmp_path / "missing.png") == (None, None)
    (tmp_path / "plain.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 5)
    assert M.read_embedded_xmp(tmp_path / "plain.png") == (None, None)


def test_the_metadata_module_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys, archcolour.imageio.metadata, archcolour.provenance; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_animated_gif_gives_its_first_frame_with_a_note(tmp_path):
    frames = [Image.fromarray(np.full((10, 12), v, np.uint8)) for v in (40, 200, 90)]
    p = tmp_path / "anim.gif"
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0)
    loaded = imageio.load_image(p)
    assert loaded.format == "GIF" and loaded.l.shape == (10, 12)
    assert "animated GIF: first frame of 3 used" in loaded.notes
    assert float(loaded.l.mean()) == pytest.approx(float(imageio.lightness.grey_lut(256)[40]), abs=0.5)


# -- issue 12: IIM and the TIFF EXIF sub-IFD, both ways ----------------------------------------------
IIM = (b"\x1c\x01\x5a\x00\x03\x1b%G" + b"\x1c\x02\x05\x00\x05Forum"
       + b"\x1c\x02\x78\x00\x0b" + "Ναός caption"[:6].encode() + b"!")


def test_a_tiff_iim_written_as_longs_is_read_whole(tmp_path):
    """Photoshop and exiftool give tag 33723 the type LONG; Pillow decodes only its first value."""
    data = IIM + b"\x00" * (-len(IIM) % 4)
    longs = tuple(np.frombuffer(data, "<u4").tolist())
    tifffile.imwrite(tmp_path / "l.tif", np.zeros((4, 4), np.uint8), extratags=[(33723, "I", len(longs), longs, True)])
    assert imageio.load_image(tmp_path / "l.tif").meta.iptc == data


def test_a_png_raw_iptc_profile_is_read(tmp_path):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Raw profile type iptc", f"\nIPTC profile\n{len(IIM):8d}\n{IIM.hex()}\n", zip=True)
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "r.png", pnginfo=info)
    assert imageio.load_image(tmp_path / "r.png").meta.iptc == IIM


@pytest.mark.parametrize("bits", [8, 16])
def test_tiff_outputs_carry_the_exif_sub_ifd_and_the_iim(tmp_path, bits):
    e = Image.Exif()
    e[0x013B] = "Ελένη".encode("utf-8")
    sub = e.get_ifd(0x8769)
    sub[0x9003], sub[0x9101] = "1911:05:14 10:30:00", b"\x01\x02\x03\x00"
    e.get_ifd(0x8825)[2] = (37.0, 58.0, 0.0)  # GPSLatitude
    rgb = np.zeros((6, 8, 3), np.uint8 if bits == 8 else np.uint16)
    w = imageio.save_image(tmp_path / "o.tif", rgb, "TIFF", exif=e.tobytes(), iptc=IIM, xmp=XMP, icc=M.srgb_profile(),
                           dpi=(300, 300), description="Colourised; Ναός caption")
    import hashlib

    assert w.sha256 == hashlib.sha256(w.path.read_bytes()).hexdigest()
    with Image.open(w.path) as im:
        ex = im.getexif()
        assert ex.get_ifd(0x8769)[0x9003] == "1911:05:14 10:30:00"
        assert 0x9101 not in ex.get_ifd(0x8769)  # JPEG-only tag, not allowed in a TIFF
        assert ex.get_ifd(0x8825)[2] == (37.0, 58.0, 0.0)
        assert ex[0x013B].encode("latin-1").decode("utf-8") == "Ελένη"
    with tifffile.TiffFile(w.path) as tf:
        page = tf.pages[0]
        assert page.tags[700].value == XMP and page.tags[34675].value == M.srgb_profile()
        assert page.tags[33723].dtype == 4  # LONG, as Photoshop writes it
        assert np.array_equal(page.asarray(), rgb)
    assert "Colourised; Ναός caption".encode() + b"\x00" in w.path.read_bytes()  # tag 270 in UTF-8 (MWG)
    loaded = imageio.load_image(w.path)
    assert loaded.meta.iptc.rstrip(b"\x00") == IIM and loaded.meta.dpi == (300, 300)


def test_jpeg_outputs_carry_the_iim_in_a_photoshop_block_with_its_digest(tmp_path):
    import hashlib

    w = imageio.save_image(tmp_path / "o.jpg", np.zeros((6, 8, 3), np.uint8), "JPEG", iptc=IIM, xmp=XMP,
                           description="d")
    with Image.open(w.path) as im:
        ps = im.info["photoshop"]
        assert ps[0x0404] == IIM and ps[0x0425] == hashlib.md5(IIM).digest()
        assert im.info["xmp"] == XMP and im.getexif()[0x010E] == "d"
    assert imageio.load_image(w.path).meta.iptc == IIM
    # formats without an IIM container are given none
    p = imageio.save_image(tmp_path / "o.png", np.zeros((6, 8, 3), np.uint8), "PNG", iptc=IIM).path
    assert IIM not in p.read_bytes()


def test_legacy_text_drops_control_characters_and_cuts_at_a_character():
    assert E.legacy_text("a\x00b\x1b[31mc\td\ne\x7f") == "ab[31mc\td\ne"
    cut = E.legacy_text("é" * 100, 20)
    assert len(cut.encode()) <= 20 and cut.endswith(" [...]") and cut.startswith("é" * 7)

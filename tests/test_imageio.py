"""Loading every kind of input (and refusing the bad ones), metadata, and atomic saving."""
from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
import torch
from PIL import Image, ImageCms, ImageOps
from skimage import color as skcolor

from archcolour import colour, imageio
from archcolour.imageio import ImageLoadError, load_image, save_image

XMP = (b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
       b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
       b'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="test \xc3\xa9"/></rdf:RDF></x:xmpmeta>'
       b'<?xpacket end="w"?>')


def grey8(h=24, w=32, seed=0) -> np.ndarray:
    r = np.random.default_rng(seed)
    return (np.linspace(0, 255, w)[None, :] * 0.7 + r.random((h, w)) * 70).clip(0, 255).astype(np.uint8)


def grey16(h=24, w=32, seed=0) -> np.ndarray:
    r = np.random.default_rng(seed)
    return (r.random((h, w)) * 65535).astype(np.uint16)


def colour8(h=24, w=32, seed=0) -> np.ndarray:
    r = np.random.default_rng(seed)
    return (r.random((h, w, 3)) * 255).astype(np.uint8)


def ref_l_from_rgb(rgb01: np.ndarray) -> np.ndarray:
    return skcolor.rgb2lab(rgb01)[..., 0]


def ref_l_from_grey(g01: np.ndarray) -> np.ndarray:
    return ref_l_from_rgb(np.repeat(g01[..., None], 3, -1))


def assert_one_line_naming(err: ImageLoadError, path: Path) -> None:
    text = str(err)
    assert "\n" not in text
    assert path.name in text
    assert len(text) < 400


# ---------------------------------------------------------------------------------------------
# good inputs
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt,ext,lossless", [("JPEG", "jpg", False), ("PNG", "png", True), ("TIFF", "tif", True),
                                               ("WEBP", "webp", True), ("BMP", "bmp", True)])
def test_grey_8bit_formats(tmp_path, fmt, ext, lossless):
    g = grey8()
    p = tmp_path / f"g.{ext}"
    kwargs = {"lossless": True} if fmt == "WEBP" else {}
    Image.fromarray(g).save(p, format=fmt, **kwargs)
    im = load_image(p)
    assert (im.height, im.width) == g.shape and im.l.shape == g.shape
    assert im.l.dtype == np.float32 and im.bit_depth == 8 and im.format == fmt
    assert not im.was_colour
    if lossless:
        assert np.abs(im.l - ref_l_from_grey(g / 255.0)).max() < 1e-3
    else:
        with Image.open(p) as decoded:
            assert np.abs(im.l - ref_l_from_grey(np.asarray(decoded.convert("L")) / 255.0)).max() < 1e-3


def test_grey_16bit_tiff_keeps_full_precision(tmp_path):
    g = grey16()
    g[0, 0], g[0, 1] = 30000, 30001  # one 16-bit step apart: must stay distinct
    tifffile.imwrite(tmp_path / "g16.tif", g)
    im = load_image(tmp_path / "g16.tif")
    assert im.bit_depth == 16 and im.format == "TIFF" and not im.was_colour
    assert np.abs(im.l - ref_l_from_grey(g / 65535.0)).max() < 1e-3
    assert im.l[0, 1] > im.l[0, 0]


def test_grey_16bit_png(tmp_path):
    g = grey16(seed=3)
    Image.fromarray(g).save(tmp_path / "g16.png")
    im = load_image(tmp_path / "g16.png")
    assert im.bit_depth == 16 and im.mode.startswith("I")
    assert np.abs(im.l - ref_l_from_grey(g / 65535.0)).max() < 1e-3


def test_colour_16bit_tiff_reduced_to_l_in_16_bits(tmp_path):
    rgb = (np.random.default_rng(1).random((20, 30, 3)) * 65535).astype(np.uint16)
    tifffile.imwrite(tmp_path / "c16.tif", rgb, photometric="rgb")
    im = load_image(tmp_path / "c16.tif")
    assert im.was_colour and im.bit_depth == 16
    assert np.abs(im.l - ref_l_from_rgb(rgb / 65535.0)).max() < 1e-3


def test_planar_and_min_is_white_tiffs(tmp_path):
    rgb = (np.random.default_rng(2).random((3, 20, 30)) * 65535).astype(np.uint16)
    tifffile.imwrite(tmp_path / "planar.tif", rgb, photometric="rgb", planarconfig="separate")
    im = load_image(tmp_path / "planar.tif")
    assert im.l.shape == (20, 30)
    assert np.abs(im.l - ref_l_from_rgb(np.moveaxis(rgb, 0, -1) / 65535.0)).max() < 1e-3
    g = grey8()
    tifffile.imwrite(tmp_path / "miw.tif", 255 - g, photometric="miniswhite")
    im = load_image(tmp_path / "miw.tif")
    assert np.abs(im.l - ref_l_from_grey(g / 255.0)).max() < 1e-3


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_colour_and_sepia_scans_reduced_to_l(tmp_path, fmt):
    g = grey8() / 255.0
    sepia = np.stack([g * 1.0, g * 0.85, g * 0.65], -1)
    rgb = (sepia * 255).round().astype(np.uint8)
    p = tmp_path / f"sepia.{fmt.lower()}"
    Image.fromarray(rgb).save(p, format=fmt)
    im = load_image(p)
    assert im.was_colour
    with Image.open(p) as d:
        decoded = np.asarray(d.convert("RGB")) / 255.0
    assert np.abs(im.l - ref_l_from_rgb(decoded)).max() < 1e-3


def test_grey_stored_as_rgb_is_not_colour(tmp_path):
    g = grey8()
    Image.fromarray(np.repeat(g[..., None], 3, -1)).save(tmp_path / "rgbgrey.png")
    im = load_image(tmp_path / "rgbgrey.png")
    assert not im.was_colour
    assert np.abs(im.l - ref_l_from_grey(g / 255.0)).max() < 1e-3


def _mode_image(mode: str) -> Image.Image:
    g = grey8()
    if mode == "P":
        return Image.fromarray(g).convert("P")
    if mode == "P+tRNS":
        im = Image.fromarray(colour8()).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
        im.info["transparency"] = 0
        return im
    if mode == "LA":
        return Image.fromarray(np.dstack([g, np.full(g.shape, 100, np.uint8)]), "LA")
    if mode == "RGBA":
        return Image.fromarray(np.dstack([colour8(), np.full(g.shape, 10, np.uint8)]), "RGBA")
    if mode == "CMYK":
        return Image.fromarray(colour8()).convert("CMYK")
    if mode == "1":
        return Image.fromarray(g).convert("1")
    if mode == "I":
        return Image.fromarray(g.astype(np.int32) * 257, "I")
    if mode == "F":
        return Image.fromarray((g / 255.0).astype(np.float32), "F")
    raise AssertionError(mode)


@pytest.mark.parametrize("mode,fmt,expect_note", [
    ("P", "PNG", None), ("P+tRNS", "PNG", "alpha"), ("LA", "PNG", "alpha"), ("RGBA", "PNG", "alpha"),
    ("RGBA", "WEBP", "alpha"), ("CMYK", "JPEG", None), ("CMYK", "TIFF", None), ("1", "PNG", None),
    ("1", "BMP", None), ("I", "TIFF", None), ("F", "TIFF", None), ("P", "BMP", None),
])
def test_pillow_modes(tmp_path, mode, fmt, expect_note):
    src = _mode_image(mode)
    p = tmp_path / f"m.{fmt.lower()}"
    kwargs = {"lossless": True} if fmt == "WEBP" else {}
    src.save(p, format=fmt, **kwargs)
    im = load_image(p)
    assert im.l.shape == (src.height, src.width)
    assert np.isfinite(im.l).all() and im.l.min() >= 0 and im.l.max() <= 100.0001
    if expect_note:
        assert any(expect_note in n for n in im.notes), im.notes
    # L must be what the colour library says for the image's RGB rendering
    if mode in ("P", "1", "LA", "P+tRNS"):
        with Image.open(p) as d:
            rgb = np.asarray(d.convert("RGB")) / 255.0
        assert np.abs(im.l - ref_l_from_rgb(rgb)).max() < 1e-3
    if mode in ("I", "F"):
        assert im.bit_depth == 16
        assert np.abs(im.l - ref_l_from_grey(grey8() / 255.0)).max() < 1e-3


def test_palette_tiff_via_tifffile(tmp_path):
    idx = (np.arange(24 * 32).reshape(24, 32) % 256).astype(np.uint8)
    cmap = np.stack([np.arange(256) * 257] * 3).astype(np.uint16)  # a grey palette
    tifffile.imwrite(tmp_path / "pal.tif", idx, photometric="palette", colormap=cmap)
    im = load_image(tmp_path / "pal.tif")
    assert not im.was_colour
    assert np.abs(im.l - ref_l_from_grey(idx / 255.0)).max() < 1e-3


def test_float_tiff_out_of_range_is_stretched_with_a_note(tmp_path):
    a = np.linspace(-5, 500, 24 * 32, dtype=np.float32).reshape(24, 32)
    tifffile.imwrite(tmp_path / "f.tif", a)
    im = load_image(tmp_path / "f.tif")
    assert im.l.min() == pytest.approx(0, abs=1e-4) and im.l.max() == pytest.approx(100, abs=1e-3)
    assert any("stretched" in n for n in im.notes)


def test_multipage_tiff_first_page_and_note(tmp_path):
    pages = np.stack([grey8(seed=i) for i in range(3)])
    tifffile.imwrite(tmp_path / "multi.tif", pages, photometric="minisblack")
    im = load_image(tmp_path / "multi.tif")
    assert im.l.shape == (24, 32)
    assert any("first page of 3" in n for n in im.notes), im.notes
    assert np.abs(im.l - ref_l_from_grey(pages[0] / 255.0)).max() < 1e-3


def test_lzw_tiff_falls_back_to_pillow(tmp_path):
    g = grey8()
    Image.fromarray(g).save(tmp_path / "lzw.tif", compression="tiff_lzw")
    im = load_image(tmp_path / "lzw.tif")
    assert np.abs(im.l - ref_l_from_grey(g / 255.0)).max() < 1e-3


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_applied(tmp_path, orientation):
    g = grey8(20, 30)
    exif = Image.Exif()
    exif[0x0112] = orientation
    p = tmp_path / f"o{orientation}.png"
    Image.fromarray(g).save(p, exif=exif.tobytes())
    with Image.open(p) as im0:
        upright = np.asarray(ImageOps.exif_transpose(im0))
    im = load_image(p)
    assert im.l.shape == upright.shape
    assert np.abs(im.l - ref_l_from_grey(upright / 255.0)).max() < 1e-3
    assert (im.width, im.height) == (upright.shape[1], upright.shape[0])


def test_exif_orientation_in_tiff(tmp_path):
    g = grey8(20, 30)
    tifffile.imwrite(tmp_path / "o6.tif", g, extratags=[(274, "H", 1, 6, True)])
    im = load_image(tmp_path / "o6.tif")
    assert im.l.shape == (30, 20)
    assert np.abs(im.l - ref_l_from_grey(np.rot90(g, -1) / 255.0)).max() < 1e-3


# ---------------------------------------------------------------------------------------------
# bad inputs: one line naming the file
# ---------------------------------------------------------------------------------------------
def _truncate(src: Path, dst: Path, frac=0.5) -> Path:
    b = src.read_bytes()
    dst.write_bytes(b[: int(len(b) * frac)])
    return dst


@pytest.mark.parametrize("kind", ["empty.jpg", "empty.png", "text.jpg", "html.tif", "random.png", "random.tif",
                                  "trunc.jpg", "trunc.png", "trunc.tif", "trunc16.tif", "header_only.png",
                                  "missing.png", "folder.jpg"])
def test_bad_inputs_give_one_line_error_naming_the_file(tmp_path, kind):
    p = tmp_path / kind
    g = grey8(64, 64)
    if kind.startswith("empty"):
        p.write_bytes(b"")
    elif kind == "text.jpg":
        p.write_text("this is not a photograph\n")
    elif kind == "html.tif":
        p.write_text("<html><body>404 not found</body></html>")
    elif kind.startswith("random"):
        p.write_bytes(np.random.default_rng(0).bytes(5000))
    elif kind == "trunc.jpg":
        Image.fromarray(g).save(tmp_path / "full.jpg")
        _truncate(tmp_path / "full.jpg", p)
    elif kind == "trunc.png":
        Image.fromarray(g).save(tmp_path / "full.png")
        _truncate(tmp_path / "full.png", p)
    elif kind == "trunc.tif":
        tifffile.imwrite(tmp_path / "full.tif", g)
        _truncate(tmp_path / "full.tif", p, 0.3)
    elif kind == "trunc16.tif":
        tifffile.imwrite(tmp_path / "full16.tif", grey16(64, 64), compression="zlib")
        _truncate(tmp_path / "full16.tif", p, 0.5)
    elif kind == "header_only.png":
        Image.fromarray(g).save(tmp_path / "full.png")
        _truncate(tmp_path / "full.png", p, 0.05)
    elif kind == "folder.jpg":
        p.mkdir()
    with pytest.raises(ImageLoadError) as ei:
        load_image(p)
    assert_one_line_naming(ei.value, p)
    assert ei.value.path == p


def _png_claiming_size(path: Path, w: int, h: int) -> Path:
    """A tiny valid PNG whose header claims w x h (a classic decompression bomb)."""
    Image.fromarray(grey8(4, 4)).save(path)
    b = bytearray(path.read_bytes())
    ihdr_data = bytes(b[16:29])
    ihdr_data = struct.pack(">II", w, h) + ihdr_data[8:]
    b[16:29] = ihdr_data
    b[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr_data) & 0xFFFFFFFF)
    path.write_bytes(bytes(b))
    return path


def test_decompression_bomb_png_refused(tmp_path):
    p = _png_claiming_size(tmp_path / "bomb.png", 100_000, 100_000)
    with pytest.raises(ImageLoadError) as ei:
        load_image(p)
    assert_one_line_naming(ei.value, p)
    assert "decompression bomb" in str(ei.value)


def test_pixel_limit_applies_to_tiff_and_pillow_paths(tmp_path, monkeypatch):
    monkeypatch.setattr(imageio.read, "MAX_PIXELS", 500)
    tifffile.imwrite(tmp_path / "big.tif", grey16(30, 30))
    Image.fromarray(grey8(30, 30)).save(tmp_path / "big.png")
    for name in ("big.tif", "big.png"):
        with pytest.raises(ImageLoadError) as ei:
            load_image(tmp_path / name)
        assert "decompression bomb" in str(ei.value) and name in str(ei.value)
    Image.fromarray(grey8(20, 20)).save(tmp_path / "ok.png")
    assert load_image(tmp_path / "ok.png").l.shape == (20, 20)


@pytest.mark.parametrize("w, h, bomb", [(10_000, 10_000, False), (20_000, 20_000, False), (20_000, 20_001, True),
                                         (100_000, 100_000, True)])
def test_the_limit_itself_from_headers_claiming_huge_sizes(tmp_path, w, h, bomb):
    """Tiny files whose headers claim w x h: a 100 MP (or exactly 400 MP) scan passes the pixel check
    (and then fails only because its pixel data is missing), one pixel row more is refused as a bomb."""
    p = _png_claiming_size(tmp_path / f"claims_{w}x{h}.png", w, h)
    with pytest.raises(ImageLoadError) as ei:
        load_image(p)
    assert_one_line_naming(ei.value, p)
    assert ("decompression bomb" in str(ei.value)) == bomb, str(ei.value)


# ---------------------------------------------------------------------------------------------
# source metadata
# ---------------------------------------------------------------------------------------------
def _srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def test_jpeg_metadata_extracted(tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "Hasselblad"
    exif[0x8298] = "City Archive"
    p = tmp_path / "m.jpg"
    icc = _srgb_icc()
    Image.fromarray(grey8()).save(p, exif=exif.tobytes(), icc_profile=icc, dpi=(600, 600), xmp=XMP)
    im = load_image(p)
    m = im.meta
    assert m.icc == icc and m.dpi == (600, 600) and m.xmp == XMP
    e = Image.Exif()
    e.load(m.exif)
    assert e[0x010F] == "Hasselblad" and e[0x8298] == "City Archive"
    assert m.file_size == p.stat().st_size
    assert m.sha256 == hashlib.sha256(p.read_bytes()).hexdigest()


def test_tiff_metadata_extracted(tmp_path):
    iptc = b"\x1c\x02\x00\x00\x02\x00\x04\x1c\x02\x05\x00\x05Forum"
    icc = _srgb_icc()
    tifffile.imwrite(tmp_path / "m.tif", grey16(), resolution=(1200, 1200), resolutionunit="INCH", iccprofile=icc,
                     extratags=[(700, "B", len(XMP), XMP, True), (33723, "B", len(iptc), iptc, True),
                                (271, "s", 0, "Leica", True)], metadata=None)
    m = load_image(tmp_path / "m.tif").meta
    assert m.xmp == XMP and m.icc == icc and m.dpi == (1200, 1200)
    assert m.iptc is not None and b"Forum" in m.iptc
    e = Image.Exif()
    e.load(m.exif)
    assert e[271] == "Leica"
    assert 273 not in e  # structural TIFF tags (strip offsets) are not passed on as EXIF


def test_png_xmp_and_dpi_extracted(tmp_path):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", XMP.decode("utf-8"))
    Image.fromarray(grey8()).save(tmp_path / "m.png", pnginfo=info, dpi=(300, 300))
    m = load_image(tmp_path / "m.png").meta
    assert m.xmp == XMP
    assert m.dpi == pytest.approx((300, 300), abs=0.1)


# ---------------------------------------------------------------------------------------------
# saving
# ---------------------------------------------------------------------------------------------
def _decode_png16(path: Path) -> np.ndarray:
    """Minimal decoder for the 16-bit RGB PNGs save_image writes (filters None and Sub)."""
    data = path.read_bytes()
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", chunk[:10])
            assert depth == 16 and ctype == 2
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + w * 6)
    out = np.empty((h, w * 6), np.uint8)
    for y in range(h):
        f, row = raw[y, 0], raw[y, 1:]
        if f == 0:
            out[y] = row
        elif f == 1:
            acc = row.astype(np.int64).reshape(w, 6).cumsum(0) % 256
            out[y] = acc.astype(np.uint8).reshape(-1)
        else:
            raise AssertionError(f"unexpected filter {f}")
    return out.view(">u2").reshape(h, w, 3).astype(np.uint16)


def rgb16(h=20, w=30, seed=0):
    return (np.random.default_rng(seed).random((h, w, 3)) * 65535).astype(np.uint16)


@pytest.mark.parametrize("fmt,ext,dtype", [("JPEG", "jpg", np.uint8), ("PNG", "png", np.uint8), ("PNG", "png", np.uint16),
                                           ("TIFF", "tif", np.uint8), ("TIFF", "tif", np.uint16), ("WEBP", "webp", np.uint8)])
def test_xmp_round_trips_in_every_format(tmp_path, fmt, ext, dtype):
    rgb = colour8() if dtype == np.uint8 else rgb16()
    p = save_image(tmp_path / f"x.{ext}", rgb, fmt, xmp=XMP, description="colourised by archcolour").path
    assert imageio.read_xmp(p) == XMP
    # and the loader finds it too
    assert load_image(p).meta.xmp == XMP


def test_bmp_saves_without_metadata(tmp_path):
    p = save_image(tmp_path / "x.bmp", colour8(), "BMP", xmp=XMP).path
    with Image.open(p) as im:
        assert np.array_equal(np.asarray(im), colour8())


@pytest.mark.parametrize("fmt,ext", [("PNG", "png"), ("TIFF", "tif")])
def test_16bit_outputs_are_exact(tmp_path, fmt, ext):
    rgb = rgb16()
    p = save_image(tmp_path / f"x.{ext}", rgb, fmt).path
    back = tifffile.imread(p) if fmt == "TIFF" else _decode_png16(p)
    assert back.dtype == np.uint16 and np.array_equal(back, rgb)
    if fmt == "PNG":  # a standard reader accepts it (Pillow reads 16-bit colour PNG at 8 bits)
        with Image.open(p) as im:
            im.load()
            assert np.array_equal(np.asarray(im.convert("RGB")), (rgb >> 8).astype(np.uint8))


def test_16bit_to_8bit_formats_is_rounded(tmp_path):
    rgb = rgb16()
    p = save_image(tmp_path / "x.bmp", rgb, "BMP").path
    with Image.open(p) as im:
        assert np.abs(np.asarray(im).astype(int) - np.round(rgb / 257.0)).max() <= 0


@pytest.mark.parametrize("fmt,ext", [("JPEG", "jpg"), ("PNG", "png"), ("TIFF", "tif"), ("WEBP", "webp")])
def test_description_exif_icc_dpi_written(tmp_path, fmt, ext):
    exif = Image.Exif()
    exif[0x010F] = "Hasselblad"
    exif[0x0112] = 6  # the pixels were already rotated on load: the output must say 1
    icc = _srgb_icc()
    p = save_image(tmp_path / f"x.{ext}", colour8(), fmt, exif=exif.tobytes(), icc=icc, dpi=(300, 300),
                   description="Colourised by archcolour").path
    with Image.open(p) as im:
        if fmt != "TIFF":
            assert im.info.get("icc_profile") == icc
        if fmt in ("JPEG", "PNG", "TIFF"):
            assert im.info.get("dpi") == pytest.approx((300, 300), abs=0.1)
        e = im.getexif()
        assert e.get(0x010F) == "Hasselblad"
        assert e.get(0x0112, 1) == 1
        if fmt in ("JPEG", "WEBP", "TIFF"):
            assert e.get(0x010E) == "Colourised by archcolour"
    if fmt == "PNG":
        assert imageio.read_png_text(p)["Description"] == b"Colourised by archcolour"
    if fmt == "TIFF":
        with tifffile.TiffFile(p) as tf:
            assert tf.pages[0].tags[34675].value == icc


def test_save_is_atomic_when_the_encoder_fails(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    target.write_bytes(b"previous output")

    def failing_save(self, fp, format=None, **kw):
        fp.write(b"\x89PNG partial data")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(Image.Image, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        save_image(target, colour8(), "PNG")
    assert target.read_bytes() == b"previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]
    with pytest.raises(OSError):
        save_image(tmp_path / "new.jpg", colour8(), "JPEG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]


def test_jpeg_outputs_keep_full_resolution_colour(tmp_path):
    """4:4:4: no chroma subsampling (Pillow's default at quality 95 is 4:2:0), so colour edges stay sharp."""
    from PIL import JpegImagePlugin

    rgb = np.zeros((32, 32, 3), np.uint8)
    rgb[:, ::2] = (200, 40, 40)  # one-pixel red and black stripes: 4:2:0 would smear their colour
    save_image(tmp_path / "o.jpg", rgb, "JPEG")
    with Image.open(tmp_path / "o.jpg") as im:
        assert JpegImagePlugin.get_sampling(im) == 0
        back = np.asarray(im.convert("RGB")).astype(int)
    assert np.abs(back - rgb).max() < 40


def test_save_is_atomic_for_tifffile_and_png16(tmp_path, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("encoder crashed")

    monkeypatch.setattr(tifffile, "imwrite", boom)
    monkeypatch.setattr(imageio.png16, "write_png16", boom)
    for name, fmt in (("a.tif", "TIFF"), ("b.png", "PNG")):
        with pytest.raises(RuntimeError):
            save_image(tmp_path / name, rgb16(), fmt)
    assert list(tmp_path.iterdir()) == []


def test_save_rejects_bad_arrays(tmp_path):
    with pytest.raises(ValueError):
        save_image(tmp_path / "x.png", np.zeros((4, 4), np.uint8), "PNG")
    with pytest.raises(ValueError):
        save_image(tmp_path / "x.png", np.zeros((4, 4, 3), np.float32), "PNG")
    with pytest.raises(ValueError):
        save_image(tmp_path / "x.gif", colour8(), "GIF")
    assert list(tmp_path.iterdir()) == []


def test_lut_matches_colour_module():
    g = torch.tensor([0.0, 1 / 255, 0.5, 1.0], dtype=torch.float64)
    lut = imageio.lightness.grey_lut(256)
    assert np.allclose(lut[[0, 1, 128, 255]][[0, 1, 3]], colour.grey_to_l(g).numpy()[[0, 1, 3]], atol=1e-5)
    assert lut[0] == pytest.approx(0, abs=1e-6) and lut[255] == pytest.approx(100, abs=1e-4)


def test_bundled_samples_are_greyscale_photographs():
    root = Path(__file__).resolve().parents[1] / "resources" / "samples"
    files = sorted(p for p in root.iterdir() if p.suffix.lower() in imageio.IMAGE_EXTENSIONS)
    assert len(files) >= 5
    assert "NOT a fair" in (root / "SOURCE.md").read_text(encoding="utf-8")
    for p in files:
        assert p.stat().st_size < 100_000
        im = load_image(p)
        assert not im.was_colour and min(im.width, im.height) >= 128
        assert p.name in (root / "SOURCE.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt,ext,dtype", [("JPEG", "jpg", np.uint8), ("PNG", "png", np.uint8), ("PNG", "png", np.uint16),
                                           ("TIFF", "tif", np.uint8), ("TIFF", "tif", np.uint16), ("WEBP", "webp", np.uint8),
                                           ("BMP", "bmp", np.uint8)])
def test_save_returns_the_hash_and_size_of_the_bytes_on_disk(tmp_path, fmt, ext, dtype):
    from archcolour.fsutil import sha256_file

    rgb = colour8() if dtype == np.uint8 else rgb16()
    w = save_image(tmp_path / f"x.{ext}", rgb, fmt, xmp=XMP, description="d", dpi=(300, 300))
    assert w.path == tmp_path / f"x.{ext}"
    assert (w.sha256, w.size) == (sha256_file(w.path), w.path.stat().st_size)

"""Builders of hostile files: each returns bytes or writes a path, and never needs network or GPU."""
from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import numpy as np
from PIL import Image


def grey(h: int = 24, w: int = 32, seed: int = 0) -> np.ndarray:
    r = np.random.default_rng(seed)
    return (np.linspace(30, 220, w)[None, :] + r.random((h, w)) * 30).clip(0, 255).astype(np.uint8)


def save_grey(path: str | os.PathLike | bytes, h: int = 24, w: int = 32, seed: int = 0, fmt: str | None = None,
              **kw) -> None:
    """A small greyscale image at ``path`` (which may be a bytes path, e.g. not valid UTF-8)."""
    buf = io.BytesIO()
    if fmt is None:
        name = os.fsdecode(path) if isinstance(path, bytes) else str(path)
        fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF",
               ".webp": "WEBP", ".bmp": "BMP"}[os.path.splitext(name)[1].lower()]
    Image.fromarray(grey(h, w, seed)).save(buf, fmt, **kw)
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def _segment(marker: int, payload: bytes) -> bytes:
    assert len(payload) + 2 <= 0xFFFF
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def iim_dataset(record: int, number: int, value: bytes) -> bytes:
    assert len(value) < 0x8000
    return bytes([0x1C, record, number]) + struct.pack(">H", len(value)) + value


def app13_iptc(datasets: bytes) -> bytes:
    """A Photoshop APP13 segment holding one IPTC-NAA (0x0404) resource."""
    body = datasets + (b"\x00" if len(datasets) % 2 else b"")
    res = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(datasets)) + body
    return _segment(0xED, b"Photoshop 3.0\x00" + res)


def jpeg_with_segments(segments: list[bytes], h: int = 24, w: int = 32, seed: int = 0, **save_kw) -> bytes:
    """A greyscale JPEG with raw ``segments`` inserted right after SOI."""
    buf = io.BytesIO()
    Image.fromarray(grey(h, w, seed)).save(buf, "JPEG", quality=90, **save_kw)
    data = buf.getvalue()
    assert data[:2] == b"\xff\xd8"
    return data[:2] + b"".join(segments) + data[2:]


def xmp_packet(description: str = "", title: str = "") -> bytes:
    from xml.sax.saxutils import escape

    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>'
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(description)}</rdf:li></rdf:Alt></dc:description>'
        '</rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>'
    ).encode("utf-8")


def app1_xmp(packet: bytes) -> bytes:
    return _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet)


def jpeg_claiming(width: int, height: int) -> bytes:
    """A tiny (16x16) JPEG whose frame header claims ``width`` x ``height``: the scan data runs out."""
    buf = io.BytesIO()
    Image.fromarray(grey(16, 16)).save(buf, "JPEG", quality=90)
    data = bytearray(buf.getvalue())
    i = data.find(b"\xff\xc0")
    assert i > 0
    data[i + 5:i + 7] = struct.pack(">H", height)
    data[i + 7:i + 9] = struct.pack(">H", width)
    return bytes(data)


def jpeg_corrupt_exif() -> bytes:
    """A JPEG whose EXIF block claims more data than it holds (Pillow warns while reading it)."""
    tiff = b"II*\x00\x08\x00\x00\x00" + struct.pack("<H", 1) + struct.pack("<HHII", 0x010E, 2, 5000, 0x1000) + b"\x00" * 4
    return jpeg_with_segments([_segment(0xE1, b"Exif\x00\x00" + tiff)])


def png_with_chunks(chunks: list[tuple[bytes, bytes]], h: int = 24, w: int = 32) -> bytes:
    """A greyscale PNG with extra chunks inserted before IEND."""
    import zlib

    buf = io.BytesIO()
    Image.fromarray(grey(h, w)).save(buf, "PNG")
    data = buf.getvalue()
    extra = b"".join(struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d) & 0xFFFFFFFF)
                     for k, d in chunks)
    return data[:-12] + extra + data[-12:]


def png_with_xmp(packet: bytes) -> bytes:
    return png_with_chunks([(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + packet)])


def deeply_nested_xmp(depth: int = 50_000) -> bytes:
    return (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b'<rdf:Description rdf:about="" xmlns:a="urn:a#">' + b"<a:x>" * depth + b"v" + b"</a:x>" * depth +
            b"</rdf:Description></rdf:RDF></x:xmpmeta>")


def entity_bomb_xmp() -> bytes:
    ents = "".join(f'<!ENTITY e{i} "{("&e%d;" % (i - 1)) * 10 if i else "lol" * 10}">' for i in range(10))
    return (f'<?xml version="1.0"?><!DOCTYPE x:xmpmeta [{ents}]>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:format>&e9;</dc:format>'
            '</rdf:Description></rdf:RDF></x:xmpmeta>').encode()


def tiff_with_bad_tag(path: Path) -> None:
    """A valid greyscale TIFF with an extra ASCII tag whose value offset points past the end of the file."""
    import tifffile

    tifffile.imwrite(path, grey(), photometric="minisblack", extratags=[(305, "s", 0, "x" * 40, True)])
    data = bytearray(path.read_bytes())
    ifd = struct.unpack("<I", data[4:8])[0]
    n = struct.unpack("<H", data[ifd:ifd + 2])[0]
    for k in range(n):
        e = ifd + 2 + 12 * k
        tag = struct.unpack("<H", data[e:e + 2])[0]
        if tag == 305:
            data[e + 8:e + 12] = struct.pack("<I", 0x7FFFFFF0)
    path.write_bytes(bytes(data))

"""PNG pieces Pillow does not provide: a 16-bit RGB encoder, metadata chunks, and a text-chunk reader.

Pillow cannot write 16-bit colour PNG; :func:`write_png16` does (rows filtered with 'Sub',
vectorised, deflate-streamed in row blocks), with the same metadata chunks Pillow would write.
"""
from __future__ import annotations

import os
import struct
import zlib

#: zlib level of PNG outputs: 3 is about twice as fast as 6 for files ~8% larger (photographs).
PNG_LEVEL = 3
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def meta_chunks(xmp: bytes | None, exif: bytes | None, icc: bytes | None, dpi, description: str | None) -> list[bytes]:
    """iCCP, pHYs, iTXt XMP, tEXt/iTXt Description and eXIf chunks for what is given."""
    chunks = []
    if icc:
        chunks.append(chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc)))
    if dpi:
        ppm = [max(1, int(round(float(d) / 0.0254))) for d in dpi]
        chunks.append(chunk(b"pHYs", struct.pack(">IIB", ppm[0], ppm[1], 1)))
    if xmp:
        chunks.append(chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + bytes(xmp)))
    if description:
        try:
            chunks.append(chunk(b"tEXt", b"Description\x00" + description.encode("latin-1")))
        except UnicodeEncodeError:
            chunks.append(chunk(b"iTXt", b"Description\x00\x00\x00\x00\x00" + description.encode("utf-8")))
    if exif:
        raw = exif[6:] if exif.startswith(b"Exif\x00\x00") else exif
        chunks.append(chunk(b"eXIf", raw))
    return chunks


def write_png16(f, rgb: "np.ndarray", chunks: list[bytes], level: int = PNG_LEVEL) -> None:
    """16-bit RGB (H, W, 3) uint16 -> PNG into the binary file ``f``."""
    import numpy as np  # here, not at the top: reading text chunks (inspect) must stay light
    h, w, c = rgb.shape
    f.write(PNG_MAGIC)
    f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2 if c == 3 else 0, 0, 0, 0)))
    for ch in chunks:
        f.write(ch)
    comp = zlib.compressobj(level)
    bpp = 2 * c
    pending = bytearray()

    def flush(data: bytes, final: bool = False) -> None:
        pending.extend(comp.compress(data))
        if final:
            pending.extend(comp.flush())
        while len(pending) >= (1 << 20) or (final and pending):
            n = min(len(pending), 1 << 20)
            f.write(chunk(b"IDAT", bytes(pending[:n])))
            del pending[:n]

    for top in range(0, h, 256):
        raw = rgb[top:top + 256].astype(">u2").view(np.uint8).reshape(-1, w * bpp)
        filt = np.empty((raw.shape[0], w * bpp + 1), dtype=np.uint8)
        filt[:, 0] = 1  # Sub
        filt[:, 1:bpp + 1] = raw[:, :bpp]
        np.subtract(raw[:, bpp:], raw[:, :-bpp], out=filt[:, bpp + 1:])
        flush(filt.tobytes())
    flush(b"", final=True)
    f.write(chunk(b"IEND", b""))


def read_png_text(path: str | os.PathLike) -> dict[str, bytes]:
    """Text chunks (tEXt/iTXt, compressed or not) of a PNG as raw bytes by keyword; stops at the pixels' end."""
    out: dict[str, bytes] = {}
    with open(path, "rb") as f:
        if f.read(8) != PNG_MAGIC:
            raise ValueError(f"{path}: not a PNG")
        while True:
            head = f.read(8)
            if len(head) < 8:
                break
            n, kind = struct.unpack(">I4s", head)
            if kind in (b"tEXt", b"iTXt"):
                data = f.read(n)
                f.seek(4, os.SEEK_CUR)
            else:
                f.seek(n + 4, os.SEEK_CUR)  # pixels and other chunks are skipped, not read
                if kind == b"IEND":
                    break
                continue
            if kind == b"tEXt":
                k, _, v = data.partition(b"\x00")
                out[k.decode("latin-1")] = v
            else:
                k, _, rest = data.partition(b"\x00")
                if len(rest) < 2:
                    continue
                comp_flag = rest[0]
                rest = rest[2:]
                _lang, _, rest = rest.partition(b"\x00")
                _tk, _, text = rest.partition(b"\x00")
                out[k.decode("latin-1")] = zlib.decompress(text) if comp_flag else text
    return out


__all__ = ["PNG_LEVEL", "chunk", "meta_chunks", "read_png_text", "write_png16"]

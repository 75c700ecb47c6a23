"""Metadata blocks that Pillow and tifffile do not write themselves.

* :func:`photoshop_iptc` / :func:`jpeg_with_app13` - an IPTC-IIM stream as a Photoshop image resource
  block (IPTC-NAA resource 0x0404 plus its MD5 digest 0x0425, so MWG readers know it agrees with the
  XMP) in a JPEG APP13 segment;
* :class:`HeadRecorder` / :func:`tiff_add_sub_ifds` - the EXIF and GPS sub-IFDs of a TIFF written by
  tifffile, which refuses tags 34665 and 34853: the file is written, then the sub-IFDs (every tag with
  its type: :class:`.metadata.ExifBlock`) and a copy of its first IFD with the two pointers added are
  appended, and the header points at the copy.

Nothing here imports torch.
"""
from __future__ import annotations

import hashlib
import io
import struct

from .exif import ExifBlock

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
#: Largest payload of one JPEG marker segment (65535 less the two length bytes).
JPEG_SEGMENT_MAX = 65533
_PHOTOSHOP = b"Photoshop 3.0\x00"


# --------------------------------------------------------------------------------------------
# JPEG: APP13
# --------------------------------------------------------------------------------------------
def _resource(rid: int, data: bytes) -> bytes:
    return b"8BIM" + struct.pack(">H", rid) + b"\x00\x00" + struct.pack(">I", len(data)) + data \
        + (b"\x00" if len(data) % 2 else b"")


def photoshop_iptc(iim: bytes) -> bytes:
    """The APP13 payload for an IIM stream: 'Photoshop 3.0', resource 0x0404 (IIM), 0x0425 (its MD5)."""
    return _PHOTOSHOP + _resource(0x0404, iim) + _resource(0x0425, hashlib.md5(iim).digest())


def jpeg_with_app13(jpeg: bytes, payload: bytes) -> bytes:
    """``jpeg`` with an APP13 segment holding ``payload`` after its APPn segments (JFIF, EXIF, XMP, ICC).

    Raises ValueError when the payload does not fit in one segment or the data is not a JPEG.
    """
    if len(payload) > JPEG_SEGMENT_MAX:
        raise ValueError(f"APP13 payload of {len(payload)} bytes does not fit in a JPEG segment")
    if jpeg[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    pos = 2
    while pos + 4 <= len(jpeg) and jpeg[pos] == 0xFF and 0xE0 <= jpeg[pos + 1] <= 0xEF:
        pos += 2 + int.from_bytes(jpeg[pos + 2:pos + 4], "big")
    segment = b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:pos] + segment + jpeg[pos:]


# --------------------------------------------------------------------------------------------
# TIFF: EXIF and GPS sub-IFDs
# --------------------------------------------------------------------------------------------
class HeadRecorder(io.RawIOBase):
    """A write-through file wrapper that keeps a copy of what is written into the first ``limit`` bytes
    (the TIFF header and first IFD, which :func:`tiff_add_sub_ifds` must read on a write-only file).
    Like the file it wraps it has no ``fileno``, so writers go through :meth:`write`."""

    def __init__(self, f, limit: int = 1 << 16) -> None:
        super().__init__()
        self._f = f
        self.head = bytearray(limit)
        self.limit = limit

    def write(self, b) -> int:
        pos = self._f.tell()
        n = self._f.write(b)
        if pos < self.limit:
            data = bytes(memoryview(b).cast("B")[:self.limit - pos])
            self.head[pos:pos + len(data)] = data
        return n

    def seek(self, pos: int, whence: int = 0) -> int:
        return self._f.seek(pos, whence)

    def tell(self) -> int:
        return self._f.tell()

    def flush(self) -> None:
        self._f.flush()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True


#: EXIF IFD tags that only describe compressed (JPEG) data: not allowed in a TIFF's EXIF IFD.
_NOT_IN_TIFF = {0x9101, 0x9102, 0xA002, 0xA003}


def tiff_sub_ifd_dicts(exif: bytes | None) -> dict[int, dict]:
    """{34665: EXIF IFD, 34853: GPS IFD} of an EXIF block (those not empty), as a TIFF holds them, each
    ``{tag: (TIFF type, value)}`` as :class:`.metadata.ExifBlock` reads them (every tag keeps its type)."""
    if not exif:
        return {}
    try:
        blk = ExifBlock.read(exif)
    except Exception:  # noqa: BLE001 - an unreadable EXIF block has been refused before; nothing to add
        return {}
    subs = {EXIF_IFD: {t: tv for t, tv in blk.exif.items() if t not in _NOT_IN_TIFF}, GPS_IFD: blk.gps}
    return {tag: d for tag, d in subs.items() if d}


def tiff_add_sub_ifds(f, head: bytes, subs: dict[int, dict]) -> None:
    """Append ``subs`` ({34665: {...}, 34853: {...}} as :func:`tiff_sub_ifd_dicts` gives them) as
    sub-IFDs of the classic little-endian TIFF in ``f`` (written from offset 0; ``head`` its first
    bytes as :class:`HeadRecorder` kept them).

    The first IFD is copied to the end with the sub-IFD pointers added (entries stay sorted) and the
    header's pointer is moved to the copy; the old IFD's values stay where they are, referenced.
    """
    if not subs:
        return
    if head[:4] != b"II*\x00":
        raise ValueError("not a classic little-endian TIFF")
    ifd0 = struct.unpack_from("<I", head, 4)[0]
    if ifd0 + 2 > len(head):
        raise ValueError("the TIFF's first IFD is not where tifffile writes it")
    n = struct.unpack_from("<H", head, ifd0)[0]
    if ifd0 + 2 + 12 * n + 4 > len(head):
        raise ValueError("the TIFF's first IFD is not where tifffile writes it")
    entries = {struct.unpack_from("<H", head, ifd0 + 2 + 12 * i)[0]: head[ifd0 + 2 + 12 * i:ifd0 + 14 + 12 * i]
               for i in range(n)}
    end = f.seek(0, 2)
    if end % 2:
        f.write(b"\x00")
        end += 1
    blk = ExifBlock()  # little-endian, as the file
    blk.exif, blk.gps = subs.get(EXIF_IFD, {}), subs.get(GPS_IFD, {})
    blob, where = blk.sub_ifds(end)
    for tag, offset in where.items():
        entries[tag] = struct.pack("<HHII", tag, 4, 1, offset)  # LONG offset to the sub-IFD
    f.write(blob)
    new_ifd0 = end + len(blob)  # even: sub_ifds pads
    buf = io.BytesIO()
    buf.write(struct.pack("<H", len(entries)))
    for tag in sorted(entries):
        buf.write(entries[tag])
    buf.write(struct.pack("<I", 0))  # one image: no next IFD
    f.write(buf.getvalue())
    f.seek(4)
    f.write(struct.pack("<I", new_ifd0))
    f.seek(0, 2)


__all__ = ["HeadRecorder", "JPEG_SEGMENT_MAX", "jpeg_with_app13", "photoshop_iptc", "tiff_add_sub_ifds",
           "tiff_sub_ifd_dicts"]

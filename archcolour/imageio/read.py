"""Loading: any photograph -> its CIELAB lightness at full resolution, plus the source's metadata.

:func:`read_source_metadata` reads the source's metadata blocks alone (header only: no decode, no hash).
:func:`load_image` is three steps: :func:`open_source` (stat, hash, the first bytes; Pillow opens the
header, the pixel count is checked), then :func:`decode_tiff` (tifffile: 16-bit colour stays 16-bit;
planar, palette, min-is-white, CMYK) for TIFFs, else - or when tifffile cannot decode the compression
without the optional ``imagecodecs`` - :func:`decode_pillow`. The orientation from EXIF is applied last.

* TIFFs read by Pillow/libtiff reduce 16-bit *colour* with 8-bit precision (a note says so), as do
  16-bit colour PNGs; 16-bit greyscale keeps 16 bits.
* Multi-page files and animated GIFs use the first page/frame and add a note.
* Alpha is ignored (the colour underneath is used) and a note says so.

Every failure - missing, empty, truncated or corrupt files, non-images with an image extension,
decompression bombs - raises :class:`ImageLoadError`, whose message is one line naming the file.

Decompression bombs: images over :data:`MAX_PIXELS` (400 megapixels, e.g. 20,000 x 20,000) are
refused from their header, before any pixel is decoded. A 10,000 x 10,000 (100 MP) archival scan
loads fine. Importing this module raises Pillow's own ``Image.MAX_IMAGE_PIXELS`` to the same figure,
because Pillow's default (~89 MP, error at ~179 MP) would refuse legitimate large scans.
"""
from __future__ import annotations

import hashlib
import os
import struct
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from ..formats import TIFF_MAGIC
from .lightness import apply_orientation, array_to_l
from .metadata import metadata_from_pillow

#: Largest image accepted, in pixels (width x height): 400 megapixels.
MAX_PIXELS = 400_000_000

Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, MAX_PIXELS)

_DECODE_ERRORS = (OSError, SyntaxError, ValueError, struct.error, EOFError, IndexError, KeyError, TypeError,
                  zlib.error)


class ImageLoadError(Exception):
    """An input could not be read. ``str()`` is one line naming the file."""

    def __init__(self, path, message: str):
        self.path = Path(path)
        self.message = " ".join(str(message).split())  # one line, whatever the cause said
        super().__init__(f"{self.path}: {self.message}")


@dataclass
class SourceMetadata:
    """Metadata read from the source file (passed on to provenance and to the output)."""

    exif: bytes | None = None
    icc: bytes | None = None
    dpi: tuple[float, float] | None = None
    xmp: bytes | None = None
    iptc: bytes | None = None
    file_size: int = 0
    sha256: str = ""


@dataclass
class LoadedImage:
    """A source image reduced to its lightness."""

    path: Path
    l: np.ndarray  # (H, W) float32, CIELAB L in [0, 100], orientation applied
    width: int
    height: int
    bit_depth: int  # 8 or 16 (16 also for 32-bit integer and float sources)
    format: str  # 'JPEG', 'PNG', 'TIFF', 'WEBP', 'BMP', ...
    mode: str  # source mode, e.g. 'L', 'RGB', 'I;16', 'CMYK', 'uint16 grey'
    was_colour: bool
    notes: list[str] = field(default_factory=list)
    meta: SourceMetadata = field(default_factory=SourceMetadata)

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height


@dataclass
class _Decoded:
    l: np.ndarray
    bit_depth: int
    was_colour: bool
    mode: str
    orientation: int | None = None


def check_pixels(path: Path, width: int, height: int) -> None:
    """Refuse an empty image or one over :data:`MAX_PIXELS` (from its header, before decoding)."""
    if width <= 0 or height <= 0:
        raise ImageLoadError(path, f"image has no pixels ({width}x{height})")
    if width * height > MAX_PIXELS:
        raise ImageLoadError(
            path, f"refused as a possible decompression bomb: {width}x{height} = {width * height / 1e6:.0f} "
                  f"megapixels, over the limit of {MAX_PIXELS / 1e6:.0f} megapixels")


# --------------------------------------------------------------------------------------------
# step 1: open
# --------------------------------------------------------------------------------------------
def _stat_and_head(path: Path) -> tuple[os.stat_result, bytes]:
    """The file's stat and its first 16 bytes (the format's magic), or one line saying why not."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ImageLoadError(path, "file not found" if not path.is_symlink() else
                             "broken symbolic link (its target does not exist)") from None
    except OSError as e:
        raise ImageLoadError(path, f"cannot access the file: {e.strerror or e}") from None
    if path.is_dir():
        raise ImageLoadError(path, "is a folder, not an image file")
    if st.st_size == 0:
        raise ImageLoadError(path, "empty file (0 bytes)")
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError as e:
        raise ImageLoadError(path, f"cannot read the file: {e.strerror or e}") from None
    return st, head


class _Hasher(threading.Thread):
    """SHA-256 of a file in a thread of its own: hashlib releases the GIL, so the hash runs while the
    image decodes (the 40 MB of a 20 MP 16-bit scan: about 0.2 s that no longer add to the load)."""

    def __init__(self, path: Path):
        super().__init__(name="archcolour-hash", daemon=True)
        self.path = path
        self.digest: str | None = None
        self.error: OSError | None = None
        self.stopped = False
        self.start()

    def run(self) -> None:
        h = hashlib.sha256()
        try:
            with open(self.path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    if self.stopped:  # the image failed to load: its digest is not needed
                        return
                    h.update(block)
        except OSError as e:
            self.error = e
            return
        self.digest = h.hexdigest()

    def result(self) -> str:
        self.join()
        if self.error is not None:
            raise ImageLoadError(self.path, f"cannot read the file: {self.error.strerror or self.error}")
        return self.digest


def open_source(path: Path, is_tiff: bool) -> Image.Image | None:
    """Pillow's view of the file (header only), or None for a TIFF only tifffile may read."""
    try:
        im = Image.open(path)
    except Image.DecompressionBombError as e:
        raise ImageLoadError(path, f"refused as a possible decompression bomb ({e})") from None
    except Image.UnidentifiedImageError:
        if is_tiff:
            return None  # tifffile may still read what Pillow cannot
        raise ImageLoadError(path, "not an image file, or a format that cannot be read") from None
    except (OSError, SyntaxError, ValueError, struct.error) as e:
        raise ImageLoadError(path, f"cannot read the image: {e}") from None
    try:
        check_pixels(path, im.width, im.height)
        _check_jpeg_size(path, im)
    except ImageLoadError:
        im.close()
        raise
    return im


#: No JPEG holds more pixels per byte than this: a flat grey baseline JPEG, the most compressible kind,
#: holds about 85 (measured with Pillow at every quality); arithmetic coding does better, but not 50x.
JPEG_MAX_PIXELS_PER_BYTE = 4096


def _check_jpeg_size(path: Path, im: Image.Image) -> None:
    """Refuse a JPEG whose header claims far more pixels than its bytes can hold (a truncated or
    forged file): libjpeg would spend minutes and gigabytes filling the missing rows with grey."""
    if im.format != "JPEG":
        return
    size = os.stat(path).st_size
    if im.width * im.height > JPEG_MAX_PIXELS_PER_BYTE * max(1, size):
        raise ImageLoadError(path, f"truncated or damaged file: its header says {im.width}x{im.height} pixels, "
                                   f"which {size:,} bytes of JPEG cannot hold")


# --------------------------------------------------------------------------------------------
# step 2a: TIFF (tifffile)
# --------------------------------------------------------------------------------------------
class _NeedPillow(Exception):
    """tifffile cannot decode this TIFF (e.g. needs imagecodecs); try Pillow/libtiff."""


_PHOTOMETRIC = {0: "grey (min-is-white)", 1: "grey", 2: "RGB", 3: "palette", 5: "CMYK", 6: "YCbCr", 8: "CIELAB"}


def decode_tiff(path: Path, notes: list[str]) -> _Decoded:
    """Decode the first page of a TIFF with tifffile."""
    import tifffile

    with tifffile.TiffFile(path) as tf:
        pages = tf.pages
        page = pages.first if hasattr(pages, "first") else pages[0]
        axes = page.axes
        shape = dict(zip(axes, page.shape))
        check_pixels(path, int(shape.get("X", 0)), int(shape.get("Y", 0)))
        n_pages = len(pages)
        if n_pages > 1:
            # reduced-resolution sub-files (thumbnails, pyramids) do not count as pages
            if not all(int(p.subfiletype) & 1 for p in list(pages)[1:] if hasattr(p, "subfiletype")):
                notes.append(f"multi-page TIFF: first page of {n_pages} used")
        photometric = int(page.photometric)
        orientation_tag = page.tags.get(274)
        orientation = int(orientation_tag.value) if orientation_tag is not None else None
        colormap = page.colormap
        extrasamples = page.extrasamples
        arr = page.asarray()
    # bring to (H, W) or (H, W, S)
    arr = np.squeeze(arr) if arr.ndim > 3 else arr
    if "S" in axes and arr.ndim == 3 and axes.index("S") < axes.index("Y"):
        arr = np.moveaxis(arr, 0, -1)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3):
        raise ImageLoadError(path, f"unsupported TIFF layout {axes} {arr.shape}")
    mode = f"{arr.dtype} " + _PHOTOMETRIC.get(photometric, f"photometric {photometric}")
    if arr.ndim == 3 and extrasamples is not None and len(extrasamples) and arr.shape[-1] in (2, 4, 5):
        notes.append("alpha channel ignored")
    colour_channels = True
    if photometric == 0:  # min-is-white
        if arr.ndim == 3:
            arr = arr[..., 0]
        if arr.dtype.kind == "u":
            arr = np.iinfo(arr.dtype).max - arr
        elif arr.dtype.kind == "f":
            arr = 1.0 - arr
    elif photometric == 3 and colormap is not None:
        arr = np.asarray(colormap)[:, arr].transpose(1, 2, 0).astype(np.uint16)  # 16-bit palette entries
    elif photometric == 5:
        if arr.ndim != 3 or arr.shape[-1] < 4:
            raise ImageLoadError(path, "CMYK TIFF without four channels")
        maxv = float(np.iinfo(arr.dtype).max) if arr.dtype.kind == "u" else 1.0
        c, m, y, k = (arr[..., i].astype(np.float32) / maxv for i in range(4))
        rgb = np.stack(((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)), axis=-1)
        l, _, was = array_to_l(rgb, notes, colour_channels=True)
        return _Decoded(l, 16 if arr.dtype.itemsize > 1 else 8, was, mode, orientation)
    elif photometric in (6, 8):
        raise _NeedPillow(f"photometric {photometric}")
    if arr.ndim == 3 and arr.shape[-1] == 2:  # grey + alpha
        arr = arr[..., 0]
    if arr.ndim == 2:
        colour_channels = False
    return _Decoded(*array_to_l(arr, notes, colour_channels=colour_channels), mode, orientation)


# --------------------------------------------------------------------------------------------
# step 2b: everything else (Pillow)
# --------------------------------------------------------------------------------------------
def decode_pillow(im: Image.Image, notes: list[str]) -> _Decoded:
    """Decode an opened Pillow image (its first page or frame)."""
    mode = im.mode
    n_frames = getattr(im, "n_frames", 1) or 1
    if n_frames > 1:
        if im.format == "MPO":
            notes.append(f"multi-picture file: first picture of {n_frames} used")
        elif im.format in ("GIF", "PNG", "WEBP"):
            notes.append(f"animated {im.format}: first frame of {n_frames} used")
        else:
            notes.append(f"multi-page {im.format}: first page of {n_frames} used")
        im.seek(0)
    im.load()
    if mode in ("LA", "La", "PA", "RGBA", "RGBa") or (mode == "P" and "transparency" in im.info):
        notes.append("alpha channel ignored")
    if mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        arr = np.asarray(im).astype(np.uint16, copy=False)
        return _Decoded(*array_to_l(arr, notes, colour_channels=False), mode)
    if mode in ("I", "I;32", "I;32B", "I;32L"):
        return _Decoded(*array_to_l(np.asarray(im.convert("I")), notes, colour_channels=False), mode)
    if mode == "F":
        return _Decoded(*array_to_l(np.asarray(im), notes, colour_channels=False), mode)
    if mode in ("L", "1", "LA", "La"):
        arr = np.asarray(im.convert("L") if mode != "L" else im)
        return _Decoded(*array_to_l(arr, notes, colour_channels=False), mode)
    if mode == "CMYK" and im.info.get("icc_profile"):
        notes.append("CMYK converted without its ICC profile")
    if im.format == "PNG" and im.info.get("bitdepth", 8) == 16 or "16" in mode:
        notes.append("16-bit colour read with 8-bit precision")
    rgb = np.asarray(im.convert("RGB"))
    return _Decoded(*array_to_l(rgb, notes, colour_channels=True), mode)


# --------------------------------------------------------------------------------------------
# the three steps
# --------------------------------------------------------------------------------------------
def _decode(path: Path, im: Image.Image | None, is_tiff: bool, notes: list[str]) -> _Decoded:
    if is_tiff:
        try:
            return decode_tiff(path, notes)
        except (ImageLoadError, MemoryError):
            raise
        except Exception as e:  # noqa: BLE001 - fall back to Pillow, report its error if both fail
            notes.clear()
            if im is None:
                raise ImageLoadError(path, f"cannot read the TIFF: {e}") from None
            if "imagecodecs" in str(e):
                notes.append("TIFF compression decoded by Pillow (tifffile needs imagecodecs)")
    return decode_pillow(im, notes)


def load_image(path: str | os.PathLike) -> LoadedImage:
    """Read an image file into its full-resolution lightness plus metadata.

    Raises :class:`ImageLoadError` (one line naming the file) for anything that is not a readable
    image within :data:`MAX_PIXELS`.
    """
    path = Path(path)
    st, head = _stat_and_head(path)
    hasher = _Hasher(path)  # runs beside the decode
    try:
        img = _load(path, head, SourceMetadata(file_size=st.st_size))
    except BaseException:
        hasher.stopped = True
        raise
    img.meta.sha256 = hasher.result()
    return img


def read_source_metadata(path: str | os.PathLike) -> SourceMetadata:
    """The source's metadata blocks (EXIF, ICC, DPI, XMP, IPTC-IIM, file size) as :func:`load_image`
    reads them, from the file's header only: no pixel is decoded and the file is not hashed
    (``sha256`` stays empty). Raises :class:`ImageLoadError` where :func:`load_image` would refuse the
    file before decoding it."""
    path = Path(path)
    st, head = _stat_and_head(path)
    meta = SourceMetadata(file_size=st.st_size)
    try:
        im = open_source(path, head[:4] in TIFF_MAGIC)
        if im is not None:
            with im:
                metadata_from_pillow(im, meta, [])
    except ImageLoadError:
        raise
    except _DECODE_ERRORS as e:
        raise ImageLoadError(path, f"cannot read the image's metadata: {e or type(e).__name__}") from None
    return meta


def _load(path: Path, head: bytes, meta: SourceMetadata) -> LoadedImage:
    """open, decode, orient: :func:`load_image` without the hash."""
    is_tiff = head[:4] in TIFF_MAGIC
    notes: list[str] = []
    try:
        im = open_source(path, is_tiff)
        try:
            orientation = metadata_from_pillow(im, meta, notes) if im is not None else None
            fmt = (im.format if im is not None else None) or ("TIFF" if is_tiff else "unknown")
            d = _decode(path, im, is_tiff, notes)
        finally:
            if im is not None:
                im.close()
    except ImageLoadError:
        raise
    except Image.DecompressionBombError as e:
        raise ImageLoadError(path, f"refused as a possible decompression bomb ({e})") from None
    except MemoryError:
        raise ImageLoadError(path, "not enough memory to decode the image") from None
    except _DECODE_ERRORS as e:
        msg = str(e) or type(e).__name__
        if "truncated" in msg.lower() or isinstance(e, EOFError):
            msg = f"truncated or damaged file ({msg})"
        raise ImageLoadError(path, f"cannot decode the image: {msg}") from None
    orientation = orientation or d.orientation
    l = d.l
    if orientation and int(orientation) != 1:
        l = apply_orientation(l, orientation)
        if int(orientation) in range(2, 9):
            notes.append(f"EXIF orientation {int(orientation)} applied")
    h, w = l.shape
    return LoadedImage(path=path, l=l, width=w, height=h, bit_depth=d.bit_depth, format=fmt, mode=d.mode,
                       was_colour=bool(d.was_colour), notes=notes, meta=meta)


__all__ = ["ImageLoadError", "LoadedImage", "MAX_PIXELS", "SourceMetadata", "check_pixels", "decode_pillow",
           "decode_tiff", "load_image", "open_source", "read_source_metadata"]

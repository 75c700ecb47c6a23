"""Load any photograph into its CIELAB lightness; save results atomically with their metadata.

Loading
-------
:func:`load_image` reads JPEG, PNG, TIFF (8/16-bit, greyscale or colour, also float), WebP and BMP
(and anything else Pillow opens), applies the EXIF orientation, and returns the lightness ``L``
(float32, [0, 100]) at full resolution together with the source's metadata. Colour or sepia-toned
scans are reduced to their L channel with :mod:`archcolour.colour` (never to a plain average of R,
G and B). 16-bit sources keep their full precision (an exact 65,536-entry lookup table).

* TIFF pixels are decoded with tifffile (16-bit colour stays 16-bit; planar, palette, min-is-white,
  CMYK handled). TIFFs whose compression tifffile cannot decode without the optional ``imagecodecs``
  package (LZW, JPEG, PackBits) fall back to Pillow/libtiff; 16-bit *colour* TIFFs read that way are
  reduced with 8-bit precision and a note says so. 16-bit colour PNGs are read by Pillow with 8-bit
  precision (a note says so); 16-bit greyscale PNG keeps 16 bits.
* Multi-page files use the first page and add a note.
* Alpha is ignored (the colour underneath is used) and a note says so.

Every failure - missing, empty, truncated or corrupt files, non-images with an image extension,
decompression bombs - raises :class:`ImageLoadError`, whose message is one line naming the file.

Decompression bombs: images over :data:`MAX_PIXELS` (400 megapixels, e.g. 20,000 x 20,000) are
refused before any pixel is decoded. A 10,000 x 10,000 (100 MP) archival scan loads fine. Importing
this module raises Pillow's own ``Image.MAX_IMAGE_PIXELS`` to the same figure, because Pillow's
default (~89 MP, error at ~179 MP) would refuse legitimate large scans.

Saving
------
:func:`save_image` writes through a temporary file in the destination folder and ``os.replace`` s it
into place, so a reader never sees half a file and a failed write leaves nothing behind. Metadata per
format:

========  =====  ==============================  ====  =====  ===  ===========
format    bits   XMP                             EXIF  ICC    DPI  description
========  =====  ==============================  ====  =====  ===  ===========
JPEG      8      APP1 (Pillow ``xmp=``)          yes   yes    yes  EXIF ImageDescription
WebP      8      XMP chunk (Pillow ``xmp=``)     yes   yes    no   EXIF ImageDescription
PNG       8/16   iTXt ``XML:com.adobe.xmp``      eXIf  iCCP   pHYs tEXt ``Description``
TIFF      8/16   tag 700 (tifffile)              (1)   34675  yes  tag 270
BMP       8      no                              no    no     yes  no
========  =====  ==============================  ====  =====  ===  ===========

(1) TIFF carries the source's descriptive EXIF fields (Make, Model, DateTime, Artist, Copyright) as
baseline TIFF tags; the EXIF sub-IFD is not written. 16-bit PNG is written by a small built-in
encoder (Pillow cannot write 16-bit colour PNG); 16-bit TIFF by tifffile. A 16-bit array saved as
JPEG/WebP/BMP is rounded to 8 bits. EXIF orientation is reset to 1 in outputs, because the pixels
were already rotated on load. TIFF output is uncompressed baseline TIFF (readable everywhere, as
archival masters usually are).
"""
from __future__ import annotations

import os
import secrets
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from . import colour
from .formats import FOLDER_EXTENSIONS, FORMATS, TIFF_MAGIC, WRITABLE, format_for_extension, normalise_format
from .fsutil import sha256_file

#: Largest image accepted, in pixels (width x height): 400 megapixels.
MAX_PIXELS = 400_000_000

Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, MAX_PIXELS)

#: Formats :func:`save_image` writes, with their usual extension (from :mod:`archcolour.formats`).
SAVE_FORMATS = {name: FORMATS[name].extension for name in WRITABLE}
#: Extensions (lower case) recognised as images when walking folders.
IMAGE_EXTENSIONS = FOLDER_EXTENSIONS

#: zlib level of PNG outputs: 3 is about twice as fast as 6 for files ~8% larger (photographs).
PNG_LEVEL = 3

_ROWS = 512  # rows per chunk for per-pixel conversions (bounded temporaries)

_TIFF_MAGIC = TIFF_MAGIC
# Descriptive IFD0 EXIF tags that also exist as baseline TIFF tags.
_EXIF_DESCRIPTIVE = {271: "Make", 272: "Model", 305: "Software", 306: "DateTime", 315: "Artist", 33432: "Copyright", 270: "ImageDescription"}
_EXIF_IFD, _GPS_IFD, _ORIENTATION = 0x8769, 0x8825, 0x0112


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


# --------------------------------------------------------------------------------------------
# lightness from pixel values
# --------------------------------------------------------------------------------------------
_LUTS: dict[int, np.ndarray] = {}


def _grey_lut(levels: int) -> np.ndarray:
    """L of every grey level 0..levels-1 (exact, via colour.grey_to_l in float64)."""
    lut = _LUTS.get(levels)
    if lut is None:
        g = torch.arange(levels, dtype=torch.float64) / (levels - 1)
        lut = colour.grey_to_l(g).to(torch.float32).numpy()
        _LUTS[levels] = lut
    return lut


def _grey_int_to_l(arr: np.ndarray, levels: int) -> np.ndarray:
    lut = _grey_lut(levels)
    out = np.empty(arr.shape, dtype=np.float32)
    for top in range(0, arr.shape[0], _ROWS):  # row chunks: fancy indexing makes an intp copy
        out[top:top + _ROWS] = lut[arr[top:top + _ROWS]]
    return out


def _grey_float_to_l(arr: np.ndarray) -> np.ndarray:
    out = np.empty(arr.shape, dtype=np.float32)
    for top in range(0, arr.shape[0], _ROWS):
        g = torch.from_numpy(np.clip(np.array(arr[top:top + _ROWS], dtype=np.float32), 0.0, 1.0))
        out[top:top + _ROWS] = colour.grey_to_l(g).numpy()
    return out


def _rgb_to_l(rgb: np.ndarray, scale: float) -> np.ndarray:
    """(H, W, 3) integer or float RGB (0..scale) -> L, in row chunks."""
    out = np.empty(rgb.shape[:2], dtype=np.float32)
    for top in range(0, rgb.shape[0], _ROWS):
        t = torch.from_numpy(np.array(rgb[top:top + _ROWS], dtype=np.float32)).permute(2, 0, 1)
        if scale != 1.0:
            t = t / scale
        out[top:top + _ROWS] = colour.rgb_to_l(t.clamp_(0.0, 1.0), chunk_rows=None)[0].numpy()
    return out


def _is_grey(rgb: np.ndarray) -> bool:
    for top in range(0, rgb.shape[0], _ROWS):
        c = rgb[top:top + _ROWS]
        if not (np.array_equal(c[..., 0], c[..., 1]) and np.array_equal(c[..., 0], c[..., 2])):
            return False
    return True


def _float_to_unit(arr: np.ndarray, notes: list[str]) -> np.ndarray:
    """Float pixel values to [0, 1]: as they are when already there, else stretched min..max."""
    finite = np.isfinite(arr)
    if not finite.all():
        arr = np.where(finite, arr, 0.0).astype(np.float32)
        notes.append("non-finite pixel values replaced by 0")
    lo, hi = float(arr.min()), float(arr.max())
    if lo >= 0.0 and hi <= 1.0:
        return arr
    notes.append(f"floating-point values in [{lo:.4g}, {hi:.4g}] stretched to black..white")
    if hi <= lo:
        return np.zeros_like(arr, dtype=np.float32)
    return ((arr - lo) / (hi - lo)).astype(np.float32)


def _array_to_l(arr: np.ndarray, notes: list[str], *, colour_channels: bool) -> tuple[np.ndarray, int, bool]:
    """Pixel array (H, W) or (H, W, C>=3) of any numeric dtype -> (L, bit_depth, was_colour)."""
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    grey = arr if arr.ndim == 2 else None
    if arr.ndim == 3 and colour_channels:
        rgb = arr[..., :3]
        if _is_grey(rgb):
            grey = rgb[..., 0]
        else:
            if arr.dtype == np.uint8:
                return _rgb_to_l(rgb, 255.0), 8, True
            if arr.dtype == np.uint16:
                return _rgb_to_l(rgb, 65535.0), 16, True
            if arr.dtype.kind == "f":
                return _rgb_to_l(_float_to_unit(rgb.astype(np.float32), notes), 1.0), 16, True
            if arr.dtype.kind in "iu":
                return _rgb_to_l(_int_to_unit(rgb, notes), 1.0), 16, True
            raise ValueError(f"unsupported pixel type {arr.dtype}")
    elif arr.ndim == 3:
        grey = arr[..., 0]
    if grey is None:
        raise ValueError(f"unsupported pixel layout {arr.shape}")
    if grey.dtype == np.uint8:
        return _grey_int_to_l(grey, 256), 8, False
    if grey.dtype == np.uint16:
        return _grey_int_to_l(grey, 65536), 16, False
    if grey.dtype.kind == "f":
        return _grey_float_to_l(_float_to_unit(grey.astype(np.float32, copy=False), notes)), 16, False
    if grey.dtype.kind in "iu":
        lo, hi = int(grey.min()), int(grey.max())
        if lo >= 0 and hi <= 65535:
            return _grey_int_to_l(grey.astype(np.uint16), 65536), 16, False
        return _grey_float_to_l(_int_to_unit(grey, notes)), 16, False
    raise ValueError(f"unsupported pixel type {grey.dtype}")


def _int_to_unit(arr: np.ndarray, notes: list[str]) -> np.ndarray:
    lo, hi = int(arr.min()), int(arr.max())
    if lo >= 0 and hi <= 65535:
        return (arr.astype(np.float32) / 65535.0)
    notes.append(f"integer values in [{lo}, {hi}] stretched to black..white")
    if hi <= lo:
        return np.zeros(arr.shape, dtype=np.float32)
    return ((arr.astype(np.float64) - lo) / (hi - lo)).astype(np.float32)


def _apply_orientation(l: np.ndarray, orientation: int | None) -> np.ndarray:
    """EXIF orientation 2..8 applied to a 2-D array (as ImageOps.exif_transpose does)."""
    ops = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1, :],
        5: lambda a: a.T,
        6: lambda a: np.rot90(a, -1),
        7: lambda a: a[::-1, ::-1].T,
        8: lambda a: np.rot90(a, 1),
    }
    op = ops.get(int(orientation or 1))
    return l if op is None else np.ascontiguousarray(op(l))


# --------------------------------------------------------------------------------------------
# metadata
# --------------------------------------------------------------------------------------------
def _exif_from_pillow(im: Image.Image) -> tuple[bytes | None, int | None]:
    """(EXIF bytes, orientation) of an opened image; for TIFF only its descriptive tags."""
    try:
        exif = im.getexif()
    except Exception:  # noqa: BLE001 - broken EXIF is not a reason to refuse the picture
        return None, None
    orientation = exif.get(_ORIENTATION)
    if im.format == "TIFF":
        out = Image.Exif()
        for tag in (*_EXIF_DESCRIPTIVE, _ORIENTATION):
            if tag in exif:
                out[tag] = exif[tag]
        for ifd in (_EXIF_IFD, _GPS_IFD):
            try:
                sub = exif.get_ifd(ifd)
            except Exception:  # noqa: BLE001
                sub = {}
            if sub:
                out[ifd] = dict(sub)
        if not len(out):
            return None, orientation
        try:
            return out.tobytes(), orientation
        except Exception:  # noqa: BLE001
            return None, orientation
    raw = im.info.get("exif")
    if isinstance(raw, (bytes, bytearray)) and raw:
        return bytes(raw), orientation
    if len(exif):
        try:
            return exif.tobytes(), orientation
        except Exception:  # noqa: BLE001
            return None, orientation
    return None, orientation


def _metadata_from_pillow(im: Image.Image, meta: SourceMetadata) -> int | None:
    meta.exif, orientation = _exif_from_pillow(im)
    icc = im.info.get("icc_profile")
    meta.icc = bytes(icc) if icc else None
    dpi = im.info.get("dpi")
    if dpi and len(dpi) == 2:
        try:
            meta.dpi = (round(float(dpi[0]), 3), round(float(dpi[1]), 3))
        except (TypeError, ValueError):
            meta.dpi = None
    xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    meta.xmp = bytes(xmp) if xmp else None
    iptc = None
    photoshop = im.info.get("photoshop")
    if isinstance(photoshop, dict):
        iptc = photoshop.get(0x0404)
    if iptc is None and im.format == "TIFF":
        iptc = getattr(im, "tag_v2", {}).get(33723)
    if iptc is not None and not isinstance(iptc, (bytes, bytearray)):
        try:
            iptc = np.asarray(iptc).astype(">u4" if np.asarray(iptc).dtype.itemsize == 4 else "u1").tobytes()
        except Exception:  # noqa: BLE001
            iptc = None
    meta.iptc = bytes(iptc) if iptc else None
    return orientation


def _check_pixels(path: Path, width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise ImageLoadError(path, f"image has no pixels ({width}x{height})")
    if width * height > MAX_PIXELS:
        raise ImageLoadError(
            path, f"refused as a possible decompression bomb: {width}x{height} = {width * height / 1e6:.0f} "
                  f"megapixels, over the limit of {MAX_PIXELS / 1e6:.0f} megapixels")


# --------------------------------------------------------------------------------------------
# decoders
# --------------------------------------------------------------------------------------------
def _pillow_pixels(path: Path, im: Image.Image, notes: list[str]) -> tuple[np.ndarray, int, bool, str]:
    """Decode an opened Pillow image -> (L, bit_depth, was_colour, mode)."""
    mode = im.mode
    n_frames = getattr(im, "n_frames", 1) or 1
    if n_frames > 1 and im.format != "MPO":
        notes.append(f"multi-page {im.format}: first page of {n_frames} used")
    elif n_frames > 1:
        notes.append(f"multi-picture file: first picture of {n_frames} used")
    im.load()
    if mode in ("LA", "La", "PA", "RGBA", "RGBa") or (mode == "P" and "transparency" in im.info):
        notes.append("alpha channel ignored")
    if mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        arr = np.asarray(im).astype(np.uint16, copy=False)
        return (*_array_to_l(arr, notes, colour_channels=False), mode)
    if mode in ("I", "I;32", "I;32B", "I;32L"):
        return (*_array_to_l(np.asarray(im.convert("I")), notes, colour_channels=False), mode)
    if mode == "F":
        return (*_array_to_l(np.asarray(im), notes, colour_channels=False), mode)
    if mode in ("L", "1", "LA", "La"):
        arr = np.asarray(im.convert("L") if mode != "L" else im)
        return (*_array_to_l(arr, notes, colour_channels=False), mode)
    if mode == "CMYK" and im.info.get("icc_profile"):
        notes.append("CMYK converted without its ICC profile")
    if im.format == "PNG" and im.info.get("bitdepth", 8) == 16 or "16" in mode:
        notes.append("16-bit colour read with 8-bit precision")
    rgb = np.asarray(im.convert("RGB"))
    return (*_array_to_l(rgb, notes, colour_channels=True), mode)


def _tifffile_pixels(path: Path, notes: list[str]) -> tuple[np.ndarray, int, bool, str, int | None]:
    """Decode the first page of a TIFF with tifffile -> (L, bit_depth, was_colour, mode, orientation)."""
    import tifffile

    with tifffile.TiffFile(path) as tf:
        pages = tf.pages
        page = pages.first if hasattr(pages, "first") else pages[0]
        axes = page.axes
        shape = dict(zip(axes, page.shape))
        _check_pixels(path, int(shape.get("X", 0)), int(shape.get("Y", 0)))
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
    # photometric interpretations: 0 min-is-white, 1 min-is-black, 2 RGB, 3 palette, 5 CMYK
    mode = f"{arr.dtype} " + {0: "grey (min-is-white)", 1: "grey", 2: "RGB", 3: "palette", 5: "CMYK",
                               6: "YCbCr", 8: "CIELAB"}.get(photometric, f"photometric {photometric}")
    if arr.ndim == 3 and extrasamples is not None and len(extrasamples) and arr.shape[-1] in (2, 4, 5):
        notes.append("alpha channel ignored")
    if photometric == 0:  # min-is-white
        if arr.ndim == 3:
            arr = arr[..., 0]
        if arr.dtype.kind == "u":
            arr = np.iinfo(arr.dtype).max - arr
        elif arr.dtype.kind == "f":
            arr = 1.0 - arr
    elif photometric == 3 and colormap is not None:
        cmap = np.asarray(colormap)  # (3, 2**bits), 16-bit values
        rgb16 = cmap[:, arr].transpose(1, 2, 0).astype(np.uint16)
        return (*_array_to_l(rgb16, notes, colour_channels=True), mode, orientation)
    elif photometric == 5:
        if arr.ndim != 3 or arr.shape[-1] < 4:
            raise ImageLoadError(path, "CMYK TIFF without four channels")
        maxv = float(np.iinfo(arr.dtype).max) if arr.dtype.kind == "u" else 1.0
        c, m, y, k = (arr[..., i].astype(np.float32) / maxv for i in range(4))
        rgb = np.stack(((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)), axis=-1)
        l, _, was = _array_to_l(rgb, notes, colour_channels=True)
        return l, (16 if arr.dtype.itemsize > 1 else 8), was, mode, orientation
    elif photometric in (6, 8):
        raise _NeedPillow(f"photometric {photometric}")
    if arr.ndim == 2 or arr.shape[-1] == 2:
        arr = arr if arr.ndim == 2 else arr[..., 0]
        return (*_array_to_l(arr, notes, colour_channels=False), mode, orientation)
    return (*_array_to_l(arr, notes, colour_channels=True), mode, orientation)


class _NeedPillow(Exception):
    """tifffile cannot decode this TIFF (e.g. needs imagecodecs); try Pillow/libtiff."""


# --------------------------------------------------------------------------------------------
def load_image(path: str | os.PathLike) -> LoadedImage:
    """Read an image file into its full-resolution lightness plus metadata.

    Raises :class:`ImageLoadError` (one line naming the file) for anything that is not a readable
    image within :data:`MAX_PIXELS`.
    """
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ImageLoadError(path, "file not found") from None
    except OSError as e:
        raise ImageLoadError(path, f"cannot access the file: {e.strerror or e}") from None
    if path.is_dir():
        raise ImageLoadError(path, "is a folder, not an image file")
    if st.st_size == 0:
        raise ImageLoadError(path, "empty file (0 bytes)")
    try:
        with open(path, "rb") as f:
            head = f.read(8)
        sha = sha256_file(path)
    except OSError as e:
        raise ImageLoadError(path, f"cannot read the file: {e.strerror or e}") from None
    meta = SourceMetadata(file_size=st.st_size, sha256=sha)
    notes: list[str] = []
    is_tiff = head[:4] in _TIFF_MAGIC

    try:
        try:
            im = Image.open(path)
        except Image.DecompressionBombError as e:
            raise ImageLoadError(path, f"refused as a possible decompression bomb ({e})") from None
        except Image.UnidentifiedImageError:
            if is_tiff:
                im = None  # tifffile may still read what Pillow cannot
            else:
                raise ImageLoadError(path, "not an image file, or a format that cannot be read") from None
        except (OSError, SyntaxError, ValueError, struct.error) as e:
            raise ImageLoadError(path, f"cannot read the image: {e}") from None
        try:
            orientation = None
            fmt = "TIFF" if is_tiff else None
            if im is not None:
                fmt = im.format or fmt or "unknown"
                _check_pixels(path, im.width, im.height)
                orientation = _metadata_from_pillow(im, meta)
            result = None
            if is_tiff:
                try:
                    l, bits, was_colour, mode, tif_orientation = _tifffile_pixels(path, notes)
                    orientation = orientation or tif_orientation
                    result = (l, bits, was_colour, mode)
                except ImageLoadError:
                    raise
                except MemoryError:
                    raise ImageLoadError(path, "not enough memory to decode the image") from None
                except Exception as e:  # noqa: BLE001 - fall back to Pillow, report its error if both fail
                    notes.clear()
                    if im is None:
                        raise ImageLoadError(path, f"cannot read the TIFF: {e}") from None
                    if "imagecodecs" in str(e):
                        notes.append("TIFF compression decoded by Pillow (tifffile needs imagecodecs)")
            if result is None:
                result = _pillow_pixels(path, im, notes)
            l, bits, was_colour, mode = result
        finally:
            if im is not None:
                im.close()
    except ImageLoadError:
        raise
    except Image.DecompressionBombError as e:
        raise ImageLoadError(path, f"refused as a possible decompression bomb ({e})") from None
    except MemoryError:
        raise ImageLoadError(path, "not enough memory to decode the image") from None
    except (OSError, SyntaxError, ValueError, struct.error, EOFError, IndexError, KeyError, TypeError, zlib.error) as e:
        msg = str(e) or type(e).__name__
        if "truncated" in msg.lower() or isinstance(e, EOFError):
            msg = f"truncated or damaged file ({msg})"
        raise ImageLoadError(path, f"cannot decode the image: {msg}") from None

    if orientation and int(orientation) != 1:
        l = _apply_orientation(l, orientation)
        if int(orientation) in range(2, 9):
            notes.append(f"EXIF orientation {int(orientation)} applied")
    h, w = l.shape
    return LoadedImage(path=path, l=l, width=w, height=h, bit_depth=bits, format=fmt, mode=mode,
                       was_colour=bool(was_colour), notes=notes, meta=meta)


# --------------------------------------------------------------------------------------------
# saving
# --------------------------------------------------------------------------------------------
def _to_uint8(rgb: np.ndarray) -> np.ndarray:
    if rgb.dtype == np.uint8:
        return rgb
    if rgb.dtype == np.uint16:
        out = np.empty(rgb.shape, dtype=np.uint8)
        for top in range(0, rgb.shape[0], _ROWS):
            c = rgb[top:top + _ROWS].astype(np.uint32)
            out[top:top + _ROWS] = (c * 255 + 32767) // 65535
        return out
    raise ValueError(f"rgb must be uint8 or uint16, got {rgb.dtype}")


def _output_exif(exif: bytes | None, description: str | None) -> bytes | None:
    """The source EXIF for an output: orientation reset to 1 (pixels are upright), description set."""
    if not exif and not description:
        return None
    ex = Image.Exif()
    if exif:
        try:
            ex.load(exif)
        except Exception:  # noqa: BLE001 - drop unreadable EXIF rather than fail the save
            ex = Image.Exif()
    if _ORIENTATION in ex:
        ex[_ORIENTATION] = 1
    for tag in (0x0100, 0x0101):  # pixel dimensions in IFD0 would be stale
        if tag in ex:
            del ex[tag]
    if description:
        ex[0x010E] = description
    # materialise sub-IFDs so they are written back
    for ifd in (_EXIF_IFD, _GPS_IFD):
        if ifd in ex:
            try:
                sub = ex.get_ifd(ifd)
                if sub:
                    ex[ifd] = dict(sub)
            except Exception:  # noqa: BLE001
                del ex[ifd]
    try:
        return ex.tobytes()
    except Exception:  # noqa: BLE001
        return None


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_meta_chunks(xmp, exif, icc, dpi, description) -> list[bytes]:
    chunks = []
    if icc:
        chunks.append(_png_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc)))
    if dpi:
        ppm = [max(1, int(round(float(d) / 0.0254))) for d in dpi]
        chunks.append(_png_chunk(b"pHYs", struct.pack(">IIB", ppm[0], ppm[1], 1)))
    if xmp:
        chunks.append(_png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + bytes(xmp)))
    if description:
        try:
            chunks.append(_png_chunk(b"tEXt", b"Description\x00" + description.encode("latin-1")))
        except UnicodeEncodeError:
            chunks.append(_png_chunk(b"iTXt", b"Description\x00\x00\x00\x00\x00" + description.encode("utf-8")))
    if exif:
        raw = exif[6:] if exif.startswith(b"Exif\x00\x00") else exif
        chunks.append(_png_chunk(b"eXIf", raw))
    return chunks


def _write_png16(f, rgb: np.ndarray, chunks: list[bytes], level: int = PNG_LEVEL) -> None:
    """16-bit RGB PNG: rows filtered with 'Sub' (vectorised), deflate-streamed in row blocks."""
    h, w, c = rgb.shape
    f.write(b"\x89PNG\r\n\x1a\n")
    f.write(_png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2 if c == 3 else 0, 0, 0, 0)))
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
            f.write(_png_chunk(b"IDAT", bytes(pending[:n])))
            del pending[:n]

    for top in range(0, h, 256):
        raw = rgb[top:top + 256].astype(">u2").view(np.uint8).reshape(-1, w * bpp)
        filt = np.empty((raw.shape[0], w * bpp + 1), dtype=np.uint8)
        filt[:, 0] = 1  # Sub
        filt[:, 1:bpp + 1] = raw[:, :bpp]
        np.subtract(raw[:, bpp:], raw[:, :-bpp], out=filt[:, bpp + 1:])
        flush(filt.tobytes())
    flush(b"", final=True)
    f.write(_png_chunk(b"IEND", b""))


def _tiff_extratags(xmp, exif) -> list[tuple]:
    tags = []
    if xmp:
        tags.append((700, "B", len(xmp), bytes(xmp), True))
    if exif:
        ex = Image.Exif()
        try:
            ex.load(exif)
        except Exception:  # noqa: BLE001
            ex = Image.Exif()
        for tag in (271, 272, 306, 315, 33432):
            v = ex.get(tag)
            if isinstance(v, str) and v and v.isascii():
                tags.append((tag, "s", 0, v, True))
    return tags


def save_image(
    path: str | os.PathLike,
    rgb: np.ndarray,
    fmt: str,
    *,
    xmp: bytes | None = None,
    exif: bytes | None = None,
    icc: bytes | None = None,
    dpi=None,
    description: str | None = None,
    jpeg_quality: int = 95,
) -> Path:
    """Write ``rgb`` (H, W, 3) uint8 or uint16 to ``path`` atomically; returns the path.

    ``fmt`` is 'JPEG', 'PNG', 'TIFF', 'WEBP' or 'BMP'. 16 bits are kept for PNG and TIFF.
    """
    path = Path(path)
    fmt = normalise_format(fmt)
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"rgb must be (H, W, 3) uint8 or uint16, got {rgb.shape} {rgb.dtype}")
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    dpi = tuple(float(d) for d in dpi) if dpi else None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        _write(tmp, rgb, fmt, xmp=xmp, exif=exif, icc=icc, dpi=dpi, description=description,
               jpeg_quality=int(jpeg_quality))
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        raise
    return path


def _write(tmp: Path, rgb, fmt, *, xmp, exif, icc, dpi, description, jpeg_quality) -> None:
    if fmt == "TIFF":
        import tifffile

        kwargs = {}
        if dpi:
            kwargs.update(resolution=(dpi[0], dpi[1]), resolutionunit="INCH")
        if icc:
            kwargs["iccprofile"] = bytes(icc)
        tifffile.imwrite(
            tmp, np.ascontiguousarray(rgb), photometric="rgb", planarconfig="contig", metadata=None,
            description=description or None, software="archcolour", extratags=_tiff_extratags(xmp, exif),
            **kwargs,
        )
        return
    if fmt == "PNG" and rgb.dtype == np.uint16:
        with open(tmp, "wb") as f:
            _write_png16(f, rgb, _png_meta_chunks(xmp, _output_exif(exif, None), icc, dpi, description))
        return
    im = Image.fromarray(_to_uint8(rgb), "RGB")
    try:
        if fmt == "PNG":
            from PIL import PngImagePlugin

            info = PngImagePlugin.PngInfo()
            if xmp:
                info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8", errors="replace"), zip=False)
            if description:
                info.add_text("Description", description)
            kwargs = {"pnginfo": info, "compress_level": PNG_LEVEL}
            out_exif = _output_exif(exif, None)
            if out_exif:
                kwargs["exif"] = out_exif
        elif fmt == "JPEG":
            kwargs = {"quality": jpeg_quality, "optimize": True}
            out_exif = _output_exif(exif, description)
            if out_exif:
                kwargs["exif"] = out_exif
            if xmp:
                kwargs["xmp"] = xmp
        elif fmt == "WEBP":
            kwargs = {"quality": jpeg_quality, "method": 4}
            out_exif = _output_exif(exif, description)
            if out_exif:
                kwargs["exif"] = out_exif
            if xmp:
                kwargs["xmp"] = xmp
        else:  # BMP
            kwargs = {}
        if icc and fmt != "BMP":
            kwargs["icc_profile"] = bytes(icc)
        if dpi and fmt in ("PNG", "JPEG", "BMP"):
            kwargs["dpi"] = dpi
        with open(tmp, "wb") as f:
            im.save(f, format=fmt, **kwargs)
    finally:
        im.close()


def read_png_text(path: str | os.PathLike) -> dict[str, bytes]:
    """Text chunks (tEXt/iTXt, uncompressed) of a PNG as raw bytes by keyword (used by tests and inspect)."""
    out: dict[str, bytes] = {}
    with open(path, "rb") as f:
        if f.read(8) != b"\x89PNG\r\n\x1a\n":
            raise ValueError(f"{path}: not a PNG")
        while True:
            head = f.read(8)
            if len(head) < 8:
                break
            n, kind = struct.unpack(">I4s", head)
            data = f.read(n)
            f.read(4)
            if kind == b"tEXt":
                k, _, v = data.partition(b"\x00")
                out[k.decode("latin-1")] = v
            elif kind == b"iTXt":
                k, _, rest = data.partition(b"\x00")
                comp_flag, _method = rest[0], rest[1]
                rest = rest[2:]
                _lang, _, rest = rest.partition(b"\x00")
                _tk, _, text = rest.partition(b"\x00")
                out[k.decode("latin-1")] = zlib.decompress(text) if comp_flag else text
            elif kind == b"IEND":
                break
    return out


def read_xmp(path: str | os.PathLike) -> bytes | None:
    """The XMP packet embedded in an image file, as written by :func:`save_image` (None if none)."""
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"\x89PNG"):
        return read_png_text(path).get("XML:com.adobe.xmp")
    if head[:4] in _TIFF_MAGIC:
        import tifffile

        with tifffile.TiffFile(path) as tf:
            tag = tf.pages[0].tags.get(700)
            if tag is None:
                return None
            v = tag.value
            return bytes(v) if not isinstance(v, str) else v.encode("utf-8")
    with Image.open(path) as im:
        x = im.info.get("xmp")
        if isinstance(x, str):
            x = x.encode("utf-8")
        return bytes(x) if x else None


__all__ = ["ImageLoadError", "IMAGE_EXTENSIONS", "LoadedImage", "MAX_PIXELS", "SAVE_FORMATS", "SourceMetadata",
           "format_for_extension", "load_image", "read_png_text", "read_xmp", "save_image"]

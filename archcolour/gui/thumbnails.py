"""Thumbnails made off the UI thread and cached in memory and on disk.

Each request runs on a small private thread pool. The disk cache key is the file's resolved path, size,
modification time and the thumbnail size, so an edited file gets a new thumbnail. Thumbnails are read
with Pillow (JPEG draft mode makes big JPEGs cheap); sources Pillow cannot show directly (16-bit, float,
unusual TIFFs) go through :func:`archcolour.imageio.load_image`, whose one-line error message is what
the user sees for an unreadable file.
"""
from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage

from ..fsutil import atomic_write_bytes

log = logging.getLogger(__name__)

THUMB_PX = 160  # stored size; the list shows them smaller (sharp on high-DPI screens)


def _cache_key(path: Path, px: int) -> str | None:
    try:
        st = path.stat()
    except OSError:
        return None
    raw = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{px}|v2"  # v2: exact L -> grey
    return hashlib.sha1(raw.encode("utf-8", "surrogateescape")).hexdigest()


def _pil_to_qimage(im) -> QImage:
    if im.mode not in ("RGB", "RGBA"):
        im = im.convert("RGBA" if "A" in im.mode or "transparency" in im.info else "RGB")
    data = im.tobytes()
    fmt = QImage.Format_RGBA8888 if im.mode == "RGBA" else QImage.Format_RGB888
    bpl = im.width * (4 if im.mode == "RGBA" else 3)
    return QImage(data, im.width, im.height, bpl, fmt).copy()


def _png_bytes(img: QImage) -> bytes:
    """``img`` encoded as PNG (empty when Qt cannot encode it)."""
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    ok = img.save(buf, "PNG")
    data = bytes(buf.data()) if ok else b""
    buf.close()
    return data


def make_thumbnail(path: Path, px: int = THUMB_PX) -> QImage:
    """A thumbnail (long side ``px``) of an image file; raises with a one-line message if unreadable."""
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as im:
            if im.format == "JPEG":
                im.draft("RGB", (px * 2, px * 2))
            if im.mode in ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "CMYK", "YCbCr") and getattr(im, "n_frames", 1) >= 1:
                im.load()
                im = ImageOps.exif_transpose(im)
                im.thumbnail((px, px), Image.Resampling.BILINEAR, reducing_gap=2.0)
                if im.mode == "CMYK":
                    im = im.convert("RGB")
                return _pil_to_qimage(im)
    except Exception as exc:  # noqa: BLE001 - Pillow cannot show it: let imageio decide (and word the error)
        log.debug("thumbnail via Pillow failed for %s: %s", path, exc)
    return _thumbnail_via_imageio(path, px)


def _thumbnail_via_imageio(path: Path, px: int) -> QImage:
    from PIL import Image

    from .. import colour, imageio

    loaded = imageio.load_image(path)  # raises ImageLoadError with a clear one-line message
    im = Image.fromarray(colour.grey8_from_l(loaded.l), "L")  # the exact grey previews show
    im.thumbnail((px, px), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return _pil_to_qimage(im)


def _one_line(exc: BaseException) -> str:
    msg = getattr(exc, "message", None) or " ".join(str(exc).split()) or type(exc).__name__
    return msg


class _Signals(QObject):
    done = Signal(str, str, QImage, bool)  # request key, source path, image, is_output
    failed = Signal(str, str, str, bool)  # request key, source path, message, is_output


class _Job(QRunnable):
    def __init__(self, loader: "ThumbnailLoader", key: str, source: Path, file: Path, is_output: bool):
        super().__init__()
        self.setAutoDelete(True)
        self.loader, self.key, self.source, self.file, self.is_output = loader, key, source, file, is_output

    def run(self) -> None:
        signals = self.loader.signals
        try:
            img = self.loader.load_or_make(self.file)
        except Exception as exc:  # noqa: BLE001 - reported on the image's row
            signals.failed.emit(self.key, str(self.source), _one_line(exc), self.is_output)
            return
        signals.done.emit(self.key, str(self.source), img, self.is_output)


class ThumbnailLoader(QObject):
    """Asynchronous thumbnails with an in-memory LRU and an on-disk cache.

    Signals ``ready(source, QImage, is_output)`` and ``failed(source, message, is_output)`` arrive on
    the UI thread. ``is_output`` tells a thumbnail of the colourised output from one of the source.
    """

    ready = Signal(str, QImage, bool)
    failed = Signal(str, str, bool)
    idle = Signal()

    def __init__(self, cache_dir: Path | None = None, px: int = THUMB_PX, threads: int = 1, memory_items: int = 2000,
                 parent=None):
        super().__init__(parent)
        self.px = px
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max(1, threads))
        self.signals = _Signals()
        self.signals.done.connect(self._on_done)
        self.signals.failed.connect(self._on_failed)
        self._memory: OrderedDict[str, QImage] = OrderedDict()
        self._memory_items = memory_items
        self._pending: set[str] = set()
        self.generation = 0

    # -- cache --------------------------------------------------------------------------------
    def _disk_path(self, key: str) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / key[:2] / f"{key}.png"

    def load_or_make(self, file: Path) -> QImage:
        """On a worker thread: the disk cache, else a new thumbnail (then stored)."""
        key = _cache_key(file, self.px)
        disk = self._disk_path(key) if key else None
        if disk is not None and disk.is_file():
            img = QImage(str(disk))
            if not img.isNull():
                return img
        img = make_thumbnail(file, self.px)
        if disk is not None:
            try:
                data = _png_bytes(img)
                if data:
                    disk.parent.mkdir(parents=True, exist_ok=True)
                    atomic_write_bytes(disk, data)
            except OSError as exc:
                log.debug("thumbnail cache not written: %s", exc)
        return img

    # -- requests -----------------------------------------------------------------------------
    def request(self, source: Path, file: Path | None = None, *, is_output: bool = False) -> None:
        """Ask for the thumbnail of ``file`` (default ``source``), reported under ``source``."""
        file = Path(file or source)
        mem_key = f"{self.generation}|{file}|{is_output}"
        ck = _cache_key(file, self.px)
        if ck is not None and ck in self._memory:
            self._memory.move_to_end(ck)
            self.ready.emit(str(source), self._memory[ck], is_output)
            return
        if mem_key in self._pending:
            return
        self._pending.add(mem_key)
        self.pool.start(_Job(self, mem_key, Path(source), file, is_output))

    def cancel_all(self) -> None:
        """Drop queued requests (for example when another folder is opened)."""
        self.pool.clear()
        self._pending.clear()
        self.generation += 1

    def _remember(self, file: str, img: QImage) -> None:
        ck = _cache_key(Path(file), self.px)
        if ck is None:
            return
        self._memory[ck] = img
        while len(self._memory) > self._memory_items:
            self._memory.popitem(last=False)

    def _on_done(self, key: str, source: str, img: QImage, is_output: bool) -> None:
        if key not in self._pending:
            return  # cancelled meanwhile
        self._pending.discard(key)
        self._remember(key.split("|", 1)[1].rsplit("|", 1)[0], img)
        self.ready.emit(source, img, is_output)
        if not self._pending:
            self.idle.emit()

    def _on_failed(self, key: str, source: str, message: str, is_output: bool) -> None:
        if key not in self._pending:
            return
        self._pending.discard(key)
        self.failed.emit(source, message, is_output)
        if not self._pending:
            self.idle.emit()

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def shutdown(self) -> None:
        self.pool.clear()
        self.pool.waitForDone(5000)

"""File helpers shared by everything that writes: SHA-256 of a file, and the one durable atomic writer.

Every file archcolour writes - images, sidecars, the settings, C2PA-signed outputs, weights and their
manifest, thumbnails, training caches - goes through :func:`atomic_write` (or
:func:`atomic_write_bytes`):

1. the bytes go to a temporary name in the destination folder (``.<name>.<8 hex>.tmp``,
   :data:`archcolour.formats.TEMP_RE`, which the batch runner's stale-temp cleanup recognises),
   created with ``O_EXCL | O_NOFOLLOW``;
2. the file is flushed and fsynced;
3. it is renamed over the destination with ``os.replace`` (which replaces a symbolic link at the
   destination by the file; the link's target is never written through);
4. the folder is fsynced, so the rename itself survives a power loss.

A crash leaves either the old file or the new one, never half of either, and a failed write leaves
nothing behind. The writer returns the SHA-256 and size of the bytes it wrote (:class:`Written`), so
nobody has to read a fresh output back to hash it.
"""
from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .formats import temp_name_for

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks (weights, sources and outputs alike)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def fsync_dir(folder: Path) -> None:
    """fsync a folder so a rename inside it is durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Written:
    """A file written by :func:`atomic_write`: where, and the SHA-256 and size of its bytes."""

    path: Path
    sha256: str
    size: int

    def __fspath__(self) -> str:
        return str(self.path)


class _HashingFile(io.RawIOBase):
    """A write-only file that hashes the bytes as they go through, while they go in order.

    Writers that seek back to patch a header (tifffile) make the running hash useless; the file is
    then hashed from its start once written (still without closing or reopening it). ``fileno`` is
    deliberately missing, so Pillow writes through :meth:`write` instead of straight to the descriptor.
    """

    def __init__(self, f) -> None:
        super().__init__()
        self._f = f
        self._h = hashlib.sha256()
        self._end = 0  # bytes written in order so far
        self._in_order = True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def write(self, b) -> int:
        pos = self._f.tell() if not self._in_order else self._end
        n = self._f.write(b)
        if self._in_order and pos == self._end:
            mv = memoryview(b)
            if mv.ndim != 1 or mv.itemsize != 1:
                mv = mv.cast("B")
            n = len(mv) if n is None else n
            self._h.update(mv[:n])
            self._end += n
        else:
            self._in_order = False
        return n

    def seek(self, pos: int, whence: int = 0) -> int:
        r = self._f.seek(pos, whence)
        if r != self._end:
            self._in_order = False
        return r

    def tell(self) -> int:
        return self._f.tell()

    def flush(self) -> None:
        self._f.flush()

    def digest(self) -> str:
        self._f.flush()
        if self._in_order and self._f.tell() == self._end:
            return self._h.hexdigest()
        self._f.seek(0)
        h = hashlib.sha256()
        for block in iter(lambda: self._f.read(1 << 20), b""):
            h.update(block)
        return h.hexdigest()


def atomic_write(path: str | os.PathLike, write: Callable[[io.RawIOBase], object]) -> Written:
    """Write a file durably and atomically: ``write(f)`` puts the bytes into the binary file ``f``.

    ``f`` supports ``write``, ``seek``, ``tell`` and ``flush``. Returns the :class:`Written` file.
    Whatever ``write`` raises propagates, with the temporary file removed and the destination as it was.
    """
    path = Path(path)
    tmp = temp_name_for(path)
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, 0o666)
    try:
        with os.fdopen(fd, "w+b") as f:
            hf = _HashingFile(f)
            write(hf)
            digest = hf.digest()
            f.flush()
            os.fsync(f.fileno())
            size = os.fstat(f.fileno()).st_size
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)
    return Written(path, digest, size)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Written:
    """Write ``data`` to ``path`` through :func:`atomic_write`."""
    return atomic_write(path, lambda f: f.write(data))


__all__ = ["Written", "atomic_write", "atomic_write_bytes", "fsync_dir", "sha256_file"]

"""File helpers shared by the core: SHA-256 of a file, and crash-safe writing (sidecars, settings).

A file is written to a temporary name in the destination folder (``.<name>.<8 hex>.tmp``, the pattern
the batch runner's stale-temp cleanup recognises), flushed and fsynced, then renamed over the
destination with ``os.replace``, and the folder is fsynced: a crash leaves either the old file or the
new one, never half of either.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .formats import temp_name_for


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


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder + fsync + os.replace."""
    path = Path(path)
    tmp = temp_name_for(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)

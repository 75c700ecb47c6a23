"""Warnings from the imaging libraries, attributed to the file they are about.

Pillow reports oddities in a file with :func:`warnings.warn` ("Truncated File Read", "Corrupt EXIF
data", ...) and tifffile with log records ("<TiffTag 305 @166> invalid value offset ..."). Neither
names the file, and the batch reads and writes images on worker threads, so printing them as they come
gives lines nobody can act on. Inside :func:`collecting` (per thread) such warnings become notes about
that file instead: the batch runner attaches them to the item's result, so they are printed under the
file's own line and recorded in the manifest. :func:`install` routes Python warnings through here (the
CLI calls it once); :class:`LibraryFilter` does the same for log records on a handler.

Warnings raised outside any :func:`collecting` block are left alone.
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import warnings
from typing import Iterator

_local = threading.local()
#: notes kept per file (a corrupt file can warn once per tag)
MAX_NOTES = 20


@contextlib.contextmanager
def collecting(path: str | os.PathLike | None = None) -> Iterator[list[str]]:
    """Within this block, on this thread, library warnings are appended to the yielded list."""
    prev = getattr(_local, "notes", None)
    notes: list[str] = []
    _local.notes = notes
    try:
        yield notes
    finally:
        _local.notes = prev


def take(message: object) -> bool:
    """Record ``message`` as a note of the file this thread is working on; False when there is none."""
    notes = getattr(_local, "notes", None)
    if notes is None:
        return False
    text = " ".join(str(message).split())
    if text and text not in notes and len(notes) < MAX_NOTES:
        notes.append(text)
    return True


class LibraryFilter(logging.Filter):
    """For a handler: a warning logged by a library (not archcolour) inside :func:`collecting` becomes a
    note of that file instead of a line of its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or record.name.split(".")[0] == "archcolour":
            return True
        return not take(record.getMessage())


def install() -> None:
    """Route Python warnings raised inside :func:`collecting` to its notes (idempotent).

    Pillow and tifffile warnings are shown every time (not once per code location), so each file that
    causes one gets its note.
    """
    original = warnings.showwarning
    if getattr(original, "_archcolour", False):
        return

    def showwarning(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
        if not take(f"{message}"):
            original(message, category, filename, lineno, file, line)

    showwarning._archcolour = True  # type: ignore[attr-defined]
    warnings.showwarning = showwarning
    for module in (r"PIL(\..*)?", r"tifffile(\..*)?"):
        warnings.filterwarnings("always", module=module)

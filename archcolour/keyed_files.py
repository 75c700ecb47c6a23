"""Small JSON files keyed by image (colour hints, an image's own settings): the two rules they share.

* :func:`read_json` - read one, bounded in size, with a one-line error naming the file;
* :func:`for_image` - an image's entry: by its path relative to its input folder, then by its bare name.

Torch-free and Qt-free.
"""
from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath
from typing import Any, Mapping

#: Largest file read (a real one is a few KiB).
MAX_FILE_BYTES = 8 << 20


def read_json(path: str | os.PathLike, what: str, error: type[Exception]) -> Any:
    """The parsed JSON of ``path``; ``error("<what> <name>: ...")`` (one line) on any problem, a missing
    file too."""
    p = Path(path)
    try:
        if not p.is_file():
            raise error(f"{what} {p.name}: not found or not a regular file")
        if p.stat().st_size > MAX_FILE_BYTES:
            raise error(f"{what} {p.name}: larger than {MAX_FILE_BYTES >> 20} MiB")
        return json.loads(p.read_text(encoding="utf-8"))
    except error:
        raise
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{what} {p.name}: not valid JSON ({str(exc).splitlines()[0]})") from None
    except OSError as exc:
        raise error(f"{what} {p.name}: {exc.strerror or exc}") from None


def for_image(entries: Mapping[str, Any], rel: str | os.PathLike, default: Any = None) -> Any:
    """``entries``' value for a source: by its path relative to its input folder, then its bare name."""
    key = PurePosixPath(Path(rel).as_posix())
    found = entries.get(key.as_posix())
    return entries.get(key.name, default) if found is None else found

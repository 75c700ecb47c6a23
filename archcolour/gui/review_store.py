"""Review flags (accepted / rejected / to redo) kept beside the batch manifest, in ``review.jsonl`` (Qt-free).

Why a file of its own and not the manifest or the sidecar: the manifest is the batch runner's audit log
(one record per run and item, written by :mod:`archcolour.provenance`) and the sidecar is rewritten
whenever its output is; a reviewer's decision must survive both. ``review.jsonl`` sits in the same
folder as ``manifest.jsonl`` and is append-only, one JSON object per line, flushed and fsynced::

    {"type": "flag", "output": "Greece1911_colourised.png", "flag": "rejected", "time": "..."}

``output`` is the output's path relative to that folder; the last line for an output wins and a
``null`` flag clears it. A killed write leaves at most a truncated last line, which is skipped.
"""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

REVIEW_NAME = "review.jsonl"
FLAGS = ("accepted", "rejected", "redo")
LABELS = {"accepted": "Accepted", "rejected": "Rejected", "redo": "To redo", None: "Unflagged"}
#: flags whose outputs "Re-run rejected" colourises again
RERUN_FLAGS = ("rejected", "redo")


def review_folder(output: Path, output_dir: Path | None) -> Path:
    """The folder whose ``review.jsonl`` holds the flag of ``output`` (where its manifest is)."""
    return Path(output_dir) if output_dir is not None else Path(output).parent


def _key(output: Path, folder: Path) -> str:
    try:
        return Path(output).resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return str(Path(output).resolve())


def read_flags(folder: Path) -> dict[str, str]:
    """{relative output path: flag} from ``folder/review.jsonl`` (empty when there is none)."""
    flags: dict[str, str] = {}
    try:
        data = (Path(folder) / REVIEW_NAME).read_bytes()
    except OSError:
        return flags
    for line in data.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # a truncated last line
        if not isinstance(rec, dict) or rec.get("type") != "flag" or not isinstance(rec.get("output"), str):
            continue
        flag = rec.get("flag")
        if flag in FLAGS:
            flags[rec["output"]] = flag
        else:
            flags.pop(rec["output"], None)
    return flags


class ReviewStore:
    """Flags of outputs, read once per folder and appended to as the user flags."""

    def __init__(self) -> None:
        self._folders: dict[Path, dict[str, str]] = {}

    def _flags(self, folder: Path) -> dict[str, str]:
        folder = Path(folder)
        if folder not in self._folders:
            self._folders[folder] = read_flags(folder)
        return self._folders[folder]

    def forget(self) -> None:
        self._folders.clear()

    def get(self, output: Path, output_dir: Path | None) -> str | None:
        folder = review_folder(output, output_dir)
        return self._flags(folder).get(_key(output, folder))

    def set(self, output: Path, output_dir: Path | None, flag: str | None) -> None:
        if flag is not None and flag not in FLAGS:
            raise ValueError(f"unknown flag {flag!r}")
        folder = review_folder(output, output_dir)
        key = _key(output, folder)
        flags = self._flags(folder)
        if flags.get(key) == flag:
            return
        folder.mkdir(parents=True, exist_ok=True)
        rec = {"type": "flag", "output": key, "flag": flag,
               "time": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        path = folder / REVIEW_NAME
        with open(path, "ab") as f:
            if f.tell() > 0:
                with open(path, "rb") as r:
                    r.seek(-1, os.SEEK_END)
                    if r.read(1) != b"\n":
                        f.write(b"\n")
            f.write((json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        if flag is None:
            flags.pop(key, None)
        else:
            flags[key] = flag

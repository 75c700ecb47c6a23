"""Is an output done? Decided from its provenance, never from its name.

An existing output counts as *done* only when its sidecar (or, without one, its embedded XMP) records
the SHA-256 of this very source. To avoid re-hashing on resume, a sidecar that also records the
source's name, size and modification time, all equal to the source's now, is trusted without hashing;
otherwise the source is hashed, once per run (:class:`SourceHashes`).

:func:`needs_work` is THE rule for what runs: pending outputs always; outputs of this source with
``overwrite``; outputs of another source, or files without archcolour provenance, only with
``replace_foreign`` (never silently).

*Done* means "made from this source", whatever it was made with: an output made with other settings
than those now asked for that image (another working size, model, vividness or upsampling from its
own settings, :mod:`archcolour.image_settings`) is still done, exactly as one made before its colour
hints changed. Re-running never redoes finished work behind the user's back; to apply new settings
or hints, redo those outputs on purpose (``--overwrite``; in the desktop application Overwrite, or
flag them *to redo* and *Re-run rejected*). What each output was made with is in its provenance.
"""
from __future__ import annotations

import enum
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import provenance
from ..fsutil import sha256_file


class OutputState(str, enum.Enum):
    PENDING = "pending"  # no output yet
    DONE = "done"  # an output made from this source (its provenance records this source's SHA-256)
    FOREIGN = "foreign"  # an output made from another source
    UNKNOWN = "unknown"  # a file at the output's place without archcolour provenance we can read


class SourceHashes:
    """SHA-256 of sources, computed at most once per (path, size, mtime) in a run; thread-safe."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, int, int], str] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(path: Path, st: os.stat_result) -> tuple[str, int, int]:
        return str(Path(path).resolve()), st.st_size, st.st_mtime_ns

    def get(self, path: Path, st: os.stat_result | None = None) -> str:
        st = st or Path(path).stat()
        key = self._key(path, st)
        with self._lock:
            if key in self._known:
                return self._known[key]
        digest = sha256_file(path)
        with self._lock:
            self._known[key] = digest
        return digest

    def remember(self, path: Path, st: os.stat_result, digest: str) -> None:
        with self._lock:
            self._known[self._key(path, st)] = digest


@dataclass
class OutputCheck:
    state: OutputState
    #: the source SHA-256 the output's provenance records (None without provenance)
    recorded_source_sha256: str | None = None
    #: the output's SHA-256 and size as its sidecar records them (None without a sidecar)
    output_sha256: str | None = None
    output_size: int | None = None
    has_sidecar: bool = False

    def describe(self, output: Path) -> str:
        """One line for a skipped item."""
        if self.state is OutputState.DONE:
            return "output exists, made from this source (use --overwrite to redo it)"
        if self.state is OutputState.FOREIGN:
            return (f"conflict: {output.name} was made from another source (SHA-256 "
                    f"{(self.recorded_source_sha256 or '?')[:12]}...); left alone (use --replace-foreign to replace it)")
        return (f"conflict: {output.name} exists and has no archcolour provenance; left alone "
                "(use --replace-foreign to replace it)")


def _source_of(rec: dict[str, Any]) -> dict[str, Any]:
    src = rec.get("source")
    return src if isinstance(src, dict) else {}


def check_output(source: str | os.PathLike, output: str | os.PathLike,
                 hashes: SourceHashes | None = None) -> OutputCheck:
    """The state of ``output`` with respect to ``source`` (see the module's rules)."""
    source, output = Path(source), Path(output)
    if not output.exists() and not output.is_symlink():
        return OutputCheck(OutputState.PENDING)
    if output.is_symlink() or not output.is_file():
        return OutputCheck(OutputState.UNKNOWN)
    try:
        side = provenance.read_sidecar(output)
    except provenance.ProvenanceError:
        side = None
    rec = side if side is not None else provenance.embedded_provenance(output)[0]
    src = _source_of(rec) if rec is not None else {}
    recorded = src.get("sha256") if isinstance(src.get("sha256"), str) and src.get("sha256") else None
    out_rec = (side or {}).get("output") or {}
    check = OutputCheck(OutputState.UNKNOWN, recorded, out_rec.get("sha256"), out_rec.get("size"), side is not None)
    if recorded is None:
        return check
    try:
        st = source.stat()
    except OSError:
        return check  # cannot tell: treated as not ours to replace
    trusted = (side is not None and src.get("name") == source.name and src.get("size") == st.st_size
               and src.get("mtime_ns") == st.st_mtime_ns)
    if trusted:
        same = True
    else:
        try:
            same = (hashes or SourceHashes()).get(source, st) == recorded
        except OSError:
            return check
    check.state = OutputState.DONE if same else OutputState.FOREIGN
    return check


def output_state(source: str | os.PathLike, output: str | os.PathLike,
                 hashes: SourceHashes | None = None) -> OutputState:
    """``done`` | ``pending`` | ``foreign`` | ``unknown`` for one (source, output) pair (the GUI's per-item call)."""
    return check_output(source, output, hashes).state


def needs_work(state: OutputState, *, overwrite: bool = False, replace_foreign: bool = False) -> bool:
    """THE rule: does an item whose output is in ``state`` get (re)made?"""
    if state is OutputState.PENDING:
        return True
    if state is OutputState.DONE:
        return overwrite
    return replace_foreign

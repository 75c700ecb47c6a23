"""Provenance on disk: the sidecar ``<output>.json`` and the batch manifest ``manifest.jsonl``.

Sidecars are written atomically (:func:`archcolour.fsutil.atomic_write_bytes`). Manifest lines are
appended under a per-output-folder lock file (``.archcolour.lock``), so two processes writing to the
same folder never interleave or tear each other's lines, and each line is fsynced before the batch
reports its item. Nothing here writes or appends through a symbolic link: such a path is refused
with one line (:class:`UnsafePathError`).
"""
from __future__ import annotations

import copy
import json
import os
import uuid
from pathlib import Path
from typing import Any, Iterable, Iterator

from .. import __version__
from ..formats import TEMP_RE
from ..fsutil import atomic_write_bytes, sha256_file
from .iptc import kept_fields
from .record import ARCHCOLOUR_NS, SCHEMA, TOOL_NAME, Provenance, ProvenanceError, dict_from_xmp, is_own_packet, utc_now
from .xmp import parse_xmp, read_embedded_xmp

MANIFEST_NAME = "manifest.jsonl"
LOCK_NAME = ".archcolour.lock"
SIDECAR_SUFFIX = ".json"
#: Largest sidecar read back (a real one is a few KiB).
SIDECAR_MAX_BYTES = 4 << 20
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class UnsafePathError(OSError):
    """A provenance file that would be written through a symbolic link."""


def refuse_symlink(path: Path) -> None:
    if path.is_symlink():
        raise UnsafePathError(f"{path}: refused: it is a symbolic link (archcolour never writes through one)")


def _open_nofollow(path: Path, flags: int) -> int:
    refuse_symlink(path)
    try:
        return os.open(path, flags | _NOFOLLOW, 0o666)
    except OSError as e:
        if path.is_symlink():  # replaced by a link between the check and the open
            raise UnsafePathError(f"{path}: refused: it is a symbolic link (archcolour never writes through one)") from None
        raise e


def _utf8(text: str) -> bytes:
    """JSON text as UTF-8; a lone surrogate (a file name that is not UTF-8) is written as its \\u escape."""
    return text.encode("utf-8", "backslashreplace")


# ---------------------------------------------------------------------------------------------
# sidecars
# ---------------------------------------------------------------------------------------------
def sidecar_path(output: str | os.PathLike) -> Path:
    """``photo_colourised.png`` -> ``photo_colourised.png.json``."""
    output = Path(output)
    return output.with_name(output.name + SIDECAR_SUFFIX)


def sidecar_dict(prov: Provenance | dict[str, Any], output: str | os.PathLike, output_sha256: str | None = None,
                 output_size: int | None = None) -> dict[str, Any]:
    """The sidecar record: the provenance plus the output's name, size and SHA-256.

    Pass ``output_sha256`` and ``output_size`` from whatever wrote the output; only when they are
    missing is the output read to find them.
    """
    output = Path(output)
    d = prov.to_dict() if isinstance(prov, Provenance) else copy.deepcopy(prov)
    out = d.setdefault("output", {})
    out["name"] = output.name
    if output_sha256 is None or output_size is None:
        if output.is_file():
            output_size = output.stat().st_size if output_size is None else output_size
            output_sha256 = output_sha256 or sha256_file(output)
    if output_size is not None:
        out["size"] = int(output_size)
    if output_sha256:
        out["sha256"] = output_sha256
    return d


def write_sidecar(output: str | os.PathLike, prov: Provenance | dict[str, Any], output_sha256: str | None = None,
                  output_size: int | None = None) -> Path:
    """Write ``<output>.json`` atomically; it records the output's size and SHA-256."""
    d = sidecar_dict(prov, output, output_sha256, output_size)
    p = sidecar_path(output)
    refuse_symlink(p)
    atomic_write_bytes(p, _utf8(json.dumps(d, indent=2, ensure_ascii=False) + "\n"))
    return p


def read_sidecar(output: str | os.PathLike) -> dict[str, Any] | None:
    """The sidecar of ``output`` (None when there is none); :class:`ProvenanceError` when unreadable."""
    p = sidecar_path(output)
    try:
        if not p.is_file():
            return None
    except OSError:  # e.g. a name longer than the file system allows: there can be no such sidecar
        return None
    try:
        with open(p, "rb") as f:
            data = f.read(SIDECAR_MAX_BYTES + 1)
        if len(data) > SIDECAR_MAX_BYTES:
            raise ProvenanceError(f"{p.name}: sidecar larger than {SIDECAR_MAX_BYTES >> 20} MiB, not read")
        d = json.loads(data.decode("utf-8"))
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: JSON nested too deeply
        raise ProvenanceError(f"{p.name}: sidecar is not valid JSON ({' '.join(str(exc).split())})") from None
    if not isinstance(d, dict) or str(d.get("schema", "")).split("/")[0] != SCHEMA.split("/")[0]:
        raise ProvenanceError(f"{p.name}: not an archcolour provenance sidecar")
    wrong = [k for k in ("source", "model", "engine", "tool", "output", "ai_system", "kept")
             if d.get(k) is not None and not isinstance(d[k], dict)]
    wrong += [k for k in ("warnings", "notes") if d.get(k) is not None and not isinstance(d[k], list)]
    if wrong:
        raise ProvenanceError(f"{p.name}: not an archcolour provenance sidecar ({', '.join(wrong)}: wrong shape)")
    return d


def provenance_from_xmp(props: dict[str, Any]) -> dict[str, Any] | None:
    """The sidecar-shaped provenance dict from parsed XMP (plus ``history``), or None when not ours.

    A packet counts as archcolour provenance when it carries our private namespace or the
    compositeWithTrainedAlgorithmicMedia digital source type.
    """
    if not is_own_packet(props):
        return None
    d = dict_from_xmp(props, kept_fields(props))
    hist = props.get("xmpMM:History")
    d["history"] = hist if isinstance(hist, list) else []
    return d


def embedded_provenance(path: str | os.PathLike) -> tuple[dict[str, Any] | None, str | None]:
    """(sidecar-shaped provenance from a file's own XMP, where it was found), or (None, None)."""
    xmp, where = read_embedded_xmp(path)
    if not xmp:
        return None, None
    try:
        d = provenance_from_xmp(parse_xmp(xmp))
    except ProvenanceError:
        return None, None
    return (d, where) if d is not None else (None, None)


#: What identifies our XMP packet in a file's bytes (the private namespace).
_OWN_MARK = ARCHCOLOUR_NS.encode("ascii")
#: How far from each end :func:`is_own_output` looks for it.
_OWN_HEAD, _OWN_TAIL = 256 << 10, 64 << 10


def is_own_output(path: str | os.PathLike) -> bool:
    """Is this file one archcolour wrote (by its provenance, not its name)? Cheap: bounded reads.

    True when its sidecar is an archcolour sidecar, or our XMP namespace appears in the file's first
    256 KiB or last 64 KiB (where every container we write puts the packet: JPEG APP1 and PNG iTXt
    before the pixels, tifffile's tag 700 after the header, WebP's XMP chunk at the end).
    """
    path = Path(path)
    try:
        if read_sidecar(path) is not None:
            return True
    except (ProvenanceError, OSError):  # OSError: e.g. a name too long for a sidecar beside it
        pass
    try:
        with open(path, "rb") as f:
            head = f.read(_OWN_HEAD)
            if _OWN_MARK in head:
                return True
            size = os.fstat(f.fileno()).st_size
            if size <= _OWN_HEAD:
                return False
            f.seek(max(_OWN_HEAD - len(_OWN_MARK), size - _OWN_TAIL))
            return _OWN_MARK in f.read(_OWN_TAIL)
    except OSError:
        return False


def repair_sidecar(output: str | os.PathLike) -> Path | None:
    """Rebuild a missing sidecar from an output's embedded XMP (after a kill between the two writes)."""
    output = Path(output)
    if sidecar_path(output).exists() or not output.is_file():
        return None
    d, _ = embedded_provenance(output)
    if d is None:
        return None
    d.pop("history", None)
    return write_sidecar(output, d)


def cleanup_stale_temps(folder: str | os.PathLike, recursive: bool = True) -> list[Path]:
    """Remove the temporary files (``.<name>.<8 hex>.tmp``) a killed process left in ``folder``.

    Only call this on an output folder no other archcolour process is writing to.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    it = folder.rglob(".*.tmp") if recursive else folder.glob(".*.tmp")
    removed = []
    for p in it:
        if not (TEMP_RE.match(p.name) and p.is_file()):
            continue
        try:
            p.unlink()
            removed.append(p)
        except OSError:
            pass
    return removed


# ---------------------------------------------------------------------------------------------
# the manifest
# ---------------------------------------------------------------------------------------------
class FolderLock:
    """An exclusive lock on ``<folder>/.archcolour.lock`` (advisory; flock, or msvcrt on Windows).

    ``name`` picks another lock file in the folder (the batch runner holds ``.archcolour.run.lock`` for a
    whole run, while the manifest takes this one per line: two files, so the two never wait on each other).
    """

    def __init__(self, folder: str | os.PathLike, name: str = LOCK_NAME):
        self.path = Path(folder) / name
        self._fd = _open_nofollow(self.path, os.O_RDWR | os.O_CREAT)

    def acquire(self, blocking: bool = True) -> bool:
        """Take the lock; with ``blocking`` False, return False at once when someone else holds it."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            import msvcrt

            os.lseek(self._fd, 0, os.SEEK_SET)
            try:
                msvcrt.locking(self._fd, msvcrt.LK_LOCK if blocking else msvcrt.LK_NBLCK, 1)
            except OSError:
                if blocking:
                    raise
                return False
            return True
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        return True

    def __enter__(self) -> "FolderLock":
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_UN)
        except ImportError:  # pragma: no cover - Windows
            import msvcrt

            os.lseek(self._fd, 0, os.SEEK_SET)
            msvcrt.locking(self._fd, msvcrt.LK_UNLCK, 1)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class ManifestWriter:
    """Append-only per-batch ``manifest.jsonl``: one JSON object per line, flushed and fsynced per line.

    Each line is appended under the folder's lock. A kill can at worst leave a truncated last line;
    the next append starts on a fresh line and :func:`read_manifest` skips the fragment. Each run
    first appends a ``{"type": "run", ...}`` record; item records carry ``"type": "item"`` and the
    run's id. Refuses (:class:`UnsafePathError`) a manifest or lock file that is a symbolic link.
    """

    def __init__(self, path: str | os.PathLike, run_info: dict[str, Any] | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.run_id = str(uuid.uuid4())
        self._lock = FolderLock(self.path.parent)
        created = False
        try:
            try:
                self._fd = _open_nofollow(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_EXCL)
                created = True
            except FileExistsError:
                self._fd = _open_nofollow(self.path, os.O_RDWR | os.O_APPEND)
            self._write({"type": "run", "run": self.run_id, "time": utc_now(), "tool": TOOL_NAME,
                         "version": __version__, **(run_info or {})})
        except BaseException:
            if getattr(self, "_fd", -1) >= 0:
                os.close(self._fd)
            self._fd = -1
            self._lock.close()
            if created:  # e.g. a full disk: leave no empty (or torn) manifest of ours behind
                try:
                    os.unlink(self.path)
                except OSError:
                    pass
            raise

    def _write(self, record: dict[str, Any]) -> None:
        line = _utf8(json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n")
        with self._lock:
            size = os.fstat(self._fd).st_size
            if size and os.pread(self._fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # a torn line left by a killed writer
            os.write(self._fd, line)
            os.fsync(self._fd)

    def append(self, *, source: str | os.PathLike, output: str | os.PathLike | None, status: str,
               message: str = "", source_sha256: str | None = None, output_sha256: str | None = None,
               model: str | None = None, model_sha256: str | None = None, seconds: float | None = None,
               **extra: Any) -> dict[str, Any]:
        rec = {"type": "item", "run": self.run_id, "time": utc_now(), "source": str(source),
               "output": str(output) if output is not None else None, "status": status, "message": message,
               "source_sha256": source_sha256, "output_sha256": output_sha256, "model": model,
               "model_sha256": model_sha256, "seconds": None if seconds is None else round(float(seconds), 3),
               **extra}
        self._write(rec)
        return rec

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
            self._lock.close()

    def __enter__(self) -> "ManifestWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def read_manifest(path: str | os.PathLike) -> list[dict[str, Any]]:
    """All complete records of a manifest, skipping a truncated or corrupt line."""
    out = []
    p = Path(path)
    if not p.is_file():
        return out
    for line in p.read_bytes().splitlines():
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out


def iter_items(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    return (r for r in records if r.get("type") == "item")

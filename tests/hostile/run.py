"""Run the real CLI (in-process or as a subprocess) and check what hostile inputs must never cause."""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import resource
import subprocess
import sys
import time
import traceback
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}
_XMP_RE = re.compile(rb"<(?:[\w.-]+:)?xmpmeta\b.*?</(?:[\w.-]+:)?xmpmeta\s*>", re.S)
_UNPRINTABLE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}

# The child runs the CLI's own ``main`` and reports its peak RSS on the way out (also after an exception).
_CHILD = (
    "import resource, sys\n"
    "from archcolour.cli import main\n"
    "try:\n"
    "    rc = main(sys.argv[1:])\n"
    "finally:\n"
    "    sys.stderr.flush()\n"
    "    os_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "    open(__import__('os').environ['HOSTILE_RSS_FILE'], 'w').write(str(os_rss))\n"
    "sys.exit(rc)\n"
)


@dataclass(repr=False)
class Run:
    rc: int | None
    out: str
    err: str
    seconds: float
    maxrss_mb: float | None = None

    @property
    def text(self) -> str:
        return self.out + self.err

    @property
    def lines(self) -> list[str]:
        return [ln for ln in self.text.splitlines() if ln.strip()]

    def naming(self, needle: str) -> list[str]:
        return [ln for ln in self.lines if needle in ln]

    def __str__(self) -> str:  # shown by pytest when an assertion fails
        return f"rc={self.rc} ({self.seconds:.1f} s, maxrss={self.maxrss_mb} MB)\n--- stdout\n{self.out}\n--- stderr\n{self.err}"

    __repr__ = __str__


def reset_peak_rss() -> None:
    """Reset this process's peak resident set size (Linux: ``/proc/self/clear_refs``)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def peak_rss_mb() -> float:
    with open("/proc/self/status") as f:
        return int(f.read().split("VmHWM:")[1].split()[0]) / 1024


def cli(*args: str | os.PathLike, measure: bool = False) -> Run:
    """``archcolour ARGS`` in this process; an escaping exception is reported as a traceback in ``err``.

    With ``measure`` the run's peak RSS (of the whole test process, reset first) is in ``maxrss_mb``.
    """
    from archcolour import cli as _cli

    out, err = io.StringIO(), io.StringIO()
    if measure:
        reset_peak_rss()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = _cli.main([os.fsdecode(a) for a in args])
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else 2
        except BaseException:  # noqa: BLE001 - this is what the test looks for
            err.write(traceback.format_exc())
            rc = None
    return Run(rc, out.getvalue(), err.getvalue(), time.perf_counter() - t0, peak_rss_mb() if measure else None)


@contextlib.contextmanager
def fifo_watchdog(fifos: list[Path], after: float = 10.0):
    """Unblock anything stuck opening one of ``fifos`` for reading after ``after`` seconds (the test
    then sees how long the run took), so a run that hangs on a FIFO fails instead of hanging pytest."""
    import threading

    stop = threading.Event()

    def watch() -> None:
        if stop.wait(after):
            return
        while not stop.wait(0.2):
            for p in fifos:
                try:
                    fd = os.open(p, os.O_WRONLY | os.O_NONBLOCK)  # fails (ENXIO) when nobody is reading
                except OSError:
                    continue
                os.close(fd)

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    try:
        yield
    finally:
        stop.set()
        t.join()


def cli_sub(*args: str | os.PathLike, timeout: float = 180, mem_limit: int | None = 6 << 30,
            env: dict | None = None, tmp: Path | None = None) -> Run:
    """``python -m archcolour ARGS`` as a child with an address-space limit; output decoded losslessly."""
    rss_file = Path(tmp or os.environ.get("TMPDIR", "/tmp")) / f".hostile-rss-{os.getpid()}-{time.monotonic_ns()}"
    child_env = dict(os.environ if env is None else env, HOSTILE_RSS_FILE=str(rss_file), PYTHONUNBUFFERED="1")

    def limit() -> None:
        if mem_limit:
            resource.setrlimit(resource.RLIMIT_AS, (mem_limit, mem_limit))

    t0 = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, "-c", _CHILD, *map(os.fsencode, args)], capture_output=True,
                           env=child_env, timeout=timeout, preexec_fn=limit)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = None, e.stdout or b"", (e.stderr or b"") + f"\n[timed out after {timeout} s]".encode()
    seconds = time.perf_counter() - t0
    rss = None
    if rss_file.exists():
        rss = int(rss_file.read_text()) / 1024
        rss_file.unlink()
    return Run(rc, out.decode("utf-8", "surrogateescape"), err.decode("utf-8", "surrogateescape"), seconds, rss)


# --------------------------------------------------------------------------------------------
# what must always hold
# --------------------------------------------------------------------------------------------
def assert_no_traceback(run: Run) -> None:
    assert "Traceback" not in run.text, str(run)
    assert run.rc is not None, str(run)


def unprintable(text: str) -> list[str]:
    """Characters a terminal would act on or could not show (controls, undecodable bytes, separators)."""
    return sorted({repr(c) for c in text if c not in "\n\t" and unicodedata.category(c) in _UNPRINTABLE_CATEGORIES})


def assert_printable(run: Run) -> None:
    assert not unprintable(run.text), f"unprintable {unprintable(run.text)} in\n{run}"


def assert_one_line(run: Run, needle: str) -> str:
    """Exactly one line names ``needle``; returns it."""
    found = run.naming(needle)
    assert len(found) == 1, f"{len(found)} lines name {needle!r}:\n{run}"
    return found[0]


def snapshot(root: Path) -> dict[bytes, tuple]:
    """Every entry under ``root`` (links not followed): file hashes, link targets, kinds, modes."""
    snap: dict[bytes, tuple] = {}
    broot = os.fsencode(root)
    for dirpath, dirs, files in os.walk(broot):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            rel = os.path.relpath(p, broot)
            if os.path.islink(p):
                snap[rel] = ("link", os.readlink(p))
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    snap[rel] = ("file", hashlib.sha256(f.read()).hexdigest(), st.st_mode, st.st_mtime_ns)
            elif os.path.isdir(p):
                snap[rel] = ("dir", st.st_mode)
            else:
                snap[rel] = ("other", st.st_mode)
    return snap


def find_xmp(path: Path) -> bytes | None:
    data = Path(path).read_bytes()
    m = _XMP_RE.search(data)
    if m:
        return m.group(0)
    from PIL import Image

    with Image.open(path) as im:
        v = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
        if not v and hasattr(im, "tag_v2"):
            v = im.tag_v2.get(700)
    if isinstance(v, str):
        v = v.encode("utf-8")
    return bytes(v) if v else None


def assert_outputs_valid(out_dir: Path) -> list[Path]:
    """Every output image opens and carries XMP that parses; sidecars and manifests are valid JSON."""
    from PIL import Image

    outputs: list[Path] = []
    for dirpath, _dirs, files in os.walk(os.fsencode(out_dir)):
        for name in files:
            p = Path(os.fsdecode(os.path.join(dirpath, name)))
            if p.is_symlink() or name.startswith(b"."):
                continue
            ext = p.suffix.lower()
            if ext in IMAGE_EXTS:
                with Image.open(p) as im:
                    im.load()
                xmp = find_xmp(p)
                assert xmp, f"{p!r}: no XMP"
                ET.fromstring(xmp)  # raises on malformed XML
                outputs.append(p)
            elif name.endswith(b".json"):
                json.loads(p.read_bytes())
            elif name.endswith(b".jsonl"):
                data = p.read_bytes()
                assert data.strip(), f"{p!r} is empty"
                for line in data.splitlines():
                    json.loads(line)
    return outputs


def manifest_records(out_dir: Path) -> list[dict]:
    p = Path(out_dir) / "manifest.jsonl"
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_bytes().splitlines() if line.strip()]

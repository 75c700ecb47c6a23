"""fsutil: the one durable atomic writer."""
from __future__ import annotations

import os

import pytest

from archcolour import formats, fsutil


def test_writes_and_returns_hash_and_size(tmp_path):
    w = fsutil.atomic_write_bytes(tmp_path / "a.json", b"hello")
    assert w.path.read_bytes() == b"hello"
    assert (w.sha256, w.size) == (fsutil.sha256_file(w.path), 5)
    assert os.fspath(w) == str(tmp_path / "a.json")


def test_a_writer_that_seeks_back_still_gets_the_right_hash(tmp_path):
    def write(f):
        f.write(b"\x00" * 8)
        f.write(b"body")
        f.seek(0)
        f.write(b"HEADER!!")  # patch the header, as tifffile and zipfile do
        f.seek(0, os.SEEK_END)

    w = fsutil.atomic_write(tmp_path / "x.bin", write)
    assert w.path.read_bytes() == b"HEADER!!body"
    assert w.sha256 == fsutil.sha256_file(w.path) and w.size == 12


def test_file_and_folder_are_fsynced_before_and_after_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.path.isdir(f"/proc/self/fd/{fd}") if os.path.exists("/proc/self/fd") else None))
        real_fsync(fd)

    def replace(a, b):
        events.append(("replace", None))
        real_replace(a, b)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    fsutil.atomic_write_bytes(tmp_path / "a", b"x")
    kinds = [e[0] for e in events]
    assert kinds == ["fsync", "replace", "fsync"]
    if events[0][1] is not None:
        assert (events[0][1], events[2][1]) == (False, True)  # the file, then the folder


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.png"
    target.write_bytes(b"previous")

    def boom(f):
        f.write(b"partial")
        raise OSError("disk full (simulated)")

    with pytest.raises(OSError, match="disk full"):
        fsutil.atomic_write(target, boom)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_a_symbolic_link_at_the_destination_is_replaced_never_written_through(tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_bytes(b"keep me")
    link = tmp_path / "out.json"
    link.symlink_to(precious)
    fsutil.atomic_write_bytes(link, b"new")
    assert precious.read_bytes() == b"keep me"
    assert not link.is_symlink() and link.read_bytes() == b"new"


def test_the_temporary_name_is_the_one_stale_temp_cleanup_knows(tmp_path):
    seen = []

    def write(f):
        seen.extend(p.name for p in tmp_path.iterdir())
        f.write(b"x")

    fsutil.atomic_write(tmp_path / "a_colourised.png", write)
    assert len(seen) == 1 and formats.TEMP_RE.match(seen[0]) and seen[0].startswith(".a_colourised.png.")

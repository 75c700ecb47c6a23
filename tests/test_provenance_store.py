"""provenance.store: sidecars and the manifest never written through a symbolic link; the folder lock."""
from __future__ import annotations

import threading

import pytest

from archcolour import provenance as P


def _prov(tmp_path):
    from types import SimpleNamespace

    info = SimpleNamespace(name="tiny", version="t", sha256="ab" * 32, architecture="a", working_size=64)
    src = tmp_path / "s.png"
    src.write_bytes(b"source")
    return P.build_provenance(source_path=src, model_info=info, seed=0, device="cpu", device_name="CPU",
                              output_path=tmp_path / "s_colourised.png")


def test_manifest_that_is_a_symbolic_link_is_refused_and_its_target_untouched(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_bytes(b"precious\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / P.MANIFEST_NAME).symlink_to(target)
    with pytest.raises(P.UnsafePathError) as e:
        P.ManifestWriter(out / P.MANIFEST_NAME)
    assert "symbolic link" in str(e.value) and "\n" not in str(e.value)
    assert target.read_bytes() == b"precious\n"


def test_lock_file_that_is_a_symbolic_link_is_refused(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_bytes(b"")
    out = tmp_path / "out"
    out.mkdir()
    (out / P.LOCK_NAME).symlink_to(target)
    with pytest.raises(P.UnsafePathError):
        P.ManifestWriter(out / P.MANIFEST_NAME)


def test_sidecar_that_is_a_symbolic_link_is_refused(tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_bytes(b"{}")
    output = tmp_path / "s_colourised.png"
    output.write_bytes(b"img")
    P.sidecar_path(output).symlink_to(target)
    with pytest.raises(P.UnsafePathError):
        P.write_sidecar(output, _prov(tmp_path), output_sha256="0" * 64, output_size=3)
    assert target.read_bytes() == b"{}"


def test_sidecar_takes_the_writers_digest_without_reading_the_output(tmp_path):
    output = tmp_path / "s_colourised.png"
    output.write_bytes(b"img")
    P.write_sidecar(output, _prov(tmp_path), output_sha256="f" * 64, output_size=3)
    d = P.read_sidecar(output)
    assert d["output"]["sha256"] == "f" * 64 and d["output"]["size"] == 3  # not re-hashed


def test_manifest_appends_wait_for_the_folder_lock(tmp_path):
    out = tmp_path / "out"
    m = P.ManifestWriter(out / P.MANIFEST_NAME)
    done = threading.Event()

    def append():
        m.append(source="a", output="b", status="done")
        done.set()

    with P.FolderLock(out):  # another writer holds the folder
        t = threading.Thread(target=append)
        t.start()
        assert not done.wait(0.3)
    assert done.wait(5)
    t.join()
    m.close()
    assert [r["type"] for r in P.read_manifest(out / P.MANIFEST_NAME)] == ["run", "item"]


def test_oversized_sidecar_is_not_read(tmp_path):
    output = tmp_path / "x.png"
    output.write_bytes(b"img")
    P.sidecar_path(output).write_bytes(b'{"schema": "archcolour-provenance/1", "pad": "' + b"x" * (5 << 20) + b'"}')
    with pytest.raises(P.ProvenanceError, match="larger than"):
        P.read_sidecar(output)

"""The hostile-input corpus (issue 14): inputs, file systems and metadata an archive will contain.

Each case generates its files in a temporary folder, runs the real CLI (in this process, or as a child
process where the terminal encoding, signals, warnings or memory matter) and checks what must always
hold: the exit status (1 for a bad image, 2 for a set-up error, 130 when interrupted), no traceback,
exactly one line naming a bad file, sources byte-identical before and after, every XMP written parses
back as XML, printed text is printable, and memory/time stay bounded where that is the point.

Classes (the issue's numbering): 1 one line instead of a traceback, 2 sources never touched,
3 valid XMP and printable output, 4 resume and shared output folders, 5 memory and time bounds,
6 trust (model manifest hashes, big captions), 7 smaller rough edges. Cases that need root (tmpfs,
read-only bind mounts) skip with a reason elsewhere; CI runs as root, so they run there.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from hostile import make
from hostile.run import (
    assert_no_traceback, assert_one_line, assert_outputs_valid, assert_printable, cli, cli_sub, fifo_watchdog,
    manifest_records, snapshot,
)

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="mounts a tmpfs / read-only bind mount: needs root (CI runs as root)")
needs_mount = pytest.mark.skipif(not shutil.which("mount"), reason="no mount command")


def xfail(reason: str):
    return pytest.mark.xfail(strict=True, reason=reason)


@pytest.fixture
def src(tmp_path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    make.save_grey(d / "ok.png", seed=1)
    return d


def _mount(kind: str, target: Path, *opts: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", *opts, target] if kind == "bind" else ["mount", "-t", "tmpfs", *opts, "tmpfs", target],
                       capture_output=True, text=True)
    if r.returncode:
        pytest.fail(f"mount failed although running as root: {r.stderr.strip()}")


def _umount(target: Path) -> None:
    subprocess.run(["umount", "-l", target], capture_output=True)


# ============================================================================================
# 1. one line naming the file, never a traceback
# ============================================================================================
def test_non_utf8_file_name_is_colourised_and_printed_printably(src, tmp_path):
    bad = os.fsencode(src) + b"/caf\xe9.png"
    make.save_grey(bad, seed=2)
    before = snapshot(src)
    out = tmp_path / "out"
    run = cli_sub("colourise", src, "-o", out)
    assert_no_traceback(run)
    assert run.rc == 0, run
    assert os.path.exists(os.fsencode(out) + b"/caf\xe9_colourised.png"), run
    assert_printable(run)
    assert_outputs_valid(out)
    assert snapshot(src) == before
    insp = cli("inspect", os.fsdecode(os.fsencode(out) + b"/caf\xe9_colourised.png"))
    assert_no_traceback(insp)
    assert insp.rc == 0, insp
    assert_printable(insp)


def test_output_name_over_255_bytes_fails_that_image_only(src, tmp_path):
    make.save_grey(src / ("m" * 250 + ".png"))
    before = snapshot(src)
    run = cli("colourise", src, "-o", tmp_path / "out")
    assert_no_traceback(run)
    assert run.rc == 1, run
    assert "failed" in assert_one_line(run, "m" * 40)
    assert (tmp_path / "out" / "ok_colourised.png").is_file()
    assert snapshot(src) == before


@pytest.mark.parametrize("stem_bytes", [236, 226])
def test_long_name_that_fits_is_written(src, tmp_path, stem_bytes):
    """A 240-byte source name gives a 251-byte output name: the temporary name must not push it over."""
    name = "n" * stem_bytes + ".png"
    make.save_grey(src / name)
    before = snapshot(src)
    out = tmp_path / "out"
    run = cli("colourise", src, "-o", out)
    assert_no_traceback(run)
    assert run.rc == 0, run
    assert (out / ("n" * stem_bytes + "_colourised.png")).is_file()
    assert_outputs_valid(out)
    assert snapshot(src) == before


def test_symlink_loops_under_recursive(src, tmp_path):
    os.symlink("loopB.png", src / "loopA.png")
    os.symlink("loopA.png", src / "loopB.png")
    os.symlink("..", src / "up")  # a folder link back up: must not be walked for ever
    os.symlink("self", src / "self")
    before = snapshot(src)
    out = tmp_path / "out"
    run = cli("colourise", src, "-o", out, "-r")
    assert_no_traceback(run)
    assert run.rc == 1, run
    assert_one_line(run, "loopA.png")
    assert_one_line(run, "loopB.png")
    assert (out / "ok_colourised.png").is_file()
    assert snapshot(src) == before


def test_symlinked_subfolder_is_colourised_or_named(src, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    make.save_grey(elsewhere / "far.png", seed=3)
    os.symlink(elsewhere, src / "linked")
    before = snapshot(src)
    out = tmp_path / "out"
    run = cli("colourise", src, "-o", out, "-r")
    assert_no_traceback(run)
    assert run.rc == 0, run
    assert (out / "linked" / "far_colourised.png").is_file() or len(run.naming(f"{os.sep}linked")) == 1, run
    assert snapshot(src) == before


@pytest.mark.parametrize("recursive", [False, True])
def test_broken_link_gives_one_line(src, tmp_path, recursive):
    os.symlink(tmp_path / "nowhere.png", src / "gone.png")
    before = snapshot(src)
    run = cli("colourise", src, "-o", tmp_path / "out", *(["-r"] if recursive else []))
    assert_no_traceback(run)
    assert run.rc == 1, run
    assert_one_line(run, "gone.png")
    assert (tmp_path / "out" / "ok_colourised.png").is_file()
    assert snapshot(src) == before


def test_read_only_output_folder(src, tmp_path):
    out = tmp_path / "ro"
    if IS_ROOT and shutil.which("mount"):
        backing = tmp_path / "backing"
        backing.mkdir()
        out.mkdir()
        _mount("bind", out, "--bind", "-o", "ro", backing)
        try:
            assert not os.access(out, os.W_OK) or _cannot_create(out)
            run = cli("colourise", src, "-o", out)
        finally:
            _umount(out)
    else:
        out.mkdir()
        out.chmod(0o555)
        try:
            run = cli("colourise", src, "-o", out)
        finally:
            out.chmod(0o755)
    assert_no_traceback(run)
    assert run.rc == 2, run
    assert_one_line(run, str(out))


def _cannot_create(folder: Path) -> bool:
    try:
        (folder / ".probe").touch()
    except OSError:
        return True
    (folder / ".probe").unlink()
    return False


def test_output_folder_under_a_regular_file(src, tmp_path):
    before = snapshot(src)
    run = cli("colourise", src, "-o", src / "ok.png" / "out")
    assert_no_traceback(run)
    assert run.rc == 2, run
    assert len(run.lines) == 1, run
    assert snapshot(src) == before


@needs_root
@needs_mount
@pytest.mark.parametrize("room_kb", [0, 160])
def test_full_disk(tmp_path, room_kb):
    """A tmpfs output folder with no room at all / room for about one output."""
    src = tmp_path / "in"
    src.mkdir()
    for i in range(4):
        make.save_grey(src / f"p{i}.png", h=200, w=200, seed=i)
    before = snapshot(src)
    out = tmp_path / "full"
    _mount("tmpfs", out, "-o", "size=256k")
    try:
        filler = out / "filler"
        with open(filler, "wb") as f:  # leave room_kb free
            try:
                f.write(b"\0" * ((256 - room_kb) * 1024))
            except OSError:
                pass
        run = cli("colourise", src, "-o", out)
        assert_no_traceback(run)
        assert run.rc in (1, 2), run
        for ln in run.lines:
            assert "Traceback" not in ln
        leftovers = [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
        assert not leftovers, leftovers
        filler.unlink()
        assert_outputs_valid(out)  # also: a manifest.jsonl that exists is not empty, every line parses
    finally:
        _umount(out)
    assert snapshot(src) == before


# -- the model manifest ------------------------------------------------------------------------
def _models_with(tmp_path, tiny_models_dir, monkeypatch, entries, default="tiny") -> Path:
    d = tmp_path / "models"
    d.mkdir()
    shutil.copy(tiny_models_dir / "tiny.safetensors", d / "tiny.safetensors")
    (d / "manifest.json").write_text(json.dumps({"default": default, "models": entries}))
    monkeypatch.setenv("ARCHCOLOUR_MODELS", str(d))
    return d


def _sha(tiny_models_dir) -> str:
    return json.loads((tiny_models_dir / "manifest.json").read_text())["models"][0]["sha256"]


BAD_ENTRIES = {
    "entry not an object": lambda sha: ["tiny"],
    "entry lacks file": lambda sha: [{"name": "tiny", "sha256": sha}],
    "entry lacks sha256": lambda sha: [{"name": "tiny", "file": "tiny.safetensors"}],
    "empty sha256": lambda sha: [{"name": "tiny", "file": "tiny.safetensors", "sha256": ""}],
    "sha256 not a string": lambda sha: [{"name": "tiny", "file": "tiny.safetensors", "sha256": 5}],
    "sha256 not hex": lambda sha: [{"name": "tiny", "file": "tiny.safetensors", "sha256": "z" * 64}],
    "file escapes the folder": lambda sha: [{"name": "tiny", "file": "../../etc/passwd", "sha256": sha}],
    "file not a string": lambda sha: [{"name": "tiny", "file": ["tiny.safetensors"], "sha256": sha}],
}


@pytest.mark.parametrize("case", sorted(BAD_ENTRIES))
def test_model_manifest_entry_is_a_setup_error(case, src, tmp_path, tiny_models_dir, monkeypatch):
    _models_with(tmp_path, tiny_models_dir, monkeypatch, BAD_ENTRIES[case](_sha(tiny_models_dir)))
    run = cli("colourise", src, "-o", tmp_path / "out")
    assert_no_traceback(run)
    assert run.rc == 2, run
    assert len(run.naming("manifest")) == 1 and len(run.err.splitlines()) == 1, run
    assert not (tmp_path / "out" / "ok_colourised.png").exists()


@pytest.mark.parametrize("case", sorted(BAD_ENTRIES))
def test_models_command_on_a_malformed_manifest(case, tmp_path, tiny_models_dir, monkeypatch):
    _models_with(tmp_path, tiny_models_dir, monkeypatch, BAD_ENTRIES[case](_sha(tiny_models_dir)))
    run = cli("models")
    assert_no_traceback(run)
    assert run.rc == 2, run
    assert len(run.naming("manifest")) == 1, run


def test_tampered_weights_still_refused(src, tmp_path, tiny_models_dir, monkeypatch):
    d = _models_with(tmp_path, tiny_models_dir, monkeypatch,
                     [{"name": "tiny", "file": "tiny.safetensors", "sha256": _sha(tiny_models_dir)}])
    data = bytearray((d / "tiny.safetensors").read_bytes())
    data[-1] ^= 1
    (d / "tiny.safetensors").write_bytes(bytes(data))
    run = cli("colourise", src, "-o", tmp_path / "out")
    assert_no_traceback(run)
    assert run.rc == 2 and len(run.naming("tiny.safetensors")) == 1, run


# -- inspect on malformed sidecars and XMP -----------------------------------------------------
SIDECARS = {
    "not json": b"{not json",
    "deeply nested": b"[" * 200_000 + b"]" * 200_000,
    "a list": b"[1, 2, 3]",
    "wrong types": json.dumps({"schema": "archcolour-provenance/1", "source": 5, "model": [1], "engine": "x",
                               "tool": None, "found_in": 3, "kept": [], "warnings": 7, "notes": {"a": 1}}).encode(),
    "binary": bytes(range(256)) * 10,
    "huge string": json.dumps({"schema": "archcolour-provenance/1", "description": "x" * 5_000_000}).encode(),
}


@pytest.mark.parametrize("case", sorted(SIDECARS))
def test_inspect_malformed_sidecar(case, tmp_path):
    img = tmp_path / "plain.png"
    make.save_grey(img)
    (tmp_path / "plain.png.json").write_bytes(SIDECARS[case])
    run = cli("inspect", img)
    assert_no_traceback(run)
    assert run.rc in (1, 2), run
    assert_printable(run)
    assert run.seconds < 20, run


XMPS = {
    "unclosed": b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF',
    "garbage in packet": b'<x:xmpmeta xmlns:x="adobe:ns:meta/">\x00\x01\xff</x:xmpmeta>',
    "deeply nested": make.deeply_nested_xmp(),
    "entity expansion": make.entity_bomb_xmp(),
    "invalid char reference": (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
                               b'02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc'
                               b'/elements/1.1/"><dc:format>&#1;&#27;</dc:format></rdf:Description></rdf:RDF>'
                               b'</x:xmpmeta>'),
    "archcolour keys, wrong shapes": (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description rdf:about="" xmlns:archcolour="urn:archcolour:xmp:provenance:1.0#" '
        b'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        b'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia">'
        b'<archcolour:workingSize><rdf:Bag><rdf:li>a</rdf:li></rdf:Bag></archcolour:workingSize>'
        b'<archcolour:sourceSize>many</archcolour:sourceSize><archcolour:warnings>x</archcolour:warnings>'
        b'</rdf:Description></rdf:RDF></x:xmpmeta>'),
}


@pytest.mark.parametrize("case", sorted(XMPS))
def test_inspect_malformed_xmp(case, tmp_path):
    img = tmp_path / "x.png"
    img.write_bytes(make.png_with_xmp(XMPS[case]))
    run = cli("inspect", img)
    assert_no_traceback(run)
    assert run.rc in (0, 1, 2), run
    assert_printable(run)
    assert run.seconds < 20, run


# -- Ctrl-C during start-up --------------------------------------------------------------------
def test_ctrl_c_during_start_up_in_process(src, tmp_path, monkeypatch):
    from archcolour import engine

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(engine.Colouriser, "__init__", interrupted)
    run = cli("colourise", src, "-o", tmp_path / "out")
    assert_no_traceback(run)
    assert run.rc == 130, run


def test_ctrl_c_during_start_up_subprocess(src, tmp_path):
    """SIGINT while the child imports torch (its libraries are being mapped): one line, exit 130."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    p = subprocess.Popen([sys.executable, "-m", "archcolour", "colourise", src, "-o", tmp_path / "out"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and p.poll() is None:
        try:
            if "libtorch" in Path(f"/proc/{p.pid}/maps").read_text():
                break
        except OSError:
            pass
        time.sleep(0.01)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    text = (out + err).decode("utf-8", "replace")
    assert "Traceback" not in text, text
    assert p.returncode == 130, text
    assert len([ln for ln in text.splitlines() if ln.strip()]) == 1, text


# ============================================================================================
# 2. sources are never touched: no link followed for a file archcolour writes
# ============================================================================================
def test_manifest_planted_as_link_to_a_source(src, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(src / "ok.png", out / "manifest.jsonl")
    before = snapshot(src)
    run = cli("colourise", src, "-o", out)
    assert_no_traceback(run)
    assert snapshot(src) == before
    assert run.rc != 0, run
    assert_one_line(run, "manifest.jsonl")


def test_every_written_name_planted_as_link_to_a_source(src, tmp_path):
    """Whatever archcolour writes in an output folder (output, sidecar, manifest, lock...) is never followed."""
    make.save_grey(src / "b.jpg", seed=5)
    probe = tmp_path / "probe"
    assert cli("colourise", src, "-o", probe).rc == 0
    written = sorted(p.name for p in probe.iterdir())
    victims = tmp_path / "victims"
    victims.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    for i, name in enumerate(written):
        make.save_grey(victims / f"v{i}.png", seed=10 + i)
        os.symlink(victims / f"v{i}.png", out / name)
    before, vbefore = snapshot(src), snapshot(victims)
    run = cli("colourise", src, "-o", out, "--overwrite")
    assert_no_traceback(run)
    assert snapshot(src) == before
    assert snapshot(victims) == vbefore, run


# ============================================================================================
# 3. every string that enters XML is valid XML; every string printed is printable
# ============================================================================================
CONTROL_NAME = "ctl\x07\x1b[31mred\x7f\x01\u2028end.png"


@pytest.mark.parametrize("fmt", ["png", "jpg", "tif", "webp"])
def test_control_characters_in_file_name(tmp_path, fmt):
    src = tmp_path / "in"
    src.mkdir()
    make.save_grey(src / CONTROL_NAME)
    before = snapshot(src)
    out = tmp_path / "out"
    run = cli("colourise", src, "-o", out, "--format", fmt)
    assert_no_traceback(run)
    assert run.rc == 0, run
    assert_printable(run)
    (output,) = assert_outputs_valid(out)
    insp = cli("inspect", output)
    assert insp.rc == 0, insp
    assert_printable(insp)
    assert snapshot(src) == before


def test_newline_in_file_name_keeps_the_message_on_one_line(src, tmp_path):
    (src / "bad\nname.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    run = cli("colourise", src, "-o", tmp_path / "out")
    assert_no_traceback(run)
    assert run.rc == 1, run
    line = assert_one_line(run, "name.png")
    assert "bad" in line and "failed" in line, run
    assert_printable(run)


def _iptc_jpeg(caption: bytes, title: bytes = b"", utf8: bool = True, xmp: bytes | None = None) -> bytes:
    ds = (make.iim_dataset(1, 90, b"\x1b%G") if utf8 else b"") + make.iim_dataset(2, 120, caption)
    if title:
        ds += make.iim_dataset(2, 5, title) + make.iim_dataset(2, 80, title)
    segs = [make.app13_iptc(ds)]
    if xmp is not None:
        segs.insert(0, make.app1_xmp(xmp))
    return make.jpeg_with_segments(segs)


@pytest.mark.parametrize("fmt", ["jpg", "png", "tif", "webp"])
def test_control_characters_in_iptc_fields(tmp_path, fmt):
    src = tmp_path / "in"
    src.mkdir()
    (src / "iptc.jpg").write_bytes(_iptc_jpeg(b"Caption \x07 bell \x1b[31m red \x00 nul \x0b\x0c end",
                                              b"Title \x01\x02\x1b]0;pwned\x07 \xff\xfe invalid utf-8"))
    before = snapshot(src)
    out = tmp_path / "out"
    run = cli("colourise", src, "-o", out, "--format", fmt)
    assert_no_traceback(run)
    assert run.rc == 0, run
    (output,) = assert_outputs_valid(out)
    insp = cli("inspect", output)
    assert insp.rc == 0, insp
    assert_printable(insp)
    assert snapshot(src) == before


# ============================================================================================
# 4. resume and shared output folders
# ============================================================================================
def test_output_folder_equal_to_input_folder(src, tmp_path):
    make.save_grey(src / "b.jpg", seed=4)
    first = cli("colourise", src, "-o", src)
    assert first.rc == 0, first
    originals = {"ok.png", "b.jpg"}
    second = cli("colourise", src, "-o", src)
    assert_no_traceback(second)
    assert second.rc == 0, second
    names = sorted(p.name for p in src.iterdir())
    assert not [n for n in names if "_colourised_colourised" in n], names
    assert "Summary: 0 done" in second.out, second
    assert originals <= set(names)


def test_folder_holding_earlier_outputs_is_not_recoloured(src, tmp_path):
    out = tmp_path / "out"
    assert cli("colourise", src, "-o", out).rc == 0
    mixed = tmp_path / "mixed"
    shutil.copytree(src, mixed)
    shutil.copy(out / "ok_colourised.png", mixed / "ok_colourised.png")
    shutil.copy(out / "ok_colourised.png", mixed / "renamed.png")  # recognised by its provenance, not its name
    run = cli("colourise", mixed, "-o", tmp_path / "out2")
    assert_no_traceback(run)
    assert run.rc == 0, run
    made = sorted(p.name for p in (tmp_path / "out2").iterdir() if p.suffix == ".png")
    assert made == ["ok_colourised.png"], (made, str(run))


def test_two_runs_into_one_output_folder(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(12):
        make.save_grey(src / f"p{i:02d}.png", h=300, w=400, seed=i)
    before = snapshot(src)
    out = tmp_path / "out"
    args = [sys.executable, "-m", "archcolour", "colourise", src, "-o", out]
    a = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    b = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ra, rb = a.communicate(timeout=300), b.communicate(timeout=300)
    texts = [(x[0] + x[1]).decode("utf-8", "replace") for x in (ra, rb)]
    assert all("Traceback" not in t for t in texts), texts
    assert a.returncode in (0, 2) and b.returncode in (0, 2) and 0 in (a.returncode, b.returncode), texts
    assert snapshot(src) == before
    outputs = assert_outputs_valid(out)
    assert len(outputs) == 12
    done = [r["output"] for r in manifest_records(out) if r.get("type") == "item" and r.get("status") == "done"]
    assert sorted(done) == sorted(set(done)) and len(done) == 12, texts
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


def test_stale_temp_clean_up_spares_another_runs_file_in_flight(tmp_path):
    """Run B starts while run A writes a big output: A's temporary file must survive B's clean-up."""
    src = tmp_path / "in"
    src.mkdir()
    make.save_grey(src / "big.png", h=1200, w=1600, seed=1)
    out = tmp_path / "out"
    out.mkdir()
    a = subprocess.Popen([sys.executable, "-m", "archcolour", "colourise", src, "-o", out, "--bit-depth", "16"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and a.poll() is None:
        if any(p.name.endswith(".tmp") for p in out.iterdir()):
            break
        time.sleep(0.002)
    else:
        a.kill()
        pytest.fail("run A never wrote a temporary file")
    run_b = cli("colourise", src, "-o", out, "--overwrite")
    oa, ea = a.communicate(timeout=300)
    text = (oa + ea).decode("utf-8", "replace")
    assert "Traceback" not in text and a.returncode == 0, text
    assert_no_traceback(run_b)
    assert run_b.rc in (0, 2), run_b
    assert_outputs_valid(out)


# ============================================================================================
# 5. memory and time bounds
# ============================================================================================
@pytest.mark.parametrize("h,w", [(1, 20000), (20000, 1), (8, 8000)])
def test_thin_images_stay_within_memory(tmp_path, h, w):
    src = tmp_path / "in"
    src.mkdir()
    make.save_grey(src / "thin.png", h=h, w=w)
    out = tmp_path / "out"
    # In a child process: its peak RSS is this run's alone, not the pytest process's (which holds
    # whatever hundreds of earlier tests left behind and made this bound flaky in-process).
    run = cli_sub("colourise", src, "-o", out, tmp=tmp_path)
    assert_no_traceback(run)
    assert run.rc == 0, run
    assert run.maxrss_mb is not None, run
    with Image.open(out / "thin_colourised.png") as im:
        assert im.size == (w, h)
    assert run.maxrss_mb < 1200, run


def test_network_input_is_bounded_by_long_side_and_pixels():
    from archcolour import engine

    for h, w in [(1, 20000), (8, 8000), (20000, 1), (300, 400), (100_000, 100_000), (1, 1)]:
        nh, nw = engine.network_size(h, w, 512)
        assert 1 <= nh and 1 <= nw
        assert max(nh, nw) <= engine.MAX_NETWORK_SIDE_FACTOR * 512
        assert nh * nw <= engine.MAX_NETWORK_PIXEL_FACTOR * 512 * 512
    assert engine.network_size(300, 400, 192) == (192, 256)  # ordinary photographs: short side = working size


def test_tiny_jpeg_claiming_20000_square(src, tmp_path):
    (src / "claim.jpg").write_bytes(make.jpeg_claiming(20000, 20000))
    before = snapshot(src)
    out = tmp_path / "out"
    run = cli_sub("colourise", src, "-o", out, tmp=tmp_path)  # a child: its own peak RSS, as above
    assert_no_traceback(run)
    assert run.rc == 1, run
    assert run.maxrss_mb is not None, run
    assert "failed" in assert_one_line(run, "claim.jpg")
    assert not (out / "claim_colourised.jpg").exists()
    assert run.seconds < 20 and run.maxrss_mb < 1500, run
    assert snapshot(src) == before


def test_inspect_big_file_reads_bounded(tmp_path):
    small = tmp_path / "small.jpg"
    small.write_bytes(b"\0" * 1024)
    big = tmp_path / "big.jpg"
    with open(big, "wb") as f:  # sparse: no disk used
        f.truncate(500 << 20)
    base = cli("inspect", small, measure=True)
    run = cli("inspect", big, measure=True)
    assert_no_traceback(run)
    assert run.rc in (1, 2), run
    assert run.maxrss_mb < base.maxrss_mb + 100, (str(base), str(run))


def test_inspect_refuses_a_fifo(tmp_path):
    target = tmp_path / "pipe.png"
    os.mkfifo(target)
    with fifo_watchdog([target], after=10):
        run = cli("inspect", target)
    assert_no_traceback(run)
    assert run.rc == 2 and run.seconds < 10, run
    assert_one_line(run, target.name)


def test_inspect_refuses_a_device(tmp_path):
    run = cli_sub("inspect", "/dev/zero", timeout=20, tmp=tmp_path)
    assert_no_traceback(run)
    assert run.rc == 2, run
    assert_one_line(run, "zero")


def test_fifo_in_an_input_folder(src, tmp_path):
    os.mkfifo(src / "pipe.png")
    before = snapshot(src)
    with fifo_watchdog([src / "pipe.png"], after=10):
        run = cli("colourise", src, "-o", tmp_path / "out", "-r")
    assert_no_traceback(run)
    assert run.rc == 1 and run.seconds < 10, run
    assert_one_line(run, "pipe.png")
    assert snapshot(src) == before


# ============================================================================================
# 6. trust: big captions
# ============================================================================================
@pytest.mark.parametrize("fmt", ["jpg", "png"])
def test_40kb_caption_is_trimmed_with_a_note(tmp_path, fmt):
    src = tmp_path / "in"
    src.mkdir()
    (src / "cap.jpg").write_bytes(_iptc_jpeg(b"C" * 30_000, xmp=make.xmp_packet("D" * 40_000, "title")))
    before = snapshot(src)
    out = tmp_path / "out"
    run = cli("colourise", src, "-o", out, "--format", fmt)
    assert_no_traceback(run)
    assert run.rc == 0, run
    (output,) = assert_outputs_valid(out)
    if fmt == "jpg":
        assert "trimmed" in run.out, run
    assert snapshot(src) == before


# ============================================================================================
# 7. smaller
# ============================================================================================
def test_image_finished_during_ctrl_c_is_counted_and_recorded(tmp_path, monkeypatch):
    from archcolour import engine

    src = tmp_path / "in"
    src.mkdir()
    for i in range(4):
        make.save_grey(src / f"p{i}.png", seed=i)
    calls = {"n": 0}
    real = engine.Colouriser.colourise

    def colourise(self, *a, **k):  # Ctrl-C arrives while the third image is in the network
        calls["n"] += 1
        if calls["n"] == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return real(self, *a, **k)

    monkeypatch.setattr(engine.Colouriser, "colourise", colourise)
    out = tmp_path / "out"
    run = cli("colourise", src, "-o", out)
    assert_no_traceback(run)
    assert run.rc == 130, run
    on_disk = sorted(p.name for p in out.glob("*_colourised.png"))
    done = sorted(Path(r["output"]).name for r in manifest_records(out) if r.get("status") == "done")
    assert on_disk == done and 3 <= len(done) < 4 + 1, (on_disk, done)
    assert f"Summary: {len(on_disk)} done" in run.out, run


def test_second_ctrl_c_stops_at_once(tmp_path, monkeypatch):
    from archcolour import engine

    src = tmp_path / "in"
    src.mkdir()
    for i in range(4):
        make.save_grey(src / f"p{i}.png", seed=i)
    real = engine.Colouriser.colourise

    def colourise(self, *a, **k):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)  # the main thread handles the first, then the second signal
        os.kill(os.getpid(), signal.SIGINT)
        return real(self, *a, **k)

    monkeypatch.setattr(engine.Colouriser, "colourise", colourise)
    out = tmp_path / "out"
    run = cli("colourise", src, "-o", out, "--jobs", "1")
    assert_no_traceback(run)
    assert run.rc == 130 and "Interrupted. Summary:" in run.out, run
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_inspect_on_a_folder(src, tmp_path):
    make.save_grey(src / "b.jpg", seed=4)
    out = tmp_path / "out"
    assert cli("colourise", src, "-o", out).rc == 0
    run = cli("inspect", out)
    assert_no_traceback(run)
    assert run.rc == 0, run
    assert len(run.naming("colourised by")) == 2, run


def test_library_warnings_name_the_file(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "exif.jpg").write_bytes(make.jpeg_corrupt_exif())
    make.tiff_with_bad_tag(src / "badtag.tif")
    before = snapshot(src)
    run = cli_sub("colourise", src, "-o", tmp_path / "out", tmp=tmp_path)
    assert_no_traceback(run)
    assert run.rc in (0, 1), run
    for line in run.err.splitlines():
        assert "exif.jpg" in line or "badtag.tif" in line, run
    for line in run.out.splitlines():
        assert line.startswith(("Model ", "done ", "failed ", "skipped ", "Summary:", "         note:")), run
    assert snapshot(src) == before

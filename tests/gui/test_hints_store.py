"""The GUI's hints and guidance files: where they go, that the batch's reader accepts them, bad files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from archcolour import hints as hints_mod
from archcolour.gui import hints_store as hs


def test_location_is_the_output_folder_never_the_sources(tmp_path):
    root = tmp_path / "archive"
    src = root / "street" / "scan.tif"
    assert hs.guidance_folder(src, root, None) == root / "colourised"
    assert hs.guidance_folder(src, root, tmp_path / "out") == tmp_path / "out"
    assert hs.guidance_folder(tmp_path / "loose.jpg", None, None) == tmp_path / "colourised"
    assert hs.hints_key(src, root) == "street/scan.tif"  # the batch's JobItem.rel
    assert hs.hints_key(tmp_path / "loose.jpg", None) == "loose.jpg"


def test_written_file_is_what_the_batch_reads(tmp_path):
    f = tmp_path / "out" / hs.HINTS_NAME
    store = hs.HintsStore()
    store.set_points(f, "street/scan.tif", [hs.point(0.25, 0.75, "#CC2200"), hs.point(1.4, -0.2, "#0000ff", 0.02)])
    store.set_points(f, "b.png", [hs.point(0.5, 0.5, "#00ff00")])
    store.set_points(f, "b.png", [])  # no points: the image leaves the file
    data = json.loads(f.read_text())
    assert data == {"version": 1, "images": {"street/scan.tif": {"points": [
        {"x": 0.25, "y": 0.75, "colour": "#cc2200", "radius": 0.01},
        {"x": 1.0, "y": 0.0, "colour": "#0000ff", "radius": 0.02}]}}}
    parsed = hints_mod.load(f)
    got = parsed.for_image("street/scan.tif")
    assert [(h.x, h.y, h.radius) for h in got] == [(0.25, 0.75, 0.01), (1.0, 0.0, 0.02)]
    assert got[0].a > 40 and got[1].b < -60  # red and blue
    assert parsed.for_image("b.png") == ()
    assert [p.name for p in f.parent.iterdir()] == [hs.HINTS_NAME]  # no temporary file left
    # read back by a new store (a new session)
    assert hs.HintsStore().points(f, "street/scan.tif") == data["images"]["street/scan.tif"]["points"]


def test_lookup_falls_back_to_the_name_like_the_batch(tmp_path):
    f = tmp_path / hs.HINTS_NAME
    f.write_text(json.dumps({"version": 1, "images": {"scan.tif": {"points": [
        {"x": 0.1, "y": 0.2, "colour": {"ab": [10, -20]}}]}}}))
    pts = hs.HintsStore().points(f, "sub/scan.tif")
    assert pts == [{"x": 0.1, "y": 0.2, "colour": {"ab": [10, -20]}}]
    assert hs.display_hex(pts[0]["colour"]).startswith("#") and len(hs.display_hex(pts[0]["colour"])) == 7


@pytest.mark.parametrize("content", ['{"version": 1, "images": {"a.png": {"points": [{"x": 3, "y": 0, '
                                     '"colour": "#ffffff"}]}}}', "{not json", '{"version": 1, "points": []}'])
def test_a_file_the_gui_cannot_edit_is_never_overwritten(tmp_path, content):
    f = tmp_path / hs.HINTS_NAME
    f.write_text(content)
    store = hs.HintsStore()
    fh = store.file(f)
    assert fh.read_only
    with pytest.raises(OSError):
        store.set_points(f, "a.png", [hs.point(0.5, 0.5, "#ff0000")])
    assert f.read_text() == content
    assert store.points(f, "a.png") == ([] if fh.every is None else fh.every)


def test_invalid_error_is_one_line_naming_the_file(tmp_path):
    f = tmp_path / hs.HINTS_NAME
    f.write_text('{"version": 1, "images": {"a.png": {"points": [{"x": 3, "y": 0, "colour": "#ffffff"}]}}}')
    err = hs.read_hints(f).error
    assert err is not None and "\n" not in err and "hints.json" in err and "points[0].x" in err


def test_guidance_file_round_trip_and_bad_values(tmp_path):
    d = tmp_path / "out"
    assert hs.read_guidance(d) == hs.FolderGuidance()  # none yet
    hs.write_guidance(d, hs.FolderGuidance(Path("/photos/today.jpg"), 1.35))
    assert hs.read_guidance(d) == hs.FolderGuidance(Path("/photos/today.jpg"), 1.35)
    (d / hs.GUIDANCE_NAME).write_text('{"version": 1, "reference": 3, "vividness": 9}')
    assert hs.read_guidance(d) == hs.FolderGuidance()
    (d / hs.GUIDANCE_NAME).write_text("[]")
    assert hs.read_guidance(d) == hs.FolderGuidance()

"""The hints file format (archcolour.hints): parsing, lookup and one-line errors."""
from __future__ import annotations

import json

import pytest

from archcolour import hints
from archcolour.hints import HintsError


def _write(tmp_path, obj, name="hints.json"):
    p = tmp_path / name
    p.write_text(obj if isinstance(obj, str) else json.dumps(obj), encoding="utf-8")
    return p


def test_single_image_file(tmp_path):
    p = _write(tmp_path, {"version": 1, "points": [{"x": 0.25, "y": 0.5, "colour": "#c03020", "radius": 0.02},
                                                   {"x": 1, "y": 0, "colour": {"ab": [-20, 30]}}]})
    hf = hints.load(p)
    pts = hf.for_image("anything.jpg")
    assert len(pts) == 2
    assert pts[0].x == 0.25 and pts[0].radius == 0.02
    assert pts[0].a > 30 and pts[0].b > 20  # a brick red: positive a and b
    assert (pts[1].a, pts[1].b, pts[1].radius) == (-20.0, 30.0, hints.DEFAULT_RADIUS)


def test_folder_file_lookup_by_relative_path_then_name(tmp_path):
    p = _write(tmp_path, {"version": 1, "images": {
        "sub/a.jpg": {"points": [{"x": 0.1, "y": 0.1, "colour": {"ab": [10, 10]}}]},
        "a.jpg": {"points": [{"x": 0.9, "y": 0.9, "colour": {"ab": [-10, -10]}}]},
        "b.tif": {"points": []}}})
    hf = hints.load(p)
    assert hf.for_image("sub/a.jpg")[0].a == 10
    assert hf.for_image("other/a.jpg")[0].a == -10  # by its bare name
    assert hf.for_image("b.tif") == ()
    assert hf.for_image("c.png") == ()


@pytest.mark.parametrize("obj, fragment", [
    ("{not json", "not valid JSON"),
    ([1, 2], "top level must be an object"),
    ({"points": []}, '"version" must be 1'),
    ({"version": 1}, 'expected "points"'),
    ({"version": 1, "points": [], "images": {}}, "not both"),
    ({"version": 1, "points": [{"x": 1.5, "y": 0, "colour": "#ffffff"}]}, "points[0].x must be a number from 0 to 1"),
    ({"version": 1, "points": [{"x": 0.5, "y": "a", "colour": "#ffffff"}]}, "points[0].y"),
    ({"version": 1, "points": [{"x": 0.5, "y": 0.5, "colour": "red"}]}, "points[0].colour"),
    ({"version": 1, "points": [{"x": 0.5, "y": 0.5, "colour": {"ab": [300, 0]}}]}, "colour.ab[0]"),
    ({"version": 1, "points": [{"x": 0.5, "y": 0.5, "colour": "#000000", "radius": 0.5}]}, "radius"),
    ({"version": 1, "points": [{"x": 0.5, "y": 0.5, "colour": "#000000", "size": 3}]}, "unknown key"),
    ({"version": 1, "images": {"a.jpg": [1]}}, 'images["a.jpg"]'),
    ({"version": 1, "points": [{"x": 0.5, "y": 0.5, "colour": "#000000"}] * 65}, "at most 64"),
])
def test_bad_files_give_one_line_naming_the_file(tmp_path, obj, fragment):
    p = _write(tmp_path, obj, "my-hints.json")
    with pytest.raises(HintsError) as ei:
        hints.load(p)
    msg = str(ei.value)
    assert "\n" not in msg
    assert msg.startswith("hints file my-hints.json:")
    assert fragment in msg


def test_missing_file(tmp_path):
    with pytest.raises(HintsError, match="not found"):
        hints.load(tmp_path / "nope.json")


def test_points_map_to_working_size_pixels():
    pts = hints.to_hint_points([hints.Hint(0.5, 1.0, 5, 6, 0.02)], 100, 200)
    assert (pts[0].x, pts[0].y, pts[0].radius) == (100, 99, 2)

"""archcolour.image_settings: an image's own working size, model, vividness, upsampling (issue 12)."""
from __future__ import annotations

import json

import pytest

from archcolour import image_settings as ims
from archcolour.choices import MAX_WORKING_SIZE, UPSAMPLING, VIVIDNESS_RANGE


def test_parse_lookup_and_round_trip(tmp_path):
    data = {"version": 1, "images": {"sub/b.png": {"working_size": 512, "model": "tiny-guided", "vividness": 1.5},
                                     "a.png": {"upsampling": "bilinear"}, "c.png": {}}}
    f = ims.parse(data, "x.json")
    assert f.for_image("sub/b.png") == ims.ImageSettings(512, "tiny-guided", 1.5, None)
    assert f.for_image("other/a.png").upsampling == "bilinear"  # by its path, then its bare name, as hints
    assert f.for_image("c.png") is None and f.for_image("zzz.png") is None  # nothing set: the folder's
    assert f.models() == {"tiny-guided"}
    p = ims.write(f.with_image("a.png", None), tmp_path / "deep" / ims.FILE_NAME)
    again = ims.load(p)
    assert set(again.images) == {"sub/b.png"} and again.for_image("sub/b.png").vividness == 1.5
    assert json.loads(p.read_text())["images"] == {"sub/b.png": {"working_size": 512, "model": "tiny-guided",
                                                                 "vividness": 1.5}}


@pytest.mark.parametrize("entry, fragment", [
    ({"working_size": 10}, "working_size"),
    ({"working_size": MAX_WORKING_SIZE + 1}, "working_size"),
    ({"working_size": 256.0}, "working_size"),
    ({"vividness": VIVIDNESS_RANGE[1] + 0.5}, "vividness"),
    ({"vividness": True}, "vividness"),
    ({"upsampling": "nearest"}, "upsampling"),
    ({"model": ""}, "model"),
    ({"colour": 1}, "unknown key"),
    ([], "must be an object"),
])
def test_bad_entries_give_one_line_naming_the_file_and_the_entry(tmp_path, entry, fragment):
    p = tmp_path / "mine.json"
    p.write_text(json.dumps({"version": 1, "images": {"a.png": entry}}))
    with pytest.raises(ims.ImageSettingsError) as ei:
        ims.load(p)
    msg = str(ei.value)
    assert "\n" not in msg and "mine.json" in msg and 'images["a.png"]' in msg and fragment in msg


@pytest.mark.parametrize("text, fragment", [("{", "not valid JSON"), ('{"version": 2}', "version"),
                                            ('{"version": 1, "points": []}', "unknown key"),
                                            ('{"version": 1, "images": []}', '"images"')])
def test_bad_files_give_one_line(tmp_path, text, fragment):
    p = tmp_path / "s.json"
    p.write_text(text)
    with pytest.raises(ims.ImageSettingsError, match=fragment):
        ims.load(p)
    with pytest.raises(ims.ImageSettingsError, match="not found"):
        ims.load(tmp_path / "missing.json")


def test_the_vocabularies_are_the_choices_tables():
    for u in UPSAMPLING:
        assert ims.parse_entry({"upsampling": u}, "e").upsampling == u
    lo, hi = VIVIDNESS_RANGE
    assert ims.parse_entry({"vividness": lo}, "e").vividness == lo and ims.parse_entry({"vividness": hi}, "e").vividness == hi


def test_unknown_models_are_refused_in_one_line():
    f = ims.parse({"version": 1, "images": {"a.png": {"model": "nope"}}}, "s.json")
    ims.check_models(ims.parse({"version": 1, "images": {}}, "s.json"), ["tiny"])
    with pytest.raises(ims.ImageSettingsError, match="no bundled model named 'nope'.*tiny"):
        ims.check_models(f, ["tiny", "tiny-guided"])


def test_write_never_writes_what_would_not_parse(tmp_path):
    bad = ims.ImageSettingsFile(str(tmp_path / "s.json"), {"a.png": ims.ImageSettings(working_size=3)})
    with pytest.raises(ims.ImageSettingsError):
        ims.write(bad)
    assert not (tmp_path / "s.json").exists()

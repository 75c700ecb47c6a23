"""`archcolour colourise --image-settings FILE` and `--name-template` (issues 12 and 13)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archcolour import cli, provenance


@pytest.fixture
def photos(tmp_path) -> Path:
    d = tmp_path / "photos"
    (d / "sub").mkdir(parents=True)
    r = np.random.default_rng(0)
    for name in ("a.png", "sub/b.png"):
        Image.fromarray((np.linspace(30, 220, 48)[None, :] + r.random((40, 48)) * 30).astype(np.uint8)).save(d / name)
    return d


def _write(tmp_path, images) -> Path:
    p = tmp_path / "image-settings.json"
    p.write_text(json.dumps({"version": 1, "images": images}), encoding="utf-8")
    return p


def test_each_image_gets_its_own_settings_and_they_are_recorded(photos, tmp_path, capsys):
    f = _write(tmp_path, {"sub/b.png": {"working_size": 96, "model": "tiny-guided", "vividness": 0.5}})
    out = tmp_path / "out"
    rc = cli.main(["colourise", str(photos), "-r", "-o", str(out), "--working-size", "64", "--image-settings", str(f)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "1 image(s) with their own settings" in captured.out
    b = provenance.read_sidecar(out / "sub" / "b_colourised.png")
    assert (b["model"]["name"], b["engine"]["working_size"], b["guidance"]["vividness"]) == ("tiny-guided", 96, 0.5)
    a = provenance.read_sidecar(out / "a_colourised.png")
    assert (a["model"]["name"], a["engine"]["working_size"], a["guidance"]["vividness"]) == ("tiny", 64, 1.0)
    run = [r for r in provenance.read_manifest(out / "manifest.jsonl") if r.get("type") != "item"][0]
    assert run["image_settings_file"] == str(f)


@pytest.mark.parametrize("images, fragment", [
    ({"a.png": {"working_size": 5}}, "working_size"),
    ({"a.png": {"model": "no-such-model"}}, "no bundled model named 'no-such-model'"),
    ({"a.png": {"vividness": "loud"}}, "vividness"),
])
def test_a_bad_settings_file_is_one_line_and_exit_2_before_any_work(photos, tmp_path, capsys, images, fragment):
    f = _write(tmp_path, images)
    rc = cli.main(["colourise", str(photos), "-o", str(tmp_path / "out"), "--image-settings", str(f)])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and fragment in err and "image-settings.json" in err
    assert not (tmp_path / "out").exists()


def test_a_missing_settings_file_is_one_line(photos, tmp_path, capsys):
    rc = cli.main(["colourise", str(photos), "-o", str(tmp_path / "out"), "--image-settings", str(tmp_path / "nope.json")])
    err = capsys.readouterr().err
    assert rc == 2 and "nope.json" in err and len(err.strip().splitlines()) == 1


def test_name_template(photos, tmp_path, capsys):
    out = tmp_path / "out"
    rc = cli.main(["colourise", str(photos), "-r", "-o", str(out), "--name-template", "{stem}-colour", "-q"])
    assert rc == 0, capsys.readouterr().err
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == ["a-colour.png", "sub/b-colour.png"]
    rc = cli.main(["colourise", str(photos), "-o", str(out), "--name-template", "{name}_x"])
    err = capsys.readouterr().err
    assert rc == 2 and "{stem}" in err and len(err.strip().splitlines()) == 1

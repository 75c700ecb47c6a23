"""`archcolour colourise --hints/--reference/--vividness`: validation, use, and provenance (issue 10)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archcolour import cli, provenance


def _grey(seed=0, h=40, w=48) -> np.ndarray:
    r = np.random.default_rng(seed)
    return (np.linspace(30, 220, w)[None, :] + r.random((h, w)) * 30).clip(0, 255).astype(np.uint8)


@pytest.fixture
def photos(tmp_path) -> Path:
    d = tmp_path / "photos"
    (d / "sub").mkdir(parents=True)
    Image.fromarray(_grey(1)).save(d / "a.png")
    Image.fromarray(_grey(2)).save(d / "sub" / "b.png")
    return d


@pytest.fixture
def hints_file(tmp_path) -> Path:
    p = tmp_path / "hints.json"
    p.write_text(json.dumps({"version": 1, "images": {
        "sub/b.png": {"points": [{"x": 0.5, "y": 0.5, "colour": "#b03020"}]},
        "a.png": {"points": []}}}), encoding="utf-8")
    return p


@pytest.fixture
def reference(tmp_path) -> Path:
    p = tmp_path / "today.jpg"
    rgb = np.zeros((30, 40, 3), np.uint8)
    rgb[:15] = (90, 140, 220)
    rgb[15:] = (170, 140, 90)
    Image.fromarray(rgb).save(p)
    return p


def test_hints_and_reference_are_used_and_recorded(photos, hints_file, reference, tmp_path, capsys):
    out = tmp_path / "out"
    rc = cli.main(["colourise", str(photos), "-r", "-o", str(out), "--model", "tiny-guided", "--hints", str(hints_file),
                   "--reference", str(reference), "--vividness", "1.5", "-q"])
    assert rc == 0, capsys.readouterr().err
    b = provenance.read_sidecar(out / "sub" / "b_colourised.png")
    assert b["guidance"]["hints"] == [{"x": 0.5, "y": 0.5, "colour": {"ab": b["guidance"]["hints"][0]["colour"]["ab"]},
                                       "radius": 0.01}]
    assert b["guidance"]["hints"][0]["colour"]["ab"][0] > 30  # the red hint, as CIELAB a
    assert b["guidance"]["reference"]["name"] == "today.jpg"
    assert len(b["guidance"]["reference"]["sha256"]) == 64
    assert b["guidance"]["vividness"] == 1.5
    a = provenance.read_sidecar(out / "a_colourised.png")
    assert a["guidance"]["hints"] == []
    assert "guided by the user" in a["description"]  # the reference guided it
    # the embedded XMP says the same, and `inspect` shows it
    capsys.readouterr()
    assert cli.main(["inspect", str(out / "sub" / "b_colourised.png")]) == 0
    shown = capsys.readouterr().out
    assert "today.jpg" in shown and "hint" in shown.lower()
    manifest = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    assert any(r.get("guidance", {}).get("reference", {}).get("name") == "today.jpg" for r in manifest)


def test_bad_hints_file_is_one_line_exit_2(photos, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1, "points": [{"x": 2, "y": 0, "colour": "#fff000"}]}', encoding="utf-8")
    rc = cli.main(["colourise", str(photos), "-o", str(tmp_path / "o"), "--model", "tiny-guided", "--hints", str(bad)])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.strip().count("\n") == 0 and "bad.json" in err and "points[0].x" in err
    assert not (tmp_path / "o").exists()


def test_model_without_hint_inputs_refuses_hints(photos, hints_file, reference, tmp_path, capsys):
    assert cli.main(["colourise", str(photos), "-o", str(tmp_path / "o"), "--hints", str(hints_file)]) == 2
    assert "does not take colour hints" in capsys.readouterr().err
    assert cli.main(["colourise", str(photos), "-o", str(tmp_path / "o"), "--reference", str(reference)]) == 2
    assert "does not take a reference" in capsys.readouterr().err


def test_unreadable_reference_is_one_line(photos, tmp_path, capsys):
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image")
    rc = cli.main(["colourise", str(photos), "-o", str(tmp_path / "o"), "--model", "tiny-guided",
                   "--reference", str(junk)])
    err = capsys.readouterr().err
    assert rc == 2 and "reference junk.jpg" in err and "Traceback" not in err


@pytest.mark.parametrize("value", ["-0.1", "2.5", "lots"])
def test_vividness_bounds(photos, tmp_path, value, capsys):
    with pytest.raises(SystemExit) as ei:
        cli.main(["colourise", str(photos), "-o", str(tmp_path / "o"), "--vividness", value])
    assert ei.value.code == 2


def test_vividness_zero_gives_grey(photos, tmp_path):
    out = tmp_path / "out"
    assert cli.main(["colourise", str(photos / "a.png"), "-o", str(out), "--vividness", "0", "-q"]) == 0
    rgb = np.asarray(Image.open(out / "a_colourised.png").convert("RGB")).astype(int)
    assert np.abs(rgb[..., 0] - rgb[..., 1]).max() <= 1 and np.abs(rgb[..., 1] - rgb[..., 2]).max() <= 1


def test_models_lists_what_each_model_takes(capsys):
    assert cli.main(["models"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "tiny-guided" in x)
    assert "takes: hints, reference" in line
    assert "takes:" not in next(x for x in out.splitlines() if " tiny " in x)

"""The one table of formats and the one output-format vocabulary."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archcolour import formats as F


@pytest.mark.parametrize("suffix, name", [(".jpg", "JPEG"), (".JPEG", "JPEG"), (".jpe", "JPEG"), (".jfif", "JPEG"),
                                          ("jpg", "JPEG"), (".png", "PNG"), (".tif", "TIFF"), (".TIFF", "TIFF"),
                                          (".webp", "WEBP"), (".bmp", "BMP"), (".gif", "GIF"), ("a.b.jfif", "JPEG"),
                                          (".txt", None), ("", None)])
def test_format_from_suffix(suffix, name):
    assert F.format_from_suffix(suffix) == name


def test_every_folder_extension_has_a_format():
    for ext in F.FOLDER_EXTENSIONS:
        assert F.format_from_suffix(ext) is not None, ext
    assert {".jpe", ".jfif", ".tif", ".tiff"} <= set(F.FOLDER_EXTENSIONS)
    assert ".gif" not in F.FOLDER_EXTENSIONS  # read when named, never picked up from a folder


def test_format_for_extension_refuses_what_cannot_be_written():
    assert F.format_for_extension(".jpe") == "JPEG"
    for bad in (".gif", ".txt"):
        with pytest.raises(ValueError):
            F.format_for_extension(bad)


@pytest.mark.parametrize("name", ["PNG", "JPEG", "TIFF", "WEBP", "BMP", "GIF"])
def test_sniff_recognises_what_pillow_writes(name):
    buf = io.BytesIO()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(buf, format=name)
    assert F.sniff(buf.getvalue()[:12]) == name
    # ... and Pillow agrees with the table's MIME type
    assert Image.MIME[name] == F.MIME_TYPES[name]


def test_sniff_unknown():
    assert F.sniff(b"hello world!") is None and F.sniff(b"") is None


def test_output_vocabulary_reaches_every_writable_format():
    reached = {c.format for c in F.OUTPUT_CHOICES if c.format}
    assert reached == set(F.WRITABLE)
    assert F.OUTPUT_KEYS[0] == "same"


@pytest.mark.parametrize("key, source, ext", [("same", "a.JPE", ".jpe"), ("same", "a.gif", ".png"),
                                              ("same", "a.tiff", ".tiff"), ("jpeg", "a.png", ".jpg"),
                                              ("bmp", "a.png", ".bmp"), ("webp", "a.tif", ".webp"),
                                              ("TIFF16", "a.png", ".tif")])
def test_output_extension(key, source, ext):
    assert F.output_extension(Path(source), key) == ext


def test_unknown_output_choice():
    with pytest.raises(ValueError, match="choose from same, png, jpg, tif, webp, bmp"):
        F.output_choice("gif")


def test_temp_names_match_the_pattern(tmp_path):
    t = F.temp_name_for(tmp_path / "a_colourised.png")
    assert t.parent == tmp_path and F.TEMP_RE.match(t.name) and t.match(F.TEMP_GLOB)
    assert not F.TEMP_RE.match("a_colourised.png")


def test_cli_choices_are_the_vocabulary():
    from archcolour import choices, cli

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices["colourise"]
    acts = {a.dest: a for a in sub._actions}
    assert tuple(acts["format"].choices) == F.OUTPUT_KEYS
    assert tuple(acts["device"].choices) == choices.DEVICES
    with pytest.raises(SystemExit):
        parser.parse_args(["colourise", "x.jpg", "--working-size", str(choices.MAX_WORKING_SIZE + 1)])


def test_tables_are_torch_free():
    code = ("import sys, archcolour.formats, archcolour.choices; "
            "bad = [m for m in sys.modules if m.startswith(('torch', 'PySide6'))]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])

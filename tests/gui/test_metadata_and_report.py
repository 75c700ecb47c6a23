"""The metadata panel (source's descriptive metadata, output's provenance) and the batch report (CSV)."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess

import numpy as np
import pytest
import tifffile
from PIL import Image

from archcolour.gui.report import COLUMNS, report_rows, rows_to_csv
from archcolour.gui.source_metadata import read_source_metadata

from gui_helpers import open_folder, write_grey_photos
from testdeps import in_ci


def _exiftool() -> str | None:
    exe = shutil.which("exiftool")
    if exe is None and in_ci():
        pytest.fail("exiftool is needed in CI (Debian package libimage-exiftool-perl)")
    return exe


def _jpeg_with_exif(path):
    im = Image.new("L", (64, 48), 128)
    exif = Image.Exif()
    exif[0x010E] = "Harbour at dawn"
    exif[0x013B] = "A. Photographer"
    exif[0x8298] = "Public domain"
    exif.get_ifd(0x8769)[0x9003] = "1911:05:01 10:00:00"
    im.save(path, exif=exif)


def test_exif_fields_are_read(tmp_path):
    p = tmp_path / "harbour.jpg"
    _jpeg_with_exif(p)
    m = read_source_metadata(p)
    assert m.values["caption"] == ("Harbour at dawn", "EXIF")
    assert m.values["creator"] == ("A. Photographer", "EXIF")
    assert m.values["copyright"] == ("Public domain", "EXIF")
    assert m.values["date"] == ("1911-05-01T10:00:00", "EXIF")  # the capture date as the outputs' XMP carries it


def test_xmp_and_iptc_written_by_exiftool_win_over_exif(tmp_path):
    exe = _exiftool()
    if exe is None:
        pytest.skip("exiftool is not installed")
    p = tmp_path / "acropolis.jpg"
    _jpeg_with_exif(p)
    subprocess.run([exe, "-q", "-overwrite_original", "-XMP-dc:Description=Athens, the Acropolis",
                    "-XMP-dc:Creator=Fred Boissonnas", "-IPTC:CopyrightNotice=Boissonnas estate",
                    "-IPTC:DateCreated=19110501", "-IPTC:ObjectName=Acropolis", str(p)], check=True)
    m = read_source_metadata(p)
    assert m.values["caption"] == ("Athens, the Acropolis", "XMP")
    assert m.values["creator"] == ("Fred Boissonnas", "XMP")
    assert m.values["copyright"] == ("Boissonnas estate", "IPTC")
    assert m.values["date"] == ("1911-05-01", "IPTC")
    assert m.values["title"] == ("Acropolis", "IPTC")


def test_a_tiff_caption_written_by_exiftool_is_shown_whole(tmp_path, monkeypatch):
    """exiftool (like Photoshop) types a TIFF's IIM tag LONG, which Pillow reads as its first 4 bytes:
    the panel reads the IIM as the batch does (whole), merges it by the outputs' rule, decodes no pixel."""
    exe = _exiftool()
    if exe is None:
        pytest.skip("exiftool is not installed")
    from archcolour.imageio import read as read_mod

    caption = "Ναός του Απόλλωνα, βόρεια πλευρά – Delphi, 1911"
    p = tmp_path / "delphi.tif"
    tifffile.imwrite(p, np.full((24, 32), 128, np.uint8), photometric="minisblack")
    subprocess.run([exe, "-q", "-overwrite_original", "-IPTC:CodedCharacterSet=UTF8", f"-IPTC:Caption-Abstract={caption}",
                    "-IPTC:By-line=Fred Boissonnas", "-EXIF:Artist=Someone Else", str(p)], check=True)

    def no_decoding(*_a, **_k):
        raise AssertionError("the metadata panel decoded pixels or hashed the file")
    for name in ("decode_tiff", "decode_pillow", "_Hasher"):
        monkeypatch.setattr(read_mod, name, no_decoding)
    m = read_source_metadata(p)
    assert m.values["caption"] == (caption, "IPTC")
    assert m.values["creator"] == ("Fred Boissonnas", "IPTC")  # IIM before EXIF, as in the outputs


def test_unreadable_file_has_no_metadata_and_no_error(tmp_path):
    p = tmp_path / "broken.jpg"
    p.write_bytes(b"\xff\xd8\xff not a jpeg")
    assert read_source_metadata(p).values == {}


def test_metadata_panel_shows_source_fields_beside_provenance(window, qtbot, tmp_path):
    folder = tmp_path / "meta"
    folder.mkdir()
    _jpeg_with_exif(folder / "harbour.jpg")
    open_folder(qtbot, window, folder, thumbnails=False)
    window.metadata_dock.show()
    with qtbot.waitSignal(window.metadata.shown, timeout=10000):
        window.metadata.show_entry(folder / "harbour.jpg", None)
    text = window.metadata.source_label.text()
    assert "Harbour at dawn" in text and "A. Photographer" in text and "Public domain" in text
    assert "Not colourised yet" in window.metadata.provenance.toPlainText()
    with qtbot.waitSignal(window.batchFinished, timeout=60000):
        window.colourise_all()
    e = window.model.entries()[0]
    with qtbot.waitSignal(window.metadata.shown, timeout=10000):
        window.metadata.show_entry(e.source, e.output)
    from archcolour import provenance

    expected = provenance.format_provenance(e.output, provenance.read_provenance(e.output))
    assert window.metadata.provenance.toPlainText() == expected  # what `archcolour inspect` prints


def test_report_table_and_csv(window, qtbot, photo_folder, tmp_path):
    (photo_folder / "photo_99_broken.jpg").write_bytes(b"\xff\xd8\xff broken")
    open_folder(qtbot, window, photo_folder, thumbnails=False)
    with qtbot.waitSignal(window.batchFinished, timeout=60000):
        window.colourise_all()
    window.select_path(photo_folder / "photo_00.png")
    window.accept_action.trigger()
    out = photo_folder / "colourised"
    rows = report_rows(out)
    assert sorted(r["status"] for r in rows) == ["done"] * 4 + ["failed"]
    assert [r["flag"] for r in rows if r["output"] and r["output"].endswith("photo_00_colourised.png")] == ["accepted"]
    window.show_report()
    dlg = window.report_dialog
    qtbot.addWidget(dlg)
    assert dlg.table.rowCount() == 5 and dlg.table.columnCount() == len(COLUMNS)
    path = dlg.export_csv(str(tmp_path / "report.csv"))
    parsed = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert parsed[0] == [h for _, h in COLUMNS] and len(parsed) == 6
    assert path.read_bytes().decode("utf-8") == rows_to_csv(rows)


def test_report_without_a_batch_says_so(window, qtbot, tmp_path):
    write_grey_photos(tmp_path / "f", 1)
    open_folder(qtbot, window, tmp_path / "f", thumbnails=False)
    window.show_report()
    assert "No batch report yet" in window.statusBar().currentMessage()

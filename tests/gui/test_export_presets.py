"""Export presets: 8-bit TIFF and WebP, naming templates, sub-folder mirroring, presets kept between sessions."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from archcolour.gui import presets
from archcolour.gui.naming import DEFAULT_TEMPLATE, Naming, check_template

from gui_helpers import open_folder, write_grey_photos


def _run_all(qtbot, win):
    with qtbot.waitSignal(win.batchFinished, timeout=60000) as blocker:
        win.colourise_all()
    return blocker.args[0]


def test_default_template_is_the_batch_planners_naming():
    from archcolour import batch

    assert DEFAULT_TEMPLATE == "{stem}" + batch.SUFFIX


@pytest.mark.parametrize("bad", ["colourised", "{stem}/x", "{stem}_{date}", "{}"])
def test_bad_templates_are_refused(bad):
    with pytest.raises(ValueError):
        check_template(bad)
    assert not presets.Preset("p", naming=bad).valid()


def test_eight_bit_tiff_preset(window, qtbot, photo_folder):
    tifffile = pytest.importorskip("tifffile")
    open_folder(qtbot, window, photo_folder, thumbnails=False)
    ex = window.export
    ex.apply_preset(next(p for p in presets.BUILT_IN if p.name.startswith("Working copy")))
    assert ex.preset_combo.currentText().startswith("Working copy")
    assert _run_all(qtbot, window).done == 4
    arr = tifffile.imread(photo_folder / "colourised" / "photo_00_colourised.tif")
    assert arr.dtype == np.uint8 and arr.shape == (48, 64, 3)


def test_webp_with_a_naming_template_and_flat_output(window, qtbot, photo_folder, tmp_path):
    write_grey_photos(photo_folder / "trench_b", 1, seed=3)
    window.include_sub_action.setChecked(True)
    open_folder(qtbot, window, photo_folder, thumbnails=False)
    ex = window.export
    out = tmp_path / "web"
    ex.output_edit.setText(str(out))
    ex.format_combo.setCurrentIndex(ex.format_combo.findData("webp"))
    ex.quality_spin.setValue(80)
    ex.naming_edit.setText("{stem}-colour")
    ex.naming_edit.editingFinished.emit()
    ex.mirror_check.setChecked(False)
    summary = _run_all(qtbot, window)
    # photo_00.png exists in both folders: flattened, the second one cannot share the name
    assert summary.done == 4 and summary.failed == 1
    assert sorted(p.name for p in out.glob("*.webp")) == [f"photo_0{i}-colour.webp" for i in range(4)]
    assert not (out / "trench_b").exists()
    with Image.open(out / "photo_01-colour.webp") as im:
        assert im.format == "WEBP" and im.size == (64, 48)
    failed = [e for e in window.model.entries() if e.message and "same output name" in e.message]
    assert len(failed) == 1


def test_presets_and_choices_persist(make_window, qtbot, _config_dir):
    win = make_window(wait_engine=False)
    ex = win.export
    ex.format_combo.setCurrentIndex(ex.format_combo.findData("png"))
    ex.depth_combo.setCurrentIndex(ex.depth_combo.findData("16"))
    ex.naming_edit.setText("{stem}_col")
    ex.mirror_check.setChecked(False)
    ex.save_preset("Mine")
    win.close()
    data = json.loads((_config_dir / presets.PRESETS_FILE).read_text())
    assert data["presets"][0]["name"] == "Mine" and data["current"]["naming"] == "{stem}_col"
    again = make_window(wait_engine=False)
    ex = again.export
    assert (ex.fmt, ex.bit_depth, ex.naming_template, ex.mirror_subfolders) == ("png", "16", "{stem}_col", False)
    assert ex.preset_combo.currentText() == "Mine"
    assert ex.naming() == Naming("{stem}_col", False)


def test_every_setting_has_a_plain_language_help_line(window):
    helps = window.export.help_labels
    for key in ("output", "format", "quality", "size", "ensemble", "naming", "existing", "device", "preset"):
        assert key in helps and len(helps[key].text()) > 30
    assert "slower" in helps["size"].text() and "full size" in helps["size"].text()
    assert "slower" in helps["ensemble"].text() and "once" in helps["ensemble"].text()


def test_corrupt_presets_file_gives_the_built_ins(_config_dir):
    _config_dir.mkdir(parents=True, exist_ok=True)
    (_config_dir / presets.PRESETS_FILE).write_text("{not json")
    assert presets.load() == ([], None)
    assert [p.name for p in presets.all_presets([])] == [p.name for p in presets.BUILT_IN]

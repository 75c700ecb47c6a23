"""Images' own settings in the window (issue 12): the command, the marker, the file, the preview, the batch.

The fixture models: "tiny" (the default, no guidance) and "tiny-guided" (takes hints and a reference).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtGui import QColor

from archcolour import image_settings as ims
from archcolour import provenance
from archcolour.gui.image_settings_dialog import FolderDefaults, ImageSettingsDialog
from archcolour.gui.image_settings_store import ModelChoice
from archcolour.gui.models import State
from archcolour.gui.widgets import OWN_SETTINGS_COLOUR

from gui_helpers import open_folder


def _wait_preview(qtbot, win):
    qtbot.waitUntil(lambda: win.compare.has_colour() and win.compare._busy_text == "", timeout=60000)


def _settings_file(folder: Path) -> dict:
    return json.loads((folder / "colourised" / ims.FILE_NAME).read_text())["images"]


def _choose(win, settings):
    """Answer the dialog with ``settings`` (None: cancelled) and run the command on the selection."""
    win.image_settings.ask = lambda entries, current: settings
    win.image_settings_action.trigger()


def _marker_pixels(widget) -> int:
    img = widget.grab().toImage()
    want = QColor(OWN_SETTINGS_COLOUR)
    n = 0
    for y in range(0, img.height(), 2):
        for x in range(0, img.width(), 2):
            c = img.pixelColor(x, y)
            n += abs(c.red() - want.red()) + abs(c.green() - want.green()) + abs(c.blue() - want.blue()) < 12
    return n


def test_own_settings_are_saved_marked_previewed_and_used_by_the_batch(window, qtbot, photo_folder):
    win = window
    open_folder(qtbot, win, photo_folder, thumbnails=False)
    win.select_path(photo_folder / "photo_01.png")
    _wait_preview(qtbot, win)
    assert _marker_pixels(win.list_view.viewport()) == 0

    with qtbot.waitSignal(win.previewRefined, timeout=60000):  # the preview follows at once
        _choose(win, ims.ImageSettings(working_size=96, vividness=0.5))
    assert _settings_file(photo_folder) == {"photo_01.png": {"working_size": 96, "vividness": 0.5}}
    e = win.model.find(photo_folder / "photo_01.png")
    assert e.own == ims.ImageSettings(working_size=96, vividness=0.5)
    assert [x.own is None for x in win.model.entries()] == [True, False, True, True]
    assert "working size 96 px" in win.preview_info.text() and "own settings" in win.preview_info.text()
    assert win.guidance.preview_guide(e.source).vividness == 0.5
    assert "Own settings: working size 96 px" in win.model.data(win.model.index_of(e.source), 3)  # tooltip
    assert _marker_pixels(win.list_view.viewport()) > 5  # the marker is drawn on its row...
    win.grid_action.setChecked(True)
    qtbot.waitUntil(lambda: win.grid.view.isVisible())
    assert _marker_pixels(win.grid.view.viewport()) > 5  # ...and on its contact-sheet cell
    win.grid_action.setChecked(False)

    with qtbot.waitSignal(win.batchFinished, timeout=120000) as blocker:
        win.colourise_all()
    assert blocker.args[0].done == 4
    out = photo_folder / "colourised"
    own = provenance.read_sidecar(out / "photo_01_colourised.png")
    other = provenance.read_sidecar(out / "photo_02_colourised.png")
    assert (own["engine"]["working_size"], own["guidance"]["vividness"]) == (96, 0.5)
    assert other["engine"]["working_size"] != 96 and other["guidance"]["vividness"] == 1.0


def test_reset_to_folder_settings_and_reading_the_file_when_the_folder_opens(make_window, qtbot, photo_folder):
    (photo_folder / "colourised").mkdir()
    (photo_folder / "colourised" / ims.FILE_NAME).write_text(json.dumps(
        {"version": 1, "images": {"photo_00.png": {"upsampling": "bilinear"}, "photo_02.png": {"working_size": 128}}}))
    win = make_window()
    open_folder(qtbot, win, photo_folder, thumbnails=False)
    assert [e.own is not None for e in win.model.entries()] == [True, False, True, False]
    assert win.reset_image_settings_action.isEnabled()
    win.select_path(photo_folder / "photo_02.png")
    win.reset_image_settings_action.trigger()
    assert _settings_file(photo_folder) == {"photo_00.png": {"upsampling": "bilinear"}}
    assert win.model.find(photo_folder / "photo_02.png").own is None
    _choose(win, None)  # cancelled: nothing changes
    assert _settings_file(photo_folder) == {"photo_00.png": {"upsampling": "bilinear"}}


def test_an_own_model_is_previewed_and_batched_and_its_guidance_offered(window, qtbot, photo_folder):
    win = window  # the folder's model, "tiny", takes no hints
    open_folder(qtbot, win, photo_folder, thumbnails=False)
    win.select_path(photo_folder / "photo_00.png")
    _wait_preview(qtbot, win)
    assert not win.hint_mode_action.isEnabled()
    with qtbot.waitSignal(win.previewRefined, timeout=60000):
        _choose(win, ims.ImageSettings(model="tiny-guided"))
    assert "model tiny-guided" in win.preview_info.text()
    assert win.hint_mode_action.isEnabled()  # this image's model takes hints
    win.select_path(photo_folder / "photo_01.png")
    assert not win.hint_mode_action.isEnabled()
    win.select_path(photo_folder / "photo_00.png")
    with qtbot.waitSignal(win.batchFinished, timeout=120000) as blocker:
        win.colourise_selected()
    assert blocker.args[0].done == 1
    side = provenance.read_sidecar(photo_folder / "colourised" / "photo_00_colourised.png")
    assert side["model"]["name"] == "tiny-guided"
    assert list(win.colourisers.loaded) == ["tiny-guided"]  # loaded once, for the preview and the batch


def test_changing_an_image_already_colourised_says_how_to_redo_it(window, qtbot, photo_folder):
    win = window
    open_folder(qtbot, win, photo_folder, thumbnails=False)
    win.select_path(photo_folder / "photo_03.png")
    with qtbot.waitSignal(win.batchFinished, timeout=120000):
        win.colourise_selected()
    assert win.model.find(photo_folder / "photo_03.png").state == State.DONE
    _choose(win, ims.ImageSettings(working_size=128))
    msg = win.statusBar().currentMessage()
    assert "already colourised" in msg and "Re-run" in msg
    # still done (as after a hint change), and a second batch leaves it alone
    assert win.model.find(photo_folder / "photo_03.png").state == State.DONE
    with qtbot.waitSignal(win.batchFinished, timeout=120000) as blocker:
        win.colourise_selected()
    assert blocker.args[0].skipped == 1


def test_an_invalid_settings_file_is_never_overwritten(window, qtbot, photo_folder):
    (photo_folder / "colourised").mkdir()
    bad = photo_folder / "colourised" / ims.FILE_NAME
    bad.write_text('{"version": 1, "images": {"photo_00.png": {"working_size": 3}}}')
    open_folder(qtbot, window, photo_folder, thumbnails=False)
    window.select_path(photo_folder / "photo_01.png")
    _choose(window, ims.ImageSettings(working_size=128))
    assert "not saved" in window.statusBar().currentMessage() and "working_size" in window.statusBar().currentMessage()
    assert bad.read_text() == '{"version": 1, "images": {"photo_00.png": {"working_size": 3}}}'


def test_the_dialog(qtbot):
    models = [ModelChoice("tiny"), ModelChoice("tiny-guided", "guided", ("hints", "reference"))]
    dlg = ImageSettingsDialog(["a.png", "b.png"], ims.ImageSettings(working_size=512, vividness=1.5),
                              FolderDefaults(192, "tiny", 1.0, "guided"), models)
    qtbot.addWidget(dlg)
    assert dlg.windowTitle() == "Settings for 2 images"
    assert dlg.size_combo.itemText(0) == "Folder's (192 px)" and dlg.model_combo.itemText(0) == "Folder's (tiny)"
    assert len(dlg.help.text()) > 80 and "only" in dlg.help.text()
    assert dlg.settings() == ims.ImageSettings(working_size=512, vividness=1.5)
    dlg.model_combo.setCurrentIndex(dlg.model_combo.findData("tiny-guided"))
    dlg.upsampling_combo.setCurrentIndex(dlg.upsampling_combo.findData("bilinear"))
    assert dlg.settings() == ims.ImageSettings(512, "tiny-guided", 1.5, "bilinear")
    dlg.reset_button.click()
    assert dlg.settings().empty and not dlg.vividness_spin.isEnabled()


@pytest.mark.parametrize("key", ["image_settings_action", "reset_image_settings_action"])
def test_the_commands_are_in_the_menus(window, key):
    action = getattr(window, key)
    assert any(action in m.actions() for m in (a.menu() for a in window.menuBar().actions()) if m is not None)

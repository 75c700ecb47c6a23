"""Defects 2-9 of issue 12, each driven as the user met it (every test here failed before its fix)."""
from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from archcolour import settings as settings_mod
from archcolour.gui.models import State

from gui_helpers import open_folder, write_grey_photos


def _settle(qtbot, ms: int = 50) -> None:
    QApplication.processEvents()
    qtbot.wait(ms)


# -- 2: long texts elide, the window never grows, panes stay where the user put them ----------------
def test_long_summary_path_does_not_grow_the_window_or_move_panes(make_window, qtbot, tmp_path):
    win = make_window()
    win.resize(1000, 700)
    folder = tmp_path / "f"
    write_grey_photos(folder, 2)
    open_folder(qtbot, win, folder, thumbnails=False)
    deep = tmp_path.joinpath(*(["a_rather_long_folder_name_for_the_outputs"] * 8))
    win.export.output_edit.setText(str(deep))
    _settle(qtbot)
    win.splitter.setSizes([260, 500])
    _settle(qtbot)
    split, dock = win.splitter.sizes(), win.export_dock.width()
    with qtbot.waitSignal(win.batchFinished, timeout=60000):
        win.colourise_all()
    _settle(qtbot)
    assert str(deep) in win.batch_panel.summary.toolTip()  # the whole path is still there
    assert win.width() <= 1000
    assert win.splitter.sizes() == split and win.export_dock.width() == dock


def test_window_is_not_restored_wider_than_the_screen(make_window, qtbot):
    win = make_window(wait_engine=False)
    win.setMinimumWidth(0)
    win.resize(3000, 700)
    win.store_settings()
    s = win.settings
    again = make_window(settings_mod.Settings(window_geometry=s.window_geometry), wait_engine=False)
    screen = again.screen().availableGeometry()
    qtbot.waitUntil(lambda: again.frameGeometry().width() <= screen.width(), timeout=3000)


# -- 3: cancel is not an error; paused time is not elapsed time; a paused bar says so --------------
def test_cancel_is_reported_as_cancelled_not_as_errors(window, qtbot, tmp_path):
    folder = tmp_path / "many"
    write_grey_photos(folder, 10, size=(96, 72))
    open_folder(qtbot, window, folder, thumbnails=False)
    with qtbot.waitSignal(window.batchStarted):
        window.colourise_all()
    worker = window.batch
    worker.itemFinished.connect(lambda _r: worker.cancel(), Qt.DirectConnection)
    with qtbot.waitSignal(window.batchFinished, timeout=60000):
        pass
    panel = window.batch_panel
    assert panel.title.text() == "Cancelled"
    assert "c62828" not in panel.summary.styleSheet()


def test_paused_bar_says_paused_and_elapsed_time_leaves_pauses_out(window, qtbot, tmp_path):
    folder = tmp_path / "some"
    write_grey_photos(folder, 4)
    open_folder(qtbot, window, folder, thumbnails=False)
    t0 = time.perf_counter()
    with qtbot.waitSignal(window.batchStarted):
        window.colourise_all()
    with qtbot.waitSignal(window.batch.holding, timeout=30000):
        window.toggle_pause()
    assert window.batch_panel.title.text() == "Paused"
    qtbot.wait(2000)
    with qtbot.waitSignal(window.batchFinished, timeout=60000):
        window.toggle_pause()
    wall = time.perf_counter() - t0
    secs = float(re.search(r"in ([0-9.]+) s", window.batch_panel.summary.text()).group(1))
    assert secs < wall - 1.5


# -- 4: the device list holds what exists; a device that fails falls back, once, with a word -----
def test_device_list_offers_only_devices_that_exist(window):
    import torch

    keys = [window.export.device_combo.itemData(i) for i in range(window.export.device_combo.count())]
    assert keys[:2] == ["auto", "cpu"]
    assert ("cuda" in keys) == torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None)
    assert ("mps" in keys) == bool(mps is not None and mps.is_available())


def test_a_missing_device_falls_back_and_says_so(make_window, qtbot):
    import torch

    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")  # pragma: no cover - the CI machine has none
    win = make_window(settings_mod.Settings(device="cuda"))
    assert win.colouriser is not None and str(win.colouriser.device) == "cpu"
    assert win.engine_error is None and win.model_label.text() != "Model: not loaded"
    assert "CUDA" in win.statusBar().currentMessage() and "CPU" in win.statusBar().currentMessage()
    assert win.export.device == "auto"  # the next launch starts with a device that works


# -- 5: asking to quit pauses the batch ----------------------------------------------------------
def test_quit_question_pauses_the_batch_and_refusing_resumes(make_window, qtbot, tmp_path):
    win = make_window()
    write_grey_photos(tmp_path / "f", 6)
    open_folder(qtbot, win, tmp_path / "f", thumbnails=False)
    seen = []

    def ask():
        seen.append(win.batch.paused)
        return False

    win.confirm_stop_batch = ask
    with qtbot.waitSignal(win.batchFinished, timeout=60000) as blocker:
        win.colourise_all()
        assert win.close() is False
    assert seen == [True]
    assert not blocker.args[1] and blocker.args[0].done == 6


def test_quit_question_follows_the_batch_that_ends_meanwhile(make_window, qtbot, tmp_path):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    win = make_window()
    del win.confirm_stop_batch  # the real question this time
    write_grey_photos(tmp_path / "f", 2)
    open_folder(qtbot, win, tmp_path / "f", thumbnails=False)
    texts = []

    def answer():
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        texts.append(box.text())
        win.batch.resume()  # the batch ends while the question is on screen
        qtbot.waitUntil(lambda: win.batch is None, timeout=30000)
        texts.append(box.text())
        box.button(QMessageBox.Yes).click()

    with qtbot.waitSignal(win.batchStarted):
        win.colourise_all()
    QTimer.singleShot(100, answer)
    win.close()
    assert "is running" in texts[0]
    assert "finished" in texts[1] and "is running" not in texts[1]
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=10000)


# -- 6: colourising everything again keeps earlier results -----------------------------------------
def test_colourise_all_again_keeps_done_images_done(window, qtbot, photo_folder):
    open_folder(qtbot, window, photo_folder)
    with qtbot.waitSignal(window.batchFinished, timeout=60000):
        window.colourise_all()
    states, labels = [], []
    window.model.dataChanged.connect(lambda *_: states.append([e.state for e in window.model.entries()]))
    window.model.dataChanged.connect(lambda *_: labels.append(window.count_label.text()))
    with qtbot.waitSignal(window.batchFinished, timeout=60000) as blocker:
        window.colourise_all()
    assert blocker.args[0].skipped == 4
    assert all(s == State.DONE for row in states for s in row)
    assert all(e.state == State.DONE and e.thumb_is_output for e in window.model.entries())
    assert not any("skipped" in t for t in labels)


# -- 7: "Before" is the original scan -------------------------------------------------------------
def test_before_shows_the_original_toned_scan(window, qtbot, tmp_path):
    folder = tmp_path / "toned"
    folder.mkdir()
    grey = np.linspace(40, 220, 64 * 48).reshape(48, 64)
    sepia = np.stack([grey, grey * 0.85, grey * 0.62], -1).astype(np.uint8)
    Image.fromarray(sepia).save(folder / "toned.png")
    open_folder(qtbot, window, folder, thumbnails=False)
    if not window.compare.has_colour():
        with qtbot.waitSignal(window.previewReady, timeout=30000):
            pass
    before = window.compare.before_image()
    px = before.pixelColor(32, 24)
    assert px.red() > px.blue() + 20  # the toned print as scanned, not its grey L
    window.show_l_action.setChecked(True)  # the toggle shows what the network saw
    px = window.compare.before_image().pixelColor(32, 24)
    assert px.red() == px.green() == px.blue()


# -- 8: the small ones --------------------------------------------------------------------------
def test_output_folder_dialog_starts_beside_the_sources(window, qtbot, photo_folder, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    open_folder(qtbot, window, photo_folder, thumbnails=False)
    asked = {}

    def fake(parent, caption, start, options=QFileDialog.Option(0)):
        asked.update(start=start, options=options)
        return ""

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(fake))
    window.export.output_browse.click()
    assert Path(asked["start"]) == photo_folder
    assert not asked["options"] & QFileDialog.ReadOnly


def test_open_output_folder_without_a_file_manager_says_where(window, qtbot, photo_folder, monkeypatch):
    from PySide6.QtGui import QDesktopServices

    open_folder(qtbot, window, photo_folder, thumbnails=False)
    (photo_folder / "colourised").mkdir()
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda _url: False))
    window.open_output_folder()
    msg = window.statusBar().currentMessage()
    assert str(photo_folder / "colourised") in msg
    assert QApplication.clipboard().text() == str(photo_folder / "colourised")


def test_preview_info_names_the_image_being_computed(window, qtbot, photo_folder):
    open_folder(qtbot, window, photo_folder, thumbnails=False)
    first = photo_folder / "photo_00.png"
    if window.compare.has_colour() is False:
        with qtbot.waitSignal(window.previewReady, timeout=30000):
            pass
    assert first.name in window.preview_info.text()
    window.select_path(photo_folder / "photo_02.png")
    assert "photo_02.png" in window.preview_info.text() and first.name not in window.preview_info.text()


def test_fit_label_goes_when_the_view_is_panned(window, qtbot, photo_folder):
    open_folder(qtbot, window, photo_folder, thumbnails=False)
    with qtbot.waitSignal(window.previewReady, timeout=30000):
        window.select_path(photo_folder / "photo_01.png")
    view = window.compare
    view.fit()
    assert "(fit)" in window.zoom_label.text()
    x, y = view.width() // 4, view.height() // 2
    qtbot.mousePress(view, Qt.LeftButton, pos=QPoint(x, y))
    qtbot.mouseMove(view, QPoint(x + 30, y + 10))
    qtbot.mouseRelease(view, Qt.LeftButton, pos=QPoint(x + 30, y + 10))
    assert "(fit)" not in window.zoom_label.text()


def test_working_size_and_colour_quality_are_locked_during_a_batch(window, qtbot, tmp_path):
    write_grey_photos(tmp_path / "f", 4)
    open_folder(qtbot, window, tmp_path / "f", thumbnails=False)
    with qtbot.waitSignal(window.batchFinished, timeout=60000):
        window.colourise_all()
        assert not window.export.size_combo.isEnabled() and not window.export.ensemble_combo.isEnabled()
    assert window.export.size_combo.isEnabled() and window.export.ensemble_combo.isEnabled()


def test_images_from_the_command_line_are_not_called_dropped(qtbot, tmp_path):
    from archcolour.gui.app import create_window

    files = write_grey_photos(tmp_path / "loose", 2)
    win = create_window([str(f) for f in files], start_engine=False)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.folderLoaded, timeout=30000):
        win.show()
    assert "Dropped" not in win.folder_label.text()
    assert win.folder_label.text() == "2 single images"


def test_about_dialog_speaks_plainly_and_never_cuts_a_sentence(qtbot, tiny_models_dir, tmp_path, monkeypatch):
    import shutil

    from archcolour.engine import Colouriser
    from archcolour.gui.about import AboutDialog

    models = tmp_path / "models"
    shutil.copytree(tiny_models_dir, models)
    opening = " ".join(f"Sentence number {i} says something plain about the colours." for i in range(60))
    (models / "MODEL_CARD.md").write_text(
        "# Model card: tiny\n\n" + opening + "\n\nA second paragraph for the reader.\n\n## Models\n\n"
        "* A U-Net with batch norm + ReLU (`archcolour/nets/archunet.py`).\n", encoding="utf-8")
    monkeypatch.setenv("ARCHCOLOUR_MODELS", str(models))
    dlg = AboutDialog(Colouriser(device="cpu"), "Device: CPU")
    qtbot.addWidget(dlg)
    text = dlg.text.toPlainText()
    assert "batch norm" not in text and "archcolour/nets" not in text
    assert text.count("Model card") <= 1
    body = [ln.strip() for ln in text.splitlines() if "Sentence number" in ln]
    assert body and all(ln.endswith(".") for ln in body)


# -- 9: previews never hash and come fast, at screen size first ----------------------------------------
def test_preview_never_hashes_and_comes_at_screen_size_first(window, qtbot, tmp_path, monkeypatch):
    from archcolour import fsutil

    calls = []
    real = fsutil.sha256_file
    monkeypatch.setattr(fsutil, "sha256_file", lambda *a, **k: calls.append(a) or real(*a, **k))
    import archcolour.imageio as imageio_mod

    if hasattr(imageio_mod, "sha256_file"):
        monkeypatch.setattr(imageio_mod, "sha256_file", fsutil.sha256_file)
    folder = tmp_path / "big"
    folder.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (1500, 2000), dtype=np.uint8)).save(folder / "big.jpg", quality=90)
    window.resize(900, 700)
    sizes = []
    window.previewReady.connect(lambda _p: sizes.append(window.compare.colour_size()))
    open_folder(qtbot, window, folder, thumbnails=False)
    qtbot.waitUntil(lambda: len(sizes) >= 2, timeout=60000)  # fast, then refined
    assert calls == []
    first, refined = sizes[0], sizes[-1]
    assert max(first.width(), first.height()) <= 1000
    assert refined.width() > first.width()


# -- 1: "done" comes from the provenance, not the file name ---------------------------------------------
def test_same_name_from_another_folder_is_a_conflict_never_done(window, qtbot, tmp_path):
    out = tmp_path / "shared_out"
    a, b = tmp_path / "collection_a", tmp_path / "collection_b"
    write_grey_photos(a, 1, seed=1)
    write_grey_photos(b, 1, seed=2)  # another photograph, the same file name photo_00.png
    window.export.output_edit.setText(str(out))
    open_folder(qtbot, window, a, thumbnails=False)
    with qtbot.waitSignal(window.batchFinished, timeout=60000):
        window.colourise_all()
    made = out / "photo_00_colourised.png"
    first = made.read_bytes()
    open_folder(qtbot, window, b, thumbnails=False)
    e = window.model.entries()[0]
    assert e.state == State.CONFLICT and e.state.label != "Colourised" and "another photograph" in e.message
    assert not e.thumb_is_output
    with qtbot.waitSignal(window.batchFinished, timeout=60000) as blocker:
        window.colourise_all()  # Skip: left alone
    assert blocker.args[0].done == 0 and made.read_bytes() == first
    assert window.model.entries()[0].state == State.CONFLICT
    window.export.overwrite_radio.setChecked(True)  # Overwrite redoes this photograph's outputs only
    with qtbot.waitSignal(window.batchFinished, timeout=60000):
        window.colourise_all()
    assert made.read_bytes() == first
    window.batches.confirm_replace = lambda n, names: n == 1 and "photo_00_colourised.png" in names
    with qtbot.waitSignal(window.batchFinished, timeout=60000) as blocker:
        window.batches.replace_conflicts(window.model.entries())  # the explicit choice
    assert blocker.args[0].done == 1 and made.read_bytes() != first
    assert window.model.entries()[0].state == State.DONE

"""Hint mode, the reference chooser and vividness in the window, down to the batch's sidecars.

The fixture model "tiny-guided" takes hints and a reference but is barely trained on them: these tests
check the plumbing (files, undo, what the preview and the batch are given), not the colour.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt

from archcolour import settings as settings_mod
from archcolour.gui import hints_store as hs

from gui_helpers import open_folder


@pytest.fixture
def guided_window(make_window):
    s = settings_mod.load_settings()
    s.model = "tiny-guided"
    return make_window(s)


def _wait_preview(qtbot, win):
    qtbot.waitUntil(lambda: win.compare.has_colour() and win.compare._busy_text == "", timeout=30000)


def _at(win, x: float, y: float) -> QPoint:
    r = win.compare.image_rect_in(win.compare.pane_rects()[0])
    return QPointF(r.left() + x * r.width(), r.top() + y * r.height()).toPoint()


def _file_points(folder: Path, key: str) -> list:
    f = folder / "colourised" / hs.HINTS_NAME
    if not f.exists():
        return []
    return json.loads(f.read_text())["images"].get(key, {}).get("points", [])


def test_hint_mode_add_move_delete_undo_redo_clear(guided_window, qtbot, photo_folder):
    win = guided_window
    open_folder(qtbot, win, photo_folder)
    _wait_preview(qtbot, win)
    assert win.hint_mode_action.isEnabled()
    ov = win.guidance.overlay
    qtbot.keyClick(win.list_view, Qt.Key_H)  # H toggles hint mode wherever the focus is
    assert win.hint_mode_action.isChecked() and ov.active
    win.guidance.set_colour("#c02010")

    with qtbot.waitSignal(win.previewReady, timeout=30000):  # the preview recomputes with the hint
        qtbot.mouseClick(ov, Qt.LeftButton, pos=_at(win, 0.25, 0.5))
    pts = _file_points(photo_folder, "photo_00.png")
    assert len(pts) == 1 and pts[0]["colour"] == "#c02010"
    assert pts[0]["x"] == pytest.approx(0.25, abs=0.03) and pts[0]["y"] == pytest.approx(0.5, abs=0.03)
    assert win.guidance.preview_guide(photo_folder / "photo_00.png").hints[0].a > 30
    assert not any(p.name == hs.HINTS_NAME for p in photo_folder.iterdir())  # never beside the sources

    # a second point, then drag the first one
    qtbot.mouseClick(ov, Qt.LeftButton, pos=_at(win, 0.75, 0.25))
    qtbot.mousePress(ov, Qt.LeftButton, pos=_at(win, 0.25, 0.5))
    qtbot.mouseMove(ov, _at(win, 0.5, 0.75))
    qtbot.mouseRelease(ov, Qt.LeftButton, pos=_at(win, 0.5, 0.75))
    pts = _file_points(photo_folder, "photo_00.png")
    assert len(pts) == 2 and pts[0]["x"] == pytest.approx(0.5, abs=0.03) and pts[0]["y"] == pytest.approx(0.75, abs=0.03)
    assert ov.selected == 0

    qtbot.keyClick(ov, Qt.Key_Delete)  # the selected (moved) point goes
    pts = _file_points(photo_folder, "photo_00.png")
    assert len(pts) == 1 and pts[0]["x"] == pytest.approx(0.75, abs=0.03)

    qtbot.keyClick(ov, Qt.Key_Z, Qt.ControlModifier)  # undo the delete
    assert len(_file_points(photo_folder, "photo_00.png")) == 2
    qtbot.keyClick(ov, Qt.Key_Z, Qt.ControlModifier)  # undo the move
    assert _file_points(photo_folder, "photo_00.png")[0]["x"] == pytest.approx(0.25, abs=0.03)
    qtbot.keyClick(ov, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)  # redo the move
    assert _file_points(photo_folder, "photo_00.png")[0]["x"] == pytest.approx(0.5, abs=0.03)
    assert len(ov.points) == 2

    win.guidance.clear_hints()
    assert _file_points(photo_folder, "photo_00.png") == [] and ov.points == []
    win.undo_hint_action.trigger()
    assert len(_file_points(photo_folder, "photo_00.png")) == 2

    # another image has its own hints and its own undo history
    with qtbot.waitSignal(win.previewReady, timeout=30000):
        win.step(1)
    assert ov.points == [] and not win.undo_hint_action.isEnabled()
    with qtbot.waitSignal(win.previewReady, timeout=30000):
        win.step(-1)
    assert len(ov.points) == 2 and win.undo_hint_action.isEnabled()

    qtbot.keyClick(win.list_view, Qt.Key_H)
    assert not ov.active
    ov_clicks_through = ov.testAttribute(Qt.WA_TransparentForMouseEvents)
    assert ov_clicks_through  # outside hint mode the view pans and drags the divider as before


def test_hints_and_guidance_are_loaded_when_the_folder_opens(make_window, qtbot, photo_folder, tmp_path):
    out = photo_folder / "colourised"
    out.mkdir()
    (out / hs.HINTS_NAME).write_text(json.dumps({"version": 1, "images": {"photo_00.png": {"points": [
        {"x": 0.3, "y": 0.4, "colour": "#00aa00"}]}}}))
    ref = tmp_path / "today.png"
    Image.fromarray(np.full((40, 60, 3), (200, 60, 30), np.uint8)).save(ref)
    hs.write_guidance(out, hs.FolderGuidance(ref, 0.5))
    s = settings_mod.load_settings()
    s.model = "tiny-guided"
    win = make_window(s)
    open_folder(qtbot, win, photo_folder)
    _wait_preview(qtbot, win)
    g = win.guidance
    assert g.overlay.points == [{"x": 0.3, "y": 0.4, "colour": "#00aa00"}]
    assert g.reference_path == ref and g.reference is not None and g.reference.name == "today.png"
    assert g.panel.vividness == 0.5
    assert not g.panel.thumb.image.isNull()
    assert "today.png" in g.panel.ref_name.text()


def test_reference_chooser_eyedropper_vividness(guided_window, qtbot, photo_folder, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    win = guided_window
    open_folder(qtbot, win, photo_folder)
    _wait_preview(qtbot, win)
    ref = tmp_path / "today.png"
    arr = np.zeros((50, 100, 3), np.uint8)
    arr[:, :50] = (20, 90, 200)  # left half blue, right half orange
    arr[:, 50:] = (230, 140, 20)
    Image.fromarray(arr).save(ref)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(ref), "")))
    g = win.guidance
    with qtbot.waitSignal(win.previewReady, timeout=30000):
        g.panel.choose_ref_button.click()
    assert g.reference is not None and g.reference.sha256 and g.panel.thumb.image.width() == 100
    assert g.preview_guide(photo_folder / "photo_00.png").reference is not None
    saved = hs.read_guidance(photo_folder / "colourised")
    assert saved.reference == ref

    # eyedropper: a click on the thumbnail's right half takes orange for the next hint
    g.panel.eyedropper_button.click()
    assert g.panel.thumb.picking
    fw = g.panel.thumb.frameWidth()
    qtbot.mouseClick(g.panel.thumb, Qt.LeftButton, pos=QPoint(75 + fw, 25 + fw))
    assert g.overlay.current_colour == "#e68c14"
    assert not g.panel.eyedropper_button.isChecked()

    with qtbot.waitSignal(win.previewReady, timeout=30000):
        g.panel.vividness_slider.setValue(150)
    assert g.vividness == 1.5 and hs.read_guidance(photo_folder / "colourised").vividness == 1.5

    with qtbot.waitSignal(win.previewReady, timeout=30000):
        g.panel.clear_ref_button.click()
    assert g.reference is None and g.panel.thumb.image.isNull()
    assert hs.read_guidance(photo_folder / "colourised").reference is None


def test_batch_uses_saved_hints_reference_and_vividness(guided_window, qtbot, photo_folder, tmp_path):
    win = guided_window
    open_folder(qtbot, win, photo_folder)
    _wait_preview(qtbot, win)
    g = win.guidance
    ref = tmp_path / "today.png"
    Image.fromarray(np.full((40, 60, 3), (40, 160, 60), np.uint8)).save(ref)
    g.set_reference(ref)
    g.panel.set_vividness(1.25)
    g._vividness_settled()
    win.hint_mode_action.setChecked(True)
    g.set_colour("#2040d0")
    qtbot.mouseClick(g.overlay, Qt.LeftButton, pos=_at(win, 0.5, 0.5))
    assert len(_file_points(photo_folder, "photo_00.png")) == 1

    with qtbot.waitSignal(win.batchFinished, timeout=120000):
        win.colourise_all()
    out = photo_folder / "colourised"
    side = json.loads((out / "photo_00_colourised.png.json").read_text())
    gd = side["guidance"]
    assert len(gd["hints"]) == 1 and gd["hints"][0]["x"] == pytest.approx(0.5, abs=0.03)
    assert gd["vividness"] == 1.25
    assert gd["reference"]["name"] == "today.png" and gd["reference"]["sha256"] == g.reference.sha256
    other = json.loads((out / "photo_01_colourised.png.json").read_text())
    assert other["guidance"]["hints"] == [] and other["guidance"]["reference"]["name"] == "today.png"


def test_controls_disabled_with_a_reason_when_the_model_takes_no_guidance(window, qtbot, photo_folder):
    win = window  # the default fixture model "tiny" takes neither hints nor a reference
    open_folder(qtbot, win, photo_folder)
    g = win.guidance
    assert not win.hint_mode_action.isEnabled() and not g.panel.hints_box.isEnabled()
    assert "does not take colour hints" in g.panel.hints_box.toolTip()
    assert not g.panel.ref_box.isEnabled() and "does not take a reference" in g.panel.ref_box.toolTip()
    assert g.panel.vividness_slider.isEnabled()  # vividness works with any model
    qtbot.keyClick(win.list_view, Qt.Key_H)
    assert not g.overlay.active


def test_a_hint_edit_keeps_the_colour_on_show_and_reads_the_scan_once(guided_window, qtbot, photo_folder,
                                                                      monkeypatch):
    from archcolour.gui import preview_source

    win = guided_window
    open_folder(qtbot, win, photo_folder)
    _wait_preview(qtbot, win)
    reads = []
    real = preview_source.load_preview_source
    monkeypatch.setattr(preview_source, "load_preview_source", lambda *a, **k: reads.append(a) or real(*a, **k))
    win.hint_mode_action.setChecked(True)
    cleared = []
    win.greyShown.connect(lambda _p: cleared.append(not win.compare.has_colour()))
    with qtbot.waitSignal(win.previewReady, timeout=30000):
        qtbot.mouseClick(win.guidance.overlay, Qt.LeftButton, pos=_at(win, 0.5, 0.5))
    assert reads == [] and cleared == [False]  # no re-read, and the last colour stayed until the new one


def test_hints_of_images_added_one_by_one_reach_the_batch(guided_window, qtbot, photo_folder):
    win = guided_window
    files = sorted(photo_folder.glob("*.png"))[:2]
    with qtbot.waitSignal(win.folderLoaded, timeout=30000):
        win.add_paths(files)
    win.select_path(files[1])
    _wait_preview(qtbot, win)
    win.hint_mode_action.setChecked(True)
    qtbot.mouseClick(win.guidance.overlay, Qt.LeftButton, pos=_at(win, 0.4, 0.6))
    assert len(_file_points(photo_folder, files[1].name)) == 1  # keyed by its name: no opened folder
    with qtbot.waitSignal(win.batchFinished, timeout=120000):
        win.colourise_all()
    out = photo_folder / "colourised"
    hinted = json.loads((out / f"{files[1].stem}_colourised.png.json").read_text())["guidance"]["hints"]
    assert len(hinted) == 1 and hinted[0]["x"] == pytest.approx(0.4, abs=0.03)
    plain = json.loads((out / f"{files[0].stem}_colourised.png.json").read_text())
    assert not (plain.get("guidance") or {}).get("hints")

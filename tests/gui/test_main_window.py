"""The main window driven like a user would: open, drop, select, preview, batch, cancel, close, settings."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from archcolour import settings as settings_mod
from archcolour.gui.models import State

from gui_helpers import open_folder, write_grey_photos

ROOT = Path(__file__).resolve().parents[2]


def outputs_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def assert_no_partial_files(out_dir: Path) -> None:
    """Only finished outputs (readable images) and their provenance files; no temporary leftovers."""
    from archcolour import provenance

    for p in outputs_in(out_dir):
        if p.name == getattr(provenance, "LOCK_NAME", None) or (p.name.startswith(".archcolour")
                                                                and p.name.endswith(".lock")):
            continue  # the output folder's lock files (empty, kept)
        assert not p.name.startswith("."), p
        assert not p.name.endswith((".tmp", ".part")), p
        if p.suffix.lower() in (".png", ".jpg", ".tif"):
            with Image.open(p) as im:
                im.load()  # a truncated file would fail here


# -- opening --------------------------------------------------------------------------------------
def test_open_folder_lists_images_with_thumbnails(window, qtbot, photo_folder, _config_dir):
    open_folder(qtbot, window, photo_folder)
    entries = window.model.entries()
    assert [e.source.name for e in entries] == [f"photo_{i:02d}.png" for i in range(4)]
    assert all(e.state == State.PENDING for e in entries)
    assert all(e.thumb is not None and not e.thumb.isNull() for e in entries)
    assert max(entries[0].thumb.width(), entries[0].thumb.height()) <= 160
    assert list((_config_dir / "cache" / "thumbnails").rglob("*.png")), "thumbnails are cached on disk"
    assert window.folder_label.text() == "archive"
    assert "4 images" in window.count_label.text()
    # the first image is selected and previewed
    assert window.list_view.currentIndex().row() == 0
    assert window.settings.recent_folders[0] == str(photo_folder)
    assert window.recent_menu.actions()[0].text() == str(photo_folder)


def test_sub_folders_option(window, qtbot, photo_folder):
    write_grey_photos(photo_folder / "trench_b", 2, seed=5)
    open_folder(qtbot, window, photo_folder, thumbnails=False)
    assert window.model.rowCount() == 4
    with qtbot.waitSignal(window.folderLoaded, timeout=30000):
        window.sub_check.setChecked(True)
    names = [e.display_name for e in window.model.entries()]
    assert len(names) == 6 and str(Path("trench_b") / "photo_00.png") in names


def _drop(window, paths: list[Path]) -> bool:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(window.width() / 2, window.height() / 2)
    enter = QDragEnterEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window, drop)
    return drop.isAccepted()


def test_drop_single_images_then_a_folder(window, qtbot, tmp_path):
    loose = write_grey_photos(tmp_path / "loose", 3, seed=7)
    with qtbot.waitSignal(window.folderLoaded, timeout=30000):
        assert _drop(window, loose[:2])
    assert [e.source for e in window.model.entries()] == loose[:2]
    assert all(e.root is None for e in window.model.entries())
    with qtbot.waitSignal(window.folderLoaded, timeout=30000):
        assert _drop(window, [loose[2], loose[0]])  # adds the new one, no duplicates
    assert window.model.rowCount() == 3
    folder = tmp_path / "other"
    write_grey_photos(folder, 2, seed=9)
    with qtbot.waitSignal(window.folderLoaded, timeout=30000):
        assert _drop(window, [folder])  # one folder alone is opened
    assert window.folder == folder
    assert [e.root for e in window.model.entries()] == [folder, folder]


def test_drop_ignores_non_file_urls(window):
    mime = QMimeData()
    mime.setText("just text")
    ev = QDragEnterEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window, ev)
    assert not ev.isAccepted()


# -- preview -----------------------------------------------------------------------------------------
def test_select_shows_preview_and_divider_drag(window, qtbot, photo_folder):
    open_folder(qtbot, window, photo_folder)
    target = photo_folder / "photo_02.png"
    with qtbot.waitSignal(window.previewReady, timeout=30000,
                          check_params_cb=lambda p: Path(p) == target) as blocker:
        window.select_path(target)
    assert blocker.args == [str(target)]
    view = window.compare
    assert view.has_image() and view.has_colour()
    assert "working size" in window.preview_info.text()
    # grey left of the divider, colour right of it (the sky of these scenes gets colour)
    img = view.grab().toImage()
    r = view.image_rect_in(view.pane_rects()[0])
    y = int(r.top() + 3)
    left = img.pixelColor(int(view.divider_x() - 20), y)
    right = img.pixelColor(int(view.divider_x() + 20), y)
    assert left.red() == left.green() == left.blue()
    assert len({right.red(), right.green(), right.blue()}) > 1
    # drag the divider to a quarter of the width
    x = round(view.divider_x())
    cy = view.height() // 2
    with qtbot.waitSignal(view.dividerMoved):
        qtbot.mousePress(view, Qt.LeftButton, pos=QPoint(x, cy))
        qtbot.mouseMove(view, QPoint(view.width() // 4, cy))
        qtbot.mouseRelease(view, Qt.LeftButton, pos=QPoint(view.width() // 4, cy))
    assert view.divider == pytest.approx(0.25, abs=0.01)
    px = view.grab().toImage().pixelColor(int(view.divider_x() + 20), y)
    assert len({px.red(), px.green(), px.blue()}) > 1  # was grey before the drag


def test_switching_images_drops_stale_previews(window, qtbot, photo_folder):
    open_folder(qtbot, window, photo_folder)
    shown = []
    window.previewReady.connect(shown.append)
    last = photo_folder / "photo_03.png"
    with qtbot.waitSignal(window.previewReady, timeout=30000, check_params_cb=lambda p: Path(p) == last):
        window.select_path(photo_folder / "photo_01.png")
        window.select_path(photo_folder / "photo_02.png")
        window.select_path(last)
    assert shown == [str(last)]
    # back to an image already previewed: served from the cache at once
    with qtbot.waitSignal(window.previewReady, timeout=1000):
        window.select_path(photo_folder / "photo_00.png")
    with qtbot.waitSignal(window.previewReady, timeout=1000):
        window.select_path(last)


def test_working_size_change_recomputes_preview(window, qtbot, photo_folder):
    open_folder(qtbot, window, photo_folder)
    with qtbot.waitSignal(window.previewReady, timeout=30000):
        window.select_path(photo_folder / "photo_01.png")
    with qtbot.waitSignal(window.previewReady, timeout=30000):
        window.export.size_combo.setCurrentIndex(window.export.size_combo.findData(128))
    assert "working size 128 px" in window.preview_info.text()


def test_colour_quality_offers_every_ensemble_in_the_choices_table(window):
    from archcolour.choices import DEFAULT_ENSEMBLE, ENSEMBLES
    from archcolour.gui.panels import ENSEMBLE_LABELS

    combo = window.export.ensemble_combo
    assert [combo.itemData(i) for i in range(combo.count())] == list(ENSEMBLES)
    assert set(ENSEMBLE_LABELS) == set(ENSEMBLES)  # a word for each, keyed by the table's names
    assert combo.itemText(combo.findData("none")) == "Fast: one look"
    assert window.export.ensemble == DEFAULT_ENSEMBLE == "full"
    assert "6.7" in combo.toolTip() and "slower" in combo.toolTip()  # what it does and what it costs
    assert window.export_colourisers().base.ensemble == "full"


def test_colour_quality_change_recomputes_the_preview_with_that_ensemble(window, qtbot, photo_folder):
    open_folder(qtbot, window, photo_folder)
    with qtbot.waitSignal(window.previewRefined, timeout=30000):
        window.select_path(photo_folder / "photo_01.png")
    asked = []
    request = window.previews.worker.request
    window.previews.worker.request = lambda req: (asked.append(req), request(req))[1]
    combo = window.export.ensemble_combo
    with qtbot.waitSignal(window.previewRefined, timeout=30000):
        combo.setCurrentIndex(combo.findData("none"))  # "Fast: one look"
    # computed again (not served from the cache) with the one-look colouriser
    assert asked and {r.colouriser.base.ensemble for r in asked} == {"none"}
    assert window.previews._colouriser().base.ensemble == "none"
    # back to Best: the preview computed with the full ensemble is still cached, and shown at once
    n = len(asked)
    with qtbot.waitSignal(window.previewRefined, timeout=1000):
        combo.setCurrentIndex(combo.findData("full"))
    assert len(asked) == n and window.previews._colouriser().base.ensemble == "full"


def test_colour_quality_change_requests_the_preview_once(window, qtbot, photo_folder):
    open_folder(qtbot, window, photo_folder)
    with qtbot.waitSignal(window.previewRefined, timeout=30000):
        window.select_path(photo_folder / "photo_01.png")
    worker = window.previews.worker
    request = worker.request
    asked = []
    worker.request = asked.append  # held until the outputs are planned again (whatever finishes first)
    combo = window.export.ensemble_combo
    with qtbot.waitSignal(window.folderLoaded, timeout=30000):  # the output choices' scan is applied
        combo.setCurrentIndex(combo.findData("none"))
    assert [r.colouriser.base.ensemble for r in asked] == ["none"]  # one request, not a second one after the scan
    with qtbot.waitSignal(window.previewRefined, timeout=30000):
        request(asked[0])
    assert len(asked) == 1 and window.compare.has_colour()


def test_the_info_line_names_the_output_after_the_output_choices_change(window, qtbot, photo_folder):
    open_folder(qtbot, window, photo_folder)
    target = photo_folder / "photo_01.png"
    with qtbot.waitSignal(window.previewRefined, timeout=30000):
        window.select_path(target)
    with qtbot.waitSignal(window.batchFinished, timeout=60000):
        window.colourise_all()
    assert "output photo_01_colourised.png" in window.preview_info.text()
    asked = []
    request = window.previews.worker.request
    window.previews.worker.request = lambda req: (asked.append(req), request(req))[1]
    fmt = window.export.format_combo
    with qtbot.waitSignal(window.folderLoaded, timeout=30000):  # JPEG: no output of that name exists yet
        fmt.setCurrentIndex(fmt.findData("jpg"))
    assert window.model.find(target).output.name == "photo_01_colourised.jpg"
    text = window.preview_info.text()
    assert text.startswith("photo_01.png") and " · output " not in text
    assert asked == []  # the format does not change the preview: the cached one, and its info line again


def test_the_info_line_says_which_colour_quality_the_preview_on_show_used(window, qtbot, tmp_path):
    from archcolour.gui.panels import ENSEMBLE_LABELS, ensemble_word

    # big enough for two passes: the first (one look) at the view's size, the refined one at full size
    write_grey_photos(tmp_path / "big", 1, size=(1200, 900))
    open_folder(qtbot, window, tmp_path / "big", thumbnails=False)
    target = tmp_path / "big" / "photo_00.png"
    shown = []
    window.previewReady.connect(lambda _p: shown.append(window.preview_info.text()))
    with qtbot.waitSignal(window.previewRefined, timeout=60000):
        window.select_path(target)
    best, fast = ensemble_word("full"), ensemble_word("none")
    assert (best, fast) == (ENSEMBLE_LABELS["full"].split(":")[0], ENSEMBLE_LABELS["none"].split(":")[0]) == ("Best", "Fast")
    assert window.export.ensemble == "full" and len(shown) == 2
    assert f"colour quality “{fast}” for now, “{best}” follows" in shown[0] and "refining" in shown[0]
    assert f"colour quality “{best}”" in shown[1] and fast not in shown[1]
    # Fast: one pass after another, both one look; the line says so, not the ensemble
    shown.clear()
    combo = window.export.ensemble_combo
    with qtbot.waitSignal(window.previewRefined, timeout=60000):
        combo.setCurrentIndex(combo.findData("none"))
    assert shown and all(f"colour quality “{fast}”" in t and best not in t for t in shown)
    # back to Best, from the cache: the refined colour, and the words for it
    with qtbot.waitSignal(window.previewRefined, timeout=1000):
        combo.setCurrentIndex(combo.findData("full"))
    assert f"colour quality “{best}”" in window.preview_info.text() and fast not in window.preview_info.text()


@pytest.mark.parametrize("ensemble", ["none", "mirror"])
def test_a_batch_runs_with_the_colour_quality_chosen_and_its_outputs_record_it(window, qtbot, photo_folder, ensemble):
    from archcolour.provenance import read_provenance

    open_folder(qtbot, window, photo_folder, thumbnails=False)
    combo = window.export.ensemble_combo
    combo.setCurrentIndex(combo.findData(ensemble))
    with qtbot.waitSignal(window.batchFinished, timeout=60000) as blocker:
        window.colourise_all()
        assert window.batches.worker.colouriser.base.ensemble == ensemble
    assert blocker.args[0].done == 4
    outs = sorted((photo_folder / "colourised").glob("*_colourised.png"))
    assert len(outs) == 4
    assert {read_provenance(p)["engine"]["ensemble"] for p in outs} == {ensemble}


# -- uncertain colour ------------------------------------------------------------------------------
def _after_row(view) -> list[str]:
    """The colours along a row through the middle of the image, right of the divider (moved to the left)."""
    img = view.grab().toImage()
    r = view.image_rect_in(view.pane_rects()[0])
    y = int(r.center().y()) - 3  # off the divider's handle
    return [img.pixelColor(x, y).name() for x in range(int(r.left()) + 30, int(r.right()) - 2)]


def test_show_uncertain_colour_hatches_the_preview_s_colour_and_is_cached_with_it(window, qtbot, photo_folder,
                                                                                 monkeypatch):
    from archcolour.gui import workers
    from archcolour.gui.preview_controller import UNCERTAIN_MEANING

    # any disagreement at all gets the whole pattern (the tiny test model's looks disagree only a little)
    monkeypatch.setattr(workers, "UNCERTAIN_FROM", 0.0)
    monkeypatch.setattr(workers, "UNCERTAIN_FULL", 1e-6)
    open_folder(qtbot, window, photo_folder)
    target = photo_folder / "photo_01.png"
    with qtbot.waitSignal(window.previewRefined, timeout=30000, check_params_cb=lambda p: Path(p) == target):
        window.select_path(target)
    a = window.uncertain_action
    assert a.isCheckable() and a.isEnabled() and not a.isChecked()
    view_menu = next(m.menu() for m in window.menuBar().actions() if m.text() == "&View")
    assert a in view_menu.actions() and a in window.preview_bar.actions()  # beside the other view toggles
    view = window.compare
    assert view.has_doubt() and not view.show_doubt  # the worker made the mask; off by default
    view.set_divider(0.05)
    plain = _after_row(view)
    qtbot.keyClick(window, Qt.Key_U, Qt.ControlModifier)  # Ctrl+U
    assert a.isChecked() and view.show_doubt
    assert view.labels[1] == "After (hatched: uncertain colour)"
    assert f"{UNCERTAIN_MEANING} (" in window.preview_info.text() and "% of the image)" in window.preview_info.text()
    shown = _after_row(view)
    assert sum(p != q for p, q in zip(plain, shown)) > len(plain) // 4  # the hatch is on show
    a.setChecked(False)
    assert _after_row(view) == plain and view.labels[1] == "After" and UNCERTAIN_MEANING not in window.preview_info.text()
    # cached with the preview: another image, then back to this one from the cache, mask and all
    a.setChecked(True)
    asked = []
    request = window.previews.worker.request
    window.previews.worker.request = lambda req: (asked.append(req.path), request(req))[1]
    with qtbot.waitSignal(window.previewRefined, timeout=30000):
        window.select_path(photo_folder / "photo_02.png")
    with qtbot.waitSignal(window.previewRefined, timeout=1000):
        window.select_path(target)
    assert asked == [photo_folder / "photo_02.png"]
    assert view.has_doubt() and _after_row(view) == shown


def test_show_uncertain_colour_is_disabled_and_says_why_for_one_look_and_for_mirror(window, qtbot, photo_folder):
    from archcolour.gui.preview_controller import UNCERTAIN_MEANING

    open_folder(qtbot, window, photo_folder)
    with qtbot.waitSignal(window.previewRefined, timeout=30000):
        window.select_path(photo_folder / "photo_01.png")
    a = window.uncertain_action
    a.setChecked(True)
    button = window.preview_bar.widgetForAction(a)
    combo = window.export.ensemble_combo
    with qtbot.waitSignal(window.previewRefined, timeout=30000):
        combo.setCurrentIndex(combo.findData("none"))  # Fast: one look
    assert not a.isEnabled() and a.isChecked()  # the choice is kept for when it applies again
    assert "“Fast”" in a.toolTip() and "one look" in a.toolTip() and "“Best”" in a.toolTip()
    assert button.toolTip() == a.toolTip() and not button.isEnabled()
    view = window.compare
    assert not view.show_doubt and not view.has_doubt() and view.labels[1] == "After"
    assert UNCERTAIN_MEANING not in window.preview_info.text()
    with qtbot.waitSignal(window.previewRefined, timeout=30000):
        combo.setCurrentIndex(combo.findData("mirror"))  # two looks, but nothing toned down
    assert not a.isEnabled() and "“Mirror”" in a.toolTip() and "without toning" in a.toolTip()
    assert not view.show_doubt and not view.has_doubt()
    with qtbot.waitSignal(window.previewRefined, timeout=1000):  # Best again, from the cache
        combo.setCurrentIndex(combo.findData("full"))
    assert a.isEnabled() and view.show_doubt and view.has_doubt() and "Ctrl+U" in a.toolTip()
    assert view.labels[1] == "After (hatched: uncertain colour)" and UNCERTAIN_MEANING in window.preview_info.text()


# -- batches ---------------------------------------------------------------------------------------
def test_colourise_all(window, qtbot, photo_folder):
    open_folder(qtbot, window, photo_folder)
    with qtbot.waitSignal(window.batchFinished, timeout=60000) as blocker:
        window.colourise_all()
    summary, cancelled = blocker.args
    assert not cancelled and (summary.done, summary.skipped, summary.failed) == (4, 0, 0)
    if window.thumbs.busy:  # thumbnails of the outputs replace the grey ones
        with qtbot.waitSignal(window.thumbs.idle, timeout=30000):
            pass
    out_dir = photo_folder / "colourised"
    made = sorted(p.name for p in out_dir.glob("*.png"))
    assert made == [f"photo_{i:02d}_colourised.png" for i in range(4)]
    for e in window.model.entries():
        assert e.state == State.DONE and e.output.exists() and e.thumb_is_output
    with Image.open(out_dir / "photo_00_colourised.png") as im:
        assert im.mode == "RGB" and im.size == (64, 48)
    from archcolour.provenance import read_provenance

    assert read_provenance(out_dir / "photo_00_colourised.png")["engine"]["ensemble"] == "full"  # the default
    assert window.batch_panel.bar.value() == 4
    assert "4 colourised" in window.batch_panel.summary.text()
    assert_no_partial_files(out_dir)
    # a second run skips what exists
    with qtbot.waitSignal(window.batchFinished, timeout=60000) as blocker:
        window.colourise_all()
    assert blocker.args[0].skipped == 4
    assert all(e.state == State.DONE for e in window.model.entries())  # they stay colourised


def test_a_batch_waits_while_a_preview_is_computed(window, qtbot, photo_folder):
    open_folder(qtbot, window, photo_folder)
    gate = window.previews.worker.gate
    qtbot.waitUntil(lambda: not gate.closed, timeout=60000)  # the first image's preview is done
    gate.max_hold_s = 600
    gate.close()  # as the preview worker does from a request until it is idle again
    window.colourise_all()
    assert window.batches.worker.colouriser.base._gate is gate  # the batch is given gated colourisers
    qtbot.waitUntil(lambda: gate.waiting >= 1, timeout=60000)
    assert not list((photo_folder / "colourised").glob("*.png"))  # held before its network
    with qtbot.waitSignal(window.batchFinished, timeout=60000) as blocker:
        gate.open()
    assert blocker.args[0].done == 4


def test_the_batch_runs_at_the_window_s_priority(window, qtbot, photo_folder, monkeypatch):
    """A nicer batch thread is descheduled by other programs while it holds the GIL, and the window waits
    with it: previews get the cores by the batch waiting for them (the preview gate) instead."""
    import os
    import threading

    from archcolour.batch import run as run_mod

    seen = []
    real = run_mod.process_item
    monkeypatch.setattr(run_mod, "process_item", lambda *a, **k: seen.append(
        os.getpriority(os.PRIO_PROCESS, threading.get_native_id())) or real(*a, **k))
    open_folder(qtbot, window, photo_folder)
    with qtbot.waitSignal(window.batchFinished, timeout=60000):
        window.colourise_all()
    assert seen and set(seen) == {os.getpriority(os.PRIO_PROCESS, threading.get_native_id())}


def test_colourise_selection_as_jpeg_into_chosen_folder(window, qtbot, photo_folder, tmp_path):
    open_folder(qtbot, window, photo_folder)
    out = tmp_path / "exports"
    window.export.output_edit.setText(str(out))
    window.export.format_combo.setCurrentIndex(window.export.format_combo.findData("jpg"))
    window.export.quality_spin.setValue(70)
    lv = window.list_view
    sm = lv.selectionModel()
    sm.select(window.model.index(1), sm.SelectionFlag.ClearAndSelect)
    sm.select(window.model.index(3), sm.SelectionFlag.Select)
    with qtbot.waitSignal(window.batchFinished, timeout=60000):
        window.colourise_selected()
    assert sorted(p.name for p in out.glob("*.jpg")) == ["photo_01_colourised.jpg", "photo_03_colourised.jpg"]
    assert not (photo_folder / "colourised").exists()
    states = [e.state for e in window.model.entries()]
    assert states == [State.PENDING, State.DONE, State.PENDING, State.DONE]


def test_sixteen_bit_tiff(window, qtbot, photo_folder):
    tifffile = pytest.importorskip("tifffile")
    open_folder(qtbot, window, photo_folder, thumbnails=False)
    window.export.format_combo.setCurrentIndex(window.export.format_combo.findData("tif"))
    window.select_path(photo_folder / "photo_00.png")
    with qtbot.waitSignal(window.batchFinished, timeout=60000):
        window.colourise_selected()
    arr = tifffile.imread(photo_folder / "colourised" / "photo_00_colourised.tif")
    assert arr.dtype == np.uint16 and arr.shape == (48, 64, 3)


def test_corrupt_file_gets_an_error_row(window, qtbot, photo_folder):
    (photo_folder / "photo_99_broken.jpg").write_bytes(b"\xff\xd8\xff this is not really a JPEG")
    open_folder(qtbot, window, photo_folder)
    broken = window.model.find(photo_folder / "photo_99_broken.jpg")
    assert broken.state == State.FAILED and broken.message  # from the thumbnail already
    with qtbot.waitSignal(window.batchFinished, timeout=60000) as blocker:
        window.colourise_all()
    summary, _ = blocker.args
    assert (summary.done, summary.failed) == (4, 1)  # the batch went on past it
    assert broken.state == State.FAILED and "photo_99_broken" not in broken.message and broken.message
    assert window.problems_dock.isVisible()
    assert window.problems.count() == 1 and "photo_99_broken.jpg" in window.problems.item(0).text()
    assert "failed" in window.count_label.text()
    assert "1 failed" in window.batch_panel.summary.text()


def test_cancel_mid_batch_leaves_no_partial_outputs(window, qtbot, tmp_path):
    folder = tmp_path / "many"
    write_grey_photos(folder, 12, size=(96, 72))
    open_folder(qtbot, window, folder, thumbnails=False)
    with qtbot.waitSignal(window.batchStarted):
        window.colourise_all()
    worker = window.batch
    # cancel from the worker thread right after its first image: deterministic "mid-batch"
    worker.itemFinished.connect(lambda _r: worker.cancel(), Qt.DirectConnection)
    with qtbot.waitSignal(window.batchFinished, timeout=60000) as blocker:
        pass
    summary, cancelled = blocker.args
    assert cancelled
    assert 1 <= summary.done < 12
    out_dir = folder / "colourised"
    written = sorted(out_dir.glob("*_colourised.png"))
    assert len(written) == summary.done
    assert_no_partial_files(out_dir)
    states = [e.state for e in window.model.entries()]
    assert states.count(State.DONE) == summary.done
    assert states.count(State.PENDING) == 12 - summary.done
    assert "Cancelled" in window.batch_panel.summary.text()
    assert window.batch is None and window.run_all_action.isEnabled()


def test_pause_and_resume(window, qtbot, tmp_path):
    folder = tmp_path / "some"
    write_grey_photos(folder, 6)
    open_folder(qtbot, window, folder, thumbnails=False)
    with qtbot.waitSignal(window.batchStarted):
        window.colourise_all()
    worker = window.batch
    with qtbot.waitSignal(worker.holding, timeout=30000) as held:
        window.toggle_pause()  # Ctrl+P: holds after the image in progress
    assert window.batch_panel.pause_button.text() == "Resume" and worker.paused
    n = held.args[0]
    assert 1 <= n < 6
    with qtbot.assertNotEmitted(worker.itemFinished, wait=300):
        pass  # nothing moves while paused
    assert len(worker.results) == n and worker.isRunning()
    with qtbot.waitSignal(window.batchFinished, timeout=60000) as blocker:
        window.toggle_pause()  # resume
    summary, cancelled = blocker.args
    assert summary.done == 6 and not cancelled


def test_closing_during_a_batch_asks_then_cancels_cleanly(make_window, qtbot, tmp_path):
    win = make_window()
    folder = tmp_path / "many"
    write_grey_photos(folder, 12, size=(96, 72))
    open_folder(qtbot, win, folder, thumbnails=False)
    asked = []
    win.confirm_stop_batch = lambda: asked.append(1) or True
    with qtbot.waitSignal(win.batchStarted):
        win.colourise_all()
    with qtbot.waitSignal(win.batchFinished, timeout=60000) as blocker:
        assert win.close() is False  # not yet: the batch stops first
        assert win.isVisible()
    assert asked == [1]
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=10000)
    summary, cancelled = blocker.args
    assert summary.done < 12 and cancelled
    if (folder / "colourised").exists():
        assert_no_partial_files(folder / "colourised")
    assert len(list((folder / "colourised").glob("*_colourised.png"))) == summary.done


def test_closing_during_a_batch_can_be_refused(make_window, qtbot, tmp_path):
    win = make_window()
    write_grey_photos(tmp_path / "f", 6)
    open_folder(qtbot, win, tmp_path / "f", thumbnails=False)
    win.confirm_stop_batch = lambda: False
    with qtbot.waitSignal(win.batchFinished, timeout=60000) as blocker:
        win.colourise_all()
        assert win.close() is False
        assert not win.batch.cancel_requested
    assert not blocker.args[1]  # ran to the end
    assert win.isVisible()


# -- settings, status, about ---------------------------------------------------------------------
def test_settings_persist(make_window, qtbot, photo_folder, _config_dir, tmp_path):
    win = make_window()
    open_folder(qtbot, win, photo_folder, thumbnails=False)
    ex = win.export
    ex.output_edit.setText(str(tmp_path / "out"))
    ex.format_combo.setCurrentIndex(ex.format_combo.findData("jpg"))
    ex.quality_spin.setValue(77)
    ex.size_combo.setCurrentIndex(ex.size_combo.findData(384))
    ex.ensemble_combo.setCurrentIndex(ex.ensemble_combo.findData("none"))
    ex.overwrite_radio.setChecked(True)
    win.side_by_side_action.setChecked(True)
    win.uncertain_action.setChecked(True)  # remembered, though "Fast" (chosen above) has nothing to show
    assert not win.uncertain_action.isEnabled() and not win.compare.show_doubt
    win.resize(760, 560)
    win.close()
    data = json.loads((_config_dir / "settings.json").read_text())
    assert data["fmt"] == "jpg" and data["jpeg_quality"] == 77 and data["working_size"] == 384
    assert data["ensemble"] == "none"
    assert data["overwrite"] is False and data["side_by_side"] is True  # Overwrite is never remembered
    assert data["show_uncertainty"] is True
    assert data["output_dir"] == str(tmp_path / "out")
    assert data["recent_folders"] == [str(photo_folder)] and data["window_geometry"]

    again = make_window(settings_mod.load_settings())
    ex = again.export
    assert (ex.fmt, ex.jpeg_quality, ex.working_size, ex.overwrite) == ("jpg", 77, 384, False)
    assert ex.output_dir == tmp_path / "out"
    assert again.compare.side_by_side and again.side_by_side_action.isChecked()
    assert again.uncertain_action.isChecked() and not again.uncertain_action.isEnabled()
    assert not again.compare.show_doubt  # "Fast" again
    assert (again.width(), again.height()) == (760, 560)
    assert ex.ensemble == "none" and ex.ensemble_combo.currentText() == "Fast: one look"
    assert again.export_colourisers().base.ensemble == "none"  # what previews and batches of the new window use
    assert again.recent_menu.actions()[0].text() == str(photo_folder)
    ex.ensemble_combo.setCurrentIndex(ex.ensemble_combo.findData("full"))  # Best: the hatching it remembered
    assert again.uncertain_action.isEnabled() and again.compare.show_doubt


def test_device_setting_reloads_engine(window, qtbot, _config_dir):
    with qtbot.waitSignal(window.engineReady, timeout=30000) as blocker:
        window.export.device_combo.setCurrentIndex(window.export.device_combo.findData("cpu"))
    assert str(blocker.args[0].device) == "cpu"
    assert json.loads((_config_dir / "settings.json").read_text())["device"] == "cpu"


def test_status_bar_shows_device_and_model(window):
    info = window.colouriser.info
    assert window.device_label.text() in ("Device: CPU", window.colouriser.device_name)
    assert info.name in window.model_label.text() and info.short_hash in window.model_label.text()
    assert info.version in window.model_label.text()


def test_about_dialog_shows_version_model_card_and_licences(qtbot, tiny_models_dir, tmp_path, monkeypatch):
    import shutil

    from archcolour import __version__
    from archcolour.engine import Colouriser
    from archcolour.gui.about import AboutDialog

    models = tmp_path / "models"
    shutil.copytree(tiny_models_dir, models)
    (models / "MODEL_CARD.md").write_text(
        "# Tiny test model\n\nTrained for a few steps on synthetic skies.\n\n## Data\n\nGenerated scenes.\n\n"
        "## Recipe\n\n30 Adam steps.\n\n## Numbers\n\nNOT IN THE SUMMARY\n", encoding="utf-8")
    monkeypatch.setenv("ARCHCOLOUR_MODELS", str(models))
    c = Colouriser(device="cpu")
    dlg = AboutDialog(c, "Device: CPU")
    qtbot.addWidget(dlg)
    text = dlg.text.toPlainText()
    assert "Trained for a few steps on synthetic skies." in text
    assert "Generated scenes." not in text and "NOT IN THE SUMMARY" not in text  # the opening only
    assert c.info.short_hash in text and "LGPL-3.0" in text and "PyTorch" in text
    from PySide6.QtWidgets import QLabel

    assert any(__version__ in lbl.text() for lbl in dlg.findChildren(QLabel))


def test_shortcuts_cover_frequent_actions_without_clashes(window):
    table = dict(window.shortcut_table())
    for name in ("Open folder…", "Colourise selected", "Colourise all", "Pause", "Cancel batch", "Fit", "100%",
                 "Side by side", "Show uncertain colour", "Quit", "About archcolour"):
        assert name in table, name
    assert table["Show uncertain colour"] == "Ctrl+U"
    seqs = [k for keys in table.values() for k in keys.split(", ")]
    assert len(seqs) == len(set(seqs)), "two actions share a shortcut"


def test_window_module_does_not_import_torch():
    code = ("import sys; import archcolour.gui.app, archcolour.gui.main_window; "
            "bad = [m for m in ('torch', 'archcolour.engine', 'archcolour.imageio', 'archcolour.batch') "
            "if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_entry_point_parses_arguments():
    res = subprocess.run([sys.executable, "-m", "archcolour.gui.app", "--version"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0 and res.stdout.startswith("archcolour ")
    from archcolour.gui.app import parse_args

    args = parse_args(["--device", "cpu", "a", "b"])
    assert args.device == "cpu" and args.paths == ["a", "b"]

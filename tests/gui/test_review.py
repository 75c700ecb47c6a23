"""Reviewing outputs: flags with P / X / U, kept in review.jsonl, the contact sheet, filter, sort, re-run."""
from __future__ import annotations

import json

from PySide6.QtCore import Qt

from archcolour.gui.models import State
from archcolour.gui.review_store import REVIEW_NAME, ReviewStore, read_flags

from gui_helpers import open_folder


def _colourise_all(qtbot, win):
    with qtbot.waitSignal(win.batchFinished, timeout=60000):
        win.colourise_all()


def _select_rows(win, rows):
    sm = win.list_view.selectionModel()
    sm.setCurrentIndex(win.model.index(rows[0]), sm.SelectionFlag.ClearAndSelect)
    for r in rows[1:]:
        sm.select(win.model.index(r), sm.SelectionFlag.Select)


def test_keys_flag_outputs_and_flags_survive_a_new_session(make_window, qtbot, photo_folder):
    win = make_window()
    open_folder(qtbot, win, photo_folder)
    _colourise_all(qtbot, win)
    win.list_view.setFocus()
    _select_rows(win, [0])
    qtbot.keyClick(win.list_view, Qt.Key_P)
    _select_rows(win, [1, 2])
    qtbot.keyClick(win.list_view, Qt.Key_X)
    _select_rows(win, [3])
    qtbot.keyClick(win.list_view, Qt.Key_U)
    assert [e.flag for e in win.model.entries()] == ["accepted", "rejected", "rejected", "redo"]
    assert "1 accepted" in win.count_label.text() and "2 rejected" in win.count_label.text()
    out = photo_folder / "colourised"
    assert read_flags(out) == {"photo_00_colourised.png": "accepted", "photo_01_colourised.png": "rejected",
                               "photo_02_colourised.png": "rejected", "photo_03_colourised.png": "redo"}
    lines = [json.loads(x) for x in (out / REVIEW_NAME).read_text().splitlines()]
    assert all(rec["type"] == "flag" and rec["time"] for rec in lines)
    win.close()
    again = make_window()
    open_folder(qtbot, again, photo_folder, thumbnails=False)
    assert [e.flag for e in again.model.entries()] == ["accepted", "rejected", "rejected", "redo"]


def test_only_colourised_images_can_be_flagged(window, qtbot, photo_folder):
    open_folder(qtbot, window, photo_folder, thumbnails=False)
    _select_rows(window, [0])
    window.accept_action.trigger()
    assert window.model.entry(0).flag is None
    assert "Only colourised" in window.statusBar().currentMessage()
    assert not (photo_folder / "colourised" / REVIEW_NAME).exists()


def test_grid_filters_and_sorts_by_flag_and_state(window, qtbot, photo_folder):
    open_folder(qtbot, window, photo_folder)
    _select_rows(window, [0, 1])
    with qtbot.waitSignal(window.batchFinished, timeout=60000):
        window.colourise_selected()
    _select_rows(window, [1])
    window.reject_action.trigger()
    window.grid_action.setChecked(True)
    grid = window.grid
    assert window.stack.currentWidget() is grid
    names = lambda: [grid.proxy.index(r, 0).data() for r in range(grid.proxy.rowCount())]  # noqa: E731
    assert len(names()) == 4
    grid.filter_combo.setCurrentIndex(grid.filter_combo.findData("flag:rejected"))
    assert names() == ["photo_01.png"]
    grid.filter_combo.setCurrentIndex(grid.filter_combo.findData("state:pending"))
    assert names() == ["photo_02.png", "photo_03.png"]
    grid.filter_combo.setCurrentIndex(grid.filter_combo.findData("all"))
    grid.sort_combo.setCurrentIndex(grid.sort_combo.findData("flag"))
    assert names()[0] == "photo_01.png"  # rejected first: what needs attention
    grid.sort_combo.setCurrentIndex(grid.sort_combo.findData("state"))
    assert set(names()[:2]) == {"photo_02.png", "photo_03.png"}  # not yet colourised before done
    # choosing a cell selects the image in the list (and previews it)
    idx = grid.proxy.index(3, 0)
    grid.view.selectionModel().setCurrentIndex(idx, grid.view.selectionModel().SelectionFlag.ClearAndSelect)
    assert window.current_entry().source.name == idx.data()


def test_rerun_rejected_replaces_only_those_and_clears_their_flags(window, qtbot, photo_folder):
    open_folder(qtbot, window, photo_folder)
    _colourise_all(qtbot, window)
    out = photo_folder / "colourised"
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.png")}
    _select_rows(window, [1])
    window.reject_action.trigger()
    _select_rows(window, [2])
    window.redo_action.trigger()
    _select_rows(window, [0])
    window.accept_action.trigger()
    assert window.rerun_rejected_action.isEnabled()
    window.export.size_combo.setCurrentIndex(window.export.size_combo.findData(128))  # changed settings
    with qtbot.waitSignal(window.batchFinished, timeout=60000) as blocker:
        window.rerun_rejected_action.trigger()
    assert blocker.args[0].done == 2
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("*.png")}
    changed = sorted(n for n in after if after[n] != before[n])
    assert changed == ["photo_01_colourised.png", "photo_02_colourised.png"]
    assert [e.flag for e in window.model.entries()] == ["accepted", None, None, None]
    assert read_flags(out) == {"photo_00_colourised.png": "accepted"}
    assert all(e.state == State.DONE for e in window.model.entries())
    assert not window.rerun_rejected_action.isEnabled()


def test_review_store_skips_a_truncated_line_and_clears(tmp_path):
    out = tmp_path / "colourised"
    store = ReviewStore()
    a, b = out / "a_colourised.png", out / "b_colourised.png"
    store.set(a, None, "accepted")
    store.set(b, None, "rejected")
    with open(out / REVIEW_NAME, "ab") as f:
        f.write(b'{"type": "flag", "output": "a_col')  # a kill mid-write
    store2 = ReviewStore()
    assert store2.get(a, None) == "accepted" and store2.get(b, None) == "rejected"
    store2.set(a, None, None)
    assert read_flags(out) == {"b_colourised.png": "rejected"}
    # an explicit output folder keeps paths relative to it (sub-folders mirrored)
    store2.set(out / "trench" / "c_colourised.png", out, "redo")
    assert read_flags(out)["trench/c_colourised.png"] == "redo"

"""The window's actions (menu items, toolbar buttons, shortcuts), its menus and toolbars.

Every action is built here and bound to a slot of the window or of one of its controllers; the window
keeps them as attributes (``win.open_action`` ...), so tests and menus refer to one object per command.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QSizePolicy, QStyle, QToolBar, QToolButton, QWidget

from .preview_controller import UNCERTAIN_TIP


def make_action(win, text: str, slot, shortcut=None, tip: str = "", icon=None, checkable=False) -> QAction:
    a = QAction(text, win)
    if shortcut is not None:
        if isinstance(shortcut, (list, tuple)):
            a.setShortcuts([QKeySequence(s) for s in shortcut])
        else:
            a.setShortcut(QKeySequence(shortcut))
    if icon is not None:
        a.setIcon(win.style().standardIcon(icon))
    a.setCheckable(checkable)
    if tip or shortcut is not None:
        sc = a.shortcut().toString(QKeySequence.NativeText)
        a.setToolTip(f"{tip or text.replace('&', '').rstrip('…')}" + (f" ({sc})" if sc else ""))
        a.setStatusTip(tip or text.replace("&", ""))
    if checkable:
        a.toggled.connect(slot)
    else:
        a.triggered.connect(lambda _checked=False: slot())
    win.addAction(a)  # shortcuts work wherever the focus is
    return a


def build_actions(win) -> None:
    """Create the window's actions as attributes of ``win``."""
    SP = QStyle.StandardPixmap
    A = lambda *a, **k: make_action(win, *a, **k)  # noqa: E731
    prev, bat, rev = win.previews, win.batches, win.review
    win.open_action = A("&Open folder…", win.choose_folder, QKeySequence.Open, "Open an archive folder",
                        SP.SP_DirOpenIcon)
    win.add_action = A("&Add images…", win.choose_files, "Ctrl+Shift+O", "Add single images to the list",
                       SP.SP_FileIcon)
    win.rescan_action = A("&Rescan folder", win.rescan, QKeySequence.Refresh, "Read the folder again",
                          SP.SP_BrowserReload)
    win.include_sub_action = A("Include &sub-folders", win.on_include_sub, None, "Also list images in sub-folders",
                               checkable=True)
    win.quit_action = A("&Quit", win.close, "Ctrl+Q", "Quit archcolour")
    win.run_selected_action = A("Colourise &selected", bat.colourise_selected, ["Ctrl+Return", "Ctrl+Enter"],
                                "Colourise the selected images", SP.SP_MediaPlay)
    win.run_all_action = A("Colourise &all", bat.colourise_all, ["Ctrl+Shift+Return", "Ctrl+Shift+Enter"],
                           "Colourise every listed image", SP.SP_MediaSeekForward)
    win.rerun_rejected_action = A("Re-run &rejected", bat.rerun_rejected, "Ctrl+Shift+R",
                                  "Colourise again every image flagged rejected or to redo, with the current "
                                  "settings (replacing those outputs)", SP.SP_BrowserReload)
    win.image_settings_action = A("Settings for &selected images…", win.image_settings.edit_selected, "Ctrl+I",
                                  "This image's own working size, model, vividness and upsampling, overriding the "
                                  "folder's")
    win.reset_image_settings_action = A("Reset to &folder settings", win.image_settings.reset_selected, None,
                                        "The selected images follow the folder's settings again")
    win.pause_action = A("&Pause", bat.toggle_pause, "Ctrl+P", "Pause or resume the batch", SP.SP_MediaPause)
    win.cancel_action = A("&Cancel batch", bat.cancel_batch, "Esc", "Stop after the current image",
                          SP.SP_MediaStop)
    c = win.compare
    win.fit_action = A("&Fit", c.fit, "Ctrl+0", "Fit the image in the view")
    win.actual_action = A("&100%", c.actual_size, "Ctrl+1", "Actual pixels")
    win.zoom_in_action = A("Zoom &in", lambda: c.zoom_by(1.25), [QKeySequence.ZoomIn, "Ctrl+="], "Zoom in")
    win.zoom_out_action = A("Zoom &out", lambda: c.zoom_by(0.8), QKeySequence.ZoomOut, "Zoom out")
    win.side_by_side_action = A("&Side by side", prev.set_side_by_side, "Ctrl+T",
                                "Show before and after side by side instead of with a divider", checkable=True)
    win.show_l_action = A("Before: &lightness only", prev.show_lightness, "Ctrl+L",
                          "Show the grey lightness the network sees instead of the original scan", checkable=True)
    win.uncertain_action = A("Show &uncertain colour", prev.show_uncertainty, "Ctrl+U", UNCERTAIN_TIP, checkable=True)
    win.divider_left_action = A("Divider left", lambda: c.set_divider(c.divider - 0.1), "Ctrl+[",
                                "Move the divider left")
    win.divider_right_action = A("Divider right", lambda: c.set_divider(c.divider + 0.1), "Ctrl+]",
                                 "Move the divider right")
    win.next_action = A("&Next image", lambda: win.step(1), "Ctrl+Down", "Select the next image")
    win.prev_action = A("P&revious image", lambda: win.step(-1), "Ctrl+Up", "Select the previous image")
    win.grid_action = A("&Review grid", win.set_grid_view, "Ctrl+G",
                        "Show the outputs as a contact sheet instead of the preview", checkable=True)
    win.accept_action = A("Flag &accepted", lambda: rev.flag_selected("accepted"), "P",
                          "Flag the selected outputs as accepted")
    win.reject_action = A("Flag &rejected", lambda: rev.flag_selected("rejected"), "X",
                          "Flag the selected outputs as rejected")
    win.redo_action = A("Flag to re&do", lambda: rev.flag_selected("redo"), "U",
                        "Flag the selected outputs to be redone")
    win.unflag_action = A("&Clear flag", lambda: rev.flag_selected(None), "0", "Remove the flag")
    win.open_output_action = A("Open output &folder", win.open_output_folder, "Ctrl+Shift+F",
                               "Show the output folder of the current image")
    win.report_action = A("Batch &report…", win.show_report, "Ctrl+Shift+B",
                          "The output folder's manifest as a table, exportable as CSV")
    win.shortcuts_action = A("&Keyboard shortcuts", win.show_shortcuts, "Ctrl+/", "List the keyboard shortcuts")
    win.about_action = A("&About archcolour", win.show_about, QKeySequence.HelpContents, "Version, model and licences")
    win.sub_check.toggled.connect(win.include_sub_action.setChecked)
    win.include_sub_action.toggled.connect(win.sub_check.setChecked)
    # single-letter flags only where typing is not expected
    for a in (win.accept_action, win.reject_action, win.redo_action, win.unflag_action):
        a.setShortcutContext(Qt.WindowShortcut)


def _fill(menu, actions) -> None:
    for a in actions:
        menu.addSeparator() if a is None else menu.addAction(a)


def build_menus_and_toolbars(win) -> None:
    mb = win.menuBar()
    m = mb.addMenu("&File")
    m.addAction(win.open_action)
    win.recent_menu = m.addMenu("Open &recent")
    _fill(m, (win.add_action, win.rescan_action, win.include_sub_action, None, win.open_output_action,
              win.report_action, None, win.quit_action))
    m = mb.addMenu("&Colourise")
    _fill(m, (win.run_selected_action, win.run_all_action, win.rerun_rejected_action, None,
              win.image_settings_action, win.reset_image_settings_action, None, win.pause_action, win.cancel_action))
    m = mb.addMenu("&Review")
    _fill(m, (win.grid_action, None, win.accept_action, win.reject_action, win.redo_action, win.unflag_action))
    m = mb.addMenu("&View")
    _fill(m, (win.fit_action, win.actual_action, win.zoom_in_action, win.zoom_out_action, None,
              win.side_by_side_action, win.show_l_action, win.uncertain_action, win.divider_left_action,
              win.divider_right_action, None,
              win.next_action, win.prev_action, None))
    for dock in win.docks():
        m.addAction(dock.toggleViewAction())
    m = mb.addMenu("&Help")
    _fill(m, (win.shortcuts_action, win.about_action))

    tb = QToolBar("Main")
    tb.setObjectName("main_toolbar")
    tb.setIconSize(QSize(20, 20))
    tb.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
    tb.setMovable(False)
    tb.addAction(win.open_action)
    btn = tb.widgetForAction(win.open_action)
    if isinstance(btn, QToolButton):
        btn.setMenu(win.recent_menu)
        btn.setPopupMode(QToolButton.MenuButtonPopup)
    _fill(tb, (win.add_action, None, win.run_selected_action, win.run_all_action, win.pause_action,
               win.cancel_action, None, win.grid_action))
    win.addToolBar(Qt.TopToolBarArea, tb)
    win.main_toolbar = tb

    pb = win.preview_bar
    # the preview bar is narrow (between the list and the Export panel): short words on its buttons, so
    # that every view toggle fits at the default window size (menus and tooltips keep the whole words)
    win.zoom_out_action.setIconText("−")
    win.zoom_in_action.setIconText("+")
    win.show_l_action.setIconText("Lightness")
    win.uncertain_action.setIconText("Uncertain")
    _fill(pb, (win.fit_action, win.actual_action, win.zoom_out_action, win.zoom_in_action, None,
               win.side_by_side_action, win.show_l_action, win.uncertain_action))
    win.zoom_label = QLabel("")
    win.zoom_label.setMinimumWidth(60)
    spacer = QWidget()
    spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
    pb.addWidget(spacer)
    pb.addWidget(win.zoom_label)


def shortcut_table(win) -> list[tuple[str, str]]:
    rows = []
    for a in win.actions():
        seqs = [s.toString(QKeySequence.NativeText) for s in a.shortcuts() if not s.isEmpty()]
        if seqs:
            rows.append((a.text().replace("&", ""), ", ".join(seqs)))
    return rows

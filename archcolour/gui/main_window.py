"""The main window: image list with thumbnails and states, before/after preview, export options, batches."""
from __future__ import annotations

import logging
import time
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QByteArray, QItemSelectionModel, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QCheckBox, QDockWidget, QFileDialog, QHBoxLayout, QLabel, QListView,
    QListWidget, QListWidgetItem, QMainWindow, QMenu, QMessageBox, QSizePolicy, QSplitter, QStyle, QToolBar, QToolButton,
    QVBoxLayout, QWidget,
)

from .. import settings as settings_mod
from .compare_view import CompareView
from .icons import app_icon
from .models import ImageEntry, ImageListModel, State
from .panels import BatchPanel, ExportPanel, ImageDelegate, batch_format
from .thumbnails import ThumbnailLoader
from .workers import (
    BatchGroup, BatchWorker, EngineLoader, FolderScanner, PreviewRequest, PreviewWorker, ScanRequest,
    with_working_size,
)

log = logging.getLogger(__name__)

PREVIEW_CACHE_ITEMS = 12
IMAGE_FILTER = "Images (*.jpg *.jpeg *.jpe *.png *.tif *.tiff *.webp *.bmp);;All files (*)"


class _ProblemList(QListWidget):
    """The list of per-image errors; small by default, it only has to show a few lines."""

    def sizeHint(self):  # noqa: N802
        return QSize(400, 100)


class MainWindow(QMainWindow):
    # signals tests and benchmarks wait on
    engineReady = Signal(object)  # Colouriser
    engineFailed = Signal(str)
    folderLoaded = Signal(int)  # images now listed
    greyShown = Signal(str)  # path whose grey image is on show
    previewReady = Signal(str)  # path whose colour preview is on show
    previewFailed = Signal(str, str)  # path, message
    batchStarted = Signal(int)  # number of images chosen
    batchFinished = Signal(object, bool)  # batch.Summary, cancelled

    def __init__(self, settings: settings_mod.Settings | None = None, *, start_engine: bool = True):
        super().__init__()
        self.settings = settings if settings is not None else settings_mod.load_settings()
        self.colouriser = None
        self.engine_error: str | None = None
        self.folder: Path | None = None
        self.batch: BatchWorker | None = None
        self._threads: set = set()
        self._engine_id = 0
        self._scan_id = 0
        self._preview_id = 0
        self._preview_path: Path | None = None
        self._preview_cache: OrderedDict = OrderedDict()
        self._pending_batch: list[ImageEntry] | None = None
        self._close_after_batch = False
        self._closing = False
        self._batch_t0 = 0.0
        self._batch_chosen = 0

        self.setWindowTitle("archcolour")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.AnimatedDocks | QMainWindow.AllowTabbedDocks)

        self._build_widgets()
        self._build_actions()
        self._build_menus_and_toolbar()
        self._build_status_bar()

        self.thumbs = ThumbnailLoader(settings_mod.cache_dir() / "thumbnails", parent=self)
        self.thumbs.ready.connect(self._on_thumb)
        self.thumbs.failed.connect(self._on_thumb_failed)
        self.preview_worker = PreviewWorker(self)
        self.preview_worker.greyReady.connect(self._on_preview_grey)
        self.preview_worker.previewReady.connect(self._on_preview_ready)
        self.preview_worker.previewFailed.connect(self._on_preview_failed)
        self.preview_worker.start()

        self.export.load(self.settings)
        self.include_sub_action.setChecked(self.settings.include_subfolders)
        self.side_by_side_action.setChecked(self.settings.side_by_side)
        self.compare.set_side_by_side(self.settings.side_by_side)
        self._restore_geometry()
        self._rebuild_recent_menu()
        self._update_actions()
        if start_engine:
            QTimer.singleShot(0, self.load_engine)

    # =========================================================================================
    # construction
    # =========================================================================================
    def _build_widgets(self) -> None:
        # left: folder header + image list
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(6, 6, 0, 6)
        head = QHBoxLayout()
        self.folder_label = QLabel("No folder open")
        self.folder_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.folder_label.setMinimumWidth(60)
        f = self.folder_label.font()
        f.setBold(True)
        self.folder_label.setFont(f)
        self.sub_check = QCheckBox("Sub-folders")
        self.sub_check.setToolTip("Include images in sub-folders (outputs mirror the sub-folders)")
        head.addWidget(self.folder_label, 1)
        head.addWidget(self.sub_check)
        lv.addLayout(head)
        self.count_label = QLabel("")
        self.count_label.setStyleSheet("color: palette(mid);")
        lv.addWidget(self.count_label)
        self.model = ImageListModel(self)
        self.list_view = QListView()
        self.list_view.setModel(self.model)
        self.list_view.setItemDelegate(ImageDelegate(self.list_view))
        self.list_view.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.list_view.setUniformItemSizes(True)
        self.list_view.setAlternatingRowColors(True)
        self.list_view.setVerticalScrollMode(QAbstractItemView.ScrollPerPixel)
        self.list_view.setContextMenuPolicy(Qt.CustomContextMenu)
        self.list_view.customContextMenuRequested.connect(self._list_menu)
        self.list_view.setMinimumWidth(220)
        self.list_view.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.list_view.setTextElideMode(Qt.ElideMiddle)
        lv.addWidget(self.list_view, 1)
        self.model.rowsInserted.connect(self._update_counts)
        self.model.modelReset.connect(self._update_counts)
        self.model.dataChanged.connect(self._update_counts)
        self.list_view.selectionModel().currentChanged.connect(self._on_current_changed)
        self.list_view.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())

        # right: preview bar + compare view + batch panel
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 6, 6, 6)
        self.preview_bar = QToolBar("Preview")
        self.preview_bar.setIconSize(QSize(16, 16))
        self.preview_bar.setToolButtonStyle(Qt.ToolButtonTextOnly)
        rv.addWidget(self.preview_bar)
        self.compare = CompareView()
        rv.addWidget(self.compare, 1)
        self.preview_info = QLabel("")
        self.preview_info.setStyleSheet("color: palette(mid);")
        rv.addWidget(self.preview_info)
        self.batch_panel = BatchPanel()
        self.batch_panel.hide()
        rv.addWidget(self.batch_panel)
        self.compare.zoomChanged.connect(self._on_zoom_changed)

        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([330, 700])
        self.setCentralWidget(self.splitter)

        # docks: export options (right), problems (bottom)
        self.export = ExportPanel()
        self.export_dock = QDockWidget("Export", self)
        self.export_dock.setObjectName("export_dock")
        self.export_dock.setWidget(self.export)
        self.export_dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable
                                     | QDockWidget.DockWidgetClosable)
        self.addDockWidget(Qt.RightDockWidgetArea, self.export_dock)
        self.problems = _ProblemList()
        self.problems.setWordWrap(True)
        self.problems.itemActivated.connect(self._on_problem_activated)
        self.problems_dock = QDockWidget("Problems", self)
        self.problems_dock.setObjectName("problems_dock")
        self.problems_dock.setWidget(self.problems)
        self.addDockWidget(Qt.BottomDockWidgetArea, self.problems_dock)
        self.problems_dock.hide()
        self.problems.setMinimumHeight(60)

        self.export.changed.connect(self._on_export_changed)
        self.export.engineChanged.connect(self._on_device_changed)
        self.export.colouriseSelected.connect(self.colourise_selected)
        self.export.colouriseAll.connect(self.colourise_all)
        self.batch_panel.pauseToggled.connect(self._on_pause_toggled)
        self.batch_panel.cancelRequested.connect(self.cancel_batch)

    def _action(self, text: str, slot, shortcut=None, tip: str = "", icon=None, checkable=False) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            if isinstance(shortcut, (list, tuple)):
                a.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                a.setShortcut(QKeySequence(shortcut))
        if icon is not None:
            a.setIcon(self.style().standardIcon(icon))
        a.setCheckable(checkable)
        if tip or shortcut is not None:
            sc = a.shortcut().toString(QKeySequence.NativeText)
            a.setToolTip(f"{tip or text.replace('&', '').rstrip('…')}" + (f" ({sc})" if sc else ""))
            a.setStatusTip(tip or text.replace("&", ""))
        if checkable:
            a.toggled.connect(slot)
        else:
            a.triggered.connect(lambda _checked=False: slot())
        self.addAction(a)  # shortcuts work wherever the focus is
        return a

    def _build_actions(self) -> None:
        SP = QStyle.StandardPixmap
        self.open_action = self._action("&Open folder…", self.choose_folder, QKeySequence.Open,
                                        "Open an archive folder", SP.SP_DirOpenIcon)
        self.add_action = self._action("&Add images…", self.choose_files, "Ctrl+Shift+O",
                                       "Add single images to the list", SP.SP_FileIcon)
        self.rescan_action = self._action("&Rescan folder", self.rescan, QKeySequence.Refresh,
                                          "Read the folder again", SP.SP_BrowserReload)
        self.include_sub_action = self._action("Include &sub-folders", self._on_include_sub, None,
                                               "Also list images in sub-folders", checkable=True)
        self.quit_action = self._action("&Quit", self.close, "Ctrl+Q", "Quit archcolour")
        self.run_selected_action = self._action("Colourise &selected", self.colourise_selected,
                                                ["Ctrl+Return", "Ctrl+Enter"], "Colourise the selected images",
                                                SP.SP_MediaPlay)
        self.run_all_action = self._action("Colourise &all", self.colourise_all,
                                           ["Ctrl+Shift+Return", "Ctrl+Shift+Enter"], "Colourise every listed image",
                                           SP.SP_MediaSeekForward)
        self.pause_action = self._action("&Pause", self.toggle_pause, "Ctrl+P", "Pause or resume the batch",
                                         SP.SP_MediaPause)
        self.cancel_action = self._action("&Cancel batch", self.cancel_batch, "Esc",
                                          "Stop after the current image", SP.SP_MediaStop)
        self.fit_action = self._action("&Fit", self.compare.fit, "Ctrl+0", "Fit the image in the view")
        self.actual_action = self._action("&100%", self.compare.actual_size, "Ctrl+1", "Actual pixels")
        self.zoom_in_action = self._action("Zoom &in", lambda: self.compare.zoom_by(1.25),
                                           [QKeySequence.ZoomIn, "Ctrl+="], "Zoom in")
        self.zoom_out_action = self._action("Zoom &out", lambda: self.compare.zoom_by(0.8), QKeySequence.ZoomOut,
                                            "Zoom out")
        self.side_by_side_action = self._action("&Side by side", self._on_side_by_side, "Ctrl+T",
                                                "Show before and after side by side instead of with a divider",
                                                checkable=True)
        self.divider_left_action = self._action("Divider left", lambda: self.compare.set_divider(self.compare.divider - 0.1),
                                                "Ctrl+[", "Move the divider left")
        self.divider_right_action = self._action("Divider right", lambda: self.compare.set_divider(self.compare.divider + 0.1),
                                                 "Ctrl+]", "Move the divider right")
        self.next_action = self._action("&Next image", lambda: self._step(1), "Ctrl+Down", "Select the next image")
        self.prev_action = self._action("P&revious image", lambda: self._step(-1), "Ctrl+Up",
                                        "Select the previous image")
        self.open_output_action = self._action("Open output &folder", self.open_output_folder, "Ctrl+Shift+F",
                                               "Show the output folder of the current image")
        self.shortcuts_action = self._action("&Keyboard shortcuts", self.show_shortcuts, "Ctrl+/",
                                             "List the keyboard shortcuts")
        self.about_action = self._action("&About archcolour", self.show_about, QKeySequence.HelpContents,
                                         "Version, model and licences")
        self.sub_check.toggled.connect(self.include_sub_action.setChecked)
        self.include_sub_action.toggled.connect(self.sub_check.setChecked)

    def _build_menus_and_toolbar(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addAction(self.open_action)
        self.recent_menu = m.addMenu("Open &recent")
        m.addAction(self.add_action)
        m.addAction(self.rescan_action)
        m.addAction(self.include_sub_action)
        m.addSeparator()
        m.addAction(self.open_output_action)
        m.addSeparator()
        m.addAction(self.quit_action)
        m = mb.addMenu("&Colourise")
        for a in (self.run_selected_action, self.run_all_action, None, self.pause_action, self.cancel_action):
            m.addSeparator() if a is None else m.addAction(a)
        m = mb.addMenu("&View")
        for a in (self.fit_action, self.actual_action, self.zoom_in_action, self.zoom_out_action, None,
                  self.side_by_side_action, self.divider_left_action, self.divider_right_action, None,
                  self.next_action, self.prev_action, None):
            m.addSeparator() if a is None else m.addAction(a)
        m.addAction(self.export_dock.toggleViewAction())
        m.addAction(self.problems_dock.toggleViewAction())
        m = mb.addMenu("&Help")
        m.addAction(self.shortcuts_action)
        m.addAction(self.about_action)

        tb = QToolBar("Main")
        tb.setObjectName("main_toolbar")
        tb.setIconSize(QSize(20, 20))
        tb.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        tb.setMovable(False)
        tb.addAction(self.open_action)
        btn = tb.widgetForAction(self.open_action)
        if isinstance(btn, QToolButton):
            btn.setMenu(self.recent_menu)
            btn.setPopupMode(QToolButton.MenuButtonPopup)
        tb.addAction(self.add_action)
        tb.addSeparator()
        tb.addAction(self.run_selected_action)
        tb.addAction(self.run_all_action)
        tb.addAction(self.pause_action)
        tb.addAction(self.cancel_action)
        self.addToolBar(Qt.TopToolBarArea, tb)
        self.main_toolbar = tb

        pb = self.preview_bar
        pb.addAction(self.fit_action)
        pb.addAction(self.actual_action)
        pb.addAction(self.zoom_out_action)
        pb.addAction(self.zoom_in_action)
        pb.addSeparator()
        pb.addAction(self.side_by_side_action)
        self.zoom_label = QLabel("")
        self.zoom_label.setMinimumWidth(60)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        pb.addWidget(spacer)
        pb.addWidget(self.zoom_label)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.device_label = QLabel("Device: …")
        self.model_label = QLabel("Model: loading…")
        for w in (self.device_label, self.model_label):
            w.setContentsMargins(8, 0, 8, 0)
            sb.addPermanentWidget(w)

    # =========================================================================================
    # settings and geometry
    # =========================================================================================
    def _restore_geometry(self) -> None:
        s = self.settings
        restored = False
        if s.window_geometry:
            restored = self.restoreGeometry(QByteArray.fromBase64(s.window_geometry.encode("ascii")))
        if not restored:
            self.resize(1280, 800)
        if s.window_state:
            self.restoreState(QByteArray.fromBase64(s.window_state.encode("ascii")))
        if s.splitter_state:
            self.splitter.restoreState(QByteArray.fromBase64(s.splitter_state.encode("ascii")))

    def store_settings(self) -> None:
        s = self.settings
        self.export.store(s)
        s.include_subfolders = self.include_sub_action.isChecked()
        s.side_by_side = self.side_by_side_action.isChecked()
        s.window_geometry = bytes(self.saveGeometry().toBase64()).decode("ascii")
        s.window_state = bytes(self.saveState().toBase64()).decode("ascii")
        s.splitter_state = bytes(self.splitter.saveState().toBase64()).decode("ascii")

    def save_settings(self) -> None:
        self.store_settings()
        try:
            settings_mod.save_settings(self.settings)
        except OSError as exc:
            self.statusBar().showMessage(f"Settings not saved: {exc}", 8000)

    def _rebuild_recent_menu(self) -> None:
        m = self.recent_menu
        m.clear()
        for folder in self.settings.recent_folders:
            a = m.addAction(folder)
            a.triggered.connect(lambda _c=False, f=folder: self.open_folder(Path(f)))
        if not self.settings.recent_folders:
            a = m.addAction("(none)")
            a.setEnabled(False)
        else:
            m.addSeparator()
            m.addAction("Clear list", self._clear_recent)

    def _clear_recent(self) -> None:
        self.settings.recent_folders = []
        self._rebuild_recent_menu()
        self.save_settings()

    # =========================================================================================
    # engine
    # =========================================================================================
    def _start_thread(self, t) -> None:
        self._threads.add(t)
        t.finished.connect(lambda t=t: self._threads.discard(t))
        t.start()

    def load_engine(self) -> None:
        """(Re)load the colouriser on a background thread for the chosen device."""
        if self._closing:
            return
        self._engine_id += 1
        self.colouriser = None
        self.engine_error = None
        self.device_label.setText("Device: …")
        self.model_label.setText("Model: loading…")
        self._update_actions()
        loader = EngineLoader(self._engine_id, self.export.device, self.settings.model, self)
        loader.loaded.connect(self._on_engine_loaded)
        loader.failed.connect(self._on_engine_failed)
        self._start_thread(loader)

    def _on_engine_loaded(self, request_id: int, colouriser) -> None:
        if request_id != self._engine_id:
            return
        self.colouriser = colouriser
        info = colouriser.info
        self.device_label.setText(colouriser.device_name if colouriser.device_name != "CPU" else "Device: CPU")
        self.device_label.setToolTip(f"torch device {colouriser.device}")
        self.model_label.setText(f"Model: {info.name} {info.version} · {info.short_hash}")
        self.model_label.setToolTip(f"{info.architecture}, working size {info.working_size} px\n"
                                    f"SHA-256 {info.sha256}\n{info.path}")
        self.export.set_model_default_size(info.working_size)
        self._update_actions()
        self.engineReady.emit(colouriser)
        if self._pending_batch is not None:
            entries, self._pending_batch = self._pending_batch, None
            self._start_batch(entries)
        self._refresh_preview()

    def _on_engine_failed(self, request_id: int, message: str) -> None:
        if request_id != self._engine_id:
            return
        self.engine_error = message
        self.device_label.setText("Device: —")
        self.model_label.setText("Model: not loaded")
        self.model_label.setToolTip(message)
        self.compare.set_busy_text("")
        self.statusBar().showMessage(f"The model could not be loaded: {message}")
        if self._pending_batch is not None:
            self._pending_batch = None
            self.batch_panel.hide()
        self._update_actions()
        self.engineFailed.emit(message)

    def _on_device_changed(self) -> None:
        if self.batch is not None:
            return
        self.save_settings()
        self._preview_cache.clear()
        self.load_engine()

    # =========================================================================================
    # folders and files
    # =========================================================================================
    def choose_folder(self) -> None:
        start = self.settings.last_folder or str(Path.home())
        d = QFileDialog.getExistingDirectory(self, "Open archive folder", start)
        if d:
            self.open_folder(Path(d))

    def choose_files(self) -> None:
        start = self.settings.last_add_folder or self.settings.last_folder or str(Path.home())
        files, _ = QFileDialog.getOpenFileNames(self, "Add images", start, IMAGE_FILTER)
        if files:
            self.settings.last_add_folder = str(Path(files[0]).parent)
            self.add_paths([Path(f) for f in files])

    def open_folder(self, folder: Path) -> None:
        """List the images of ``folder`` (and its sub-folders if chosen), replacing the list."""
        if self.batch is not None:
            self.statusBar().showMessage("A batch is running: wait for it or cancel it first.", 5000)
            return
        folder = Path(folder)
        if not folder.is_dir():
            self.statusBar().showMessage(f"Not a folder: {folder}", 6000)
            return
        self.folder = folder
        self.settings.add_recent(folder)
        self._rebuild_recent_menu()
        self.save_settings()
        self.model.clear()
        self.thumbs.cancel_all()
        self._preview_cache.clear()
        self._set_preview_path(None)
        self.compare.clear("Reading the folder…")
        self.folder_label.setText(folder.name or str(folder))
        self.folder_label.setToolTip(str(folder))
        self.setWindowTitle(f"{folder.name} — archcolour")
        self._scan(ScanRequest([folder], [], self.include_sub_action.isChecked(), self.export.output_dir,
                               batch_format(self.export.fmt)[0]), mode="add")

    def add_paths(self, paths: list[Path]) -> None:
        """Add dropped/chosen files and folders to the list (one folder alone is opened instead)."""
        paths = [Path(p) for p in paths]
        folders = [p for p in paths if p.is_dir()]
        files = [p for p in paths if p.is_file()]
        if self.batch is not None:
            self.statusBar().showMessage("A batch is running: wait for it or cancel it first.", 5000)
            return
        if len(folders) == 1 and not files:
            self.open_folder(folders[0])
            return
        if not folders and not files:
            self.statusBar().showMessage("Nothing to add: not files or folders", 5000)
            return
        if self.model.rowCount() == 0:
            self.folder_label.setText("Dropped images")
        self._scan(ScanRequest(folders, files, self.include_sub_action.isChecked(), self.export.output_dir,
                               batch_format(self.export.fmt)[0]), mode="add")

    def rescan(self) -> None:
        if self.folder is not None:
            self.open_folder(self.folder)

    def _scan(self, req: ScanRequest, mode: str) -> None:
        self._scan_id += 1
        self._scan_mode = mode
        self.statusBar().showMessage("Reading…")
        t = FolderScanner(self._scan_id, req, self)
        t.scanned.connect(self._on_scanned)
        t.failed.connect(self._on_scan_failed)
        self._start_thread(t)

    def _on_scan_failed(self, request_id: int, message: str) -> None:
        if request_id != self._scan_id:
            return
        self.statusBar().showMessage(f"Cannot read: {message}", 10000)
        self.compare.clear(f"Cannot read the folder:\n{message}")
        self.folderLoaded.emit(self.model.rowCount())

    def _on_scanned(self, request_id: int, result) -> None:
        if request_id != self._scan_id:
            return
        if self._scan_mode == "refresh":
            self._apply_refresh(result)
            return
        entries = []
        for source, root, output, exists, error in result.entries:
            e = ImageEntry(source=source, root=root, output=output)
            if error:
                e.state, e.message = State.FAILED, error
            elif exists:
                e.state, e.message = State.DONE, "output exists"
            entries.append(e)
        added = self.model.add_entries(entries)
        for e in added:
            self.thumbs.request(e.source)
            if e.state == State.DONE and e.output is not None:
                self.thumbs.request(e.source, e.output, is_output=True)
        for p in result.problems:
            self._add_problem(p)
        n = self.model.rowCount()
        self.statusBar().showMessage(f"{len(added)} image(s) listed", 5000)
        if n == 0:
            self.compare.clear("No images here.\nOpen another folder (Ctrl+O) or drop images on the window.")
        elif not self.list_view.currentIndex().isValid() and added:
            self.select_path(added[0].source)
        elif self.compare.has_image() is False and self._preview_path is None:
            self.compare.clear("Select an image to preview it")
        self._update_actions()
        self.folderLoaded.emit(n)

    def _on_export_changed(self) -> None:
        self.save_settings()
        # the working size changes the preview; format and output folder change which outputs exist
        self._refresh_preview()
        if self.batch is None and self.model.rowCount():
            self._refresh_outputs()

    def _refresh_outputs(self) -> None:
        roots = sorted({e.root for e in self.model.entries() if e.root is not None})
        files = [e.source for e in self.model.entries() if e.root is None]
        self._scan(ScanRequest(roots, files, self.include_sub_action.isChecked(), self.export.output_dir,
                               batch_format(self.export.fmt)[0]), mode="refresh")

    def _apply_refresh(self, result) -> None:
        for source, _root, output, exists, error in result.entries:
            e = self.model.find(source)
            if e is None or e.state == State.WORKING:
                continue
            if error:
                self.model.update(source, state=State.FAILED, message=error, output=output)
            elif exists:
                self.model.update(source, state=State.DONE, message="output exists", output=output)
                self.thumbs.request(source, output, is_output=True)
            elif e.state in (State.DONE, State.SKIPPED):
                self.model.update(source, state=State.PENDING, message="", output=output)
            else:
                self.model.update(source, output=output)
        self.statusBar().clearMessage()

    def _on_include_sub(self, on: bool) -> None:
        self.settings.include_subfolders = bool(on)
        if self.folder is not None and self.batch is None:
            self.open_folder(self.folder)

    # -- drag and drop ---------------------------------------------------------------------------
    @staticmethod
    def _local_paths(mime) -> list[Path]:
        if mime is None or not mime.hasUrls():
            return []
        return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]

    def dragEnterEvent(self, event):  # noqa: N802
        if self._local_paths(event.mimeData()) and self.batch is None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event):  # noqa: N802
        if self._local_paths(event.mimeData()) and self.batch is None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event):  # noqa: N802
        paths = self._local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.add_paths(paths)

    # -- thumbnails ----------------------------------------------------------------------------
    def _on_thumb(self, source: str, image, is_output: bool) -> None:
        self.model.set_thumbnail(Path(source), image, is_output=is_output)

    def _on_thumb_failed(self, source: str, message: str, is_output: bool) -> None:
        if is_output:
            return
        e = self.model.find(Path(source))
        if e is not None and e.state == State.PENDING:
            self.model.update(Path(source), state=State.FAILED, message=f"unreadable: {message}")

    # =========================================================================================
    # selection and preview
    # =========================================================================================
    def select_path(self, path: Path) -> bool:
        idx = self.model.index_of(Path(path))
        if not idx.isValid():
            return False
        sm = self.list_view.selectionModel()
        sm.setCurrentIndex(idx, QItemSelectionModel.ClearAndSelect)
        self.list_view.scrollTo(idx)
        return True

    def selected_entries(self) -> list[ImageEntry]:
        rows = sorted(i.row() for i in self.list_view.selectionModel().selectedIndexes())
        return [self.model.entry(r) for r in rows]

    def _step(self, delta: int) -> None:
        n = self.model.rowCount()
        if not n:
            return
        cur = self.list_view.currentIndex()
        row = 0 if not cur.isValid() else min(n - 1, max(0, cur.row() + delta))
        self.list_view.selectionModel().setCurrentIndex(self.model.index(row), QItemSelectionModel.ClearAndSelect)

    def _on_current_changed(self, current, _previous) -> None:
        if not current.isValid():
            self._set_preview_path(None)
            return
        self._set_preview_path(self.model.entry(current.row()).source)
        self._update_actions()

    def _set_preview_path(self, path: Path | None) -> None:
        self._preview_path = path
        self._preview_id += 1
        self.preview_worker.drop_pending(self._preview_id)  # anything in flight is now stale
        if path is None:
            self.preview_info.setText("")
            return
        self._refresh_preview()

    def _preview_key(self, path: Path, colouriser) -> tuple:
        try:
            st = path.stat()
            stamp = (st.st_size, st.st_mtime_ns)
        except OSError:
            stamp = None
        return (str(path), stamp, colouriser.working_size, colouriser.info.sha256, str(colouriser.device))

    def _preview_colouriser(self):
        if self.colouriser is None:
            return None
        return with_working_size(self.colouriser, self.export.working_size)

    def _refresh_preview(self) -> None:
        path = self._preview_path
        if path is None:
            return
        self._preview_id += 1
        rid = self._preview_id
        c = self._preview_colouriser()
        if c is None:
            self.compare.set_busy_text("Loading the model…" if self.engine_error is None else "")
            if self.engine_error:
                self.compare.clear(f"The model could not be loaded:\n{self.engine_error}")
            self.preview_worker.drop_pending(rid)
            # the grey image still helps: the worker shows it once the model is there
            return
        key = self._preview_key(path, c)
        hit = self._preview_cache.get(key)
        if hit is not None:
            self._preview_cache.move_to_end(key)
            self.preview_worker.drop_pending(rid)
            self.compare.set_busy_text("")
            same = self.compare.has_image()
            self.compare.set_images(hit.grey, hit.colour, keep_view=same)
            self._show_preview_info(hit, cached=True)
            self.greyShown.emit(str(path))
            self.previewReady.emit(str(path))
            return
        self.compare.set_busy_text("Colourising preview…")
        self.preview_worker.request(PreviewRequest(rid, path, c))

    def _on_preview_grey(self, res) -> None:
        if res.request_id != self._preview_id:
            return
        self.compare.set_images(res.grey, None, keep_view=True)
        self.compare.set_busy_text("Colourising preview…")
        self.greyShown.emit(str(res.path))

    def _on_preview_ready(self, res) -> None:
        if res.request_id != self._preview_id:
            return
        self.compare.set_colour(res.colour)
        self.compare.set_busy_text("")
        c = self._preview_colouriser()
        if c is not None:
            self._preview_cache[self._preview_key(res.path, c)] = res
            while len(self._preview_cache) > PREVIEW_CACHE_ITEMS:
                self._preview_cache.popitem(last=False)
        self._show_preview_info(res)
        self.previewReady.emit(str(res.path))

    def _show_preview_info(self, res, cached: bool = False) -> None:
        sw, sh = res.source_size
        pw, ph = res.preview_size
        txt = f"{res.path.name} · {sw}×{sh}"
        if (pw, ph) != (sw, sh):
            txt += f" (preview at {pw}×{ph}; outputs are full size)"
        txt += f" · working size {res.working_size} px"
        if not cached:
            txt += f" · {res.seconds:.2f} s"
        if res.notes:
            txt += " · " + "; ".join(res.notes)
        self.preview_info.setText(txt)

    def _on_preview_failed(self, request_id: int, path: str, message: str) -> None:
        if request_id != self._preview_id:
            return
        self.compare.set_busy_text("")
        self.compare.clear(f"Cannot preview {Path(path).name}:\n{message}")
        self.preview_info.setText("")
        self.previewFailed.emit(path, message)

    def _on_zoom_changed(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f}%" + (" (fit)" if self.compare.is_fit else ""))

    def _on_side_by_side(self, on: bool) -> None:
        self.compare.set_side_by_side(on)
        self.settings.side_by_side = bool(on)

    # =========================================================================================
    # batches
    # =========================================================================================
    def colourise_selected(self) -> None:
        entries = self.selected_entries()
        if not entries:
            cur = self.list_view.currentIndex()
            entries = [self.model.entry(cur.row())] if cur.isValid() else []
        if not entries:
            self.statusBar().showMessage("Select images first (or use Colourise all).", 5000)
            return
        self._start_batch(entries)

    def colourise_all(self) -> None:
        entries = self.model.entries()
        if not entries:
            self.statusBar().showMessage("Open a folder or drop images first.", 5000)
            return
        self._start_batch(entries)

    def _groups_for(self, entries: list[ImageEntry]) -> list[BatchGroup]:
        all_by_root: dict[Path | None, int] = {}
        for e in self.model.entries():
            all_by_root[e.root] = all_by_root.get(e.root, 0) + 1
        chosen: dict[Path | None, list[ImageEntry]] = {}
        for e in entries:
            chosen.setdefault(e.root, []).append(e)
        groups = []
        recursive = self.include_sub_action.isChecked()
        for root, es in chosen.items():
            if root is None:
                groups.append(BatchGroup([e.source for e in es], recursive=False))
            else:
                only = None if len(es) == all_by_root.get(root) else {e.source for e in es}
                groups.append(BatchGroup([root], recursive=recursive, only=only))
        return groups

    def _start_batch(self, entries: list[ImageEntry]) -> None:
        if self.batch is not None:
            return
        if self.engine_error is not None:
            QMessageBox.warning(self, "archcolour", f"The model could not be loaded:\n{self.engine_error}")
            return
        self.save_settings()
        self._batch_chosen = len(entries)
        for e in entries:
            self.model.update(e.source, state=State.PENDING, message="")
        self.problems.clear()
        self.batch_panel.start(len(entries))
        self.export.set_running(True)
        if self.colouriser is None:
            self._pending_batch = entries
            self.batch_panel.eta.setText("loading the model…")
            self._update_actions()
            return
        fmt, bit_depth = batch_format(self.export.fmt)
        worker = BatchWorker(self._groups_for(entries), with_working_size(self.colouriser, self.export.working_size),
                             output_dir=self.export.output_dir, fmt=fmt, overwrite=self.export.overwrite,
                             jpeg_quality=self.export.jpeg_quality, bit_depth=bit_depth, parent=self)
        worker.planned.connect(self.batch_panel.set_total)
        worker.itemStarted.connect(self._on_item_started)
        worker.itemFinished.connect(self._on_item_finished)
        worker.progress.connect(self._on_batch_progress)
        worker.problem.connect(self._add_problem)
        worker.finishedAll.connect(self._on_batch_finished)
        worker.crashed.connect(self._on_batch_crashed)
        self.batch = worker
        self._batch_t0 = time.perf_counter()
        self._update_actions()
        self._start_thread(worker)
        self.statusBar().showMessage(f"Colourising {len(entries)} image(s)…")
        self.batchStarted.emit(len(entries))

    def _on_item_started(self, source: str) -> None:
        self.model.update(Path(source), state=State.WORKING, message="")

    def _on_item_finished(self, res) -> None:
        state = {"done": State.DONE, "skipped": State.SKIPPED, "failed": State.FAILED}[res.status]
        msg = res.message
        if res.status == "done" and res.warnings:
            msg = f"{msg} · " + "; ".join(res.warnings)
        self.model.update(res.source, state=state, message=msg, output=res.output)
        if res.status == "done":
            self.thumbs.request(res.source, res.output, is_output=True)
            if self._preview_path is not None and Path(res.source) == self._preview_path:
                self.preview_info.setText(self.preview_info.text().split(" · output ")[0] + f" · output {res.output.name}")
        elif res.status == "failed":
            self._add_problem(f"{Path(res.source).name}: {res.message}", source=res.source)

    def _on_batch_progress(self, done: int, total: int, eta: float) -> None:
        paused = self.batch is not None and self.batch.paused
        self.batch_panel.set_progress(done, total, eta, paused)

    def _add_problem(self, text: str, source: Path | None = None) -> None:
        item = QListWidgetItem(text)
        item.setForeground(Qt.red)
        if source is not None:
            item.setData(Qt.UserRole, str(source))
        self.problems.addItem(item)
        if not self.problems_dock.isVisible():
            self.problems_dock.show()

    def _on_problem_activated(self, item) -> None:
        src = item.data(Qt.UserRole)
        if src:
            self.select_path(Path(src))

    def _end_batch(self) -> None:
        for e in self.model.entries():
            if e.state == State.WORKING:
                self.model.update(e.source, state=State.PENDING, message="")
        self.batch = None
        self.export.set_running(False)
        self._update_actions()
        if self._close_after_batch:
            QTimer.singleShot(0, self.close)

    def _on_batch_finished(self, summary, cancelled: bool) -> None:
        secs = time.perf_counter() - self._batch_t0
        dest = self.export.output_dir
        where = f" → {dest}" if dest else ""
        verb = "Cancelled" if cancelled else "Done"
        text = (f"{verb}: {summary.done} colourised, {summary.skipped} skipped, {summary.failed} failed "
                f"in {secs:.1f} s{where}")
        self.batch_panel.finish(text, ok=summary.failed == 0 and not cancelled)
        self.statusBar().showMessage(text, 15000)
        self._end_batch()
        self.batchFinished.emit(summary, cancelled)

    def _on_batch_crashed(self, message: str) -> None:
        from .. import batch as batch_mod

        results = list(self.batch.results) if self.batch is not None else []
        self.batch_panel.finish(f"The batch stopped on an error: {message}", ok=False)
        self._add_problem(f"batch stopped: {message}")
        self._end_batch()
        self.batchFinished.emit(batch_mod.summarise(results), True)

    def cancel_batch(self) -> None:
        if self._pending_batch is not None:
            self._pending_batch = None
            self.batch_panel.hide()
            self.export.set_running(False)
            self._update_actions()
            return
        if self.batch is None:
            return
        self.batch.cancel()
        self.batch_panel.set_cancelling()
        self.statusBar().showMessage("Cancelling after the current image…")

    def toggle_pause(self) -> None:
        if self.batch is None:
            return
        self.batch_panel.pause_button.toggle()  # emits pauseToggled -> _on_pause_toggled

    def _on_pause_toggled(self, paused: bool) -> None:
        if self.batch is None:
            return
        if paused:
            self.batch.pause()
            self.batch_panel.eta.setText("pausing after this image…")
            self.pause_action.setText("&Resume")
            self.statusBar().showMessage("Paused after the current image")
        else:
            self.batch.resume()
            self.pause_action.setText("&Pause")
            self.statusBar().showMessage("Resumed", 3000)

    # =========================================================================================
    # misc
    # =========================================================================================
    def _update_counts(self, *_a) -> None:
        c = self.model.counts()
        n = self.model.rowCount()
        if not n:
            self.count_label.setText("")
            return
        parts = [f"{n} image{'s' if n != 1 else ''}"]
        for st in (State.DONE, State.SKIPPED, State.FAILED):
            if c[st]:
                parts.append(f"{c[st]} {st.label.lower()}")
        self.count_label.setText(" · ".join(parts))

    def _update_actions(self) -> None:
        running = self.batch is not None or self._pending_batch is not None
        has_items = self.model.rowCount() > 0
        has_sel = bool(self.list_view.selectionModel().selectedIndexes()) or self.list_view.currentIndex().isValid()
        ok_engine = self.engine_error is None
        self.run_selected_action.setEnabled(not running and has_sel and ok_engine)
        self.run_all_action.setEnabled(not running and has_items and ok_engine)
        self.pause_action.setEnabled(self.batch is not None)
        self.cancel_action.setEnabled(running)
        for a in (self.open_action, self.add_action, self.rescan_action, self.include_sub_action):
            a.setEnabled(not running)
        self.recent_menu.setEnabled(not running)
        self.sub_check.setEnabled(not running)
        if not running:
            self.export.set_running(False)
            self.export.run_selected.setEnabled(has_sel and ok_engine)
            self.export.run_all.setEnabled(has_items and ok_engine)

    def _list_menu(self, pos) -> None:
        idx = self.list_view.indexAt(pos)
        m = QMenu(self)
        m.addAction(self.run_selected_action)
        m.addAction(self.run_all_action)
        if idx.isValid():
            e = self.model.entry(idx.row())
            m.addSeparator()
            m.addAction("Open source folder", lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(e.source.parent))))
            if e.output is not None and e.output.exists():
                m.addAction("Open colourised image", lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(e.output))))
        m.popup(self.list_view.viewport().mapToGlobal(pos))

    def open_output_folder(self) -> None:
        cur = self.list_view.currentIndex()
        if cur.isValid():
            e = self.model.entry(cur.row())
            target = e.output.parent if e.output is not None else e.source.parent
        elif self.export.output_dir is not None:
            target = self.export.output_dir
        else:
            return
        if target.exists():
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))
        else:
            self.statusBar().showMessage(f"{target} does not exist yet", 5000)

    def show_about(self) -> None:
        from .about import AboutDialog

        AboutDialog(self.colouriser, self.device_label.text(), self).exec()

    def shortcut_table(self) -> list[tuple[str, str]]:
        rows = []
        for a in self.actions():
            seqs = [s.toString(QKeySequence.NativeText) for s in a.shortcuts() if not s.isEmpty()]
            if seqs:
                rows.append((a.text().replace("&", ""), ", ".join(seqs)))
        return rows

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td>{name}</td><td>&nbsp;&nbsp;<b>{keys}</b></td></tr>" for name, keys in self.shortcut_table())
        extra = ("<p>In the preview: drag the divider, drag elsewhere to pan, wheel to zoom, double-click for "
                 "fit / 100 %, arrow keys to pan, Shift+arrows to move the divider.</p>")
        box = QMessageBox(QMessageBox.Information, "Keyboard shortcuts", f"<table>{rows}</table>{extra}",
                          QMessageBox.Close, self)
        box.exec()

    # -- closing -------------------------------------------------------------------------------
    def confirm_stop_batch(self) -> bool:
        """Ask whether to stop the running batch and quit (tests replace this)."""
        ans = QMessageBox.question(
            self, "Quit archcolour?",
            "A batch is running. Stop it after the current image and quit?\n\n"
            "Images already written are kept; nothing is left half written.",
            QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        return ans == QMessageBox.Yes

    def closeEvent(self, event):  # noqa: N802
        if self.batch is not None:
            if self._close_after_batch:
                event.ignore()  # already stopping; closes itself when the batch has ended
                return
            if not self.confirm_stop_batch():
                event.ignore()
                return
            self._close_after_batch = True
            self.cancel_batch()
            event.ignore()
            return
        self._closing = True
        self.save_settings()
        self.preview_worker.stop()
        self.preview_worker.wait(10000)
        self.thumbs.shutdown()
        for t in list(self._threads):
            t.wait(10000)
        event.accept()
        super().closeEvent(event)

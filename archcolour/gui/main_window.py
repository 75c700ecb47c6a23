"""The main window: its widgets and docks, the engine, settings and geometry, closing.

The work is done by its parts, each in its own module: :mod:`.actions` (menus, toolbar, shortcuts),
:mod:`.library` (folders, scans, thumbnails), :mod:`.preview_controller` (before/after preview),
:mod:`.batch_controller` (batches) and :mod:`.review` (flags, contact sheet).
"""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QItemSelectionModel, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QCheckBox, QDockWidget, QFileDialog, QHBoxLayout, QLabel, QListView, QListWidget,
    QMainWindow, QMenu, QMessageBox, QScrollArea, QSplitter, QStackedWidget, QToolBar, QVBoxLayout, QWidget,
)

from .. import settings as settings_mod
from . import actions as actions_mod
from . import presets as presets_mod
from .batch_controller import BatchController
from .compare_view import CompareView
from .guidance_controller import GuidanceController
from .image_settings_controller import ImageSettingsController
from .icons import app_icon
from .library import Library
from .metadata_panel import MetadataPanel
from .models import ImageEntry, ImageListModel, State
from .panels import BatchPanel, ExportPanel, ImageDelegate
from .preview_controller import PreviewController
from .review import ReviewController, ReviewGrid
from .thumbnails import ThumbnailLoader
from .widgets import ElidedLabel
from .workers import EngineLoader

log = logging.getLogger(__name__)

IMAGE_FILTER = "Images (*.jpg *.jpeg *.jpe *.png *.tif *.tiff *.webp *.bmp);;All files (*)"


def _fill_menu(menu, actions) -> None:
    for a in actions:
        menu.addSeparator() if a is None else menu.addAction(a)


class _ProblemList(QListWidget):
    """The list of per-image errors; small by default, it only has to show a few lines."""

    def sizeHint(self):  # noqa: N802
        return QSize(400, 100)


class MainWindow(QMainWindow):
    # signals tests and benchmarks wait on
    engineReady = Signal(object)  # Colouriser
    engineFailed = Signal(str)
    folderLoaded = Signal(int)  # images now listed
    greyShown = Signal(str)  # path whose original is on show (colour still to come)
    previewReady = Signal(str)  # path whose colour preview is on show (fast pass, then refined)
    previewRefined = Signal(str)  # path whose last (refined) colour pass is on show
    previewFailed = Signal(str, str)  # path, message
    batchStarted = Signal(int)  # number of images chosen
    batchFinished = Signal(object, bool)  # batch.Summary, cancelled

    def __init__(self, settings: settings_mod.Settings | None = None, *, start_engine: bool = True):
        from .qt_compat import install

        install()  # before the many small Qt calls a session makes (see qt_compat)
        super().__init__()
        self.settings = settings if settings is not None else settings_mod.load_settings()
        self.colouriser = None
        self.colourisers = None  # batch.Colourisers around it: the other models images ask for, loaded once
        self.engine_error: str | None = None
        self._threads: set = set()
        self._engine_id = 0
        self._closing = False

        self.setWindowTitle("archcolour")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.AnimatedDocks | QMainWindow.AllowTabbedDocks)

        self._build_widgets()
        self.thumbs = ThumbnailLoader(settings_mod.cache_dir() / "thumbnails", parent=self)
        self.review = ReviewController(self)
        self.library = Library(self)
        self.previews = PreviewController(self)
        self.batches = BatchController(self)
        self.guidance = GuidanceController(self)
        self.image_settings = ImageSettingsController(self)
        actions_mod.build_actions(self)
        actions_mod.build_menus_and_toolbars(self)
        self.guidance.install_menus()
        self._build_status_bar()
        self._connect()

        self.uncertain_action.setChecked(self.settings.show_uncertainty)  # before anything saves the settings
        self.export.load(self.settings)
        user, current = presets_mod.load()
        self.export.set_presets(user)
        if current is not None:
            self.export.load_preset(current)
            self.export.set_presets(user)
        self.include_sub_action.setChecked(self.settings.include_subfolders)
        self.side_by_side_action.setChecked(self.settings.side_by_side)
        self.compare.set_side_by_side(self.settings.side_by_side)
        self.previews.sync_uncertainty()  # enabled only for a colour quality that has it
        self._restore_geometry()
        self.rebuild_recent_menu()
        self.update_actions()
        if start_engine:
            QTimer.singleShot(0, self.load_engine)

    # =========================================================================================
    # construction
    # =========================================================================================
    def _build_widgets(self) -> None:
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(6, 6, 0, 6)
        head = QHBoxLayout()
        self.folder_label = ElidedLabel("No folder open")
        f = self.folder_label.font()
        f.setBold(True)
        self.folder_label.setFont(f)
        self.sub_check = QCheckBox("Sub-folders")
        self.sub_check.setToolTip("Include images in sub-folders (outputs mirror the sub-folders)")
        head.addWidget(self.folder_label, 1)
        head.addWidget(self.sub_check)
        lv.addLayout(head)
        self.count_label = ElidedLabel("", mode=Qt.ElideRight)
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
        self.list_view.setMinimumWidth(160)
        self.list_view.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.list_view.setTextElideMode(Qt.ElideMiddle)
        lv.addWidget(self.list_view, 1)

        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 6, 6, 6)
        self.preview_bar = QToolBar("Preview")
        self.preview_bar.setIconSize(QSize(16, 16))
        self.preview_bar.setToolButtonStyle(Qt.ToolButtonTextOnly)
        rv.addWidget(self.preview_bar)
        self.stack = QStackedWidget()
        page = QWidget()
        pv = QVBoxLayout(page)
        pv.setContentsMargins(0, 0, 0, 0)
        self.compare = CompareView()
        pv.addWidget(self.compare, 1)
        self.preview_info = ElidedLabel("", mode=Qt.ElideRight)
        self.preview_info.setStyleSheet("color: palette(mid);")
        pv.addWidget(self.preview_info)
        self.stack.addWidget(page)
        self.grid = ReviewGrid(self.model)
        self.stack.addWidget(self.grid)
        rv.addWidget(self.stack, 1)

        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([330, 700])
        central = QWidget()
        cv = QVBoxLayout(central)
        cv.setContentsMargins(0, 0, 0, 0)
        cv.setSpacing(0)
        cv.addWidget(self.splitter, 1)
        self.batch_panel = BatchPanel()  # below both panes: showing it never moves the splitter
        self.batch_panel.hide()
        cv.addWidget(self.batch_panel)
        self.setCentralWidget(central)

        self.export = ExportPanel()
        scroll = QScrollArea()
        scroll.setWidget(self.export)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(210)
        self.export_dock = self._dock("Export", "export_dock", scroll, Qt.RightDockWidgetArea)
        self.problems = _ProblemList()
        self.problems.setWordWrap(True)
        self.problems.setMinimumHeight(60)
        self.problems_dock = self._dock("Problems", "problems_dock", self.problems, Qt.BottomDockWidgetArea)
        self.problems_dock.hide()
        self.metadata = MetadataPanel()
        self.metadata_dock = self._dock("Metadata", "metadata_dock", self.metadata, Qt.BottomDockWidgetArea)
        self.metadata_dock.hide()

    def _dock(self, title: str, name: str, widget, area) -> QDockWidget:
        d = QDockWidget(title, self)
        d.setObjectName(name)
        d.setWidget(widget)
        d.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable | QDockWidget.DockWidgetClosable)
        self.addDockWidget(area, d)
        return d

    def docks(self) -> list[QDockWidget]:
        return [self.export_dock, self.guidance_dock, self.metadata_dock, self.problems_dock]

    def _connect(self) -> None:
        self.list_view.customContextMenuRequested.connect(self._list_menu)
        for sig in (self.model.rowsInserted, self.model.modelReset, self.model.dataChanged):
            sig.connect(self._update_counts)
        sm = self.list_view.selectionModel()
        sm.currentChanged.connect(self._on_current_changed)
        sm.selectionChanged.connect(lambda *_: self.update_actions())
        self.problems.itemActivated.connect(self._on_problem_activated)
        self.export.changed.connect(self._on_export_changed)
        self.export.engineChanged.connect(self._on_device_changed)
        self.export.colouriseSelected.connect(self.batches.colourise_selected)
        self.export.colouriseAll.connect(self.batches.colourise_all)
        self.grid.currentChanged.connect(lambda e: self.select_path(e.source))
        self.grid.view.doubleClicked.connect(lambda _i: self.grid_action.setChecked(False))
        self.grid.view.setContextMenuPolicy(Qt.CustomContextMenu)
        self.grid.view.customContextMenuRequested.connect(self._grid_menu)
        self.metadata_dock.visibilityChanged.connect(lambda _v: self._show_metadata())

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.device_label = QLabel("Device: …")
        self.model_label = QLabel("Model: loading…")
        for w in (self.device_label, self.model_label):
            w.setContentsMargins(8, 0, 8, 0)
            sb.addPermanentWidget(w)

    # -- facade kept for tests, benchmarks and screenshots ---------------------------------------
    @property
    def batch(self):
        return self.batches.worker

    @property
    def folder(self) -> Path | None:
        return self.library.folder

    @property
    def preview_worker(self):
        return self.previews.worker

    def colourise_selected(self) -> None:
        self.batches.colourise_selected()

    def colourise_all(self) -> None:
        self.batches.colourise_all()

    def cancel_batch(self) -> None:
        self.batches.cancel_batch()

    def toggle_pause(self) -> None:
        self.batches.toggle_pause()

    def open_folder(self, folder: Path) -> None:
        self.library.open_folder(folder)

    def add_paths(self, paths: list[Path]) -> None:
        self.library.add_paths(paths)

    def rescan(self) -> None:
        self.library.rescan()

    def shortcut_table(self) -> list[tuple[str, str]]:
        return actions_mod.shortcut_table(self)

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
        self._fit_on_screen()
        if s.window_state:
            self.restoreState(QByteArray.fromBase64(s.window_state.encode("ascii")))
        if s.splitter_state:
            self.splitter.restoreState(QByteArray.fromBase64(s.splitter_state.encode("ascii")))

    def _fit_on_screen(self) -> None:
        """Never wider or taller than the screen (a window saved on a bigger screen comes back smaller)."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            return
        avail = screen.availableGeometry()
        frame = self.frameGeometry()
        extra_w, extra_h = frame.width() - self.width(), frame.height() - self.height()
        w = min(self.width(), max(200, avail.width() - extra_w))
        h = min(self.height(), max(200, avail.height() - extra_h))
        if (w, h) != (self.width(), self.height()):
            self.resize(w, h)
        x = min(max(frame.x(), avail.x()), avail.right() - w - extra_w + 1)
        y = min(max(frame.y(), avail.y()), avail.bottom() - h - extra_h + 1)
        if (x, y) != (frame.x(), frame.y()):
            self.move(x, y)

    def showEvent(self, event):  # noqa: N802
        super().showEvent(event)
        if not getattr(self, "_shown_once", False):
            self._shown_once = True
            QTimer.singleShot(0, self._fit_on_screen)  # the frame's size is known once it is shown

    def store_settings(self) -> None:
        s = self.settings
        self.export.store(s)
        s.include_subfolders = self.include_sub_action.isChecked()
        s.side_by_side = self.side_by_side_action.isChecked()
        s.show_uncertainty = self.uncertain_action.isChecked()
        s.window_geometry = bytes(self.saveGeometry().toBase64()).decode("ascii")
        s.window_state = bytes(self.saveState().toBase64()).decode("ascii")
        s.splitter_state = bytes(self.splitter.saveState().toBase64()).decode("ascii")

    def save_settings(self) -> None:
        self.store_settings()
        try:
            settings_mod.save_settings(self.settings)
            presets_mod.save(self.export.user_presets, self.export.current_preset())
        except OSError as exc:
            self.statusBar().showMessage(f"Settings not saved: {exc}", 8000)

    def rebuild_recent_menu(self) -> None:
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
        self.rebuild_recent_menu()
        self.save_settings()

    # =========================================================================================
    # engine
    # =========================================================================================
    def start_thread(self, t) -> None:
        self._threads.add(t)
        t.finished.connect(lambda t=t: self._threads.discard(t))
        t.start()

    def load_engine(self) -> None:
        """(Re)load the colouriser on a background thread for the chosen device."""
        if self._closing:
            return
        self._engine_id += 1
        self.colouriser = None
        self.colourisers = None
        self.engine_error = None
        self.device_label.setText("Device: …")
        self.model_label.setText("Model: loading…")
        self.update_actions()
        loader = EngineLoader(self._engine_id, self.export.device, self.settings.model, self)
        loader.devices.connect(self.export.set_devices)
        loader.loaded.connect(self._on_engine_loaded)
        loader.failed.connect(self._on_engine_failed)
        self.start_thread(loader)

    def _on_engine_loaded(self, request_id: int, colouriser, note: str = "") -> None:
        if request_id != self._engine_id:
            return
        from ..batch import Colourisers  # torch is loaded by now: the batch package costs nothing more

        self.colouriser = colouriser
        self.colourisers = Colourisers(colouriser)
        info = colouriser.info
        self.device_label.setText(colouriser.device_name if colouriser.device_name != "CPU" else "Device: CPU")
        self.device_label.setToolTip(f"torch device {colouriser.device}")
        self.model_label.setText(f"Model: {info.name} {info.version} · {info.short_hash}")
        self.model_label.setToolTip(f"{info.architecture}, working size {info.working_size} px\n"
                                    f"SHA-256 {info.sha256}\n{info.path}")
        self.export.set_model_default_size(info.working_size)
        if note:  # the chosen device failed: the automatic choice is what the next launch uses too
            self.export.set_device("auto")
            self.save_settings()
            self.statusBar().showMessage(note[:1].upper() + note[1:], 20000)
        self.update_actions()
        self.engineReady.emit(colouriser)
        self.batches.engine_ready()
        self.previews.refresh()

    def _on_engine_failed(self, request_id: int, message: str) -> None:
        if request_id != self._engine_id:
            return
        self.engine_error = message
        self.device_label.setText("Device: —")
        self.model_label.setText("Model: not loaded")
        self.model_label.setToolTip(message)
        self.compare.set_busy_text("")
        self.statusBar().showMessage(f"The model could not be loaded: {message}")
        self.batches.engine_failed()
        self.update_actions()
        self.engineFailed.emit(message)

    def _on_device_changed(self) -> None:
        if self.batches.running:
            return
        self.save_settings()
        self.previews.clear_cache()
        self.load_engine()

    # =========================================================================================
    # folders, files, export choices
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

    def on_include_sub(self, on: bool) -> None:
        self.settings.include_subfolders = bool(on)
        if self.folder is not None and not self.batches.running:
            self.open_folder(self.folder)

    def _on_export_changed(self) -> None:
        self.save_settings()
        self.previews.sync_uncertainty()  # the colour quality decides whether there is uncertainty to show
        # the working size and colour quality change the preview; format, folder and names change which outputs exist
        self.previews.refresh()
        if not self.batches.running and self.model.rowCount():
            self.review.forget()
            self.library.refresh_outputs()

    # -- drag and drop ---------------------------------------------------------------------------
    @staticmethod
    def _local_paths(mime) -> list[Path]:
        if mime is None or not mime.hasUrls():
            return []
        return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]

    def dragEnterEvent(self, event):  # noqa: N802
        if self._local_paths(event.mimeData()) and not self.batches.running:
            event.acceptProposedAction()
        else:
            event.ignore()

    dragMoveEvent = dragEnterEvent

    def dropEvent(self, event):  # noqa: N802
        paths = self._local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.add_paths(paths)

    # =========================================================================================
    # selection
    # =========================================================================================
    def select_path(self, path: Path) -> bool:
        idx = self.model.index_of(Path(path))
        if not idx.isValid():
            return False
        sm = self.list_view.selectionModel()
        if self.list_view.currentIndex() != idx or len(sm.selectedIndexes()) != 1:
            sm.setCurrentIndex(idx, QItemSelectionModel.ClearAndSelect)
        self.list_view.scrollTo(idx)
        return True

    def selected_entries(self) -> list[ImageEntry]:
        rows = sorted(i.row() for i in self.list_view.selectionModel().selectedIndexes())
        return [self.model.entry(r) for r in rows]

    def current_entry(self) -> ImageEntry | None:
        cur = self.list_view.currentIndex()
        return self.model.entry(cur.row()) if cur.isValid() else None

    def step(self, delta: int) -> None:
        n = self.model.rowCount()
        if not n:
            return
        cur = self.list_view.currentIndex()
        row = 0 if not cur.isValid() else min(n - 1, max(0, cur.row() + delta))
        self.list_view.selectionModel().setCurrentIndex(self.model.index(row), QItemSelectionModel.ClearAndSelect)

    def _on_current_changed(self, current, _previous) -> None:
        if not current.isValid():
            self.previews.set_path(None)
            self.metadata.show_entry(None, None)
            return
        e = self.model.entry(current.row())
        self.previews.set_path(e.source, compute=self.stack.currentIndex() == 0)
        self.grid.select_entry(e)
        self._show_metadata()
        self.update_actions()

    def _show_metadata(self) -> None:
        if self.metadata_dock.isVisible():
            e = self.current_entry()
            self.metadata.show_entry(e.source if e else None, e.output if e and e.state == State.DONE else None)

    def set_grid_view(self, on: bool) -> None:
        self.stack.setCurrentIndex(1 if on else 0)
        self.preview_bar.setVisible(not on)  # zoom and divider mean nothing on the contact sheet
        if on:
            e = self.current_entry()
            if e is not None:
                self.grid.select_entry(e)
            self.grid.view.setFocus()
        else:
            self.previews.refresh()

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
        for st in (State.DONE, State.FAILED, State.CONFLICT):
            if c[st]:
                parts.append(f"{c[st]} {st.label.lower()}")
        flags = self.review.counts()
        for key, label in (("accepted", "accepted"), ("rejected", "rejected"), ("redo", "to redo")):
            if flags[key]:
                parts.append(f"{flags[key]} {label}")
        self.count_label.setText(" · ".join(parts))

    def update_actions(self) -> None:
        running = self.batches.running
        has_items = self.model.rowCount() > 0
        has_sel = bool(self.list_view.selectionModel().selectedIndexes()) or self.list_view.currentIndex().isValid()
        ok_engine = self.engine_error is None
        self.run_selected_action.setEnabled(not running and has_sel and ok_engine)
        self.run_all_action.setEnabled(not running and has_items and ok_engine)
        self.rerun_rejected_action.setEnabled(not running and ok_engine and any(
            e.flag in ("rejected", "redo") for e in self.model.entries()))
        self.pause_action.setEnabled(self.batches.worker is not None)
        has_own = any(e.own is not None for e in self.model.entries())
        self.image_settings_action.setEnabled(has_sel and not running)
        self.reset_image_settings_action.setEnabled(has_sel and has_own and not running)
        self.cancel_action.setEnabled(running)
        for a in (self.open_action, self.add_action, self.rescan_action, self.include_sub_action):
            a.setEnabled(not running)
        self.recent_menu.setEnabled(not running)
        self.sub_check.setEnabled(not running)
        if not running:
            self.export.set_running(False)
            self.export.run_selected.setEnabled(has_sel and ok_engine)
            self.export.run_all.setEnabled(has_items and ok_engine)

    def _on_problem_activated(self, item) -> None:
        src = item.data(Qt.UserRole)
        if src:
            self.select_path(Path(src))

    def _open_location(self, target: Path) -> None:
        """Show ``target`` in the file manager; without one, say where it is and copy the path."""
        if QDesktopServices.openUrl(QUrl.fromLocalFile(str(target))):
            return
        QApplication.clipboard().setText(str(target))
        self.statusBar().showMessage(f"No file manager could open it. The path is copied: {target}", 15000)

    def colourisers_for(self, working_size: int | None, ensemble: str | None = None):
        """The colourisers for a preview or a batch: the loaded model at ``working_size`` (None: its own)
        with the test-time ``ensemble`` (a name of choices.ENSEMBLES; None: its own), and the other models
        images ask for (loaded once, shared by previews and batches; they run with the same ensemble)."""
        from ..batch.colourisers import view  # the engine (and torch) is loaded by now

        if self.colourisers is None:
            return None
        return self.colourisers.with_base(view(self.colouriser, working_size=working_size, ensemble=ensemble))

    def export_colourisers(self):
        """:meth:`colourisers_for` the export panel's working size and colour quality."""
        return self.colourisers_for(self.export.working_size, self.export.ensemble)

    def _list_menu(self, pos) -> None:
        idx = self.list_view.indexAt(pos)
        m = QMenu(self)
        m.addAction(self.run_selected_action)
        m.addAction(self.run_all_action)
        m.addSeparator()
        m.addAction(self.image_settings_action)
        m.addAction(self.reset_image_settings_action)
        if idx.isValid():
            e = self.model.entry(idx.row())
            m.addSeparator()
            m.addAction("Open source folder", lambda: self._open_location(e.source.parent))
            if e.state == State.CONFLICT:
                m.addAction("Replace the output of another photograph…",
                            lambda: self.batches.replace_conflicts([x for x in self.selected_entries() or [e]]))
            elif e.output is not None and e.output.exists():
                m.addAction("Open colourised image", lambda: self._open_location(e.output))
                m.addSeparator()
                for a in (self.accept_action, self.reject_action, self.redo_action, self.unflag_action):
                    m.addAction(a)
        m.popup(self.list_view.viewport().mapToGlobal(pos))

    def _grid_menu(self, pos) -> None:
        m = QMenu(self)
        _fill_menu(m, (self.image_settings_action, self.reset_image_settings_action, None, self.accept_action,
                       self.reject_action, self.redo_action, self.unflag_action))
        m.popup(self.grid.view.viewport().mapToGlobal(pos))

    def output_folder(self) -> Path | None:
        e = self.current_entry()
        if e is not None:
            return e.output.parent if e.output is not None else e.source.parent
        return self.export.output_dir

    def open_output_folder(self) -> None:
        target = self.output_folder()
        if target is None:
            return
        if target.exists():
            self._open_location(target)
        else:
            self.statusBar().showMessage(f"{target} does not exist yet", 5000)

    def show_report(self) -> None:
        from .report import ReportDialog

        folder = self.export.output_dir or self.output_folder()
        if folder is None or not (folder / "manifest.jsonl").exists():
            self.statusBar().showMessage("No batch report yet: colourise some images first.", 5000)
            return
        self.report_dialog = ReportDialog(folder, self)
        self.report_dialog.show()

    def show_about(self) -> None:
        from .about import AboutDialog

        AboutDialog(self.colouriser, self.device_label.text(), self).exec()

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td>{name}</td><td>&nbsp;&nbsp;<b>{keys}</b></td></tr>" for name, keys in self.shortcut_table())
        extra = ("<p>In the preview: drag the divider, drag elsewhere to pan, wheel to zoom, double-click for "
                 "fit / 100 %, arrow keys to pan, Shift+arrows to move the divider.</p>"
                 "<p><i>Show uncertain colour</i> hatches the colour where the model's looks at the photograph "
                 "disagree (colour quality Best): that colour was toned down and is a guess; check it, or place "
                 "a colour hint there.</p>")
        box = QMessageBox(QMessageBox.Information, "Keyboard shortcuts", f"<table>{rows}</table>{extra}",
                          QMessageBox.Close, self)
        box.exec()

    # -- closing -------------------------------------------------------------------------------
    def confirm_stop_batch(self) -> bool:
        """Ask whether to stop the running batch and quit (tests replace this)."""
        return self.batches.ask_to_stop()

    def closeEvent(self, event):  # noqa: N802
        b = self.batches
        if b.worker is not None:
            if b.close_after:
                event.ignore()  # already stopping; closes itself when the batch has ended
                return
            was_paused = b.worker.paused
            b.set_paused(True)  # nothing moves while the question is on screen
            stop = self.confirm_stop_batch()
            if b.worker is not None:
                if not stop:
                    if not was_paused:
                        b.set_paused(False)
                    event.ignore()
                    return
                b.close_after = True
                b.set_paused(False)
                b.cancel_batch()
                event.ignore()
                return
            if not stop:  # the batch ended meanwhile and the answer was "no": stay
                event.ignore()
                return
        self._closing = True
        self.save_settings()
        self.previews.stop()
        self.thumbs.shutdown()
        self.metadata.shutdown()
        for t in list(self._threads):
            t.wait(10000)
        event.accept()
        super().closeEvent(event)

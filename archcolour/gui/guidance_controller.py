"""The user's guidance in the window: hint mode, hints per image (saved, undoable), the folder's
reference photograph and vividness, and what previews and batches are given.

Files: :mod:`.hints_store` (``hints.json`` and ``guidance.json`` in the output folder); drawing and
mouse: :mod:`.hints_overlay`; widgets: :mod:`.guidance_panel`. Each image has its own undo stack, in
one :class:`QUndoGroup` whose Undo / Redo actions (Ctrl+Z, Ctrl+Shift+Z) follow the image on show.
Controls the loaded model cannot use are disabled, with a tooltip saying why.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QKeySequence, QUndoCommand, QUndoGroup, QUndoStack
from PySide6.QtWidgets import QColorDialog, QDockWidget, QFileDialog, QScrollArea

from . import hints_store as hs
from .guidance_panel import GuidancePanel, read_thumbnail
from .hints_overlay import HintsOverlay

REFERENCE_FILTER = "Images (*.jpg *.jpeg *.png *.tif *.tiff *.webp *.bmp);;All files (*)"


class SetPoints(QUndoCommand):
    """One edit of one image's hints: redo sets ``after``, undo sets ``before``."""

    def __init__(self, ctl: "GuidanceController", file: Path, key: str, before: list, after: list, text: str):
        super().__init__(text)
        self.ctl, self.file, self.key, self.before, self.after = ctl, file, key, before, after

    def redo(self):
        self.ctl.apply_points(self.file, self.key, self.after)

    def undo(self):
        self.ctl.apply_points(self.file, self.key, self.before)


class GuidanceController(QObject):
    def __init__(self, win):
        super().__init__(win)
        self.win = win
        self.store = hs.HintsStore()
        self.undo = QUndoGroup(self)
        self._stacks: dict[tuple[Path, str], QUndoStack] = {}
        self.path: Path | None = None  # image on show
        self.reference_path: Path | None = None
        self.reference = None  # engine.Reference for the loaded model's bins
        self.reference_error = ""
        self._ref_bins = 0
        self.vividness = 1.0

        self.panel = GuidancePanel()
        scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        self.dock = QDockWidget("Guidance", win)
        self.dock.setObjectName("guidance_dock")
        self.dock.setWidget(scroll)
        self.dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable
                              | QDockWidget.DockWidgetClosable)
        win.addDockWidget(Qt.RightDockWidgetArea, self.dock)
        win.guidance_dock = self.dock
        self.overlay = HintsOverlay(win.compare)

        self.hint_action = QAction("&Hint mode", win)
        self.hint_action.setCheckable(True)
        self.hint_action.setShortcut(QKeySequence("H"))
        self.hint_action.setShortcutContext(Qt.WindowShortcut)
        self.hint_action.setToolTip("Place colour points on the image (H): click to add, drag to move, "
                                    "Delete to remove")
        self.hint_action.toggled.connect(self.set_hint_mode)
        win.addAction(self.hint_action)
        self.panel.hint_mode_button.setDefaultAction(self.hint_action)
        self.undo_action = self.undo.createUndoAction(win, "&Undo")
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.redo_action = self.undo.createRedoAction(win, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.clear_action = QAction("&Clear hints", win)
        self.clear_action.triggered.connect(self.clear_hints)
        for a in (self.undo_action, self.redo_action):
            win.addAction(a)
        win.hint_mode_action, win.undo_hint_action, win.redo_hint_action = (self.hint_action, self.undo_action,
                                                                            self.redo_action)

        self.overlay.edited.connect(self.edit)
        self.overlay.recolourRequested.connect(self.recolour)
        self.panel.colourClicked.connect(self.choose_colour)
        self.panel.clearHints.connect(self.clear_hints)
        self.panel.chooseReference.connect(self.choose_reference)
        self.panel.clearReference.connect(lambda: self.set_reference(None))
        self.panel.thumb.sampled.connect(self.set_colour)
        self._viv_timer = QTimer(self)
        self._viv_timer.setSingleShot(True)
        self._viv_timer.setInterval(200)
        self._viv_timer.timeout.connect(self._vividness_settled)
        self.panel.vividnessChanged.connect(lambda _v: self._viv_timer.start())
        win.engineReady.connect(self.engine_ready)
        win.engineFailed.connect(lambda _m: self.update_enabled())
        win.folderLoaded.connect(lambda _n: self.folder_changed())
        win.export.changed.connect(self.location_changed)
        win.list_view.selectionModel().currentChanged.connect(lambda *_a: self.show_current())
        self.set_colour(self.overlay.current_colour)
        self.update_enabled()
        self._show_reference()

    def install_menus(self) -> None:
        """Add the hint actions to the preview bar and the Edit menu (after the window built its own)."""
        win = self.win
        bar = win.preview_bar
        first = bar.actions()[0] if bar.actions() else None
        bar.insertAction(first, self.hint_action)
        if first is not None:
            bar.insertSeparator(first)
        mb = win.menuBar()
        edit = mb.addMenu("&Edit")
        mb.insertMenu(mb.actions()[1], edit)
        for a in (self.undo_action, self.redo_action, None, self.hint_action, self.clear_action):
            edit.addSeparator() if a is None else edit.addAction(a)

    # -- where things are -------------------------------------------------------------------------
    def location(self, path: Path) -> tuple[Path, str]:
        """(hints file, key) of an image."""
        e = self.win.model.find(path)
        root = e.root if e is not None else None
        folder = hs.guidance_folder(path, root, self.win.export.output_dir)
        return folder / hs.HINTS_NAME, hs.hints_key(path, root)

    def guidance_folder(self) -> Path | None:
        """Where the opened folder's reference and vividness are kept (None: no folder opened)."""
        folder = self.win.folder
        if folder is None:
            return None
        return hs.guidance_folder(folder / "-", folder, self.win.export.output_dir)

    def points(self, path: Path) -> list[dict]:
        file, key = self.location(path)
        return self.store.points(file, key)

    # -- model capabilities -----------------------------------------------------------------------
    def _model(self):
        return self.win.colouriser

    def _own_model(self, path: Path | None) -> str | None:
        """The model an image's own settings ask for, when it is not the loaded one (None otherwise)."""
        c = self._model()
        own = self.win.image_settings.settings_of(path) if path is not None else None
        if own is None or own.model is None or (c is not None and own.model == c.info.name):
            return None
        return own.model

    def takes_for(self, path: Path | None, what: str) -> bool:
        """Does the model that colours ``path`` take ``what`` ("hints", "reference")? An image's own model
        is asked of its manifest entry (no loading); the loaded one of itself."""
        own = self._own_model(path)
        if own is not None:
            return self._model() is not None and self.win.image_settings.takes(own, what)
        c = self._model()
        if c is None:
            return False
        return bool(c.accepts_hints) if what == "hints" else bool(c.reference_bins)

    def model_name_for(self, path: Path | None) -> str | None:
        c = self._model()
        return self._own_model(path) or (c.info.name if c is not None else None)

    @property
    def takes_hints(self) -> bool:
        """For the image on show (an image's own model may take hints where the folder's does not)."""
        return self.takes_for(self.path, "hints")

    @property
    def takes_reference(self) -> bool:
        """For the folder (the reference is the folder's: read for the loaded model)."""
        return self.takes_for(None, "reference")

    def update_enabled(self) -> None:
        c = self._model()
        name = self.model_name_for(self.path)
        why_h = "" if self.takes_hints else (
            "Loading the model…" if c is None and self.win.engine_error is None else
            f"The model {name!r} does not take colour hints; a guided model does (archcolour models lists them)"
            if c is not None else "No model is loaded")
        why_r = "" if self.takes_reference else (
            "Loading the model…" if c is None and self.win.engine_error is None else
            f"The model {c.info.name!r} does not take a reference photograph; a guided model does" if c is not None
            else "No model is loaded")
        p = self.panel
        p.hints_box.setEnabled(not why_h)
        p.hints_box.setToolTip(why_h)
        self.hint_action.setEnabled(not why_h)
        self.clear_action.setEnabled(not why_h)
        self.hint_action.setToolTip(why_h or "Place colour points on the image (H): click to add, drag to move, "
                                    "Delete to remove, double-click to change a colour")
        if why_h and self.hint_action.isChecked():
            self.hint_action.setChecked(False)
        p.ref_box.setEnabled(not why_r)
        p.ref_box.setToolTip(why_r)
        p.eyedropper_button.setEnabled(not why_r and not p.thumb.image.isNull())
        self._update_label()

    def engine_ready(self, _colouriser=None) -> None:
        self.update_enabled()
        self._load_reference()
        self.show_current()

    # -- the image on show ------------------------------------------------------------------------
    def show_current(self) -> None:
        e = self.win.current_entry()
        self.path = e.source if e is not None else None
        if self.path is None:
            self.overlay.set_points([])
            self.undo.setActiveStack(None)
            self._update_label()
            return
        file, key = self.location(self.path)
        self.overlay.set_points(self.store.points(file, key))
        self.undo.setActiveStack(self._stack(file, key))
        self.update_enabled()  # the image's own model may take other guidance than the folder's

    def _stack(self, file: Path, key: str) -> QUndoStack:
        st = self._stacks.get((file, key))
        if st is None:
            st = QUndoStack(self.undo)
            self._stacks[(file, key)] = st
        return st

    def _update_label(self) -> None:
        p = self.panel
        if self.path is None:
            p.hints_label.setText("Select an image.")
            return
        file, _key = self.location(self.path)
        fh = self.store.file(file)
        n = len(self.overlay.points)
        text = f"{n} hint{'s' if n != 1 else ''} on this image · saved in {file.parent.name}/{file.name}"
        if fh.error:
            text = f"{fh.path.name} cannot be edited: {fh.error}"
        elif fh.every is not None:
            text = f"{fh.path.name} holds one set of points for every image (read-only here)"
        p.hints_label.setText(text)
        p.clear_button.setEnabled(n > 0 and not fh.read_only)

    def folder_changed(self) -> None:
        """A folder was (re)opened or the list changed: read the files again."""
        self.store.forget()
        g = hs.read_guidance(self.guidance_folder()) if self.guidance_folder() is not None else hs.FolderGuidance()
        self.vividness = g.vividness
        self.panel.blockSignals(True)
        self.panel.set_vividness(g.vividness)
        self.panel.blockSignals(False)
        if g.reference != self.reference_path:
            self.reference_path = g.reference
            self._load_reference()
        self.show_current()

    def location_changed(self) -> None:
        """The output folder may have changed: the hints and guidance files with it."""
        self.folder_changed()

    # -- editing ----------------------------------------------------------------------------------
    def set_hint_mode(self, on: bool) -> None:
        self.overlay.set_active(on)
        if on:
            self.overlay.setFocus()
            self.win.statusBar().showMessage(
                "Hint mode: click to add a colour point, drag to move it, Delete removes the selected one, "
                "double-click changes its colour. H leaves.", 8000)
        else:
            self.win.statusBar().clearMessage()

    def edit(self, before: list, after: list, text: str) -> None:
        if self.path is None:
            return
        file, key = self.location(self.path)
        if self.store.file(file).read_only:
            self.overlay.set_points(before)
            self.win.statusBar().showMessage(self.panel.hints_label.text(), 8000)
            return
        self._stack(file, key).push(SetPoints(self, file, key, before, after, text))

    def apply_points(self, file: Path, key: str, points: list) -> None:
        """Set an image's hints: save the file, redraw, recompute the preview."""
        try:
            self.store.set_points(file, key, points)
        except Exception as exc:  # noqa: BLE001 - one line in the status bar
            self.win.statusBar().showMessage(f"Hints not saved: {' '.join(str(exc).split())}", 10000)
        if self.path is not None and self.location(self.path) == (file, key):
            self.overlay.set_points(self.store.points(file, key))
            self._update_label()
            self.win.previews.refresh()

    def clear_hints(self) -> None:
        if self.path is None or not self.overlay.points:
            return
        self.edit([dict(p) for p in self.overlay.points], [], "Clear hints")

    def set_colour(self, hex_colour: str) -> None:
        self.overlay.current_colour = hex_colour
        self.panel.set_colour(hex_colour)

    def pick_colour(self, initial: str, title: str) -> str | None:
        """Ask for a colour (tests replace this)."""
        c = QColorDialog.getColor(QColor(initial), self.win, title)
        return c.name() if c.isValid() else None

    def choose_colour(self) -> None:
        c = self.pick_colour(self.overlay.current_colour, "Colour of the next hint")
        if c:
            self.set_colour(c)

    def recolour(self, i: int) -> None:
        pts = [dict(p) for p in self.overlay.points]
        if not 0 <= i < len(pts):
            return
        c = self.pick_colour(hs.display_hex(pts[i]["colour"]), "Colour of this hint")
        if c:
            after = [dict(p) for p in pts]
            after[i]["colour"] = c
            self.set_colour(c)
            self.edit(pts, after, "Change hint colour")

    # -- reference and vividness --------------------------------------------------------------------
    def choose_reference(self) -> None:
        start = str(self.reference_path.parent) if self.reference_path else str(self.win.folder or Path.home())
        f, _ = QFileDialog.getOpenFileName(self.win, "Reference photograph", start, REFERENCE_FILTER)
        if f:
            self.set_reference(Path(f))

    def set_reference(self, path: Path | None) -> None:
        self.reference_path = Path(path) if path is not None else None
        self._load_reference()
        self._save_guidance()
        self.win.previews.refresh()

    def _load_reference(self) -> None:
        """Read the reference for the loaded model (its histogram bins); a bad file is one line, no reference."""
        self.reference, self.reference_error = None, ""
        path, c = self.reference_path, self._model()
        if path is not None and c is not None and c.reference_bins:
            from ..engine import load_reference

            try:
                self.reference = load_reference(path, c.reference_bins)
            except ValueError as exc:
                self.reference_error = str(exc)
                self.win.statusBar().showMessage(str(exc), 10000)
        self._show_reference()

    def _show_reference(self) -> None:
        path = self.reference_path
        img = read_thumbnail(path) if path is not None else read_thumbnail(Path("-"))
        note = "cannot be read" if path is not None and (img.isNull() or self.reference_error) else ""
        self.panel.set_reference(path, img, note)
        self.panel.eyedropper_button.setEnabled(self.takes_reference and not img.isNull())

    def _vividness_settled(self) -> None:
        v = self.panel.vividness
        if v != self.vividness:
            self.vividness = v
            self._save_guidance()
            self.win.previews.refresh()

    def _save_guidance(self) -> None:
        folder = self.guidance_folder()
        if folder is None:
            return
        try:
            hs.write_guidance(folder, hs.FolderGuidance(self.reference_path, self.vividness))
        except OSError as exc:
            self.win.statusBar().showMessage(f"Guidance not saved: {exc}", 10000)

    # -- what previews and batches get ------------------------------------------------------------
    def vividness_for(self, path: Path | None) -> float:
        """The image's own vividness, else the folder's."""
        own = self.win.image_settings.settings_of(path) if path is not None else None
        return float(own.vividness if own is not None and own.vividness is not None else self.vividness)

    def preview_guide(self, path: Path):
        """The engine's Guidance for a preview of ``path`` (only what the image's model takes)."""
        from ..engine import Guidance

        hints = ()
        if self.takes_for(path, "hints"):
            try:
                hints = hs.parse_points(self.points(path))
            except ValueError:
                hints = ()
        # the folder's reference, read for the loaded model, goes to every image as in the batch (an image
        # whose own model takes none then says so in one line, in the preview as in the batch)
        ref = self.reference.distribution if self.reference is not None and self.takes_for(None, "reference") else None
        return Guidance(hints=hints, reference=ref, vividness=self.vividness_for(path))

    def guide_key(self, path: Path) -> tuple:
        g = self.preview_guide(path)
        return (g.hints, self.reference.sha256 if g.reference is not None else None, g.vividness)

    def batch_hints(self, group) -> object | None:
        """The parsed hints file for a batch group (:class:`archcolour.hints.HintsFile`), None without hints.

        Only the hints of images whose model takes hints (the folder's, or the image's own) are given: as
        in the preview, hints a model cannot use are kept in the file but not sent to it."""
        import dataclasses

        from .. import hints as hints_mod

        if group.inputs and len(group.inputs) == 1 and Path(group.inputs[0]).is_dir():
            root = Path(group.inputs[0])
            file = hs.guidance_folder(root / "-", root, self.win.export.output_dir) / hs.HINTS_NAME
            try:
                hf = hints_mod.load(file) if file.exists() else None
            except hints_mod.HintsError as exc:
                self.win.batches.add_problem(str(exc))
                return None
            if hf is None:
                return None
            if hf.single is not None:  # one set for every image: the folder's model decides
                return hf if self.takes_for(None, "hints") else None
            keep = {k: v for k, v in hf.images.items() if self.takes_for(self._path_of(root, k), "hints")}
            return dataclasses.replace(hf, images=keep) if keep else None
        images = {}
        for src in group.inputs:  # single files: each one's own hints, by its name
            pts = self.points(Path(src)) if self.takes_for(Path(src), "hints") else []
            if pts:
                images.setdefault(Path(src).name, {"points": pts})
        return hints_mod.parse({"version": hints_mod.VERSION, "images": images}, "hints") if images else None

    def _path_of(self, root: Path, key: str) -> Path:
        """The listed image a hints key of ``root`` names (its path relative to root, else a bare name)."""
        p = root / key
        if self.win.model.find(p) is None and "/" not in key:
            for e in self.win.model.entries():
                if e.root == root and e.source.name == key:
                    return e.source
        return p

    def batch_options(self) -> dict:
        """Reference and vividness for a batch's options (the folder's; images' own vividness is in their
        own settings, which the batch applies)."""
        return {"reference": self.reference if self.takes_for(None, "reference") else None,
                "vividness": float(self.vividness)}

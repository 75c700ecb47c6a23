"""Images' own settings in the window: the *Settings for selected images* command, the marker on the
items that have some, and what previews and batches get.

Files: :mod:`.image_settings_store` (``image-settings.json`` beside ``hints.json`` in the output folder);
dialog: :mod:`.image_settings_dialog`. An image's own settings apply to its preview at once and to
every batch; an output already made keeps the settings it was made with (its provenance says which)
until it is redone, as after a change of its hints.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject

from . import image_settings_store as iss
from .image_settings_dialog import FolderDefaults, ImageSettingsDialog
from .models import State


class ImageSettingsController(QObject):
    def __init__(self, win):
        super().__init__(win)
        self.win = win
        self.store = iss.ImageSettingsStore()
        self._models: list[iss.ModelChoice] | None = None
        win.folderLoaded.connect(lambda _n: self.folder_changed())

    # -- where things are ----------------------------------------------------------------------------
    def location(self, path: Path) -> tuple[Path, str]:
        """(settings file, key) of an image."""
        e = self.win.model.find(path)
        return iss.location(Path(path), e.root if e is not None else None, self.win.export.output_dir)

    def settings_of(self, path: Path | None):
        """The image's own settings (:class:`archcolour.image_settings.ImageSettings`), None: the folder's."""
        if path is None:
            return None
        file, key = self.location(path)
        return self.store.get(file, key)

    def models(self) -> list[iss.ModelChoice]:
        if self._models is None:
            self._models = iss.bundled_models()
        return self._models

    def takes(self, model: str, what: str) -> bool:
        """Does the bundled model ``model`` take ``what`` ("hints", "reference"), by its manifest entry?"""
        return any(m.name == model and what in m.takes for m in self.models())

    def folder_changed(self) -> None:
        """The list or the output folder changed: read the files again, mark the items."""
        self.store.forget()
        self.refresh_markers()

    def refresh_markers(self) -> None:
        model = self.win.model
        for e in model.entries():
            model.set_own_settings(e.source, self.settings_of(e.source))
        self.win.update_actions()

    # -- the command ---------------------------------------------------------------------------------
    def chosen_entries(self) -> list:
        win = self.win
        entries = win.grid.selected_entries() if win.grid_action.isChecked() else win.selected_entries()
        if not entries and win.current_entry() is not None:
            entries = [win.current_entry()]
        return entries

    def folder_defaults(self) -> FolderDefaults:
        win = self.win
        c = win.colouriser
        ws = win.export.working_size or (c.working_size if c is not None else None)
        return FolderDefaults(working_size=ws, model=c.info.name if c is not None else win.settings.model,
                              vividness=float(win.guidance.vividness),
                              upsampling=getattr(c, "upsampling", "guided") or "guided")

    def ask(self, entries: list, current):
        """The dialog; the settings chosen, or None when cancelled (tests replace this)."""
        dlg = ImageSettingsDialog([e.display_name for e in entries], current, self.folder_defaults(), self.models(),
                                  self.win)
        self.dialog = dlg
        return dlg.settings() if dlg.exec() == ImageSettingsDialog.Accepted else None

    def edit_selected(self) -> None:
        entries = self.chosen_entries()
        if not entries:
            self.win.statusBar().showMessage("Select images first.", 5000)
            return
        cur = self.win.current_entry()
        first = cur if cur is not None and cur in entries else entries[0]
        chosen = self.ask(entries, self.settings_of(first.source))
        if chosen is not None:
            self.apply(entries, chosen)

    def reset_selected(self) -> None:
        entries = self.chosen_entries()
        if entries:
            self.apply(entries, None)

    def apply(self, entries: list, settings) -> int:
        """Give ``entries`` these own settings (None or empty: the folder's); saves, marks, re-previews."""
        win = self.win
        settings = None if settings is None or settings.empty else settings
        n = 0
        for e in entries:
            file, key = self.location(e.source)
            try:
                self.store.set(file, key, settings)
            except (OSError, ValueError) as exc:
                win.statusBar().showMessage(f"Settings not saved: {' '.join(str(exc).split())}", 10000)
                break
            win.model.set_own_settings(e.source, settings)
            n += 1
        if not n:
            return 0
        done = sum(e.state == State.DONE for e in entries[:n])
        what = f"own settings ({settings.describe()})" if settings is not None else "the folder's settings"
        msg = f"{n} image{'s' if n != 1 else ''}: {what}"
        if done:
            msg += (f"; {done} already colourised keep{'s' if done == 1 else ''} the output made before "
                    "(flag to redo, then Re-run rejected)")
        win.statusBar().showMessage(msg, 15000)
        if win.previews.path is not None and any(e.source == win.previews.path for e in entries[:n]):
            win.guidance.show_current()
            win.previews.refresh()
        win.update_actions()
        return n

    # -- what previews and batches get ---------------------------------------------------------------
    def batch_settings(self, group):
        """The images' own settings for a batch group (:class:`archcolour.image_settings.ImageSettingsFile`),
        None when none has any: the folder's file as the command line reads it, or each single file's own."""
        from .. import image_settings as ims

        if group.inputs and len(group.inputs) == 1 and Path(group.inputs[0]).is_dir():
            root = Path(group.inputs[0])
            file, _key = iss.location(root / "-", root, self.win.export.output_dir)
            fs = self.store.folder(file)
            if fs.error:
                self.win.batches.add_problem(fs.error)
            return fs.file if fs.file.images else None
        images = {}
        for src in group.inputs:  # single files: each one's own settings, by its name
            s = self.settings_of(Path(src))
            if s is not None:
                images.setdefault(Path(src).name, s)
        return ims.ImageSettingsFile("image settings", images) if images else None

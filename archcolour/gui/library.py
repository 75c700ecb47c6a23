"""What the window lists: opening folders, adding images, (re)scanning outputs, thumbnails.

Planning (which files are images, where their outputs go, whether an output is there) is the batch
planner's, run on a :class:`~archcolour.gui.workers.FolderScanner` thread.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject

from .models import ImageEntry, State
from .panels import batch_format
from .workers import FolderScanner, ScanRequest


class Library(QObject):
    def __init__(self, win):
        super().__init__(win)
        self.win = win
        self.folder: Path | None = None
        self._scan_id = 0
        self._mode = "add"
        win.thumbs.ready.connect(self._on_thumb)
        win.thumbs.failed.connect(self._on_thumb_failed)

    # -- states ---------------------------------------------------------------------------------------
    @staticmethod
    def state_of_existing(source: Path, output: Path | None, status: str | None = None) -> tuple[State, str]:
        """The state of an image whose planned output may exist (``status`` from the scan, if known)."""
        if status == "foreign":
            return State.CONFLICT, "its output name holds a colourised copy of another photograph (left alone)"
        if status == "unknown":
            return State.CONFLICT, "a file not made by archcolour has its output name (left alone)"
        if status == "pending" or output is None or not Path(output).exists():
            return State.PENDING, ""
        return State.DONE, ""

    # -- opening ----------------------------------------------------------------------------------------
    def _request(self, roots: list[Path], files: list[Path]) -> ScanRequest:
        win = self.win
        return ScanRequest(roots, files, win.include_sub_action.isChecked(), win.export.output_dir,
                           batch_format(win.export.fmt)[0], win.export.naming())

    def open_folder(self, folder: Path) -> None:
        win = self.win
        if win.batches.running:
            win.statusBar().showMessage("A batch is running: wait for it or cancel it first.", 5000)
            return
        folder = Path(folder)
        if not folder.is_dir():
            win.statusBar().showMessage(f"Not a folder: {folder}", 6000)
            return
        self.folder = folder
        win.settings.add_recent(folder)
        win.rebuild_recent_menu()
        win.save_settings()
        win.model.clear()
        win.thumbs.cancel_all()
        win.review.forget()
        win.previews.clear_cache()
        win.previews.set_path(None)
        win.compare.clear("Reading the folder…")
        win.folder_label.setText(folder.name or str(folder))
        win.folder_label.setToolTip(str(folder))
        win.export.default_parent = folder
        win.setWindowTitle(f"{folder.name} — archcolour")
        self._scan(self._request([folder], []), mode="add")

    def add_paths(self, paths: list[Path]) -> None:
        """Add files and folders to the list (one folder alone is opened instead)."""
        win = self.win
        paths = [Path(p) for p in paths]
        folders = [p for p in paths if p.is_dir()]
        files = [p for p in paths if p.is_file()]
        if win.batches.running:
            win.statusBar().showMessage("A batch is running: wait for it or cancel it first.", 5000)
            return
        if len(folders) == 1 and not files:
            self.open_folder(folders[0])
            return
        if not folders and not files:
            win.statusBar().showMessage("Nothing to add: not files or folders", 5000)
            return
        if win.model.rowCount() == 0:
            self.folder = None
            if files and not folders:
                win.export.default_parent = files[0].parent
        self._scan(self._request(folders, files), mode="add")

    def rescan(self) -> None:
        if self.folder is not None:
            self.open_folder(self.folder)

    def refresh_outputs(self) -> None:
        """Plan again (output folder, format or naming changed): which outputs exist now."""
        win = self.win
        roots = sorted({e.root for e in win.model.entries() if e.root is not None})
        files = [e.source for e in win.model.entries() if e.root is None]
        self._scan(self._request(roots, files), mode="refresh")

    def _scan(self, req: ScanRequest, mode: str) -> None:
        self._scan_id += 1
        self._mode = mode
        self.win.statusBar().showMessage("Reading…")
        t = FolderScanner(self._scan_id, req, self.win)
        t.scanned.connect(self._on_scanned)
        t.failed.connect(self._on_scan_failed)
        self.win.start_thread(t)

    def _on_scan_failed(self, request_id: int, message: str) -> None:
        if request_id != self._scan_id:
            return
        win = self.win
        win.statusBar().showMessage(f"Cannot read: {message}", 10000)
        win.compare.clear(f"Cannot read the folder:\n{message}")
        win.folderLoaded.emit(win.model.rowCount())

    def _entry_state(self, e: ImageEntry, exists: bool, error: str | None, status: str | None) -> None:
        if error:
            e.state, e.message = State.FAILED, error
        elif exists or status in ("foreign", "unknown"):
            e.state, e.message = self.state_of_existing(e.source, e.output, status)
        else:
            e.state, e.message = State.PENDING, ""

    def _on_scanned(self, request_id: int, result) -> None:
        if request_id != self._scan_id:
            return
        win = self.win
        if self._mode == "refresh":
            self._apply_refresh(result)
            return
        entries = []
        for source, root, output, exists, error, *rest in result.entries:
            e = ImageEntry(source=source, root=root, output=output)
            self._entry_state(e, exists, error, rest[0] if rest else None)
            e.flag = win.review.flag_of(e)
            entries.append(e)
        added = win.model.add_entries(entries)
        for e in added:
            win.thumbs.request(e.source)
            if e.state == State.DONE and e.output is not None:
                win.thumbs.request(e.source, e.output, is_output=True)
        for p in result.problems:
            win.batches.add_problem(p)
        n = win.model.rowCount()
        if self.folder is None:
            win.folder_label.setText(f"{n} single image{'s' if n != 1 else ''}")
        win.statusBar().showMessage(f"{len(added)} image(s) listed", 5000)
        if n == 0:
            win.compare.clear("No images here.\nOpen another folder (Ctrl+O) or drop images on the window.")
        elif not win.list_view.currentIndex().isValid() and added:
            win.select_path(added[0].source)
        elif win.compare.has_image() is False and win.previews.path is None:
            win.compare.clear("Select an image to preview it")
        win.update_actions()
        win.folderLoaded.emit(n)

    def _apply_refresh(self, result) -> None:
        win = self.win
        for source, _root, output, exists, error, *rest in result.entries:
            e = win.model.find(source)
            if e is None or e.state == State.WORKING:
                continue
            old_output, old_state, old_message = e.output, e.state, e.message
            e.output = output
            self._entry_state(e, exists, error, rest[0] if rest else None)
            if old_state == State.FAILED and e.state == State.PENDING:
                e.state, e.message = old_state, old_message  # an unreadable source stays failed
            e.flag = win.review.flag_of(e)
            win.model.update(source, state=e.state, message=e.message, output=output)
            if e.state == State.DONE and (output != old_output or not e.thumb_is_output):
                win.thumbs.request(source, output, is_output=True)
            elif e.state != State.DONE and e.thumb_is_output:
                e.thumb_is_output = False
                win.thumbs.request(source)
        win.statusBar().clearMessage()
        # the info line names the current output; not a new preview: the settings change that planned the
        # outputs again has asked for one already (a second request would drop the first and start over)
        win.previews.outputs_changed()
        win.folderLoaded.emit(win.model.rowCount())

    # -- thumbnails -------------------------------------------------------------------------------------
    def _on_thumb(self, source: str, image, is_output: bool) -> None:
        self.win.model.set_thumbnail(Path(source), image, is_output=is_output)

    def _on_thumb_failed(self, source: str, message: str, is_output: bool) -> None:
        if is_output:
            return
        e = self.win.model.find(Path(source))
        if e is not None and e.state == State.PENDING:
            self.win.model.update(Path(source), state=State.FAILED, message=f"unreadable: {message}")

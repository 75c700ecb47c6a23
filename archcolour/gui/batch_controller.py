"""Batches in the window: start (selection, all, re-run rejected), progress, pause, cancel, summary.

The work itself is :class:`archcolour.gui.workers.BatchWorker` (which iterates
:func:`archcolour.batch.run_job`, as the command line does); this class turns its signals into list
states, the progress panel and the Problems dock.
"""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QListWidgetItem, QMessageBox

from .models import ImageEntry, State
from .panels import batch_format
from .workers import BatchGroup, BatchWorker, gated


class BatchController(QObject):
    def __init__(self, win):
        super().__init__(win)
        self.win = win
        self.worker: BatchWorker | None = None
        self.pending: list[ImageEntry] | None = None  # waiting for the model to load
        self.close_after = False
        self._t0 = 0.0
        self._rerun = False
        self._overwrite = False
        self._replace_foreign = False
        win.batch_panel.pauseToggled.connect(self._on_pause_toggled)
        win.batch_panel.cancelRequested.connect(self.cancel_batch)

    @property
    def running(self) -> bool:
        return self.worker is not None or self.pending is not None

    # -- starting ----------------------------------------------------------------------------------
    def colourise_selected(self) -> None:
        win = self.win
        entries = win.selected_entries()
        if not entries:
            cur = win.list_view.currentIndex()
            entries = [win.model.entry(cur.row())] if cur.isValid() else []
        if not entries:
            win.statusBar().showMessage("Select images first (or use Colourise all).", 5000)
            return
        self.start(entries)

    def colourise_all(self) -> None:
        entries = self.win.model.entries()
        if not entries:
            self.win.statusBar().showMessage("Open a folder or drop images first.", 5000)
            return
        self.start(entries)

    def rerun_rejected(self) -> None:
        """Colourise again, with the current settings, every image flagged rejected or to redo."""
        from .review_store import RERUN_FLAGS

        entries = [e for e in self.win.model.entries() if e.flag in RERUN_FLAGS]
        if not entries:
            self.win.statusBar().showMessage("No image is flagged rejected or to redo.", 5000)
            return
        self.start(entries, rerun=True)

    def _groups_for(self, entries: list[ImageEntry]) -> list[BatchGroup]:
        win = self.win
        all_by_root: dict[Path | None, int] = {}
        for e in win.model.entries():
            all_by_root[e.root] = all_by_root.get(e.root, 0) + 1
        chosen: dict[Path | None, list[ImageEntry]] = {}
        for e in entries:
            chosen.setdefault(e.root, []).append(e)
        groups = []
        recursive = win.include_sub_action.isChecked()
        for root, es in chosen.items():
            if root is None:
                groups.append(BatchGroup([e.source for e in es], recursive=False))
            else:
                only = None if len(es) == all_by_root.get(root) else {e.source for e in es}
                groups.append(BatchGroup([root], recursive=recursive, only=only))
        return groups

    def replace_conflicts(self, entries: list[ImageEntry]) -> None:
        """Replace outputs that belong to another photograph: only the chosen ones, only after asking."""
        entries = [e for e in entries if e.state == State.CONFLICT]
        if not entries:
            return
        names = ", ".join(e.output.name for e in entries[:3] if e.output) + (" …" if len(entries) > 3 else "")
        if not self.confirm_replace(len(entries), names):
            return
        self.start(entries, replace_foreign=True)

    def confirm_replace(self, n: int, names: str) -> bool:
        ans = QMessageBox.warning(
            self.win, "Replace another photograph's output?",
            f"{n} output file(s) ({names}) were made from other photographs, or not by archcolour. "
            "Replacing them deletes those files for good.\n\nReplace them?",
            QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        return ans == QMessageBox.Yes

    def start(self, entries: list[ImageEntry], rerun: bool = False, replace_foreign: bool = False) -> None:
        win = self.win
        if self.worker is not None:
            return
        if win.engine_error is not None:
            QMessageBox.warning(win, "archcolour", f"The model could not be loaded:\n{win.engine_error}")
            return
        win.save_settings()
        self._rerun = rerun
        self._overwrite = win.export.overwrite or rerun
        self._replace_foreign = replace_foreign
        # earlier results stay as they are until this batch says otherwise (no flip to Pending)
        win.problems.clear()
        win.batch_panel.start(len(entries))
        win.export.set_running(True)
        if win.colouriser is None:
            self.pending = entries
            win.batch_panel.eta.setText("loading the model…")
            win.update_actions()
            return
        ex = win.export
        fmt, bit_depth = batch_format(ex.fmt)
        if getattr(ex, "bit_depth", None):
            bit_depth = ex.bit_depth
        groups = self._groups_for(entries)
        for g in groups:  # the saved hints and images' own settings, read from their files as the CLI reads them
            g.image_settings = win.image_settings.batch_settings(g)
            g.hints = win.guidance.batch_hints(g)
        # previews go first: the batch's steps wait while the preview worker computes one
        worker = BatchWorker(groups, gated(win.export_colourisers(), win.previews.worker.gate),
                             output_dir=ex.output_dir, fmt=fmt, overwrite=ex.overwrite or rerun,
                             jpeg_quality=ex.jpeg_quality, bit_depth=bit_depth, naming=ex.naming(),
                             replace_foreign=replace_foreign, parent=win, **win.guidance.batch_options())
        worker.planned.connect(win.batch_panel.set_total)
        worker.itemStarted.connect(self._on_item_started)
        worker.itemFinished.connect(self._on_item_finished)
        worker.progress.connect(self._on_progress)
        worker.problem.connect(self.add_problem)
        worker.finishedAll.connect(self._on_finished)
        worker.crashed.connect(self._on_crashed)
        worker.pausedChanged.connect(win.batch_panel.set_paused)
        self.worker = worker
        self._t0 = time.perf_counter()
        win.update_actions()
        win.start_thread(worker)
        win.statusBar().showMessage(f"Colourising {len(entries)} image(s)…")
        win.batchStarted.emit(len(entries))

    def engine_ready(self) -> None:
        if self.pending is not None:
            entries, self.pending = self.pending, None
            self.start(entries, self._rerun)

    def engine_failed(self) -> None:
        if self.pending is not None:
            self.pending = None
            self.win.batch_panel.hide()

    # -- progress -----------------------------------------------------------------------------------
    def _on_item_started(self, source: str) -> None:
        e = self.win.model.find(Path(source))
        if e is not None and ((e.state == State.DONE and not self._overwrite)
                              or (e.state == State.CONFLICT and not self._replace_foreign)):
            return  # will be skipped: its state stays, no flicker
        self.win.model.update(Path(source), state=State.WORKING, message="")

    def _on_item_finished(self, res) -> None:
        win = self.win
        e = win.model.find(Path(res.source))
        if res.status == "skipped":
            # an output of this very photograph is already there: it stays (or becomes) colourised
            st = getattr(getattr(res, "state", None), "value", None) or "done"
            state, msg = win.library.state_of_existing(Path(res.source), res.output, st)
            win.model.update(res.source, state=state, message=msg, output=res.output)
            if state == State.DONE and e is not None and not e.thumb_is_output:
                win.thumbs.request(res.source, res.output, is_output=True)
            return
        state = State.DONE if res.status == "done" else State.FAILED
        msg = res.message if res.status == "failed" else ""
        if res.status == "done" and res.warnings:
            msg = "; ".join(res.warnings)
        win.model.update(res.source, state=state, message=msg, output=res.output)
        if res.status == "done":
            win.thumbs.request(res.source, res.output, is_output=True)
            if self._rerun and e is not None and e.flag is not None:
                win.review.set_flag(e, None)  # a new output: to be reviewed again
            win.previews.output_written(Path(res.source), res.output)
        else:
            self.add_problem(f"{Path(res.source).name}: {res.message}", source=res.source)

    def _on_progress(self, done: int, total: int, eta: float) -> None:
        paused = self.worker is not None and self.worker.paused
        self.win.batch_panel.set_progress(done, total, eta, paused)

    def add_problem(self, text: str, source: Path | None = None) -> None:
        win = self.win
        item = QListWidgetItem(text)
        item.setForeground(Qt.red)
        if source is not None:
            item.setData(Qt.UserRole, str(source))
        win.problems.addItem(item)
        if not win.problems_dock.isVisible():
            win.problems_dock.show()

    # -- the end ------------------------------------------------------------------------------------
    def _end(self) -> None:
        win = self.win
        for e in win.model.entries():
            if e.state == State.WORKING:
                state, msg = win.library.state_of_existing(e.source, e.output)
                win.model.update(e.source, state=state, message=msg)
        self.worker = None
        win.export.set_running(False)
        win.update_actions()
        if self.close_after:
            QTimer.singleShot(0, win.close)

    def _on_finished(self, summary, cancelled: bool) -> None:
        win = self.win
        worker = self.worker
        secs = time.perf_counter() - self._t0 - (worker.paused_seconds if worker is not None else 0.0)
        dest = win.export.output_dir
        where = f" → {dest}" if dest else ""
        verb = "Cancelled" if cancelled else "Done"
        text = (f"{verb}: {summary.done} colourised, {summary.skipped} already done, {summary.failed} failed "
                f"in {secs:.1f} s{where}")
        if cancelled:
            title = "Cancelled"
        else:
            title = "Finished" if summary.failed == 0 else "Finished with errors"
        win.batch_panel.finish(text, ok=summary.failed == 0, title=title)
        win.statusBar().showMessage(text, 15000)
        self._end()
        win.batchFinished.emit(summary, cancelled)

    def _on_crashed(self, message: str) -> None:
        from .. import batch as batch_mod

        win = self.win
        results = list(self.worker.results) if self.worker is not None else []
        win.batch_panel.finish(f"The batch stopped on an error: {message}", ok=False, title="Stopped")
        self.add_problem(f"batch stopped: {message}")
        self._end()
        win.batchFinished.emit(batch_mod.summarise(results), True)

    def cancel_batch(self) -> None:
        win = self.win
        if self.pending is not None:
            self.pending = None
            win.batch_panel.hide()
            win.export.set_running(False)
            win.update_actions()
            return
        if self.worker is None:
            return
        self.worker.cancel()
        win.batch_panel.set_cancelling()
        win.statusBar().showMessage("Cancelling after the current image…")

    def toggle_pause(self) -> None:
        if self.worker is None:
            return
        self.win.batch_panel.pause_button.toggle()  # emits pauseToggled -> _on_pause_toggled

    def set_paused(self, paused: bool) -> None:
        if self.worker is not None and self.worker.paused != paused:
            self.toggle_pause()

    def _on_pause_toggled(self, paused: bool) -> None:
        win = self.win
        if self.worker is None:
            return
        if paused:
            self.worker.pause()
            win.batch_panel.eta.setText("pausing after this image…")
            win.pause_action.setText("&Resume")
            win.statusBar().showMessage("Paused after the current image")
        else:
            self.worker.resume()
            win.pause_action.setText("&Pause")
            win.statusBar().showMessage("Resumed", 3000)

    # -- quitting during a batch --------------------------------------------------------------------
    def ask_to_stop(self) -> bool:
        """The quit question: the batch is paused while it is asked, and the question follows the batch
        if it ends meanwhile."""
        box = QMessageBox(QMessageBox.Question, "Quit archcolour?",
                          "A batch is running (paused while you decide). Stop it after the current image "
                          "and quit?\n\nImages already written are kept; nothing is left half written.",
                          QMessageBox.Yes | QMessageBox.No, self.win)
        box.setDefaultButton(QMessageBox.No)

        def ended(*_a):
            box.setText("The batch has finished. Quit now?")

        self.win.batchFinished.connect(ended)
        try:
            return box.exec() == QMessageBox.Yes
        finally:
            self.win.batchFinished.disconnect(ended)

"""The before/after preview of the current image: requests, a small cache, the info line, the zoom label.

Previews never hash the file and never touch the batch's outputs. The first colour pass is computed at
the size the view shows the image at (fast), then refined at up to :data:`PREVIEW_MAX_SIDE` when the scan
is bigger; while a preview is computed, a running batch waits (:class:`~.workers.PreviewGate`).
*Before* is the scan as it looks; the "lightness only" toggle shows the grey L the network sees.
"Show uncertain colour" hatches the *after* image where the ensemble's looks disagreed and its colour
was toned down (the worker's mask, cached with the preview); it is available only with a colour quality
that tones colour down (``choices.Ensemble.shows_uncertainty``: Best), and says why otherwise.
"""
from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QKeySequence

from ..choices import ENSEMBLES
from .panels import ensemble_word
from .workers import PREVIEW_MAX_SIDE, PreviewRequest, PreviewWorker

PREVIEW_CACHE_ITEMS = 12
#: What the hatching means, in one phrase (the *after* label and the info line say it).
UNCERTAIN_MEANING = "hatched: the looks disagree, colour toned down"
UNCERTAIN_TIP = ("Hatch the colour the model is unsure of: where its looks at the photograph disagree, the "
                 "colour was toned down and is a guess. Check it there, or place a colour hint.")


class PreviewController(QObject):
    def __init__(self, win):
        super().__init__(win)
        self.win = win
        self.path: Path | None = None
        self._id = 0
        self._cache: OrderedDict = OrderedDict()
        self._shown = None  # PreviewResult on show (for the lightness toggle)
        self._info = None  # (PreviewResult, cached) the info line describes; None while computing
        self.show_l = False
        self.show_doubt = False  # the "Show uncertain colour" toggle (shown only where the quality allows)
        self.worker = PreviewWorker(win)
        self.worker.greyReady.connect(self._on_grey)
        self.worker.previewReady.connect(self._on_ready)
        self.worker.previewFailed.connect(self._on_failed)
        self.worker.start()
        win.compare.zoomChanged.connect(self._on_zoom_changed)

    # -- what is shown --------------------------------------------------------------------------------
    def set_path(self, path: Path | None, compute: bool = True) -> None:
        """Preview ``path`` (``compute`` False: remember it only, e.g. while the contact sheet shows)."""
        self.path = path
        self._id += 1
        self.worker.drop_pending(self._id)  # anything in flight is now stale
        if path is None:
            self._info = None
            self.win.preview_info.setText("")
            return
        if compute:
            self.refresh()

    def clear_cache(self) -> None:
        self._cache.clear()

    def _key(self, path: Path, colouriser) -> tuple:
        try:
            st = path.stat()
            stamp = (st.st_size, st.st_mtime_ns)
        except OSError:
            stamp = None
        base = getattr(colouriser, "base", colouriser)
        own = self.win.image_settings.settings_of(path)
        return (str(path), stamp, base.working_size, getattr(base, "ensemble", None), base.info.sha256,
                str(base.device), self.win.guidance.guide_key(path), own)

    def _colouriser(self):
        """The loaded model at the export panel's working size and colour quality, with the other models
        images ask for."""
        win = self.win
        if win.colouriser is None:
            return None
        return win.export_colourisers()

    def view_size(self) -> tuple[int, int]:
        """Where the view fits an image, in device pixels: the first pass is computed to fill it."""
        v = self.win.compare
        w, h = v.fit_area()
        r = v.devicePixelRatioF()
        return max(1, round(w * r)), max(1, round(h * r))

    def refresh(self) -> None:
        win = self.win
        path = self.path
        if path is None:
            return
        self._id += 1
        rid = self._id
        self._info = None
        win.preview_info.setText(f"{path.name} · computing the preview…")
        c = self._colouriser()
        if c is None:
            win.compare.set_busy_text("Loading the model…" if win.engine_error is None else "")
            if win.engine_error:
                win.compare.clear(f"The model could not be loaded:\n{win.engine_error}")
            self.worker.drop_pending(rid)
            return
        key = self._key(path, c)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            self.worker.drop_pending(rid)
            win.compare.set_busy_text("")
            same = win.compare.has_image()
            self._shown = hit
            win.compare.set_images(self._before(hit), hit.colour, keep_view=same, doubt=hit.doubt)
            self._show_info(hit, cached=True)
            win.greyShown.emit(str(path))
            win.previewReady.emit(str(path))
            win.previewRefined.emit(str(path))
            return
        win.compare.set_busy_text("Colourising preview…")
        self.worker.request(PreviewRequest(rid, path, c, max_side=PREVIEW_MAX_SIDE,
                                           guide=self.win.guidance.preview_guide(path),
                                           settings=self.win.image_settings.settings_of(path),
                                           view_size=self.view_size()))

    def _before(self, res):
        return res.grey if self.show_l else res.original

    def _on_grey(self, res) -> None:
        if res.request_id != self._id:
            return
        same = (self._shown is not None and self._shown.path == res.path and self.win.compare.has_colour()
                and self._shown.original.size() == res.original.size())
        self._shown = res
        if not same:  # the same image again (new hints, reference...): its last colour stays until the new one
            self.win.compare.set_images(self._before(res), None, keep_view=True)
        self.win.compare.set_busy_text("Colourising preview…")
        self.win.greyShown.emit(str(res.path))

    def _on_ready(self, res) -> None:
        if res.request_id != self._id:
            return
        win = self.win
        self._shown = res
        win.compare.set_colour(res.colour, res.doubt)
        win.compare.set_busy_text("" if res.final else "Refining…")
        if res.final:
            c = self._colouriser()
            if c is not None:
                self._cache[self._key(res.path, c)] = res
                while len(self._cache) > PREVIEW_CACHE_ITEMS:
                    self._cache.popitem(last=False)
        self._show_info(res)
        win.previewReady.emit(str(res.path))
        if res.final:
            win.previewRefined.emit(str(res.path))

    def _show_info(self, res, cached: bool = False) -> None:
        self._info = (res, cached)
        sw, sh = res.source_size
        pw, ph = res.preview_size
        txt = f"{res.path.name} · {sw}×{sh}"
        if (pw, ph) != (sw, sh):
            txt += f" (preview at {pw}×{ph}{'' if res.final else ', refining'}; outputs are full size)"
        txt += f" · working size {res.working_size} px"
        if res.ensemble:  # the colour quality this colour was made with, in the Colour quality combo's words
            txt += f" · colour quality “{ensemble_word(res.ensemble)}”"
            chosen = res.ensemble if res.final else self.win.export.ensemble
            if chosen != res.ensemble:  # the first pass of an ensemble: one look, the chosen one follows
                txt += f" for now, “{ensemble_word(chosen)}” follows"
        if self.win.compare.show_doubt:
            if res.doubt is not None:
                txt += f" · {UNCERTAIN_MEANING} ({res.doubt_share:.0%} of the image)"
            elif not res.final:
                txt += " · uncertain colour: once refined"
        own = self.win.image_settings.settings_of(res.path)
        if own is not None:
            txt += f" · own settings: {own.describe()}"
        elif res.model:
            txt += f" · model {res.model}"
        if not cached:
            txt += f" · {res.seconds:.2f} s"
        if res.notes:
            txt += " · " + "; ".join(res.notes)
        e = self.win.model.find(res.path)
        if e is not None and e.output is not None and e.output.exists():
            txt += f" · output {e.output.name}"
        self.win.preview_info.setText(txt)

    def outputs_changed(self) -> None:
        """The output choices changed which outputs exist: the info line names the current one. No new
        preview is asked for (the settings change that planned the outputs again has asked for it, if any);
        while one is computed, its info line will name the output when it comes."""
        if self._info is not None and self._info[0].path == self.path:
            self._show_info(*self._info)

    def output_written(self, source: Path, output: Path) -> None:
        if self.path is not None and Path(source) == self.path:
            info = self.win.preview_info
            info.setText(info.text().split(" · output ")[0] + f" · output {output.name}")

    def _on_failed(self, request_id: int, path: str, message: str) -> None:
        if request_id != self._id:
            return
        win = self.win
        self._info = None
        win.compare.set_busy_text("")
        win.compare.clear(f"Cannot preview {Path(path).name}:\n{message}")
        win.preview_info.setText(f"{Path(path).name} · cannot be previewed")
        win.previewFailed.emit(path, message)

    # -- view toggles ---------------------------------------------------------------------------------
    def _on_zoom_changed(self, zoom: float) -> None:
        self.win.zoom_label.setText(f"{zoom * 100:.0f}%" + (" (fit)" if self.win.compare.is_fit else ""))

    def set_side_by_side(self, on: bool) -> None:
        self.win.compare.set_side_by_side(on)
        self.win.settings.side_by_side = bool(on)

    def show_lightness(self, on: bool) -> None:
        self.show_l = bool(on)
        self._set_labels()
        if self._shown is not None and self._shown.path == self.path:
            self.win.compare.set_before(self._before(self._shown))
        self.win.compare.update()

    def _set_labels(self) -> None:
        self.win.compare.labels = ("Before (lightness)" if self.show_l else "Before",
                                   "After (hatched: uncertain colour)" if self.win.compare.show_doubt else "After")

    @staticmethod
    def uncertainty_unavailable(ensemble: str) -> str:
        """Why a colour quality has no uncertainty to show, in the window's words; "" when it has."""
        ens = ENSEMBLES.get(ensemble)
        if ens is None or ens.shows_uncertainty:
            return ""
        word = ensemble_word(ensemble)
        if ens.n_looks < 2:
            return (f"Not available with colour quality “{word}”: one look has nothing to disagree with. "
                    "Choose “Best” in the Export panel to see where the colour is uncertain.")
        return (f"Not available with colour quality “{word}”: it averages its looks without toning any colour "
                "down. Choose “Best” in the Export panel to see where the colour is uncertain.")

    def show_uncertainty(self, on: bool) -> None:
        """The "Show uncertain colour" toggle (remembered in the settings)."""
        self.show_doubt = bool(on)
        self.win.settings.show_uncertainty = self.show_doubt
        self.sync_uncertainty()

    def sync_uncertainty(self) -> None:
        """Enable the toggle for the colour quality chosen (or disable it and say why), and hatch the
        preview when it is on and allowed."""
        win = self.win
        action = getattr(win, "uncertain_action", None)
        why = self.uncertainty_unavailable(win.export.ensemble)
        if action is not None:
            action.setEnabled(not why)
            tip = why or UNCERTAIN_TIP
            sc = action.shortcut().toString(QKeySequence.NativeText)
            action.setToolTip(tip + (f" ({sc})" if sc and not why else ""))
            action.setStatusTip(tip)
        win.compare.set_show_doubt(self.show_doubt and not why)
        self._set_labels()
        win.compare.update()
        if self._info is not None and self._info[0].path == self.path:
            self._show_info(*self._info)

    def stop(self) -> None:
        self.worker.stop()
        self.worker.wait(10000)

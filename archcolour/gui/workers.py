"""Work that must stay off the UI thread: loading the engine, scanning folders, previews, batches.

Nothing here colourises by itself: previews call the engine's own two steps
(:meth:`archcolour.engine.Colouriser.predict`, then :meth:`~archcolour.engine.Colouriser.recombine`, which is
what :meth:`~archcolour.engine.Colouriser.colourise` does) on a screen-sized reading of the scan, and batches
iterate :func:`archcolour.batch.run_job`, the same generator the command line uses. Previews go first: while
one is computed, the batch waits at its next step (:class:`PreviewGate`). Modules that import torch are
imported inside the threads.
"""
from __future__ import annotations

import copy
import logging
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QImage

log = logging.getLogger(__name__)

#: previews are computed on at most this many pixels on the long side, about a screen's worth: the
#: network sees the working size anyway, so the preview shows the colours exactly; only the grey detail
#: of bigger scans is shown reduced (zooming past 100 % enlarges the preview's pixels). The batch
#: output is always full resolution.
PREVIEW_MAX_SIDE = 1280
#: the first, fast pass is computed at the size the view shows the image at (fitted), at most this big
#: (recombining the colour with the lightness costs per pixel, so this pass comes in a fraction of the
#: refined one's time) and at least PREVIEW_MIN_SIDE
PREVIEW_FAST_SIDE = 640
PREVIEW_MIN_SIDE = 256
#: the longest a batch holds back for previews in one go (:class:`PreviewGate`): a preview takes well under
#: this, so only someone flicking through images for longer than this shares the cores with the batch again
PREVIEW_HOLD_MAX_S = 3.0


def one_line(exc: BaseException) -> str:
    msg = getattr(exc, "message", None) or " ".join(str(exc).split())
    return msg or type(exc).__name__


# ------------------------------------------------------------------------------------------------
# previews go first
# ------------------------------------------------------------------------------------------------
class PreviewGate:
    """While a preview is computed, batch work waits at its next step, so the preview has the cores.

    The preview worker closes the gate from a request until it is done (or dropped); a batch's colourisers
    (:func:`gated`) wait at it before the network, before each strip of the recombination and before the
    output is encoded. Waiting never changes what the batch computes, only when. A gate closed for longer
    than ``max_hold_s`` in one go lets the batch through (it then shares the cores again), so browsing
    never stops a batch. Thread-safe.
    """

    def __init__(self, max_hold_s: float = PREVIEW_HOLD_MAX_S, clock=time.monotonic):
        self.max_hold_s = float(max_hold_s)
        self._clock = clock
        self._cond = threading.Condition()
        self._closed_at: float | None = None
        self.waiting = 0  # batch steps waiting at the gate right now
        self.held = 0  # batch steps that have waited so far
        self._classes: dict = {}  # gated subclasses, by the class they gate (see gated())

    @property
    def closed(self) -> bool:
        with self._cond:
            return self._closed_at is not None

    def close(self) -> None:
        with self._cond:
            if self._closed_at is None:
                self._closed_at = self._clock()

    def open(self) -> None:
        with self._cond:
            self._closed_at = None
            self._cond.notify_all()

    def wait(self) -> None:
        """Return once the gate is open, or has been closed for ``max_hold_s``."""
        with self._cond:
            if self._closed_at is None:
                return
            self.waiting += 1
            self.held += 1
            try:
                while self._closed_at is not None:
                    left = self._closed_at + self.max_hold_s - self._clock()
                    if left <= 0:
                        return
                    self._cond.wait(left)
            finally:
                self.waiting -= 1


def _gated_class(base: type, gate: PreviewGate) -> type:
    """A subclass of a colouriser class (or of :class:`~archcolour.batch.colourisers.Colourisers`) whose
    work waits at ``gate`` between steps; it computes exactly what ``base`` does."""
    cls = gate._classes.get(base)
    if cls is not None:
        return cls
    ns: dict = {"_gate": gate, "_ungated": base}
    if hasattr(base, "for_settings"):  # the run's colourisers: every colouriser they hand out waits too
        def for_settings(self, settings):
            return gated(base.for_settings(self, settings), gate)

        ns["for_settings"] = for_settings
    else:
        def predict(self, *a, **k):
            gate.wait()
            return base.predict(self, *a, **k)

        def recombine(self, *a, **k):
            gate.wait()
            out = base.recombine(self, *a, **k)
            gate.wait()  # the output is encoded next
            return out

        def lab_strip_to_linear(cls, *a, **k):  # each strip of the recombination
            gate.wait()
            return base.lab_strip_to_linear(*a, **k)

        ns.update(predict=predict, recombine=recombine)
        if hasattr(base, "lab_strip_to_linear"):
            ns["lab_strip_to_linear"] = classmethod(lab_strip_to_linear)
    cls = gate._classes[base] = type(f"Gated{base.__name__}", (base,), ns)
    return cls


def gated(colouriser, gate: PreviewGate | None):
    """A view of ``colouriser`` (a shallow copy sharing its network; or of the run's
    :class:`~archcolour.batch.colourisers.Colourisers`, sharing the models loaded) whose work waits at
    ``gate``: what a batch is given, so that previews go first. None and gate None: unchanged."""
    if colouriser is None or gate is None or getattr(colouriser, "_gate", None) is gate:
        return colouriser
    base = getattr(type(colouriser), "_ungated", type(colouriser))
    if hasattr(colouriser, "for_settings"):
        g = colouriser.with_base(gated(colouriser.base, gate))
    else:
        g = copy.copy(colouriser)
    g.__class__ = _gated_class(base, gate)
    return g


def with_working_size(colouriser, working_size: int | None):
    """A view of ``colouriser`` (sharing its network) with another working size (:func:`archcolour.batch.
    colourisers.view`, imported here: only ever called once the engine, and torch, are loaded)."""
    from ..batch.colourisers import view

    return view(colouriser, working_size=working_size)


# ------------------------------------------------------------------------------------------------
# engine
# ------------------------------------------------------------------------------------------------
#: torch's thread count when the engine was first loaded (before any batch could share the cores out).
#: torch keeps a count per thread, set when a thread first uses it from the last ``set_num_threads``:
#: a batch sets 1 per image in flight, so a preview thread first used during a batch would keep 1 for good.
ENGINE_THREADS: int | None = None


def available_devices() -> list[str]:
    """The devices this machine has, as settings keys: 'auto', 'cpu', then 'cuda' / 'mps' if present."""
    import torch

    keys = ["auto", "cpu"]
    if torch.cuda.is_available():
        keys.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        keys.append("mps")
    return keys


class EngineLoader(QThread):
    """Imports the engine (torch) and builds a :class:`Colouriser` on a background thread.

    A device that cannot be used (absent, or failing to load the model) falls back to the automatic
    choice; ``loaded`` then carries a one-line note saying so, and ``devices`` lists what exists."""

    loaded = Signal(int, object, str)  # request id, Colouriser, fallback note ("" when none)
    failed = Signal(int, str)
    devices = Signal(list)  # available device keys

    def __init__(self, request_id: int, device: str, model: str | None, parent=None):
        super().__init__(parent)
        self.request_id, self.device, self.model = request_id, device, model

    def run(self) -> None:
        global ENGINE_THREADS
        note = ""
        try:
            import torch

            from ..engine import Colouriser

            if ENGINE_THREADS is None:
                ENGINE_THREADS = torch.get_num_threads()

            try:
                self.devices.emit(available_devices())
            except Exception:  # noqa: BLE001 - the list is a convenience
                log.debug("device listing failed", exc_info=True)
            try:
                c = Colouriser(model=self.model, device=self.device)
            except Exception as exc:  # noqa: BLE001 - try the automatic choice before giving up
                if (self.device or "auto") in ("auto", "cpu"):
                    raise
                c = Colouriser(model=self.model, device="auto")
                note = f"{self.device} could not be used ({one_line(exc)}); using {c.device_name} instead"
        except Exception as exc:  # noqa: BLE001 - shown in the status bar
            log.debug("engine load failed", exc_info=True)
            self.failed.emit(self.request_id, one_line(exc))
            return
        self.loaded.emit(self.request_id, c, note)


# ------------------------------------------------------------------------------------------------
# folder scanning (batch.plan_job decides which files are images and where outputs go)
# ------------------------------------------------------------------------------------------------
@dataclass
class ScanRequest:
    roots: list[Path]  # folders
    files: list[Path]  # single images
    recursive: bool
    output_dir: Path | None
    fmt: str
    naming: Any = None  # archcolour.gui.naming.Naming


@dataclass
class ScanResult:
    request: ScanRequest
    entries: list[tuple[Path, Path | None, Path, bool, str | None, str]] = field(default_factory=list)
    # (source, root folder or None, output, output exists, error, output state: pending | done | foreign | unknown)
    problems: list[str] = field(default_factory=list)


class FolderScanner(QThread):
    scanned = Signal(int, object)  # request id, ScanResult
    failed = Signal(int, str)

    def __init__(self, request_id: int, request: ScanRequest, parent=None):
        super().__init__(parent)
        self.request_id, self.request = request_id, request

    def run(self) -> None:
        try:
            self.scanned.emit(self.request_id, scan(self.request))
        except Exception as exc:  # noqa: BLE001
            log.debug("scan failed", exc_info=True)
            self.failed.emit(self.request_id, one_line(exc))


def _entry(it, root):
    state = getattr(getattr(it, "state", None), "value", None) or ("done" if it.exists else "pending")
    return (it.source, root, it.output, it.exists, it.error, state)


def _naming(naming) -> dict:
    """plan_job's naming arguments for a :class:`~archcolour.gui.naming.Naming` (None: the default)."""
    return naming.plan_options() if naming is not None else {}


def scan(req: ScanRequest) -> ScanResult:
    from .. import batch

    res = ScanResult(req)
    for root in req.roots:
        plan = batch.plan_job([root], req.output_dir, recursive=req.recursive, fmt=req.fmt, **_naming(req.naming))
        res.problems.extend(plan.problems)
        res.entries.extend(_entry(it, root) for it in plan.items)
    if req.files:
        plan = batch.plan_job(req.files, req.output_dir, recursive=False, fmt=req.fmt, **_naming(req.naming))
        res.problems.extend(plan.problems)
        res.entries.extend(_entry(it, None) for it in plan.items)
    return res


# ------------------------------------------------------------------------------------------------
# preview
# ------------------------------------------------------------------------------------------------
@dataclass
class PreviewRequest:
    request_id: int
    path: Path
    colouriser: Any
    fast_side: int = PREVIEW_FAST_SIDE  # first pass: at most this big (the image fitted into view_size)
    max_side: int = PREVIEW_MAX_SIDE  # refined pass (skipped when the image is no bigger than the first)
    guide: Any = None  # engine.Guidance: the user's hints, reference, vividness (None: none)
    settings: Any = None  # the image's own settings (archcolour.image_settings.ImageSettings), None: the folder's
    view_size: tuple[int, int] | None = None  # the view's size in device pixels (None: first pass at fast_side)


def first_pass_side(w: int, h: int, view_size: tuple[int, int] | None, most: int = PREVIEW_FAST_SIDE) -> int:
    """Long side of the first colour pass of a (w, h) image: the size a view of ``view_size`` shows it at
    when fitted, within [PREVIEW_MIN_SIDE, most] (the refined pass brings the detail for zooming in)."""
    side = most
    if view_size is not None and min(view_size) > 0 and w > 0 and h > 0:
        side = round(max(w, h) * min(view_size[0] / w, view_size[1] / h))
    return int(min(most, max(PREVIEW_MIN_SIDE, side)))


@dataclass
class PreviewResult:
    request_id: int
    path: Path
    original: QImage  # the scan as it looks
    grey: QImage  # the lightness the network sees (a = b = 0)
    colour: QImage | None
    source_size: tuple[int, int]
    preview_size: tuple[int, int]
    working_size: int
    seconds: float
    notes: list[str] = field(default_factory=list)
    final: bool = True  # False: a fast pass; a refined one follows
    model: str = ""  # the model that made the colour, when it is not the loaded one (an image's own)
    ensemble: str = ""  # the test-time ensemble this pass's colour was made with (choices.ENSEMBLES)
    # where this pass's colour is uncertain (uncertainty_mask), at the colour's size; None when its ensemble
    # tones nothing down (one look, "mirror"), or the prediction failed and each pass was colourised whole
    doubt: QImage | None = None
    doubt_share: float = 0.0  # the share of the image hatched (at least half the pattern's strength)


#: The alpha ramp of "Show uncertain colour": ``uncertainty`` (the share of the looks' mean colour the
#: ensemble toned down, :func:`archcolour.looks.uncertainty`) below UNCERTAIN_FROM is not marked, above
#: UNCERTAIN_FULL gets the whole pattern, linearly in between. Below 0.5 the output keeps more than half
#: of the looks' colour (with "full"'s gain 1.35, two thirds of it): the looks broadly agree. Above 0.8 it
#: keeps a fifth or less (27 % with the gain): they disagree more than they agree and what is left
#: is close to grey, a guess. A ramp rather than a threshold, because the map is averaged over a 5 x 5
#: window of the working size: its edges are not sharp boundaries, and a hard contour would claim they
#: were. On five of the look-book's old prints with archunet-aged (median uncertainty 0.2-0.4) this
#: marks 9-12 % of a photograph fully, 14-23 % at half strength or more and 21-40 % at all: the sky at a
#: horizon, window light, dense crowds.
UNCERTAIN_FROM = 0.5
UNCERTAIN_FULL = 0.8


def uncertainty_mask(uncertainty, width: int, height: int) -> tuple[QImage, float]:
    """The engine's uncertainty map (1, 1, h, w) on its working grid, brought to (width, height) as the
    colour is (bilinear) and put through the ramp above: an Alpha8 QImage (its own copy; 255 = the whole
    pattern) the preview draws its hatching through, and the share of pixels at least half marked.
    Worker threads only (torch)."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    u = uncertainty.float()
    if tuple(u.shape[-2:]) != (height, width):
        u = F.interpolate(u, size=(height, width), mode="bilinear", align_corners=False)
    a = ((u[0, 0] - UNCERTAIN_FROM) / (UNCERTAIN_FULL - UNCERTAIN_FROM)).clamp_(0.0, 1.0)
    share = float((a >= 0.5).float().mean()) if a.numel() else 0.0
    alpha = np.ascontiguousarray((a * 255.0 + 0.5).to(torch.uint8).numpy())
    return QImage(alpha.data, width, height, alpha.strides[0], QImage.Format_Alpha8).copy(), share


def rgb_to_qimage(rgb) -> QImage:
    """uint8 (H, W, 3) sRGB or (H, W) grey -> a QImage (its own copy) in the format the screen draws and
    scales without converting (RGB32), so the UI thread only ever blits it."""
    import numpy as np

    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    fmt = QImage.Format_Grayscale8 if rgb.ndim == 2 else QImage.Format_RGB888
    return QImage(rgb.data, w, h, rgb.strides[0], fmt).convertToFormat(QImage.Format_RGB32)


def grey_from_l(l):
    """sRGB rendering of a lightness plane (a = b = 0), uint8 (H, W): :func:`archcolour.colour.grey8_from_l`,
    the exact L -> grey that thumbnails use too (a table, so a multi-megapixel image costs milliseconds)."""
    from .. import colour

    return colour.grey8_from_l(l)


def shrink_l(l, max_side: int):
    """Lightness reduced (area-averaged) so its long side is at most ``max_side``."""
    import numpy as np
    from PIL import Image

    h, w = l.shape
    if max(h, w) <= max_side:
        return l
    s = max_side / max(h, w)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    im = Image.fromarray(np.ascontiguousarray(l, dtype=np.float32), "F")
    return np.array(im.resize((nw, nh), Image.Resampling.BOX), dtype=np.float32)  # writable copy


class PreviewWorker(QThread):
    """One long-lived thread computing previews; only the newest request is ever worked on.

    ``greyReady`` comes first (right after the file is read), then ``previewReady`` with the colour: a
    first pass at the size the view shows the image at, then (for bigger scans) the refined pass. The
    network runs once per request; both passes recombine its prediction with the lightness at their own
    size, exactly as :meth:`Colouriser.colourise` does, so the refined pass is what the batch writes (at
    that size). Results of a request that is no longer the newest are dropped, never emitted. From a
    request until the worker is idle again, ``gate`` is closed: batches (given :func:`gated` colourisers)
    wait, so the preview has the cores.
    """

    greyReady = Signal(object)  # PreviewResult (colour None)
    previewReady = Signal(object)  # PreviewResult
    previewFailed = Signal(int, str, str)  # request id, path, message

    def __init__(self, parent=None):
        super().__init__(parent)
        self._cond = threading.Condition()
        self._pending: PreviewRequest | None = None
        self._latest_id = -1
        self._stop = False
        self._last_source = None  # (key, source, original, grey, {side: lightness}): a hint edit reads nothing again
        self.gate = PreviewGate()

    def request(self, req: PreviewRequest) -> None:
        with self._cond:
            self._pending = req
            self._latest_id = req.request_id
            self.gate.close()
            self._cond.notify()

    def drop_pending(self, newest_id: int) -> None:
        """Forget queued work; anything older than ``newest_id`` is not emitted."""
        with self._cond:
            self._pending = None
            self._latest_id = newest_id

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._pending = None
            self.gate.open()
            self._cond.notify()

    def _stale(self, req: PreviewRequest) -> bool:
        with self._cond:
            return self._stop or req.request_id != self._latest_id

    def run(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._stop:
                    self.gate.open()  # idle: batches go on
                    self._cond.wait()
                if self._stop:
                    return
                req, self._pending = self._pending, None
            try:
                self._compute(req)
            except Exception as exc:  # noqa: BLE001 - shown in the preview pane
                log.debug("preview failed", exc_info=True)
                if not self._stale(req):
                    self.previewFailed.emit(req.request_id, str(req.path), one_line(exc))

    def _compute(self, req: PreviewRequest) -> None:
        import numpy as np
        import torch

        from ..batch.colourisers import view
        from .preview_source import load_preview_source

        t0 = time.perf_counter()
        if ENGINE_THREADS and torch.get_num_threads() != ENGINE_THREADS:  # this thread's own count: all cores
            torch.set_num_threads(ENGINE_THREADS)
        try:
            st = req.path.stat()
            key = (str(req.path), st.st_size, st.st_mtime_ns, max(req.max_side, req.fast_side))
        except OSError:
            key = None
        last = self._last_source
        if key is not None and last is not None and last[0] == key:
            _k, src, original, grey, shrunk = last  # the same scan again (a new hint, reference, vividness)
        else:
            self._last_source = None
            src = load_preview_source(req.path, max(req.max_side, req.fast_side))
            if self._stale(req):
                return
            original = rgb_to_qimage(src.original)
            # an 8-bit grey scan is exactly the grey its lightness renders to: one image serves both
            grey = original if src.original.ndim == 2 else rgb_to_qimage(grey_from_l(src.l))
            shrunk = {}
            if key is not None:
                self._last_source = (key, src, original, grey, shrunk)
        l_full = src.l
        h, w = l_full.shape
        base = getattr(req.colouriser, "base", req.colouriser)
        colouriser = req.colouriser
        if hasattr(colouriser, "for_settings"):  # batch.Colourisers: another model is loaded here, once
            colouriser = colouriser.for_settings(req.settings)
        own_model = colouriser.info.name if colouriser.info.name != base.info.name else ""
        ws = int(colouriser.working_size)
        self.greyReady.emit(PreviewResult(req.request_id, req.path, original, grey, None, src.source_size, (w, h),
                                          ws, 0.0, list(src.notes)))
        first = first_pass_side(w, h, req.view_size, req.fast_side)
        passes = [first, req.max_side] if max(h, w) > first else [max(h, w)]
        if self._stale(req):
            return
        guide = {} if req.guide is None else {"guide": req.guide}
        # the network once, on the lightness the refined pass recombines with (what colourise() does)
        l_top = shrunk.get(passes[-1])
        if l_top is None:
            l_top = shrunk[passes[-1]] = shrink_l(l_full, passes[-1])
        # with a test-time ensemble (6.7x the network's time), the first pass shows one look's colour and
        # the refined pass the ensemble's, which is what the output gets
        quick = len(passes) > 1 and getattr(colouriser, "ensemble", "none") != "none"
        pred, pred_ensemble = None, ""
        for k, side in enumerate(passes):
            if self._stale(req):
                return
            if k == 0 or quick:
                try:
                    c = view(colouriser, ensemble="none") if quick and k == 0 else colouriser
                    pred = c.predict(torch.from_numpy(l_top), **guide)
                    pred_ensemble = getattr(c, "ensemble", "")
                except Exception:  # noqa: BLE001 - e.g. out of memory: colourise() retries smaller and says so, or words it
                    log.debug("preview prediction failed; colourising each pass", exc_info=True)
                    pred = None
                if self._stale(req):
                    return
            l = shrunk.get(side)
            if l is None:
                l = shrunk[side] = shrink_l(l_full, side)
            doubt, doubt_share = None, 0.0
            if pred is not None:
                rgb, used, warnings = colouriser.recombine(torch.from_numpy(l), pred, out_dtype=np.uint8), ws, []
                ensemble = pred_ensemble
                if pred.uncertainty is not None:  # where this colour is a guess, at this pass's size
                    doubt, doubt_share = uncertainty_mask(pred.uncertainty, l.shape[1], l.shape[0])
            else:
                out = colouriser.colourise(l, out_dtype=np.uint8, **guide)
                rgb, used, warnings = out.rgb, out.working_size, list(out.warnings)
                ensemble = getattr(colouriser, "ensemble", "")
            if self._stale(req):
                return
            res = PreviewResult(req.request_id, req.path, original, grey, rgb_to_qimage(rgb), src.source_size,
                                (l.shape[1], l.shape[0]), used, time.perf_counter() - t0,
                                list(src.notes) + warnings, final=k == len(passes) - 1, model=own_model,
                                ensemble=ensemble, doubt=doubt, doubt_share=doubt_share)
            self.previewReady.emit(res)


# ------------------------------------------------------------------------------------------------
# batch
# ------------------------------------------------------------------------------------------------
@dataclass
class BatchGroup:
    """One call of plan_job: folders keep their sub-folder layout in the output."""

    inputs: list[Path]
    recursive: bool
    only: set[Path] | None = None  # restrict the plan to these sources (the selection)
    hints: Any = None  # archcolour.hints.HintsFile for these sources (the folder's hints.json), or None
    image_settings: Any = None  # archcolour.image_settings.ImageSettingsFile (image-settings.json), or None


class BatchWorker(QThread):
    """Runs :func:`archcolour.batch.run_job` over one or more plans.

    Cancel stops after the image in progress (outputs are written atomically, so nothing is left half
    written); pause holds the generator between two images.

    Its threads run at the window's priority. Previews get the cores by the batch waiting for them
    (:class:`PreviewGate`), not by a nicer batch: a nicer thread is descheduled by other programs while it
    holds the GIL, and the window, which needs the GIL for every event it handles in Python, waits with
    it (bench_gui under a training job: UI stalls 142-180 ms nicer, 71-105 ms not; the batch itself took
    twice as long).
    """

    planned = Signal(int)  # number of items
    itemStarted = Signal(str)  # source path
    itemFinished = Signal(object)  # batch.ItemResult
    progress = Signal(int, int, float)  # finished, total, ETA seconds (-1 unknown)
    problem = Signal(str)  # planning problems
    finishedAll = Signal(object, bool)  # batch.Summary, cancelled
    crashed = Signal(str)
    pausedChanged = Signal(bool)
    holding = Signal(int)  # paused and now holding between images, after this many results

    def __init__(self, groups: list[BatchGroup], colouriser, *, output_dir: Path | None, fmt: str,
                 overwrite: bool, jpeg_quality: int, bit_depth: str = "auto", naming=None,
                 replace_foreign: bool = False, reference=None, vividness: float = 1.0, parent=None):
        super().__init__(parent)
        self.reference = reference  # engine.Reference for the whole batch, or None
        self.vividness = float(vividness)
        self.naming = naming
        self.replace_foreign = replace_foreign
        self.groups = groups
        self.colouriser = colouriser
        self.output_dir = output_dir
        self.fmt = fmt
        self.overwrite = overwrite
        self.jpeg_quality = jpeg_quality
        self.bit_depth = bit_depth
        self._resume = threading.Event()
        self._resume.set()
        self._cancel = None
        self._cancel_requested = False
        self.results: list = []
        self.paused_seconds = 0.0

    # thread-safe controls
    def cancel(self) -> None:
        self._cancel_requested = True
        if self._cancel is not None:
            self._cancel.cancel()
        self._resume.set()

    def pause(self) -> None:
        if self._resume.is_set():
            self._resume.clear()
            self.pausedChanged.emit(True)

    def resume(self) -> None:
        if not self._resume.is_set():
            self._resume.set()
            self.pausedChanged.emit(False)

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel_requested

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # noqa: BLE001 - a bug: report it, never hang the UI
            log.error("batch crashed: %s", traceback.format_exc())
            self.crashed.emit(one_line(exc))

    def _plans(self, batch):
        plans = []
        for g in self.groups:
            plan = batch.plan_job(g.inputs, self.output_dir, recursive=g.recursive, fmt=self.fmt,
                                  overwrite=self.overwrite, **_naming(self.naming))
            for p in plan.problems:
                self.problem.emit(p)
            if g.only is not None:
                keep = {Path(s).resolve() for s in g.only}
                plan.items = [it for it in plan.items if it.source.resolve() in keep]
            if plan.items:
                plans.append((plan, g))
        return plans

    def _run(self) -> None:
        from .. import batch

        self._cancel = batch.CancelToken()
        if self._cancel_requested:
            self._cancel.cancel()
        plans = self._plans(batch)
        total = sum(len(p.items) for p, _g in plans)
        self.planned.emit(total)
        options = batch.BatchOptions(fmt=self.fmt, overwrite=self.overwrite, jpeg_quality=self.jpeg_quality,
                                     bit_depth=self.bit_depth, reference=self.reference, vividness=self.vividness)
        if self.replace_foreign:  # only ever for items the user chose to replace, after asking
            options.replace_foreign = True
        finished = 0
        work_seconds = 0.0
        worked = 0  # images actually colourised (skips are instant and say nothing about the pace)
        t_mark = time.perf_counter()
        self.progress.emit(0, total, -1.0)
        for plan, group in plans:
            if self._cancel.cancelled:
                break
            options.hints = group.hints
            options.image_settings = group.image_settings
            items = plan.items
            if items:
                self.itemStarted.emit(str(items[0].source))
            gen = batch.run_job(plan, self.colouriser, options, self._cancel)
            try:
                for k, res in enumerate(gen):
                    now = time.perf_counter()
                    if res.status == "done":
                        work_seconds += now - t_mark
                        worked += 1
                    t_mark = now
                    finished += 1
                    self.results.append(res)
                    self.itemFinished.emit(res)
                    has_next = k + 1 < len(items)
                    hold = not self._resume.is_set()  # paused: hold the generator between images
                    if has_next and not hold and not self._cancel.cancelled:
                        self.itemStarted.emit(str(items[k + 1].source))
                    remaining = total - finished
                    eta = (work_seconds / worked) * remaining if worked else -1.0
                    self.progress.emit(finished, total, eta)
                    if hold:
                        t_pause = time.perf_counter()
                        self.holding.emit(finished)
                        self._resume.wait()
                        self.paused_seconds += time.perf_counter() - t_pause
                        t_mark = time.perf_counter()
                        if has_next and not self._cancel.cancelled:
                            self.itemStarted.emit(str(items[k + 1].source))
                    # on cancel, run_job itself stops before the next image (after reporting a
                    # write still in flight), so the loop just runs out
            finally:
                gen.close()  # finishes a write in flight, stops the I/O threads
        cancelled = self._cancel.cancelled and finished < total
        self.finishedAll.emit(batch.summarise(self.results), cancelled)

"""Running a planned job: :func:`run_job` yields one :class:`ItemResult` per item, in order.

By default the items run on this machine (:func:`local_executor`): through :func:`.pipeline.ordered_map`
(``options.jobs`` in flight; a huge image alone), each by :func:`.item.process_item`. Another backend
(the Ray backend) passes its own ``executor`` and keeps everything else: this module is the one
manifest writer (each result is appended, fsynced, under the folder's lock, before it is yielded;
results of items still in flight when the caller stops early are recorded too), takes each output
folder's run lock and removes stale temporary files first.

An *executor* is ``executor(items, options, hashes, *, stop, on_abandoned) -> Iterator[ItemResult]``:
one result per item, in order; ``stop()`` is checked before each new item starts; when the consumer
closes the iterator early, items in flight finish and their results go to ``on_abandoned``.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from .. import diagnostics, provenance
from ..formats import temp_stem
from .colourisers import Colourisers
from .item import BatchOptions, ItemResult, process_item
from .pipeline import ordered_map
from .plan import JobItem, JobPlan
from .state import SourceHashes

if TYPE_CHECKING:  # pragma: no cover
    from ..engine import Colouriser

log = logging.getLogger(__name__)

#: Pixels of the images in flight at once (memory bound); a bigger image runs alone.
IN_FLIGHT_PIXELS = 48_000_000


@dataclass
class Summary:
    done: int = 0
    skipped: int = 0
    failed: int = 0
    #: skipped items whose output belongs to another source (included in ``skipped``)
    conflicts: int = 0

    @property
    def total(self) -> int:
        return self.done + self.skipped + self.failed

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def add(self, r: ItemResult) -> None:
        setattr(self, r.status, getattr(self, r.status) + 1)
        self.conflicts += r.conflict

    def __str__(self) -> str:
        extra = f" ({self.conflicts} conflict{'s' if self.conflicts != 1 else ''})" if self.conflicts else ""
        return f"{self.done} done, {self.skipped} skipped{extra}, {self.failed} failed"


class CancelToken:
    """Set from any thread; :func:`run_job` starts no further image."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


def summarise(results: Iterable[ItemResult]) -> Summary:
    s = Summary()
    for r in results:
        s.add(r)
    return s


def default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


def _pixels(item: JobItem) -> int:
    """Width x height from the file header (0 when it cannot be told cheaply)."""
    try:
        from PIL import Image

        # a header's oddities are noted when the item itself is read, not here (with no file named)
        with diagnostics.collecting(item.source), Image.open(item.source) as im:
            return int(im.width) * int(im.height)
    except Exception:  # noqa: BLE001
        return IN_FLIGHT_PIXELS  # unknown: assume big, so it runs alone


@contextmanager
def _share_cores(jobs: int) -> Iterator[None]:
    """With several images in flight, each forward pass gets its share of torch's threads (no oversubscription)."""
    torch = sys.modules.get("torch")
    if jobs <= 1 or torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, before // jobs))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def remove_stale_temps(items: Iterable[JobItem]) -> None:
    """Delete ``.<output name>[.json].<8 hex>.tmp`` files left by a killed run (or a dead worker), for these
    items' outputs."""
    names: dict[Path, set[str]] = {}
    for it in items:
        names.setdefault(it.output.parent, set()).update({temp_stem(it.output.name), temp_stem(it.output.name + ".json")})
    for folder, wanted in names.items():
        if not folder.is_dir():
            continue
        for p in folder.glob(".*.tmp"):
            if provenance.TEMP_RE.match(p.name) and p.name[1:-13] in wanted:
                try:
                    p.unlink()
                except OSError:
                    pass


class _Manifests:
    """One manifest writer per output folder, opened before any work (a refused one fails its items)."""

    def __init__(self, plan: JobPlan, colouriser, options: BatchOptions):
        self.writers: dict[Path, provenance.ManifestWriter] = {}
        self.refused: dict[Path, str] = {}
        self.plan = plan
        if not options.manifest:
            return
        info = getattr(colouriser, "info", None)
        for it in plan.items:
            folder = self.folder(it)
            if folder in self.writers or folder in self.refused:
                continue
            run_info = {"output_dir": str(folder), "items": len(plan.items), "overwrite": options.overwrite,
                        "replace_foreign": options.replace_foreign, "format": options.fmt,
                        "sidecar": options.sidecar, "jobs": options.jobs, "vividness": options.vividness}
            if options.reference is not None:
                run_info["reference"] = {"name": options.reference.name, "sha256": options.reference.sha256}
            if options.hints is not None:
                run_info["hints_file"] = options.hints.path
            if options.image_settings is not None:
                run_info["image_settings_file"] = options.image_settings.path
            if info is not None:
                run_info.update(model=info.name, model_version=info.version, model_sha256=info.sha256,
                                working_size=getattr(colouriser, "working_size", None),
                                seed=getattr(colouriser, "seed", None), device=str(getattr(colouriser, "device", "")))
            try:
                self.writers[folder] = provenance.ManifestWriter(folder / provenance.MANIFEST_NAME, run_info)
            except OSError as e:
                self.refused[folder] = " ".join(str(e).split())

    def folder(self, it: JobItem) -> Path:
        return self.plan.output_dir if self.plan.output_dir is not None else it.output.parent

    def record(self, res: ItemResult) -> None:
        m = self.writers.get(self.folder(JobItem(res.source, res.output)))
        if m is None:
            return
        extra = {"audit_error": res.audit_error} if res.audit_error else {}
        if res.state is not None and res.status == "skipped":
            extra["output_state"] = res.state.value
        if res.guidance is not None:
            extra["guidance"] = res.guidance
        if res.image_settings is not None:
            extra["image_settings"] = res.image_settings
        m.append(source=res.source, output=res.output, status=res.status, message=res.message,
                 source_sha256=res.source_sha256, output_sha256=res.output_sha256, model=res.model,
                 model_sha256=res.model_sha256, seconds=res.seconds, warnings=list(res.warnings), **extra)

    def close(self) -> None:
        for m in self.writers.values():
            m.close()


def _record_results(results, manifests: "_Manifests") -> Iterator[ItemResult]:
    """Yield each result once the manifest has it; on an early stop, finish (and record) what is in flight."""
    try:
        for res in results:
            manifests.record(res)
            yield res
    finally:
        results.close()
        manifests.close()


Executor = Callable[..., Iterator[ItemResult]]


def local_executor(colouriser: "Colouriser | Colourisers | None", jobs: int | None = None) -> Executor:
    """Items on this machine: ``jobs`` in flight (None: one per CPU core), each forward pass with its share
    of torch's threads; each model an image asks for is loaded once for the run (:class:`Colourisers`)."""
    pool = Colourisers.of(colouriser)
    n = jobs or default_jobs()

    def execute(items: Iterable[JobItem], options: BatchOptions, hashes: SourceHashes | None = None, *,
                stop: Callable[[], bool] = lambda: False,
                on_abandoned: Callable[[ItemResult], None] | None = None) -> Iterator[ItemResult]:
        with _share_cores(n):
            yield from ordered_map(lambda it: process_item(it, pool, options, hashes), items, jobs=n,
                                   weight=_pixels if n > 1 else None, budget=IN_FLIGHT_PIXELS, stop=stop,
                                   on_abandoned=on_abandoned)

    return execute


def run_job(plan: JobPlan, colouriser: "Colouriser | Colourisers | None", options: BatchOptions | None = None,
            cancel: CancelToken | None = None, *, executor: Executor | None = None) -> Iterator[ItemResult]:
    """Colourise every item of ``plan``; yields one :class:`ItemResult` per item, in order.

    No new image starts once ``cancel`` is set; images already in flight finish and are yielded.
    First removes temporary files a killed earlier run left for this plan's outputs. With
    ``options.manifest`` each result is appended (fsynced) to ``manifest.jsonl`` in the output folder
    before it is yielded; a manifest that cannot be written safely (e.g. a symbolic link) fails that
    folder's items with one line, before any work. ``colouriser`` may be None when no item needs
    colourising (all outputs exist): the skips are still recorded. It describes the model in the
    manifest; the items run on ``executor`` (default: :func:`local_executor` with ``colouriser``).
    """
    options = options or BatchOptions()
    locks = _lock_output_folders(plan)
    try:
        execute = executor if executor is not None else local_executor(colouriser, options.jobs)
        yield from _run(plan, colouriser, options, cancel, execute)
    finally:
        for lock in locks:
            lock.close()  # closing the file releases the lock


#: Held by a run, for its whole length, in each output folder (beside the manifest's own lock file).
RUN_LOCK_NAME = ".archcolour.run.lock"


def _lock_output_folders(plan: JobPlan) -> list["provenance.FolderLock"]:
    """Take each output folder's run lock, waiting (and saying so) while another run holds it.

    Two runs into one folder then take turns: the second finds the first one's outputs done and skips
    them instead of colourising them again, and its stale-temp clean-up can never delete a temporary
    file the other run is still writing. A folder that cannot be locked (it cannot be created, or the
    lock file is a symbolic link) is left to the manifest writer, which refuses it with one line.
    """
    if plan.output_dir is not None:
        folders = [plan.output_dir] if plan.items else []
    else:
        folders = sorted({it.output.parent for it in plan.items})
    locks: list[provenance.FolderLock] = []
    try:
        for folder in folders:  # sorted: two runs over the same folders lock them in the same order
            try:
                folder.mkdir(parents=True, exist_ok=True)
                lock = provenance.FolderLock(folder, RUN_LOCK_NAME)
            except OSError:  # includes provenance.UnsafePathError
                continue
            locks.append(lock)
            if not lock.acquire(blocking=False):
                log.warning("%s: another archcolour run is writing into this folder; waiting for it to finish",
                            folder)
                lock.acquire()
    except BaseException:  # e.g. Ctrl-C while waiting
        for lock in locks:
            lock.close()
        raise
    return locks


def _run(plan: JobPlan, colouriser, options: BatchOptions, cancel: CancelToken | None,
         execute: Executor) -> Iterator[ItemResult]:
    remove_stale_temps(plan.items)
    manifests = _Manifests(plan, Colourisers.of(colouriser).base, options)

    def refused(it: JobItem) -> JobItem:  # a folder whose manifest cannot be written: its items fail
        why = manifests.refused.get(manifests.folder(it))
        return it if why is None else replace(it, error=f"refused: manifest: {why}")

    def abandoned(res: ItemResult) -> None:  # in flight when the caller stopped: on disk, so recorded
        if res.status == "failed":
            log.error("%s: %s", res.source, res.message)
        manifests.record(res)

    results = execute([refused(it) for it in plan.items], options, plan.hashes,
                      stop=lambda: cancel is not None and cancel.cancelled, on_abandoned=abandoned)
    yield from _record_results(results, manifests)

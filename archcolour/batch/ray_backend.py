"""The Ray backend: the same batch job, its items run by the workers of a Ray cluster.

The planner (:func:`archcolour.batch.plan_job`) and the manifest writer (:func:`archcolour.batch.run_job`)
stay on the driver; only the items travel. Each Ray worker is an actor that loads the model once and
runs :func:`archcolour.batch.process_item` on the item's paths, so sources are read and outputs written
on the shared file system by the workers, with the same atomic writes, provenance and sidecars as the
local backend. Results come back to the driver, which yields them in the plan's order (so the
manifest, the one file with a single writer, reads the same as a local run's).

Why Ray Core actors and not Ray Data ``map_batches``: the items are paths, not data; nothing needs to
stream through the object store (the workers read and write the shared file system themselves), and the
driver wants one result per item, in order, to append to the manifest and to show progress. With
actors the dispatcher is a short loop whose every case we can state and test: a bounded window of items
in flight (backpressure: the driver never runs more than ``window`` items ahead of the manifest); a
worker that dies has its items sent to the surviving workers at once and is replaced; an image that
keeps killing workers fails alone after :data:`MAX_ATTEMPTS`. Ray Data would also need ``ray[data]``
(pyarrow, pandas) on every node. See ``docs/SCALE.md``.

Items whose output needs no work (already done from this source, conflicts, refused items) are settled
on the driver without a round trip, so resuming a mostly finished archive costs a stat and a sidecar
read per item, not a Ray task.

``ray`` is an optional extra (``pip install 'archcolour[cluster]'``): this module imports it only in
:meth:`RayBackend.start`, which says so in one line when it is missing.
"""
from __future__ import annotations

import logging
import os
import socket
import time
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from ..choices import DEFAULT_ENSEMBLE
from ..fsutil import sha256_file
from .colourisers import Colourisers
from .item import BatchOptions, ItemResult, one_line, process_item
from .plan import JobItem, JobPlan
from .run import remove_stale_temps, run_job
from .state import SourceHashes, check_output, needs_work

if TYPE_CHECKING:  # pragma: no cover
    from .run import CancelToken

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'archcolour[cluster]'"
#: attempts at one item before it fails (each attempt whose worker died counts)
MAX_ATTEMPTS = 3
#: seconds to wait for the first worker to load the model before giving up
START_TIMEOUT = 600.0


class RayBackendError(RuntimeError):
    """The Ray backend cannot run (ray missing, no cluster, no worker could load the model); one line."""


def import_ray():
    try:
        import ray
    except ImportError:
        raise RayBackendError(f"the Ray backend needs the optional 'ray' package (ray>=2.60): {INSTALL_HINT}") from None
    return ray


@dataclass(frozen=True)
class ModelSpec:
    """What every worker loads: one weights file (absolute path on the shared file system) and its SHA-256.

    Resolved once on the driver, so every worker verifies the same bytes and the provenance of every
    output names the same model.
    """

    weights: str
    sha256: str
    device: str = "auto"
    working_size: int | None = None
    seed: int = 0
    upsampling: str = "guided"
    ensemble: str = DEFAULT_ENSEMBLE

    @classmethod
    def resolve(cls, weights: str | os.PathLike | None = None, *, model: str | None = None, device: str = "auto",
                working_size: int | None = None, seed: int = 0, upsampling: str = "guided",
                ensemble: str = DEFAULT_ENSEMBLE) -> "ModelSpec":
        from ..weights import WeightsError, resolve_bundled

        if weights is None:
            path, sha = resolve_bundled(model)
        else:
            path = Path(weights)
            if not path.is_file():
                raise WeightsError(f"weights file missing: {path}")
            sha = sha256_file(path)
        return cls(str(Path(path).absolute()), sha.lower(), device or "auto", working_size, int(seed), upsampling,
                   ensemble)


def _node_name() -> str:
    try:
        import ray

        node = ray.get_runtime_context().get_node_id()[:8]
        ip = ray.util.get_node_ip_address()
        return f"{socket.gethostname()} ({ip}, node {node})"
    except Exception:  # noqa: BLE001 - only a label
        return socket.gethostname()


def _own_models(options: BatchOptions) -> dict[str, tuple[str, str]]:
    """(absolute weights path, SHA-256) of each bundled model images' own settings name, resolved on the
    driver so that every worker loads the same bytes; a name that does not resolve is left to the worker
    (whose image then fails with one line)."""
    from ..weights import WeightsError, resolve_bundled

    out: dict[str, tuple[str, str]] = {}
    for name in sorted(options.image_settings.models()) if options.image_settings is not None else ():
        try:
            path, sha = resolve_bundled(name)
        except (WeightsError, OSError):
            continue
        out[name] = (str(Path(path).absolute()), sha.lower())
    return out


class Worker:
    """A Ray actor's body: one per worker process; loads the model once, then runs items.

    Never raises for a bad item or a model that would not load: the first becomes a failed result, the
    second is reported by :meth:`hello` (the driver then leaves this worker out). A model an image's own
    settings ask for (:mod:`archcolour.image_settings`) is loaded by this worker on first use, with the
    run's device, seed and upsampling, and kept for the rest of the run: from the weights file (and
    SHA-256) the driver resolved for that name, as for the run's model, else by name from its node's
    bundled models; one that cannot be loaded fails that image with one line.
    """

    def __init__(self, spec: ModelSpec, threads: int = 1) -> None:
        self.node = _node_name()
        self.hashes = SourceHashes()
        self.colouriser = None
        self.error: str | None = None
        try:
            import torch

            torch.set_num_threads(max(1, int(threads)))
            from ..engine import Colouriser

            self.colouriser = Colouriser(spec.weights, device=spec.device, working_size=spec.working_size,
                                         seed=spec.seed, expected_sha256=spec.sha256, upsampling=spec.upsampling,
                                         ensemble=spec.ensemble)
        except Exception as e:  # noqa: BLE001 - reported to the driver in one line
            self.error = f"Ray worker on {self.node} cannot load the model: {one_line(e)}"
        self.spec = spec
        self.models: dict[str, tuple[str, str]] = {}  # name -> (weights, sha256), as the driver resolved them
        self.colourisers = Colourisers(self.colouriser, self._load)

    def _load(self, name: str):
        from ..engine import Colouriser

        spec = self.spec
        path, sha = self.models.get(name, (None, None))
        return Colouriser(path, model=None if path else name, device=spec.device, seed=spec.seed,
                          expected_sha256=sha, upsampling=spec.upsampling, ensemble=spec.ensemble)

    def hello(self) -> dict[str, Any]:
        c = self.colouriser
        return {"pid": os.getpid(), "node": self.node, "error": self.error,
                "info": getattr(c, "info", None), "working_size": getattr(c, "working_size", None),
                "seed": getattr(c, "seed", None), "device": str(getattr(c, "device", "")),
                "device_name": getattr(c, "device_name", ""), "accepts_hints": bool(getattr(c, "accepts_hints", False)),
                "reference_bins": getattr(c, "reference_bins", None)}

    def run(self, item: JobItem, root: str, options: BatchOptions,
            models: dict[str, tuple[str, str]] | None = None) -> ItemResult:
        """``item`` with absolute paths; ``root`` its output folder, which the driver made; ``models`` the
        weights (path, SHA-256) of the models images' own settings name, resolved on the driver."""
        if models:
            self.models.update(models)
        if not os.path.exists(item.source):
            return ItemResult(item.source, item.output, "failed",
                              f"{item.source}: not found on Ray worker {self.node} (the driver sees it: is the "
                              "shared file system mounted at the same path on every node?)", 0.0)
        if not os.path.isdir(root):
            return ItemResult(item.source, item.output, "failed",
                              f"output folder {root} not found on Ray worker {self.node} (is the shared file "
                              "system mounted at the same path on every node?)", 0.0)
        return process_item(item, self.colourisers, options, self.hashes)


@dataclass
class _Actor:
    handle: Any
    node: str = ""
    pid: int = 0
    busy: int = 0


@dataclass
class _Task:
    index: int
    actor: _Actor


class RayBackend:
    """A pool of Ray workers that runs a planned job (:meth:`run`, like :func:`archcolour.batch.run_job`).

    ``RayBackend.start(...)`` connects to the cluster (``address``; None: ``$RAY_ADDRESS``, else a new local
    Ray started for this run, even when another is running on this machine), starts ``workers`` actors (None: one per GPU of the cluster when the device
    allows CUDA and the cluster has GPUs, else one per CPU) and waits until one has loaded the model.
    ``info``, ``working_size``, ``seed``, ``device``, ``device_name``, ``accepts_hints`` and
    ``reference_bins`` describe the model as the workers loaded it (what the CLI checks and the manifest
    records), so the backend stands where a :class:`~archcolour.engine.Colouriser` would. Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, ray, spec: ModelSpec, *, workers: int, num_cpus: float, num_gpus: float, concurrency: int,
                 owns_ray: bool) -> None:
        self.ray = ray
        self.spec = spec
        self.workers = workers
        self.num_cpus, self.num_gpus, self.concurrency = num_cpus, num_gpus, concurrency
        self.owns_ray = owns_ray
        self.live: list[_Actor] = []
        self.starting: dict[Any, _Actor] = {}  # hello ObjectRef -> actor still loading the model
        self.errors: list[str] = []  # workers that could not load the model
        self.replacements_left = 3 * workers
        self.resent = 0  # items sent again because their worker died
        self.info = None
        self.working_size = self.seed = None
        self.device = ""
        self._device_name = ""
        self.accepts_hints = False
        self.reference_bins = None
        # SPREAD: workers on as many nodes as possible (a node that dies takes as few with it);
        # max_restarts=0: a dead worker's items are sent to the live ones at once, and the pool starts
        # a replacement wherever the cluster has room (a restart in place could wait for a lost node)
        self._cls = ray.remote(Worker).options(num_cpus=num_cpus, num_gpus=num_gpus, max_restarts=0,
                                               max_concurrency=concurrency, scheduling_strategy="SPREAD")

    # -- start and stop -----------------------------------------------------------------------
    @classmethod
    def start(cls, weights: str | os.PathLike | None = None, *, model: str | None = None, device: str = "auto",
              working_size: int | None = None, seed: int = 0, upsampling: str = "guided",
              ensemble: str = DEFAULT_ENSEMBLE, address: str | None = None,
              workers: int | None = None, num_cpus: float = 1.0, timeout: float = START_TIMEOUT) -> "RayBackend":
        ray = import_ray()
        spec = ModelSpec.resolve(weights, model=model, device=device, working_size=working_size, seed=seed,
                                 upsampling=upsampling, ensemble=ensemble)
        owns = False
        if not ray.is_initialized():
            # "local": a Ray of this machine's own for this run, never a cluster that happens to be running here
            address = address or os.environ.get("RAY_ADDRESS") or "local"
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False,
                         logging_level=logging.WARNING, configure_logging=True)
            except Exception as e:  # noqa: BLE001 - ConnectionError, ValueError, RuntimeError...
                where = "(local)" if address == "local" else f"at {address}"
                raise RayBackendError(f"cannot start or reach the Ray cluster {where}: {one_line(e)}") from None
            owns = True
        try:
            res = ray.cluster_resources()
            gpus = int(res.get("GPU", 0))
            use_gpu = spec.device in ("auto", "cuda") and gpus > 0
            if spec.device == "cuda" and not use_gpu:
                raise RayBackendError("--device cuda, but the Ray cluster has no GPUs")
            if spec.device == "mps":
                raise RayBackendError("--device mps is not available on a Ray cluster (use auto, cpu or cuda)")
            n = workers or (gpus if use_gpu else max(1, int(res.get("CPU", 1) // num_cpus)))
            self = cls(ray, spec, workers=n, num_cpus=num_cpus, num_gpus=1 if use_gpu else 0,
                       concurrency=2 if use_gpu else 1, owns_ray=owns)
            for _ in range(n):
                self._spawn()
            self._await_first(timeout)
        except BaseException:
            if owns:
                ray.shutdown()
            raise
        return self

    def _spawn(self) -> None:
        a = _Actor(self._cls.remote(self.spec, max(1, int(self.num_cpus))))
        self.starting[a.handle.hello.remote()] = a

    def _await_first(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.live:
            if not self.starting:
                raise RayBackendError(self.errors[0] if self.errors else "no Ray worker could start")
            left = deadline - time.monotonic()
            if left <= 0:
                res = self.ray.cluster_resources()
                raise RayBackendError(
                    f"no Ray worker loaded the model within {timeout:.0f} s (the cluster has {res.get('CPU', 0):g} "
                    f"CPU, {res.get('GPU', 0):g} GPU; each worker needs {self.num_cpus:g} CPU"
                    f"{', 1 GPU' if self.num_gpus else ''})")
            self._poll(list(self.starting), min(left, 1.0))

    def close(self) -> None:
        for a in list(self.live) + list(self.starting.values()):
            try:
                self.ray.kill(a.handle)
            except Exception:  # noqa: BLE001
                pass
        self.live.clear()
        self.starting.clear()
        if self.owns_ray:
            self.ray.shutdown()
            self.owns_ray = False

    def __enter__(self) -> "RayBackend":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- what the manifest and the CLI show -----------------------------------------------------
    @property
    def device_name(self) -> str:
        n = len(self.live) + len(self.starting)
        return f"Ray, {n} worker{'s' if n != 1 else ''} ({self._device_name or self.device})"

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers (for tests and diagnostics)."""
        return [a.pid for a in self.live]

    # -- the pool --------------------------------------------------------------------------------
    def _hello(self, ref, a: _Actor) -> None:
        try:
            h = self.ray.get(ref)
        except Exception as e:  # noqa: BLE001 - the actor died while loading
            self.errors.append(f"a Ray worker died while loading the model: {one_line(e)}")
            return
        if h["error"]:
            self.errors.append(h["error"])
            log.warning("%s", h["error"])
            self.ray.kill(a.handle)
            return
        a.node, a.pid = h["node"], h["pid"]
        if self.info is None:
            self.info, self.working_size, self.seed = h["info"], h["working_size"], h["seed"]
            self.device, self._device_name = h["device"], h["device_name"]
            self.accepts_hints, self.reference_bins = h["accepts_hints"], h["reference_bins"]
        self.live.append(a)

    def _lost(self, a: _Actor, why: str) -> None:
        """``a`` died: leave it out and start another (up to a limit, so a crash loop ends)."""
        if a in self.live:
            self.live.remove(a)
            log.warning("Ray worker on %s (pid %s) lost: %s", a.node, a.pid, why)
            try:
                self.ray.kill(a.handle)
            except Exception:  # noqa: BLE001
                pass
            if self.replacements_left > 0:
                self.replacements_left -= 1
                self._spawn()

    def _poll(self, refs: list, timeout: float) -> list:
        """Wait up to ``timeout`` for one of ``refs``; handles ready hellos; returns the ready task refs."""
        ready, _ = self.ray.wait(refs, num_returns=1, timeout=timeout)
        tasks = []
        for ref in ready:
            a = self.starting.pop(ref, None)
            if a is not None:
                self._hello(ref, a)
            else:
                tasks.append(ref)
        return tasks

    def _free(self) -> _Actor | None:
        best = min(self.live, key=lambda a: a.busy, default=None)
        return best if best is not None and best.busy <= self.concurrency else None

    # -- items to results, in order ---------------------------------------------------------------
    def map(self, items: Iterable[JobItem], options: BatchOptions, hashes: SourceHashes | None = None, *,
            stop: Callable[[], bool] = lambda: False,
            on_abandoned: Callable[[ItemResult], None] | None = None) -> Iterator[ItemResult]:
        """Yield one result per item, in order. Items that need no work are settled here; the rest go to
        the workers, at most ``window`` items ahead of the one yielded next. ``stop()`` is checked
        before each new item starts; when the consumer stops early, items in flight finish and their
        results go to ``on_abandoned`` (run_job records them)."""
        ray = self.ray
        items = list(items)
        hashes = hashes or SourceHashes()
        roots: dict[int, str] = {}
        made: set[Path] = set()
        window = max(8, 4 * (self.concurrency + 1) * max(1, self.workers))
        results: dict[int, ItemResult] = {}
        pending: dict[Any, _Task] = {}
        retry: deque[int] = deque()
        attempts: dict[int, int] = {}
        retried: list[JobItem] = []
        nxt = out = 0

        def local(it: JobItem) -> bool:
            return it.error is not None or not needs_work(check_output(it.source, it.output, hashes).state,
                                                          overwrite=options.overwrite,
                                                          replace_foreign=options.replace_foreign)

        def remote_item(i: int) -> tuple[JobItem, str]:
            it = items[i]
            if i not in roots:
                folder = it.output.parent.absolute()
                if folder not in made:  # the workers check it exists (on their node): make it here first
                    folder.mkdir(parents=True, exist_ok=True)
                    made.add(folder)
                roots[i] = str(folder)
            return replace(it, source=it.source.absolute(), output=it.output.absolute()), roots[i]

        if options.c2pa is not None:  # the workers' working folder is not the driver's
            c2pa = options.c2pa
            options = replace(options, c2pa=replace(c2pa, cert=Path(c2pa.cert).absolute(), key=Path(c2pa.key).absolute()))
        opts = ray.put(options)  # sent once, not with every item
        models = ray.put(_own_models(options))

        def submit(i: int, a: _Actor) -> None:
            it, root = remote_item(i)
            a.busy += 1
            pending[a.handle.run.remote(it, root, opts, models)] = _Task(i, a)

        def settle(ref) -> None:
            t = pending.pop(ref)
            t.actor.busy -= 1
            try:
                res = ray.get(ref)
            except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError,
                    ray.exceptions.ObjectLostError) as e:
                self._lost(t.actor, one_line(e))
                attempts[t.index] = attempts.get(t.index, 0) + 1
                retried.append(items[t.index])
                if attempts[t.index] < MAX_ATTEMPTS:
                    retry.append(t.index)  # to a surviving worker
                    self.resent += 1
                    return
                it = items[t.index]
                res = ItemResult(it.source, it.output, "failed",
                                 f"{MAX_ATTEMPTS} Ray workers died while on this image (last: {one_line(e)})", 0.0)
            except ray.exceptions.RayError as e:  # a bug in the worker: this item fails, the rest goes on
                it = items[t.index]
                res = ItemResult(it.source, it.output, "failed", one_line(e), 0.0)
            it = items[t.index]
            results[t.index] = replace(res, source=it.source, output=it.output)  # the driver's own paths

        try:
            while out < len(items):
                while not stop():  # start what there is room for
                    if retry:
                        a = self._free()
                        if a is None:
                            break
                        submit(retry.popleft(), a)
                        continue
                    if nxt >= len(items) or nxt - out >= window:
                        break
                    if local(items[nxt]):
                        results[nxt] = process_item(items[nxt], None, options, hashes)
                        nxt += 1
                        continue
                    a = self._free()
                    if a is None:
                        break
                    submit(nxt, a)
                    nxt += 1
                if out in results:
                    yield results.pop(out)
                    out += 1
                    continue
                if not pending and stop():
                    return
                if not pending and not self.starting:  # no worker left: what remains fails, one line each
                    why = self.errors[-1] if self.errors else "all Ray workers were lost"
                    for i in list(retry) + list(range(nxt, len(items))):
                        it = items[i]
                        results[i] = ItemResult(it.source, it.output, "failed", f"no Ray worker left ({why})", 0.0)
                    retry.clear()
                    nxt = len(items)
                    continue
                for ref in self._poll(list(pending) + list(self.starting), 1.0):
                    settle(ref)
        finally:
            # stopped early: what is in flight finishes and is handed on, never dropped
            for ref in list(pending):
                try:
                    settle(ref)
                except BaseException:  # noqa: BLE001 - a second interrupt: leave the rest to the next run
                    break
            for i in sorted(results):
                if on_abandoned is not None and i >= out:
                    on_abandoned(results.pop(i))
            if retried:
                remove_stale_temps(retried)  # temporary files of attempts whose worker died

    # -- the whole job ------------------------------------------------------------------------------
    def run(self, plan: JobPlan, options: BatchOptions | None = None,
            cancel: "CancelToken | None" = None) -> Iterator[ItemResult]:
        """:func:`archcolour.batch.run_job` with this pool as its executor: yields one result per item, in
        order; the manifest (``run_job``'s writer, on the driver) records each before it is yielded; no new
        image starts once ``cancel`` is set; output folders are locked and stale temporary files of this
        plan removed first, exactly as for a local run."""
        return run_job(plan, self, options, cancel, executor=self.map)

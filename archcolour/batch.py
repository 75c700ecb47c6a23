"""Plan and run a colourising job over files and folders.

:func:`plan_job` turns inputs (files and folders, optionally walked recursively) into a list of
:class:`JobItem` (source -> output). :func:`run_job` is a generator yielding one :class:`ItemResult`
per item, in order, so a caller (CLI, GUI worker) can show progress and cancel between images.

Rules, checked here and in the tests:

* outputs are named ``<stem>_colourised.<ext>`` in the output folder, mirroring the sub-folders of an
  input folder; ``fmt="same"`` keeps the source's extension;
* an existing output is skipped unless ``overwrite``;
* nothing is ever written into or over a source: an output that would land on a source file is
  refused (the item fails, the batch goes on), and sources are only ever opened for reading;
* every output is written atomically (temporary file in the same folder + rename);
* a failure on one file (unreadable, corrupt, a bug) is reported for that file and the batch goes on.

While the network works on one image, the next one is decoded on a background thread and the
previous one is encoded and written on another (``BatchOptions.overlap``); results are still yielded
in order and only once the output is on disk. Huge images (over ``OVERLAP_MAX_PIXELS``) are processed
one at a time to keep memory bounded.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Literal

import numpy as np

from . import formats, imageio, provenance

if TYPE_CHECKING:  # pragma: no cover
    from . import c2pa_signing
    from .engine import ColourisedImage, Colouriser

log = logging.getLogger(__name__)

SUFFIX = "_colourised"
DEFAULT_FOLDER = "colourised"
#: Above this many pixels an image is not decoded/encoded alongside another one (memory).
OVERLAP_MAX_PIXELS = 24_000_000

Status = Literal["done", "skipped", "failed"]


class PlanError(ValueError):
    """The job as asked cannot be planned (e.g. the output folder is a file)."""


@dataclass
class JobItem:
    source: Path
    output: Path
    exists: bool
    #: why this item cannot run (e.g. its output would overwrite a source); None when fine
    error: str | None = None


@dataclass
class JobPlan:
    items: list[JobItem]
    output_dir: Path | None  # None: a ``colourised`` folder beside each source
    #: inputs that gave nothing to do (missing paths, folders without images), one line each
    problems: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)


@dataclass
class BatchOptions:
    fmt: str = "same"  # same | png | jpg | tif | webp | bmp
    overwrite: bool = False
    jpeg_quality: int = 95
    sidecar: bool = True  # provenance sidecar JSON beside each output (written by provenance)
    manifest: bool = True  # JSONL manifest of the batch in the output folder (written by provenance)
    bit_depth: str = "auto"  # auto (16 for 16-bit sources saved as PNG/TIFF) | 8 | 16
    overlap: bool = True  # decode the next / encode the previous image while the network runs
    c2pa: "c2pa_signing.C2paConfig | None" = None  # sign each output with a C2PA manifest (optional)


@dataclass
class ItemResult:
    source: Path
    output: Path
    status: Status
    message: str
    seconds: float
    warnings: list[str] = field(default_factory=list)


@dataclass
class Summary:
    done: int = 0
    skipped: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.done + self.skipped + self.failed

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def __str__(self) -> str:
        return f"{self.done} done, {self.skipped} skipped, {self.failed} failed"


class CancelToken:
    """Set from any thread; :func:`run_job` stops before the next image."""

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
        setattr(s, r.status, getattr(s, r.status) + 1)
    return s


# --------------------------------------------------------------------------------------------
# planning
# --------------------------------------------------------------------------------------------
def output_extension(source: Path, fmt: str = "same") -> str:
    try:
        return formats.output_extension(source, fmt)
    except ValueError as e:
        raise PlanError(str(e)) from None


def output_name(source: Path, fmt: str = "same") -> str:
    return f"{source.stem}{SUFFIX}{output_extension(source, fmt)}"


def _is_image_name(p: Path) -> bool:
    return p.suffix.lower() in formats.FOLDER_EXTENSIONS and not p.name.startswith(".")


def _walk(folder: Path, recursive: bool, exclude: set[Path]) -> list[Path]:
    found: list[Path] = []
    if recursive:
        for root, dirs, files in os.walk(folder):
            rootp = Path(root)
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (rootp / d).resolve() not in exclude)
            found.extend(rootp / f for f in sorted(files) if _is_image_name(Path(f)))
    else:
        found = sorted(p for p in folder.iterdir() if p.is_file() and _is_image_name(p))
    return found


def plan_job(
    inputs: Iterable[str | os.PathLike],
    output_dir: str | os.PathLike | None = None,
    *,
    recursive: bool = False,
    fmt: str = "same",
    overwrite: bool = False,  # noqa: ARG001 - kept for the contract; skipping is decided when running
) -> JobPlan:
    """Turn files and folders into job items.

    ``output_dir`` None puts outputs in a ``colourised`` folder beside each source (the GUI's default;
    the CLI passes ``./colourised``). Files inside an input folder keep their sub-folder under the
    output folder. Output folders found while walking are not descended into.
    """
    out_dir = Path(output_dir) if output_dir is not None else None
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise PlanError(f"output folder {out_dir} exists and is not a folder")
    output_extension(Path("x.png"), fmt)  # validates fmt
    items: list[JobItem] = []
    problems: list[str] = []
    exclude: set[Path] = set()
    if out_dir is not None:
        exclude.add(out_dir.resolve())

    pairs: list[tuple[Path, Path]] = []  # (source, output)
    for raw in inputs:
        p = Path(raw)
        if p.is_dir():
            local_exclude = exclude | ({(p / DEFAULT_FOLDER).resolve()} if out_dir is None else set())
            files = _walk(p, recursive, local_exclude)
            if out_dir is None:
                # beside each source, in that source's own folder
                files = [f for f in files if DEFAULT_FOLDER not in f.relative_to(p).parts[:-1]]
            if not files:
                problems.append(f"{p}: no images found" + ("" if recursive else " (use --recursive for sub-folders)"))
            for f in files:
                base = (out_dir / f.relative_to(p).parent) if out_dir is not None else (f.parent / DEFAULT_FOLDER)
                pairs.append((f, base / output_name(f, fmt)))
        elif p.is_file():
            base = out_dir if out_dir is not None else p.parent / DEFAULT_FOLDER
            pairs.append((p, base / output_name(p, fmt)))
        elif p.exists():
            problems.append(f"{p}: not a file or folder")
        else:
            problems.append(f"{p}: no such file or folder")

    sources = {s.resolve() for s, _ in pairs}
    seen: dict[Path, Path] = {}
    for src, out in pairs:
        if src.resolve() in seen and seen[src.resolve()] == out.resolve():
            continue  # the same file given twice
        err = None
        out_r = out.resolve()
        if out_r in sources:
            err = f"refused: output {out} would overwrite a source image"
        elif out_r in seen.values():
            other = next(s for s, o in seen.items() if o == out_r)
            err = f"refused: output {out} is also the output of {other}"
        seen[src.resolve()] = out_r
        items.append(JobItem(source=src, output=out, exists=out.exists(), error=err))
    return JobPlan(items=items, output_dir=out_dir, problems=problems)


# --------------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------------
@dataclass
class _Provenance:
    """What provenance adds to one output."""

    xmp: bytes | None = None
    description: str | None = None
    sidecar: dict | None = None  # JSON-able record written beside the output when options.sidecar
    exif: bytes | None = None  # the source's EXIF made right for the output (orientation 1, ...)
    icc: bytes | None = None  # the output's ICC profile (sRGB; see provenance.icc_for_output)
    record: "provenance.Provenance | None" = None
    output_sha256: str | None = None  # set once the output is on disk


def _provenance_for(item: JobItem, loaded: imageio.LoadedImage, colouriser: "Colouriser",
                    result: "ColourisedImage") -> _Provenance:
    """Provenance for one output (XMP packet, EXIF, ICC, description, sidecar record)."""
    fmt = imageio.format_for_extension(item.output.suffix)
    md = provenance.output_metadata(loaded, colouriser, item.output, fmt, working_size=result.working_size,
                                    warnings=result.warnings, width=loaded.width, height=loaded.height)
    return _Provenance(xmp=md.xmp, description=md.description, sidecar=md.provenance.to_dict(), exif=md.exif,
                       icc=md.icc, record=md.provenance)


_SRGB_ICC: bytes | None = None


def _srgb_icc() -> bytes | None:
    global _SRGB_ICC
    if _SRGB_ICC is None:
        try:
            from PIL import ImageCms

            _SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        except Exception:  # noqa: BLE001 - no littlecms: leave outputs untagged (sRGB by convention)
            _SRGB_ICC = b""
    return _SRGB_ICC or None


def output_icc(source_icc: bytes | None) -> bytes | None:
    """ICC profile for an output: none for untagged sources; otherwise sRGB (what the engine produces).

    A source's RGB sRGB profile is passed through; any other (a grey gamma profile, Adobe RGB, CMYK)
    would misdescribe the output's sRGB values, so a plain sRGB profile replaces it.
    """
    if not source_icc:
        return None
    if len(source_icc) > 20 and source_icc[16:20] == b"RGB " and b"sRGB" in source_icc[:4096]:
        return source_icc
    return _srgb_icc()


def _out_dtype(loaded: imageio.LoadedImage, fmt: str, bit_depth: str):
    if str(bit_depth) == "8" or fmt not in ("PNG", "TIFF"):
        return np.uint8
    if str(bit_depth) == "16":
        return np.uint16
    return np.uint16 if loaded.bit_depth >= 16 else np.uint8


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, imageio.ImageLoadError):
        return exc.message
    msg = " ".join(str(exc).split()) or type(exc).__name__
    return msg if isinstance(exc, (OSError, ValueError)) else f"{type(exc).__name__}: {msg}"


def _peek_pixels(path: Path) -> int:
    """Width x height from the file header (0 when it cannot be told cheaply)."""
    try:
        from PIL import Image

        with Image.open(path) as im:
            return int(im.width) * int(im.height)
    except Exception:  # noqa: BLE001
        return 0


def _load(item: JobItem) -> imageio.LoadedImage:
    return imageio.load_image(item.source)


def _save(item: JobItem, loaded: imageio.LoadedImage, rgb: np.ndarray, prov: _Provenance,
          options: BatchOptions) -> None:
    fmt = imageio.format_for_extension(item.output.suffix)
    imageio.save_image(
        item.output, rgb, fmt, xmp=prov.xmp,
        exif=prov.exif if prov.record is not None else loaded.meta.exif,
        icc=prov.icc if prov.icc is not None else output_icc(loaded.meta.icc),
        dpi=loaded.meta.dpi, description=prov.description, jpeg_quality=options.jpeg_quality,
    )
    if options.c2pa is not None and prov.record is not None:
        from . import c2pa_signing

        try:
            c2pa_signing.sign_output(item.output, prov.record, options.c2pa, source=item.source)
        except BaseException:
            item.output.unlink(missing_ok=True)  # no unsigned output that a resume would then skip
            raise
    if prov.record is not None and (options.sidecar or options.manifest):
        prov.output_sha256 = provenance.sha256_file(item.output)
        if options.sidecar:
            provenance.write_sidecar(item.output, prov.record, output_sha256=prov.output_sha256)


def run_job(plan: JobPlan, colouriser: "Colouriser", options: BatchOptions | None = None,
            cancel: CancelToken | None = None) -> Iterator[ItemResult]:
    """Colourise every item of ``plan``; yields one :class:`ItemResult` per item, in order.

    Stops (without yielding further results) as soon as ``cancel`` is set, checked between images.
    First removes temporary files a killed earlier run left for this plan's outputs. With
    ``options.manifest`` each result is appended (fsynced) to ``manifest.jsonl`` in the output folder
    before it is yielded; with ``options.sidecar`` a skipped output whose sidecar is missing (a kill
    between the two writes) gets it rebuilt from its embedded XMP. ``colouriser`` may be None when no
    item needs colourising (all outputs exist): the skips are still recorded.
    """
    options = options or BatchOptions()
    provs: dict[Path, _Provenance] = {}
    _remove_stale_temps(plan)
    manifests: dict[Path, provenance.ManifestWriter] = {}
    info = getattr(colouriser, "info", None)

    def manifest_for(item_output: Path) -> provenance.ManifestWriter:
        folder = plan.output_dir if plan.output_dir is not None else item_output.parent
        if folder not in manifests:
            run_info = {"output_dir": str(folder), "items": len(plan.items), "overwrite": options.overwrite,
                        "format": options.fmt, "sidecar": options.sidecar}
            if info is not None:
                run_info.update(model=info.name, model_version=info.version, model_sha256=info.sha256,
                                working_size=getattr(colouriser, "working_size", None),
                                seed=getattr(colouriser, "seed", None), device=str(getattr(colouriser, "device", "")))
            manifests[folder] = provenance.ManifestWriter(folder / provenance.MANIFEST_NAME, run_info)
        return manifests[folder]

    inner = _run_items(plan, colouriser, options, cancel, provs)
    try:
        for res in inner:
            prov = provs.pop(res.output, None)
            if res.status == "skipped" and options.sidecar and res.output.is_file():
                try:
                    provenance.repair_sidecar(res.output)
                except OSError as e:
                    res.warnings.append(f"could not rebuild the sidecar: {e}")
            if options.manifest:
                _record(manifest_for(res.output), res, prov, info)
            yield res
    finally:
        inner.close()  # finishes a write in flight when the caller stops early
        for m in manifests.values():
            m.close()


def _remove_stale_temps(plan: JobPlan) -> None:
    """Delete ``.<output name>[.json].<8 hex>.tmp`` files left by a killed run, for this plan's outputs."""
    names: dict[Path, set[str]] = {}
    for it in plan.items:
        names.setdefault(it.output.parent, set()).update({it.output.name, it.output.name + ".json"})
    for folder, wanted in names.items():
        if not folder.is_dir():
            continue
        for p in folder.glob(".*.tmp"):
            if provenance.TEMP_RE.match(p.name) and p.name[1:-13] in wanted:
                try:
                    p.unlink()
                except OSError:
                    pass


def _record(manifest: "provenance.ManifestWriter", res: ItemResult, prov: _Provenance | None, info) -> None:
    src_sha = out_sha = None
    if prov is not None and prov.record is not None:
        src_sha, out_sha = prov.record.source_sha256, prov.output_sha256
    elif res.status == "skipped" and res.output.is_file():
        try:  # what the existing output says it was made from, and what it is now
            made = provenance.read_provenance(res.output)
            src_sha = ((made or {}).get("source") or {}).get("sha256")
            out_sha = provenance.sha256_file(res.output)
        except Exception:  # noqa: BLE001 - auditing a skipped file never fails the batch
            pass
    manifest.append(source=res.source, output=res.output, status=res.status, message=res.message,
                    source_sha256=src_sha, output_sha256=out_sha,
                    model=getattr(info, "name", None) if res.status == "done" else None,
                    model_sha256=getattr(info, "sha256", None) if res.status == "done" else None,
                    seconds=res.seconds, warnings=list(res.warnings))


def _run_items(plan: JobPlan, colouriser: "Colouriser", options: BatchOptions, cancel: CancelToken | None,
               provs: dict[Path, _Provenance]) -> Iterator[ItemResult]:
    items = plan.items
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="archcolour-io") if options.overlap else None
    started: dict[int, float] = {}
    loads: dict[int, Future] = {}

    def runnable(i: int) -> bool:
        it = items[i]
        return it.error is None and (options.overwrite or not it.output.exists())

    def start_load(i: int) -> None:
        if pool is None or i >= len(items) or i in loads or not runnable(i):
            return
        if not 0 < _peek_pixels(items[i].source) <= OVERLAP_MAX_PIXELS:
            return  # huge or unknown: load it when its turn comes
        loads[i] = pool.submit(_load, items[i])

    def pending_save_result(pending) -> ItemResult:
        i, fut, loaded, warnings, msg = pending
        try:
            fut.result()
        except Exception as e:  # noqa: BLE001 - one file's failure never stops the batch
            return ItemResult(items[i].source, items[i].output, "failed", f"cannot write output: {_one_line(e)}",
                              time.perf_counter() - started[i], warnings)
        return ItemResult(items[i].source, items[i].output, "done", msg, time.perf_counter() - started[i], warnings)

    pending = None  # (index, save future, loaded, warnings, message) of the image being written
    try:
        for i, item in enumerate(items):
            if cancel is not None and cancel.cancelled:
                break
            started[i] = time.perf_counter()
            if item.error is not None:
                res = ItemResult(item.source, item.output, "failed", item.error, 0.0)
            elif item.output.exists() and not options.overwrite:
                res = ItemResult(item.source, item.output, "skipped", "output exists (use overwrite to replace it)", 0.0)
            else:
                res = None
            if res is not None:
                if pending is not None:
                    yield pending_save_result(pending)
                    pending = None
                yield res
                continue
            try:
                if i in loads:
                    loaded = loads.pop(i).result()
                else:
                    loaded = _load(item)
                big = loaded.width * loaded.height > OVERLAP_MAX_PIXELS
                if pending is not None and big:
                    yield pending_save_result(pending)  # do not hold two huge images at once
                    pending = None
                elif not big:
                    start_load(i + 1)
                fmt = imageio.format_for_extension(item.output.suffix)
                out = colouriser.colourise(loaded.l, out_dtype=_out_dtype(loaded, fmt, options.bit_depth))
                prov = _provenance_for(item, loaded, colouriser, out)
                provs[item.output] = prov
                warnings = list(loaded.notes) + list(out.warnings)
                msg = (f"{loaded.width}x{loaded.height} {loaded.format} {loaded.bit_depth}-bit -> "
                       f"{item.output.suffix.lstrip('.').upper()} {8 * out.rgb.dtype.itemsize}-bit, "
                       f"working size {out.working_size}")
                loaded.l = None  # the lightness is no longer needed: free it before encoding
                if pending is not None:
                    yield pending_save_result(pending)
                    pending = None
                if pool is not None and not big:
                    pending = (i, pool.submit(_save, item, loaded, out.rgb, prov, options), loaded, warnings, msg)
                    continue
                _save(item, loaded, out.rgb, prov, options)
                del out
                yield ItemResult(item.source, item.output, "done", msg, time.perf_counter() - started[i], warnings)
            except Exception as e:  # noqa: BLE001 - one file's failure never stops the batch
                log.debug("failed on %s", item.source, exc_info=True)
                if pending is not None:
                    yield pending_save_result(pending)
                    pending = None
                yield ItemResult(item.source, item.output, "failed", _one_line(e), time.perf_counter() - started[i])
        if pending is not None:
            yield pending_save_result(pending)
            pending = None
    finally:
        if pool is not None:
            if pending is not None:  # the consumer stopped early: finish the write in flight
                try:
                    pending[1].result()
                except Exception:  # noqa: BLE001
                    pass
            for f in loads.values():
                f.cancel()
            pool.shutdown(wait=True)


__all__ = ["BatchOptions", "CancelToken", "ItemResult", "JobItem", "JobPlan", "PlanError", "Summary",
           "output_icc", "output_name", "plan_job", "run_job", "summarise"]

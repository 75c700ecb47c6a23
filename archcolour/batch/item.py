"""One item, start to finish: check the output, read + hash the source, colourise, write + provenance.

:func:`process_item` is self-contained (it never touches the manifest, which has one writer: the
caller) and returns a picklable :class:`ItemResult`, so a backend may run it on a thread (the local
``--jobs N`` backend) or in another process.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .. import diagnostics, formats, provenance
from ..fsutil import sha256_file
from .colourisers import Colourisers
from .plan import JobItem
from .state import OutputCheck, OutputState, SourceHashes, check_output, needs_work

if TYPE_CHECKING:  # pragma: no cover
    from .. import c2pa_signing
    from ..engine import Colouriser, Guidance, Reference
    from ..hints import HintsFile
    from ..image_settings import ImageSettings, ImageSettingsFile

log = logging.getLogger(__name__)

Status = Literal["done", "skipped", "failed"]


@dataclass
class BatchOptions:
    fmt: str = "same"  # an output choice of archcolour.formats (same | png | jpg | tif | webp | bmp)
    overwrite: bool = False  # redo outputs made from the same source
    replace_foreign: bool = False  # replace outputs of another source, or files without our provenance
    jpeg_quality: int = 95
    sidecar: bool = True  # provenance sidecar JSON beside each output
    manifest: bool = True  # JSONL manifest of the batch in the output folder
    bit_depth: str = "auto"  # auto (16 for 16-bit sources saved as PNG/TIFF) | 8 | 16
    jobs: int | None = None  # images in flight at once (None: one per CPU core)
    c2pa: "c2pa_signing.C2paConfig | None" = None  # sign each output with a C2PA manifest (optional)
    hints: "HintsFile | None" = None  # colour hints, looked up per image (archcolour.hints)
    reference: "Reference | None" = None  # one reference photograph's colour for the whole batch
    vividness: float = 1.0  # chroma scale on the predicted colour (1 = as predicted)
    #: images' own settings (working size, model, vividness, upsampling), looked up per image like hints
    image_settings: "ImageSettingsFile | None" = None

    def settings_for(self, item: JobItem) -> "ImageSettings | None":
        """The image's own settings (archcolour.image_settings), None when it has none: the run's apply."""
        if self.image_settings is None:
            return None
        return self.image_settings.for_image(item.rel or item.source.name)

    def guidance_for(self, item: JobItem) -> "Guidance":
        from ..engine import Guidance

        hints = self.hints.for_image(item.rel or item.source.name) if self.hints is not None else ()
        own = self.settings_for(item)
        vividness = own.vividness if own is not None and own.vividness is not None else self.vividness
        return Guidance(hints=tuple(hints), reference=self.reference.distribution if self.reference else None,
                        vividness=float(vividness))


@dataclass
class ItemResult:
    source: Path
    output: Path
    status: Status
    message: str
    seconds: float
    warnings: list[str] = field(default_factory=list)
    #: the state of the output that made a skipped item skip (DONE, FOREIGN, UNKNOWN); None otherwise
    state: OutputState | None = None
    source_sha256: str | None = None
    output_sha256: str | None = None
    #: model name and SHA-256 for items colourised here
    model: str | None = None
    model_sha256: str | None = None
    #: why the skipped output could not be audited (its hash could not be read), one line
    audit_error: str | None = None
    #: the user's guidance for items colourised with some (provenance's "guidance" form); None otherwise
    guidance: dict | None = None
    #: the image's own settings it was colourised with (archcolour.image_settings JSON); None: the run's
    image_settings: dict | None = None

    @property
    def conflict(self) -> bool:
        """Skipped because the output belongs to another source (or to nobody we know)."""
        return self.status == "skipped" and self.state in (OutputState.FOREIGN, OutputState.UNKNOWN)


def one_line(exc: BaseException) -> str:
    from ..imageio import ImageLoadError

    if isinstance(exc, ImageLoadError):
        return exc.message
    msg = " ".join(str(exc).split()) or type(exc).__name__
    return msg if isinstance(exc, (OSError, ValueError)) else f"{type(exc).__name__}: {msg}"


def out_dtype(bits: int, fmt: str, bit_depth: str):
    if str(bit_depth) == "8" or 16 not in formats.FORMATS[fmt].bit_depths:
        return np.uint8
    if str(bit_depth) == "16":
        return np.uint16
    return np.uint16 if bits >= 16 else np.uint8


_NO_SIDECAR = (f"no sidecar: its name would be longer than {formats.NAME_MAX} bytes "
               "(the provenance is in the image's XMP)")


def _sidecar_fits(output: Path) -> bool:
    """Whether ``<output>.json`` is a name the file system takes (a 251-byte output name leaves no room)."""
    return len(os.fsencode(provenance.sidecar_path(output).name)) <= formats.NAME_MAX


def _skip(item: JobItem, chk: OutputCheck, options: BatchOptions, t0: float) -> ItemResult:
    res = ItemResult(item.source, item.output, "skipped", chk.describe(item.output), 0.0, state=chk.state,
                     source_sha256=chk.recorded_source_sha256)
    if chk.state is not OutputState.DONE:
        return res
    if options.sidecar and not chk.has_sidecar and _sidecar_fits(item.output):  # a kill between the two writes
        try:
            provenance.repair_sidecar(item.output)
            chk = check_output(item.source, item.output)
        except OSError as e:
            res.warnings.append(f"could not rebuild the sidecar: {one_line(e)}")
    res.output_sha256 = chk.output_sha256
    if options.manifest and res.output_sha256 is None:  # no sidecar to trust: hash the output once
        try:
            res.output_sha256 = sha256_file(item.output)
        except OSError as e:
            res.audit_error = f"cannot hash {item.output.name} for the manifest: {one_line(e)}"
            res.warnings.append(res.audit_error)
    res.seconds = time.perf_counter() - t0
    return res


def process_item(item: JobItem, colouriser: "Colouriser | Colourisers | None", options: BatchOptions,
                 hashes: SourceHashes | None = None) -> ItemResult:
    """Do one item; never raises for a problem with this item (it becomes a failed result).

    ``colouriser`` is the run's colouriser, or a :class:`~.colourisers.Colourisers` holding it and the
    other models images ask for (a run passes one for all its items, so each model loads once); the
    item runs with what its own settings ask for (``options.settings_for``).

    Warnings the imaging libraries give while this item is read or written become notes of its result
    (``diagnostics.collecting``), not lines that do not say which file they are about.
    """
    if item.error is not None:
        return ItemResult(item.source, item.output, "failed", item.error, 0.0)
    with diagnostics.collecting(item.source) as notes:
        res = _process(item, colouriser, options, hashes)
    res.warnings.extend(n for n in notes if n not in res.warnings)
    return res


def _process(item: JobItem, colouriser: "Colouriser | Colourisers | None", options: BatchOptions,
             hashes: SourceHashes | None) -> ItemResult:
    t0 = time.perf_counter()
    try:
        chk = check_output(item.source, item.output, hashes)
        if not needs_work(chk.state, overwrite=options.overwrite, replace_foreign=options.replace_foreign):
            return _skip(item, chk, options, t0)
        if colouriser is None:
            raise RuntimeError("no model loaded")
        own = Colourisers.of(colouriser).for_settings(options.settings_for(item))
        return _colourise(item, own, options, hashes, t0)
    except Exception as e:  # noqa: BLE001 - one file's failure never stops the batch
        log.debug("failed on %s", item.source, exc_info=True)
        return ItemResult(item.source, item.output, "failed", one_line(e), time.perf_counter() - t0)


def _colourise(item: JobItem, colouriser: "Colouriser", options: BatchOptions, hashes: SourceHashes | None,
               t0: float) -> ItemResult:
    from .. import imageio

    loaded = imageio.load_image(item.source)
    if hashes is not None and loaded.meta.sha256:
        try:
            hashes.remember(item.source, item.source.stat(), loaded.meta.sha256)
        except OSError:
            pass
    fmt = formats.format_for_extension(item.output.suffix)
    guide = options.guidance_for(item)
    _check_reference(guide, colouriser)
    out = colouriser.colourise(loaded.l, out_dtype=out_dtype(loaded.bit_depth, fmt, options.bit_depth), guide=guide)
    loaded.l = None  # the lightness is no longer needed: free it before encoding
    ref = options.reference
    md = provenance.output_metadata(loaded, colouriser, item.output, fmt, working_size=out.working_size,
                                    warnings=out.warnings, width=loaded.width, height=loaded.height,
                                    hints=[h.to_json() for h in guide.hints], vividness=guide.vividness,
                                    reference_name=ref.name if ref else None,
                                    reference_sha256=ref.sha256 if ref else None)
    prov = md.provenance
    written = imageio.save_image(item.output, out.rgb, fmt, xmp=md.xmp, iptc=md.iptc, exif=md.exif, icc=md.icc,
                                 dpi=md.dpi, description=md.description, jpeg_quality=options.jpeg_quality)
    msg = (f"{loaded.width}x{loaded.height} {loaded.format} {loaded.bit_depth}-bit -> "
           f"{fmt} {8 * out.rgb.dtype.itemsize}-bit, working size {out.working_size}")
    del out
    out_sha, out_size = _digest(written)
    if options.c2pa is not None:
        from .. import c2pa_signing

        try:
            out_sha, out_size = _digest(c2pa_signing.sign_output(item.output, prov, options.c2pa, source=item.source))
        except BaseException:
            item.output.unlink(missing_ok=True)  # no unsigned output that a resume would then skip
            raise
    notes: list[str] = []
    if options.sidecar and _sidecar_fits(item.output):
        provenance.write_sidecar(item.output, prov, output_sha256=out_sha, output_size=out_size)
    elif options.sidecar:
        notes.append(_NO_SIDECAR)
    info = getattr(colouriser, "info", None)
    return ItemResult(item.source, item.output, "done", msg, time.perf_counter() - t0,
                      list(loaded.notes) + list(prov.warnings) + notes, source_sha256=prov.source_sha256,
                      output_sha256=out_sha, model=getattr(info, "name", None),
                      model_sha256=getattr(info, "sha256", None),
                      guidance=prov.to_dict()["guidance"] if not guide.empty else None,
                      image_settings=own.to_json() if (own := options.settings_for(item)) is not None else None)


def _check_reference(guide: "Guidance", colouriser: "Colouriser") -> None:
    """A reference read for the run's model, given to another model (an image's own) with other bins: one line."""
    bins = getattr(colouriser, "reference_bins", 0)
    if guide.reference is None or not bins:
        return  # no reference, or a model that takes none (the engine says so in one line)
    if int(guide.reference.numel()) != bins * bins + 1:
        raise ValueError(f"the model {colouriser.info.name!r} takes a reference of another kind than the run's "
                         "model; this image's own model cannot use the batch's reference photograph")


def _digest(written: Any) -> tuple[str, int]:
    """(SHA-256, size) of the bytes a writer wrote (``fsutil.Written``): the output is never read back."""
    return written.sha256, written.size

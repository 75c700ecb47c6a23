"""The ``archcolour`` command line.

    archcolour colourise INPUT... [-o OUTDIR] [options]   colourise files and folders
    archcolour models                                      list the bundled models
    archcolour inspect FILE...                             show an output's provenance
    archcolour --version

Each sub-command is a pair of functions: ``_add_<name>(subparsers)`` declares its arguments and sets
``func`` to ``cmd_<name>(args) -> int`` (the exit status). Add a command by writing such a pair and
listing the ``_add_`` function in :data:`COMMANDS`.

Exit status: 0 when nothing failed, 1 when at least one image or input failed or an output was a
conflict (made from another source), 2 for a usage or set-up error (bad option, no model weights,
unavailable device), 130 when interrupted.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sys
import time
from pathlib import Path
from typing import Callable, Iterator, TextIO

from . import __version__, diagnostics
from .choices import DEFAULT_ENSEMBLE, DEVICES, ENSEMBLES, MAX_WORKING_SIZE, MIN_WORKING_SIZE, UPSAMPLING, VIVIDNESS_RANGE, check_working_size
from .formats import OUTPUT_KEYS
from .naming import DEFAULT_TEMPLATE

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
BACKENDS = ("local", "ray")
EXIT_BROKEN_PIPE = 141  # what a shell reports for a tool killed by SIGPIPE
#: batch.ProblemKind value -> how a planning problem is reported ("error" counts as a failure: exit 1)
PROBLEM_SEVERITY = {"missing": "error", "not-a-file": "error", "broken-link": "error", "no-images": "note",
                    "own-output": "note", "linked-folder": "note"}


def _version_text() -> str:
    """The version line; torch's version is read from its package metadata (importing torch takes seconds)."""
    from importlib import metadata

    try:
        torch_v = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_v = getattr(sys.modules.get("torch"), "__version__", "not installed")  # frozen builds
    return f"archcolour {__version__} (Python {platform.python_version()}, torch {torch_v})"


def _configure_logging(debug: bool, stream: TextIO) -> None:
    """Log records go to ``stream`` as one line each: warnings and worse, everything with --debug."""
    import logging

    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("archcolour: %(levelname)s: %(name)s: %(message)s" if debug
                                           else "archcolour: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_archcolour", False):
            root.removeHandler(h)
    handler._archcolour = True  # type: ignore[attr-defined]
    handler.addFilter(diagnostics.LibraryFilter())  # a library's warning about an image: a note of that image
    diagnostics.install()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.WARNING)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30, width=min(100, _terminal_width()))


def _terminal_width() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 100


# --------------------------------------------------------------------------------------------
# progress
# --------------------------------------------------------------------------------------------
class _Progress:
    """A one-line progress bar on a terminal; plain lines otherwise."""

    def __init__(self, total: int, stream: TextIO, out: TextIO, *, quiet: bool) -> None:
        self.total, self.stream, self.out, self.quiet = total, stream, out, quiet
        self.tty = bool(getattr(stream, "isatty", lambda: False)()) and not quiet and os.environ.get("TERM") != "dumb"
        self.count = 0
        self.t0 = time.perf_counter()
        self._drawn = False

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[2K")
            self._drawn = False

    def draw(self, current: str = "") -> None:
        if not self.tty:
            return
        width = max(20, _terminal_width() - 1)
        n, total = self.count, max(1, self.total)
        elapsed = time.perf_counter() - self.t0
        eta = f" ETA {_fmt_time(elapsed / n * (total - n))}" if 0 < n < total else ""
        head = f"{n}/{self.total}{eta} "
        bar_w = max(10, min(30, width - len(head) - 20))
        filled = int(bar_w * n / total)
        bar = "[" + "#" * filled + "-" * (bar_w - filled) + "] "
        tail = _printable(current)[: max(0, width - len(bar) - len(head))]
        self._clear()
        self.stream.write(bar + head + tail)
        self.stream.flush()
        self._drawn = True

    def line(self, text: str, *, error: bool = False, force: bool = False) -> None:
        if self.quiet and not (error or force):
            return
        self._clear()
        dest = self.stream if error and not self.tty else self.out
        dest.write(_printable(text) + "\n")
        dest.flush()

    def step(self) -> None:
        self.count += 1

    def close(self) -> None:
        self._clear()
        self.stream.flush()


def _printable(text: object) -> str:
    """One line a terminal shows as it is: a file name's newlines, escape sequences and undecodable
    bytes are printed escaped (``\\n``, ``\\x1b``, ``\\udce9``), so one message stays one line."""
    from .provenance import printable

    return printable(text)


def _error(err: TextIO, text: object, kind: str = "error") -> None:
    err.write(f"archcolour: {kind}: {_printable(text)}\n")


def _check_output_folder(folder: Path) -> str | None:
    """Why nothing can be written into ``folder`` (made if missing), or None: a set-up error, said once,
    instead of one failure per image."""
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".archcolour-probe-", dir=folder)
    except OSError as e:
        return f"cannot write to the output folder {folder}: {e.strerror or e}"
    os.close(fd)
    os.unlink(probe)
    return None


def _fmt_time(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


# --------------------------------------------------------------------------------------------
# colourise
# --------------------------------------------------------------------------------------------
def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return v


def _vividness(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    lo, hi = VIVIDNESS_RANGE
    if not lo <= v <= hi:
        raise argparse.ArgumentTypeError(f"must be from {lo:g} to {hi:g}")
    return v


def _working_size(text: str) -> int:
    try:
        return check_working_size(_positive_int(text))
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _quality(text: str) -> int:
    v = _positive_int(text)
    if not 1 <= v <= 100:
        raise argparse.ArgumentTypeError("must be between 1 and 100")
    return v


def _add_colourise(sub) -> None:
    p = sub.add_parser(
        "colourise", aliases=["colorize", "colourize"], formatter_class=_Formatter,
        help="colourise images and folders of images",
        description=(
            "Colourise black-and-white photographs. Each INPUT is an image file or a folder of images.\n"
            "Outputs are named <name>_colourised.<ext> (see --name-template) in the output folder,\n"
            "mirroring sub-folders;\n"
            "they keep the source's size and lightness. Sources are never modified. An existing output\n"
            "made from the same source (its provenance says so) is skipped unless --overwrite is given;\n"
            "one made from another source, or a file without archcolour provenance, is a conflict: it is\n"
            "left alone unless --replace-foreign is given. archcolour's own outputs are never inputs."),
        epilog=(
            "examples:\n"
            "  archcolour colourise scan.tif\n"
            "  archcolour colourise archive/ -r -o archive_colour --format tif\n"
            "  archcolour colourise a.jpg b.png --device cpu --working-size 384 --seed 7\n\n"
            "exit status: 0 when nothing failed, 1 when an image or input failed or an output was a\n"
            "conflict, 2 for a set-up error, 130 when interrupted."),
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders")
    p.add_argument("-o", "--output", metavar="OUTDIR", default="colourised",
                   help="output folder (default: ./colourised)")
    p.add_argument("-r", "--recursive", action="store_true", help="include images in sub-folders")
    p.add_argument("--name-template", metavar="TEMPLATE", default=DEFAULT_TEMPLATE,
                   help="output file names: {stem} is the source's name without its extension, the format's "
                        "extension is added (default: %(default)s)")
    p.add_argument("-f", "--format", choices=OUTPUT_KEYS, default="same",
                   help="output format (default: same as the input)")
    p.add_argument("--overwrite", action="store_true",
                   help="redo outputs that already exist and were made from the same source")
    p.add_argument("--replace-foreign", action="store_true",
                   help="also replace an existing output made from ANOTHER source, or a file without "
                        "archcolour provenance (default: report it as a conflict and leave it alone)")
    p.add_argument("-j", "--jobs", type=_positive_int, metavar="N",
                   help="images processed at once, overlapping decoding, the network and encoding; results, "
                        "outputs and the manifest keep the input order (default: one per CPU core); with "
                        "--backend ray, the number of Ray workers (default: one per GPU of the cluster, else per CPU)")
    p.add_argument("--backend", choices=BACKENDS, default="local",
                   help="where images are processed: local (this machine, default) or ray (the workers of a Ray "
                        "cluster, reading and writing a shared file system; pip install 'archcolour[cluster]')")
    p.add_argument("--ray-address", metavar="ADDRESS",
                   help="the Ray cluster for --backend ray (default: $RAY_ADDRESS, else a local Ray for this run)")
    p.add_argument("--working-size", type=_working_size, metavar="PX",
                   help=f"short side, in pixels, at which the network sees the image, {MIN_WORKING_SIZE}-"
                        f"{MAX_WORKING_SIZE} (default: the model's)")
    p.add_argument("--device", choices=DEVICES, default="auto",
                   help="where the network runs (default: auto = CUDA, then Apple MPS, then CPU)")
    p.add_argument("--seed", type=int, default=0, help="seed for models that sample noise (default: 0)")
    p.add_argument("--model", metavar="NAME", help="bundled model to use (see `archcolour models`)")
    p.add_argument("--weights", metavar="FILE", help="use this .safetensors weights file instead of a bundled model")
    p.add_argument("--hints", metavar="FILE.json",
                   help="colour hints: points with a position, colour and radius, for one image or per image of a "
                        "folder (format: docs/HINTS.md); needs a model that takes hints")
    p.add_argument("--reference", metavar="IMAGE",
                   help="a colour photograph whose colours steer the whole batch (e.g. today's photo of the site)")
    p.add_argument("--image-settings", metavar="FILE.json",
                   help="images' own settings overriding the run's: working size, model, vividness, upsampling, "
                        "per image of a folder (format: docs/HINTS.md; the desktop application's "
                        "image-settings.json)")
    p.add_argument("--vividness", type=_vividness, default=1.0, metavar="V",
                   help="scale the colour's strength: 1 as predicted (default), 0 grey, up to 2")
    p.add_argument("--upsampling", choices=UPSAMPLING, default="guided",
                   help="how colour is brought to full resolution: guided by the photograph's edges (default) "
                        "or plain bilinear")
    p.add_argument("--ensemble", choices=tuple(ENSEMBLES), default=DEFAULT_ENSEMBLE,
                   help="views of each photograph whose colour is averaged: full = the mirror image and two other "
                        "working sizes too (default; the network runs 6.7x longer), mirror, or none (fastest)")
    p.add_argument("--jpeg-quality", type=_quality, default=95, metavar="Q",
                   help="JPEG/WebP quality, 1-100 (default: 95)")
    p.add_argument("--bit-depth", choices=["auto", "8", "16"], default="auto",
                   help="bits per channel of PNG/TIFF outputs (default: auto = 16 for 16-bit sources)")
    p.add_argument("--no-sidecar", dest="sidecar", action="store_false",
                   help="do not write the provenance sidecar <output>.json (the XMP inside is always written)")
    p.add_argument("--no-manifest", dest="manifest", action="store_false",
                   help="do not append to the batch manifest (manifest.jsonl in the output folder)")
    p.add_argument("--c2pa-cert", metavar="PEM",
                   help="sign each output with a C2PA manifest using this certificate chain (leaf first; "
                        "or $ARCHCOLOUR_C2PA_CERT); needs --c2pa-key and the c2pa-python package")
    p.add_argument("--c2pa-key", metavar="PEM", help="private key for --c2pa-cert (or $ARCHCOLOUR_C2PA_KEY)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only failures and the summary")
    p.set_defaults(func=cmd_colourise)


def cmd_colourise(args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    with contextlib.ExitStack() as cleanup:  # e.g. the Ray workers, stopped however the command ends
        return _colourise(args, out or sys.stdout, err or sys.stderr, cleanup)


def _colourise(args: argparse.Namespace, out: TextIO, err: TextIO, cleanup: contextlib.ExitStack) -> int:
    from . import batch
    from .weights import WeightsError

    if getattr(args, "ray_address", None) and getattr(args, "backend", "local") != "ray":
        err.write("archcolour: error: --ray-address needs --backend ray\n")
        return EXIT_USAGE
    ray = getattr(args, "backend", "local") == "ray"
    hints_file = None
    if args.hints:
        from .hints import HintsError, load

        try:
            hints_file = load(args.hints)
        except HintsError as e:
            err.write(f"archcolour: error: {e}\n")
            return EXIT_USAGE
    own_settings = None
    if getattr(args, "image_settings", None):
        own_settings = _load_image_settings(args.image_settings, err)
        if own_settings is None:
            return EXIT_USAGE
    try:
        plan = batch.plan_job(args.inputs, Path(args.output), recursive=args.recursive, fmt=args.format,
                              name_template=getattr(args, "name_template", DEFAULT_TEMPLATE))
    except batch.PlanError as e:
        _error(err, e)
        return EXIT_USAGE
    missing = [p for p in plan.problems if PROBLEM_SEVERITY[p.kind.value] == "error"]
    for p in plan.problems:
        _error(err, p, PROBLEM_SEVERITY[p.kind.value])
    if not plan.items:
        out.write(f"Nothing to do. Summary: 0 done, 0 skipped, {len(missing)} failed\n")
        return EXIT_FAILED if missing else EXIT_OK

    problem = _check_output_folder(Path(args.output))
    if problem:
        _error(err, problem)
        return EXIT_USAGE
    needs_model = any(it.error is None and batch.needs_work(it.state, overwrite=args.overwrite,
                                                              replace_foreign=args.replace_foreign)
                      for it in plan.items)
    colouriser = None
    reference = None
    if needs_model:
        from .engine import Colouriser

        try:
            if ray:  # the workers load the model; the backend describes it as a Colouriser would
                from .batch.ray_backend import RayBackend

                colouriser = cleanup.enter_context(RayBackend.start(
                    args.weights, model=args.model, device=args.device, working_size=args.working_size,
                    seed=args.seed, upsampling=args.upsampling, ensemble=args.ensemble, address=args.ray_address,
                    workers=args.jobs))
            else:
                colouriser = Colouriser(args.weights, model=args.model, device=args.device,
                                        working_size=args.working_size, seed=args.seed, upsampling=args.upsampling,
                                        ensemble=args.ensemble)
            other_models = own_settings is not None and own_settings.models()
            if hints_file is not None and not colouriser.accepts_hints and not other_models:
                # (with images' own models, an image whose model takes no hints fails alone, in one line)
                raise ValueError(f"the model {colouriser.info.name} does not take colour hints "
                                 "(see `archcolour models`)")
            if args.reference:
                if not colouriser.reference_bins:
                    raise ValueError(f"the model {colouriser.info.name} does not take a reference photograph "
                                     "(see `archcolour models`)")
                from .engine import load_reference

                reference = load_reference(args.reference, colouriser.reference_bins)
        except WeightsError as e:
            _error(err, e)
            return EXIT_USAGE
        except (RuntimeError, ValueError) as e:
            _error(err, " ".join(str(e).split()))
            return EXIT_USAGE
        if not args.quiet:
            info = colouriser.info
            out.write(f"Model {info.name} ({info.architecture}, {info.short_hash}) on {colouriser.device_name}, "
                      f"working size {colouriser.working_size} px; {len(plan.items)} image(s) -> "
                      f"{_printable(args.output)}\n")
            if own_settings is not None:
                n_own = sum(own_settings.for_image(it.rel or it.source.name) is not None for it in plan.items)
                out.write(f"{n_own} image(s) with their own settings ({_printable(own_settings.path)})\n")
            out.flush()

    from . import c2pa_signing

    try:
        c2pa_config = c2pa_signing.C2paConfig.resolve(args.c2pa_cert, args.c2pa_key)
        if c2pa_config is not None:
            c2pa_config.check()
    except c2pa_signing.C2paError as e:
        err.write(f"archcolour: error: {e}\n")
        return EXIT_USAGE
    options = batch.BatchOptions(fmt=args.format, overwrite=args.overwrite, replace_foreign=args.replace_foreign,
                                 jpeg_quality=args.jpeg_quality, bit_depth=args.bit_depth, sidecar=args.sidecar,
                                 manifest=args.manifest, jobs=args.jobs, c2pa=c2pa_config, hints=hints_file,
                                 reference=reference, vividness=args.vividness, image_settings=own_settings)
    cancel = batch.CancelToken()
    progress = _Progress(len(plan.items), err, out, quiet=args.quiet)
    summary = batch.Summary(failed=len(missing))
    progress.draw(plan.items[0].source.name)
    # with nothing to colourise (colouriser None) run_job still records the skips in the manifest and
    # rebuilds a sidecar lost to a kill between the output and its sidecar
    if ray and colouriser is not None:
        results = colouriser.run(plan, options, cancel)
    else:
        results = batch.run_job(plan, colouriser, options, cancel)
    cleanup.enter_context(_first_ctrl_c_cancels(cancel))
    try:
        for i, r in enumerate(results):
            progress.step()
            summary.add(r)
            if r.status == "failed":
                progress.line(f"failed   {r.source}: {r.message}", error=True)
            elif r.conflict:
                progress.line(f"conflict {r.source}: {r.message}", error=True)
            elif r.status == "skipped":
                progress.line(f"skipped  {r.source} ({r.output} exists)")
            else:
                progress.line(f"done     {r.source} -> {r.output} ({r.seconds:.1f} s)")
            for w in r.warnings:
                progress.line(f"         note: {w}")
            nxt = plan.items[i + 1].source.name if i + 1 < len(plan.items) else ""
            progress.draw(nxt)
    except KeyboardInterrupt:  # the second Ctrl-C: stop now (what is in flight is still recorded)
        cancel.cancel()
        results.close()
        progress.close()
        out.write(f"Interrupted. Summary: {summary}\n")
        return EXIT_INTERRUPTED
    progress.close()
    if cancel.cancelled:  # the first Ctrl-C: the images in flight were finished, counted and recorded
        out.write(f"Interrupted. Summary: {summary}\n")
        return EXIT_INTERRUPTED
    out.write(f"Summary: {summary}\n")
    return EXIT_OK if summary.ok and not summary.conflicts else EXIT_FAILED


def _load_image_settings(path: str, err: TextIO):
    """The images' own settings, checked up front (the file, and that every model it names is bundled);
    None after saying why in one line."""
    from . import image_settings
    from .weights import WeightsError, list_bundled

    try:
        own = image_settings.load(path)
        if own.models():
            image_settings.check_models(own, [e["name"] for e in list_bundled()])
    except (image_settings.ImageSettingsError, WeightsError) as e:
        _error(err, e)
        return None
    return own


@contextlib.contextmanager
def _first_ctrl_c_cancels(cancel) -> Iterator[None]:
    """During a batch the first Ctrl-C starts no new image but lets those in flight finish, so each
    image on disk is counted and in the manifest; a second Ctrl-C stops at once (KeyboardInterrupt)."""
    import signal

    def on_sigint(signum, frame):  # noqa: ANN001
        if cancel.cancelled:
            raise KeyboardInterrupt
        cancel.cancel()
        try:
            sys.stderr.write("\narchcolour: interrupted: finishing the image(s) in flight (Ctrl-C again to stop now)\n")
        except (OSError, ValueError):
            pass

    try:
        previous = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread: leave Ctrl-C alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# --------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------
def _add_models(sub) -> None:
    p = sub.add_parser("models", formatter_class=_Formatter, help="list the bundled models",
                       description="List the bundled models and where they were found.")
    p.set_defaults(func=cmd_models)


def cmd_models(args: argparse.Namespace) -> int:
    from .weights import WeightsError, list_bundled, models_dir, read_manifest

    try:
        d = models_dir()
        manifest = read_manifest(d)
        entries = list_bundled(d)
    except WeightsError as e:
        _error(sys.stderr, e)
        return EXIT_USAGE
    print(f"Models in {d}:")
    for e in entries:
        mark = "*" if e.get("name") == manifest.get("default") else " "
        takes = e.get("guidance") if isinstance(e.get("guidance"), list) else []
        also = f" [takes: {', '.join(map(str, takes))}]" if takes else ""
        print(f" {mark} {e.get('name', '?'):<20} {e.get('sha256', '')[:12]}  {e.get('description', '')}{also}")
    print("(* = default; 'takes' lists the guidance a model accepts: --hints, --reference)")
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# inspect
# --------------------------------------------------------------------------------------------
def _add_inspect(sub) -> None:
    p = sub.add_parser(
        "inspect", formatter_class=_Formatter, help="show how an image was colourised (its provenance)",
        description="Print the provenance of colourised images: what model made their colours, from which\n"
                    "source, when and how. Read from the XMP packet inside the file, else from its sidecar\n"
                    "<file>.json. Says plainly when a file has none.\n\n"
                    "Exit status: 0 when every file has provenance, 1 when one has none, 2 when one\n"
                    "cannot be read or is not a regular file (a FIFO or a device is never opened).",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="images to inspect (a folder: the images in it)")
    p.add_argument("--json", action="store_true", help="print the provenance as JSON")
    p.set_defaults(func=cmd_inspect)


def cmd_inspect(args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    import json

    from . import c2pa_signing, provenance

    out = out or sys.stdout
    err = err or sys.stderr
    files, status = _inspect_targets(args.files, err)
    found: dict[str, object] = {}
    for i, f in enumerate(files):
        try:
            prov = provenance.read_provenance(f)
        except FileNotFoundError:
            _error(err, f"{f}: no such file")
            status = EXIT_USAGE
            continue
        except (OSError, provenance.ProvenanceError) as e:
            _error(err, f"{f}: {' '.join(str(e).split())}")
            status = EXIT_USAGE
            continue
        if prov is None and status == EXIT_OK:
            status = EXIT_FAILED
        c2 = c2pa_signing.read_c2pa(f)
        if prov is not None and c2 is not None:
            prov["c2pa"] = c2
        if args.json:
            found[str(f)] = prov
        else:
            if i:
                out.write("\n")
            out.write(provenance.format_provenance(f, prov) + "\n")
            if prov is not None and c2pa_signing.available():
                out.write(c2pa_signing.describe(c2) + "\n")
    if args.json:
        out.write(json.dumps(found if len(files) > 1 else next(iter(found.values()), None),
                             indent=2, ensure_ascii=False) + "\n")
    return status


def _inspect_targets(names: list[str], err: TextIO) -> tuple[list[str], int]:
    """The files to inspect: regular files as given, a folder's images (not its sub-folders); anything
    else (missing, a FIFO, a device) is refused with one line and exit status 2, never opened."""
    import stat

    from .formats import FOLDER_EXTENSIONS

    files: list[str] = []
    status = EXIT_OK
    for name in names:
        try:
            st = os.stat(name)
        except OSError as e:
            _error(err, f"{name}: {'no such file' if isinstance(e, FileNotFoundError) else e.strerror or e}")
            status = EXIT_USAGE
            continue
        if stat.S_ISDIR(st.st_mode):
            try:
                inside = sorted(e.path for e in os.scandir(name) if not e.name.startswith(".")
                                and os.path.splitext(e.name)[1].lower() in FOLDER_EXTENSIONS and e.is_file())
            except OSError as e:
                _error(err, f"{name}: {e.strerror or e}")
                status = EXIT_USAGE
                continue
            if not inside:
                _error(err, f"{name}: no images in this folder", "note")
                status = max(status, EXIT_FAILED)
            files.extend(inside)
        elif stat.S_ISREG(st.st_mode):
            files.append(name)
        else:
            _error(err, f"{name}: not a regular file")
            status = EXIT_USAGE
    return files, status


# --------------------------------------------------------------------------------------------
COMMANDS: list[Callable] = [_add_colourise, _add_models, _add_inspect]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archcolour", formatter_class=_Formatter,
        description="Colourise black-and-white photographs of historic sites, keeping each\n"
                    "photograph's exact size and lightness, and recording how it was made.",
        epilog="Run `archcolour COMMAND --help` for a command's options.\n"
               "Quick start: archcolour colourise resources/samples -o colourised",
    )
    parser.add_argument("--version", action="version", version=_version_text())
    parser.add_argument("--debug", action="store_true", help="log what happens, in detail, to standard error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        _configure_logging(args.debug, sys.stderr)
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return int(args.func(args) or 0)
    except KeyboardInterrupt:  # e.g. during start-up (importing torch, loading the model)
        try:
            sys.stderr.write("archcolour: interrupted\n")
        except (OSError, ValueError):
            pass
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`archcolour inspect FILE | head`): stop quietly, as a shell tool does
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

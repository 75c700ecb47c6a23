"""Planning a job: inputs -> :class:`JobItem` (source -> output), problems with a kind.

Rules, checked here and in the tests:

* outputs are named by a template (:mod:`archcolour.naming`; default ``<stem>_colourised.<ext>``) in the
  output folder, mirroring the sub-folders of an input folder unless ``mirror=False``; ``fmt="same"``
  keeps the source's extension;
* an output that would land on a source, or that two sources would share, is refused (the item fails,
  the batch goes on);
* files that archcolour wrote (recognised by their provenance, not their name) are never taken as
  inputs, so an output folder inside, or equal to, an input folder is not colourised again;
* each item knows the state of its output (:mod:`.state`): pending, done (made from this source),
  foreign (made from another source) or unknown (a file without archcolour provenance).
"""
from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .. import formats, naming, provenance
from ..naming import DEFAULT_TEMPLATE, SUFFIX  # noqa: F401 - SUFFIX re-exported by archcolour.batch
from .state import OutputState, SourceHashes, check_output

DEFAULT_FOLDER = "colourised"


class PlanError(ValueError):
    """The job as asked cannot be planned (e.g. the output folder is a file)."""


class ProblemKind(str, enum.Enum):
    """What kind of problem an input gave (the CLI maps kinds to notes/errors and exit codes)."""

    MISSING = "missing"  # no such file or folder
    NOT_A_FILE = "not-a-file"  # exists, but neither a regular file nor a folder
    BROKEN_LINK = "broken-link"  # a symbolic link whose target is missing
    NO_IMAGES = "no-images"  # a folder without images
    LINKED_FOLDER = "linked-folder"  # a symbolic link to a folder, not followed (no loops, no escapes)
    OWN_OUTPUT = "own-output"  # archcolour outputs, not taken as inputs


class Problem(str):
    """One line naming an input and what is wrong with it; ``kind`` says what sort of problem it is.

    A ``str`` (its text), so callers that only show problems need nothing else.
    """

    kind: ProblemKind
    path: Path

    def __new__(cls, kind: ProblemKind, path: str | os.PathLike, message: str) -> "Problem":
        self = super().__new__(cls, f"{path}: {message}")
        self.kind, self.path = ProblemKind(kind), Path(path)
        return self

    def __reduce__(self):  # picklable (for a process backend)
        return (Problem, (self.kind, self.path, str(self)[len(str(self.path)) + 2:]))


@dataclass
class JobItem:
    source: Path
    output: Path
    #: the output's state when planned (re-checked when the item runs)
    state: OutputState = OutputState.PENDING
    #: why this item cannot run (e.g. its output would overwrite a source); None when fine
    error: str | None = None
    #: the source's path relative to the input folder it was found in (its name for a file given
    #: directly), POSIX; colour hints are looked up by it
    rel: str = ""

    @property
    def exists(self) -> bool:
        """An output file is there (whoever made it)."""
        return self.state is not OutputState.PENDING


@dataclass
class JobPlan:
    items: list[JobItem]
    output_dir: Path | None  # None: a ``colourised`` folder beside each source
    #: inputs that gave nothing to do (missing paths, folders without images), one line each
    problems: list[Problem] = field(default_factory=list)
    #: source SHA-256s found while planning (reused when running: a source is hashed once per run)
    hashes: SourceHashes = field(default_factory=SourceHashes, repr=False)

    def __len__(self) -> int:
        return len(self.items)


def output_extension(source: Path, fmt: str = "same") -> str:
    try:
        return formats.output_extension(source, fmt)
    except ValueError as e:
        raise PlanError(str(e)) from None


def output_name(source: Path, fmt: str = "same", template: str = DEFAULT_TEMPLATE) -> str:
    """The output's file name: ``template`` (:func:`archcolour.naming.output_name`) and the format's extension."""
    try:
        return naming.output_name(source, output_extension(source, fmt), template)
    except PlanError:
        raise
    except ValueError as e:
        raise PlanError(str(e)) from None


def _is_image_name(p: Path) -> bool:
    return p.suffix.lower() in formats.FOLDER_EXTENSIONS and not p.name.startswith(".")


def _walk(folder: Path, recursive: bool,
          exclude: set[Path]) -> tuple[list[Path], list[Path], list[Path], list[Path]]:
    """(image files, broken symbolic links, symbolic links to folders not followed, entries named like
    images that are not regular files: FIFOs, sockets, devices) in ``folder``."""
    found: list[Path] = []
    linked: list[Path] = []
    if recursive:
        for root, dirs, files in os.walk(folder):
            rootp = Path(root)
            linked.extend(rootp / d for d in sorted(dirs) if not d.startswith(".") and (rootp / d).is_symlink())
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (rootp / d).is_symlink()
                             and (rootp / d).resolve() not in exclude)
            found.extend(rootp / f for f in sorted(files) if _is_image_name(Path(f)))
    else:
        found = sorted(p for p in folder.iterdir() if _is_image_name(p) and not p.is_dir())
    broken = [p for p in found if p.is_symlink() and not p.exists()]
    odd = [p for p in found if p.exists() and not p.is_file() and not p.is_dir()]  # never opened: a FIFO blocks
    return [p for p in found if p.is_file()], broken, linked, odd


def plan_job(
    inputs: Iterable[str | os.PathLike],
    output_dir: str | os.PathLike | None = None,
    *,
    recursive: bool = False,
    fmt: str = "same",
    overwrite: bool = False,  # noqa: ARG001 - kept for the contract; what runs is decided by needs_work
    name_template: str = DEFAULT_TEMPLATE,
    mirror: bool = True,
) -> JobPlan:
    """Turn files and folders into job items.

    ``output_dir`` None puts outputs in a ``colourised`` folder beside each source (the GUI's default;
    the CLI passes ``./colourised``). Files inside an input folder keep their sub-folder under the
    output folder (``mirror=False``: all directly in it). Outputs are named by ``name_template``
    (:mod:`archcolour.naming`). Output folders found while walking are not descended into;
    archcolour's own outputs are left out wherever they are.
    """
    out_dir = Path(output_dir) if output_dir is not None else None
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise PlanError(f"output folder {out_dir} exists and is not a folder")
    output_name(Path("x.png"), fmt, name_template)  # validates fmt and the template
    problems: list[Problem] = []
    exclude: set[Path] = {out_dir.resolve()} if out_dir is not None else set()

    pairs: list[tuple[Path, Path, str]] = []  # (source, output, source relative to its input)
    for raw in inputs:
        p = Path(raw)
        if p.is_dir():
            local_exclude = exclude | ({(p / DEFAULT_FOLDER).resolve()} if out_dir is None else set())
            files, broken, linked, odd = _walk(p, recursive, local_exclude)
            for o in odd:
                problems.append(Problem(ProblemKind.NOT_A_FILE, o, "not a regular file (a FIFO, socket or device), "
                                        "not read"))
            for b in broken:
                problems.append(Problem(ProblemKind.BROKEN_LINK, b, "broken symbolic link (its target is missing)"))
            for d in linked:
                problems.append(Problem(ProblemKind.LINKED_FOLDER, d, "symbolic link to a folder, not followed "
                                        "(give its target as an input to include it)"))
            if out_dir is None:
                # beside each source, in that source's own folder
                files = [f for f in files if DEFAULT_FOLDER not in f.relative_to(p).parts[:-1]]
            own = [f for f in files if provenance.is_own_output(f)]
            if own:
                files = [f for f in files if f not in set(own)]
                problems.append(Problem(ProblemKind.OWN_OUTPUT, p, f"{len(own)} archcolour output(s) left out "
                                        "(their provenance says archcolour made them)"))
            if not files and not own:
                problems.append(Problem(ProblemKind.NO_IMAGES, p, "no images found"
                                        + ("" if recursive else " (use --recursive for sub-folders)")))
            for f in files:
                if out_dir is None:
                    base = f.parent / DEFAULT_FOLDER
                else:
                    base = out_dir / f.relative_to(p).parent if mirror else out_dir
                pairs.append((f, base / output_name(f, fmt, name_template), f.relative_to(p).as_posix()))
        elif p.is_file():
            if provenance.is_own_output(p):
                problems.append(Problem(ProblemKind.OWN_OUTPUT, p, "an archcolour output (its provenance says "
                                        "so), not taken as an input"))
                continue
            base = out_dir if out_dir is not None else p.parent / DEFAULT_FOLDER
            pairs.append((p, base / output_name(p, fmt, name_template), p.name))
        elif p.is_symlink():
            problems.append(Problem(ProblemKind.BROKEN_LINK, p, "broken symbolic link (its target is missing)"))
        elif p.exists():
            problems.append(Problem(ProblemKind.NOT_A_FILE, p, "not a file or folder"))
        else:
            problems.append(Problem(ProblemKind.MISSING, p, "no such file or folder"))

    hashes = SourceHashes()
    sources = {s.resolve() for s, _, _ in pairs}
    seen: dict[Path, Path] = {}
    items: list[JobItem] = []
    for src, out, rel in pairs:
        if src.resolve() in seen and seen[src.resolve()] == out.resolve():
            continue  # the same file given twice
        err = None
        out_r = out.resolve()
        if out_r in sources:
            err = f"refused: output {out} would overwrite a source image" + (
                "" if name_template == DEFAULT_TEMPLATE else " (choose another file-name template)")
        elif out_r in seen.values():
            other = next(s for s, o in seen.items() if o == out_r)
            err = f"refused: output {out} is also the output of {other}" + (
                "" if mirror else " (the same output name: mirror the sub-folders to keep them apart)")
        seen[src.resolve()] = out_r
        state = OutputState.PENDING
        if err is None:
            try:
                state = check_output(src, out, hashes).state
            except OSError as e:  # e.g. a name too long for the file system
                err = f"cannot use output {out.name}: {e.strerror or e}"
        items.append(JobItem(source=src, output=out, state=state, error=err, rel=rel))
    return JobPlan(items=items, output_dir=out_dir, problems=problems, hashes=hashes)

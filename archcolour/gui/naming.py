"""Output naming of an export preset: a template such as ``{stem}_colourised`` and sub-folder mirroring.

The batch planner (:func:`archcolour.batch.plan_job`) names outputs ``<stem>_colourised.<ext>`` and
mirrors sub-folders; a preset with another template, or without mirroring, re-targets the planned
items here, before anything runs, and checks the result: an output that would land on a source or on
another item's output makes that item fail with one line, as the planner does for its own names.
(Qt-free; the batch planner is the place for this rule once it takes a template.)
"""
from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

#: the batch planner's own naming (``"{stem}" + archcolour.batch.SUFFIX``; a test holds them together;
#: not imported from there so that the window starts without the engine's imports)
DEFAULT_TEMPLATE = "{stem}_colourised"


@dataclass(frozen=True)
class Naming:
    template: str = DEFAULT_TEMPLATE
    mirror: bool = True

    @property
    def is_default(self) -> bool:
        return self.template == DEFAULT_TEMPLATE and self.mirror

    def name(self, source: Path, ext: str) -> str:
        return check_template(self.template).format(stem=Path(source).stem) + ext


def check_template(template: str) -> str:
    """``template`` if it uses ``{stem}`` and nothing else, no folder separators; ValueError otherwise."""
    fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    if "{stem}" not in template or any(f != "stem" for f in fields):
        raise ValueError(f"a file-name template must contain {{stem}} and no other field: {template!r}")
    if "/" in template or "\\" in template:
        raise ValueError(f"a file-name template cannot contain a folder: {template!r}")
    return template


def retarget(plan, naming: Naming) -> None:
    """Rename the outputs of ``plan`` (a :class:`archcolour.batch.JobPlan`) as ``naming`` says, in place."""
    if naming.is_default or not plan.items:
        return
    sources = {it.source.resolve() for it in plan.items}
    seen: dict[Path, Path] = {}
    for it in plan.items:
        folder = it.output.parent if naming.mirror or plan.output_dir is None else Path(plan.output_dir)
        out = folder / naming.name(it.source, it.output.suffix)
        it.output = out
        _recheck(it, plan)
        key = out.resolve()
        if key in sources:
            it.error = "its output would overwrite a source image (choose another file-name template)"
        elif key in seen:
            it.error = f"same output name as {seen[key].name} (turn sub-folder mirroring on)"
        seen.setdefault(key, it.source)


def _recheck(it, plan) -> None:
    """The item's output state at its new place (from provenance, as the planner decides it)."""
    from .. import batch

    if hasattr(it, "state"):
        it.state = batch.check_output(it.source, it.output, getattr(plan, "hashes", None)).state
    else:  # pragma: no cover - a planner without output states
        it.exists = it.output.exists()

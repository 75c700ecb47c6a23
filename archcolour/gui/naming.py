"""Output naming of an export preset: a file-name template such as ``{stem}_colourised`` and sub-folder
mirroring (Qt-free).

The rule itself is the core's (:mod:`archcolour.naming`): the batch planner names every output with it
(``plan_job(name_template=..., mirror=...)``), for the command line's ``--name-template`` and for the
window alike. :class:`Naming` is what the export panel hands the planner.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..naming import DEFAULT_TEMPLATE, check_template

__all__ = ["DEFAULT_TEMPLATE", "Naming", "check_template"]


@dataclass(frozen=True)
class Naming:
    template: str = DEFAULT_TEMPLATE
    mirror: bool = True

    @property
    def is_default(self) -> bool:
        return self.template == DEFAULT_TEMPLATE and self.mirror

    def plan_options(self) -> dict:
        """The keyword arguments of :func:`archcolour.batch.plan_job` for this naming."""
        return {"name_template": check_template(self.template), "mirror": self.mirror}

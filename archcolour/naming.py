"""Output file names: the one naming rule, a template such as ``{stem}_colourised`` (torch-free, Qt-free).

:func:`archcolour.batch.plan_job` names every output with :func:`output_name`; the command line
(``--name-template``) and the desktop application's export presets hand it their template, so both
name files the same way. The template must contain ``{stem}`` (the source's name without its
extension) and nothing else to fill in, and no folder separator; the extension is the output format's.
"""
from __future__ import annotations

import string
from pathlib import Path

SUFFIX = "_colourised"
#: the default template: ``Greece1911.jpg`` -> ``Greece1911_colourised.jpg``
DEFAULT_TEMPLATE = "{stem}" + SUFFIX


def check_template(template: str) -> str:
    """``template`` if it uses ``{stem}`` and nothing else, no folder separators; ValueError (one line) otherwise."""
    if not isinstance(template, str):
        raise ValueError(f"a file-name template must be text, not {template!r}")
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError:  # an unmatched brace
        fields = ["?"]
    if "{stem}" not in template or any(f != "stem" for f in fields):
        raise ValueError(f"a file-name template must contain {{stem}} and no other field: {template!r}")
    if "/" in template or "\\" in template or "\0" in template:
        raise ValueError(f"a file-name template cannot contain a folder: {template!r}")
    return template


def output_name(source: str | Path, ext: str, template: str = DEFAULT_TEMPLATE) -> str:
    """The output's file name for ``source``: the template filled with its stem, then ``ext`` (with its dot)."""
    return check_template(template).format(stem=Path(source).stem) + ext


__all__ = ["DEFAULT_TEMPLATE", "SUFFIX", "check_template", "output_name"]

"""Reading provenance back for ``archcolour inspect``: bounded reads, text safe for a terminal.

:func:`read_provenance` gathers a file's provenance from its embedded XMP and its sidecar (each read
with a bound: the XMP scan and the sidecar are limited in size); :func:`format_provenance` turns it
into text in which every value from the file is made printable (control characters, such as the
escape sequences a hostile file could carry to a terminal, are shown as ``\\x1b``).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..fsutil import sha256_file
from .record import alt_text
from .store import embedded_provenance, read_sidecar, sidecar_path
from .record import ProvenanceError


def read_provenance(path: str | os.PathLike) -> dict[str, Any] | None:
    """Provenance of a file: from its embedded XMP, else from its sidecar; None when it has none.

    The result has the sidecar's shape plus ``found_in`` (list of places), ``file``,
    ``sidecar`` (the sidecar's path or None), ``output_sha256_matches`` (does the file's SHA-256
    equal the one the sidecar recorded; None without a sidecar) and ``sidecar_matches`` (do the
    embedded and sidecar document IDs agree; None unless both exist).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    result, where = embedded_provenance(path)
    embedded = result is not None
    if embedded:
        result["found_in"] = [where]
    try:
        side = read_sidecar(path)
    except ProvenanceError:
        side = None
    if side is not None:
        if result is None:
            result = dict(side)
            result["found_in"] = []
        result["found_in"].append(f"sidecar {sidecar_path(path).name}")
        out = _dict(side.get("output"))
        result["output"] = {**_dict(result.get("output")), **{k: v for k, v in out.items() if v is not None}}
        rec = out.get("sha256")
        result["output_sha256_matches"] = (sha256_file(path) == rec) if rec else None
        result["sidecar_matches"] = (side.get("document_id") == result.get("document_id")) if embedded else None
    elif result is not None:
        result["output_sha256_matches"] = None
        result["sidecar_matches"] = None
    if result is not None:
        result["file"] = str(path)
        result["sidecar"] = str(sidecar_path(path)) if side is not None else None
        if not (result.get("output") or {}).get("name"):
            result.setdefault("output", {})["name"] = path.name
    return result


def printable(value: Any) -> str:
    """``value`` as one line a terminal shows as it is: control characters escaped (``\\x1b``, ``\\n``)."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def format_provenance(path: str | os.PathLike, prov: dict[str, Any] | None) -> str:
    """Human-readable text for ``archcolour inspect``."""
    name = printable(Path(path).name)
    if prov is None:
        return (f"{name}: no archcolour provenance. The file carries no archcolour XMP and has no sidecar "
                f"{printable(sidecar_path(path).name)}; nothing here says whether or how its colours were made.")
    # a sidecar is anyone's JSON: every part is checked for its shape before it is used
    src, model, eng, tool, ai = (_dict(prov.get(k)) for k in ("source", "model", "engine", "tool", "ai_system"))
    p = printable
    lines = [f"{name}: colourised by {p(tool.get('name') or 'archcolour')} {p(tool.get('version') or '')}".rstrip(),
             f"  found in:            {p('; '.join(map(str, _list(prov.get('found_in')))))}",
             f"  description:         {p(prov.get('description'))}",
             f"  digital source type: {p(prov.get('digital_source_type'))}"]
    if ai.get("used"):
        lines.append(f"  AI system used:      {p(ai.get('used'))} (version {p(ai.get('version_used'))})")
    arch = f" ({p(model['architecture'])})" if model.get("architecture") else ""
    lines.append(f"  model:               {p(model.get('name'))} version {p(model.get('version'))}{arch}")
    lines.append(f"  model SHA-256:       {p(model.get('sha256'))}")
    lines.append(f"  working size / seed: {p(eng.get('working_size'))} px / {p(eng.get('seed'))}")
    lines.append(f"  device:              {p(eng.get('device_name') or '')} ({p(eng.get('device'))})")
    size = src.get("size")
    lines.append(f"  source:              {p(src.get('name'))} ({p(src.get('format') or '?')}, "
                 f"{'{:,}'.format(size) + ' bytes' if isinstance(size, int) else 'size unknown'})")
    lines.append(f"  source SHA-256:      {p(src.get('sha256'))}")
    if src.get("document_id"):
        lines.append(f"  source document ID:  {p(src.get('document_id'))}")
    lines.append(f"  created (UTC):       {p(prov.get('created'))}")
    lines.append(f"  document ID:         {p(prov.get('document_id'))}")
    for k, v in _dict(prov.get("kept")).items():
        text = alt_text(v) if not isinstance(v, dict) or _is_lang(v) else json.dumps(v, ensure_ascii=False)
        lines.append(f"  kept {p(k)}: {p(text)}")
    for w in _list(prov.get("warnings")):
        lines.append(f"  warning: {p(w)}")
    for n in _list(prov.get("notes")):
        lines.append(f"  note: {p(n)}")
    m = prov.get("output_sha256_matches")
    if m is True:
        lines.append("  sidecar: output SHA-256 matches this file")
    elif m is False:
        lines.append("  sidecar: WARNING: this file's SHA-256 differs from the one its sidecar recorded")
    if prov.get("sidecar_matches") is False:
        lines.append("  sidecar: WARNING: sidecar and embedded XMP describe different documents")
    return "\n".join(lines)


def _dict(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _list(v: Any) -> list:
    return v if isinstance(v, list) else []


def _is_lang(v: dict) -> bool:
    return all(":" not in k for k in v)

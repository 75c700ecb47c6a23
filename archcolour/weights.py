"""Find, verify and load model weights.

Weights are safetensors files (never pickle) whose metadata carries everything needed to rebuild the
network: architecture name and hyper-parameters, working size, and a summary of the data, recipe and
date. Bundled weights are listed in ``manifest.json`` beside them with their SHA-256; a file is hashed
and compared before it is loaded, so a missing, truncated or tampered file gives a clear error.

Where bundled weights are looked for, in order:

1. ``$ARCHCOLOUR_MODELS`` (a folder with a manifest), if set;
2. a PyInstaller bundle: ``<sys._MEIPASS>/models``;
3. an installed wheel: ``archcolour/_bundled_models`` (copied there by setup.py);
4. a source checkout: ``<repo>/models``.

Never the current working directory.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # torch is imported by load_model's callers; listing models must not need it
    import torch
    from torch import nn

from .fsutil import atomic_write_bytes, sha256_file

MANIFEST = "manifest.json"
META_PREFIX = "archcolour."


class WeightsError(RuntimeError):
    """A weights file or manifest is missing, corrupt, tampered with or unusable."""


@dataclass
class ModelInfo:
    """What the metadata of a weights file says about the model."""

    name: str
    architecture: str
    hparams: dict[str, Any]
    working_size: int
    version: str = "0"
    sha256: str = ""
    path: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def short_hash(self) -> str:
        return self.sha256[:12]


def candidate_dirs() -> list[Path]:
    """Folders searched for bundled weights, most specific first."""
    dirs: list[Path] = []
    env = os.environ.get("ARCHCOLOUR_MODELS")
    if env:
        dirs.append(Path(env))
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        dirs.append(Path(meipass) / "models")
    here = Path(__file__).resolve().parent
    dirs.append(here / "_bundled_models")
    dirs.append(here.parent / "models")
    return dirs


def models_dir() -> Path:
    """The first candidate folder that holds a manifest."""
    for d in candidate_dirs():
        if (d / MANIFEST).is_file():
            return d
    searched = ", ".join(str(d) for d in candidate_dirs())
    raise WeightsError(
        "no bundled model weights found (searched: " + searched + "). Train and export weights with "
        "`python -m training.train` (see models/MODEL_CARD.md), or pass --weights FILE."
    )


def read_manifest(directory: Path | None = None) -> dict[str, Any]:
    """The manifest of a models folder, every entry checked (see :func:`check_entry`)."""
    directory = directory or models_dir()
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WeightsError(f"model manifest missing: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise WeightsError(f"model manifest is not valid JSON: {path}: {' '.join(str(e).split())}") from None
    except OSError as e:
        raise WeightsError(f"cannot read model manifest {path}: {e.strerror or e}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("models"), list):
        raise WeightsError(f"model manifest has no 'models' list: {path}")
    for i, entry in enumerate(manifest["models"]):
        problem = check_entry(entry)
        if problem:
            raise WeightsError(f"model manifest {path}: entry {i + 1} {problem}")
    return manifest


_SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")


def check_entry(entry: Any) -> str | None:
    """Why a manifest entry cannot be trusted (None when it can).

    An entry is an object with a ``name``, a ``file`` that is a plain file name in the models folder
    (no path separators, so it cannot point elsewhere) and the file's ``sha256`` (64 hex digits). An
    empty or missing hash is an error, never "do not check": the hash is what makes a tampered or
    truncated file fail to load.
    """
    if not isinstance(entry, dict):
        return f"is not an object ({type(entry).__name__})"
    for key in ("name", "file", "sha256"):
        if key not in entry:
            return f"lacks '{key}'"
        if not isinstance(entry[key], str) or not entry[key]:
            return f"has an empty or non-text '{key}'"
    name = entry["name"]
    f = entry["file"]
    if f in (".", "..") or "/" in f or "\\" in f or "\x00" in f:
        return f"({name!r}) has a file that is not a plain name in the models folder: {f!r}"
    if not _SHA256_RE.fullmatch(entry["sha256"]):
        return f"({name!r}) has a 'sha256' that is not 64 hex digits"
    return None


def list_bundled(directory: Path | None = None) -> list[dict[str, Any]]:
    """Manifest entries of the bundled models (name, file, sha256, role, ...), each checked."""
    return list(read_manifest(directory)["models"])


def resolve_bundled(name: str | None = None, directory: Path | None = None) -> tuple[Path, str]:
    """(path, expected sha256) of a bundled model: ``name`` or the manifest's default."""
    directory = directory or models_dir()
    manifest = read_manifest(directory)
    wanted = name or manifest.get("default")
    for entry in manifest["models"]:
        if entry["name"] == wanted:
            return directory / entry["file"], entry["sha256"]
    names = ", ".join(e["name"] for e in manifest["models"])
    raise WeightsError(f"no bundled model named {wanted!r} (available: {names})")


def _parse_meta(meta: dict[str, str], path: Path) -> ModelInfo:
    def get(key: str) -> str:
        try:
            return meta[META_PREFIX + key]
        except KeyError:
            raise WeightsError(f"{path.name}: metadata lacks '{META_PREFIX + key}' (not an archcolour weights file?)") from None

    try:
        hparams = json.loads(get("hparams"))
        working_size = int(get("working_size"))
    except (ValueError, json.JSONDecodeError) as e:
        raise WeightsError(f"{path.name}: unreadable metadata: {e}") from None
    extra = {k[len(META_PREFIX):]: v for k, v in meta.items() if k.startswith(META_PREFIX)}
    return ModelInfo(
        name=get("name"),
        architecture=get("architecture"),
        hparams=hparams,
        working_size=working_size,
        version=meta.get(META_PREFIX + "version", "0"),
        path=path,
        extra=extra,
    )


def _hparams_for_build(hparams: dict[str, Any]) -> dict[str, Any]:
    # JSON turns tuples into lists; the networks expect tuples.
    return {k: tuple(v) if isinstance(v, list) else v for k, v in hparams.items()}


def load_model(
    path: str | os.PathLike | None = None,
    *,
    name: str | None = None,
    expected_sha256: str | None = None,
    device: str | torch.device = "cpu",
) -> tuple[nn.Module, ModelInfo]:
    """Load a colourisation network in eval mode.

    With no ``path``, the bundled model ``name`` (or the default) is loaded and verified against the
    manifest. With a ``path``, the file is verified against ``expected_sha256`` when given.
    """
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    from . import nets

    if path is None:
        path, expected_sha256 = resolve_bundled(name)  # never without a hash: check_entry refuses that
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file missing: {path}")
    digest = sha256_file(path)
    if expected_sha256 and digest != expected_sha256.lower():
        raise WeightsError(
            f"weights file {path.name} does not match its manifest (SHA-256 {digest[:12]}..., expected "
            f"{expected_sha256[:12]}...): the file is corrupt or was modified"
        )
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise WeightsError(f"cannot read weights file {path.name}: {e}") from None
    info = _parse_meta(meta, path)
    info.sha256 = digest
    try:
        model = nets.build(info.architecture, **_hparams_for_build(info.hparams))
        model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    except (ValueError, RuntimeError, TypeError) as e:
        raise WeightsError(f"weights file {path.name} does not fit architecture {info.architecture!r}: {e}") from None
    model.eval().to(device)
    return model, info


def save_model(
    model: nn.Module,
    path: str | os.PathLike,
    *,
    name: str,
    architecture: str,
    hparams: dict[str, Any],
    working_size: int,
    version: str = "1",
    data: str = "",
    recipe: str = "",
    extra: dict[str, str] | None = None,
    half: bool = False,
) -> str:
    """Write ``model`` as safetensors with archcolour metadata; returns the file's SHA-256."""
    from safetensors.torch import save

    state = {k: (v.half() if half and v.is_floating_point() else v).detach().cpu().contiguous()
             for k, v in model.state_dict().items()}
    meta = {
        "name": name,
        "architecture": architecture,
        "hparams": json.dumps(hparams, sort_keys=True),
        "working_size": str(int(working_size)),
        "version": version,
        "data": data,
        "recipe": recipe,
        "date": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "dtype": "float16" if half else "float32",
    }
    meta.update(extra or {})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = save(state, metadata={META_PREFIX + k: str(v) for k, v in meta.items()})
    return atomic_write_bytes(path, data).sha256


def write_manifest(directory: str | os.PathLike, entries: list[dict[str, Any]], default: str) -> Path:
    """Write ``manifest.json`` listing ``entries`` (each: name, file, sha256, role, description)."""
    directory = Path(directory)
    for i, entry in enumerate(entries):
        problem = check_entry(entry)
        if problem:
            raise WeightsError(f"cannot write a model manifest whose entry {i + 1} {problem}")
    manifest = {"default": default, "models": entries}
    path = directory / MANIFEST
    atomic_write_bytes(path, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    return path

"""Copy trained weights into ``models/`` with their final metadata and write the manifest.

    python -m training.bundle --out models \
        --default runs/ours/model.safetensors:archunet-cpu:192 \
        --reference runs/gan/model.safetensors:report-gan:128 [--half]

Each spec is ``WEIGHTS:NAME:WORKING_SIZE``. The weights are re-saved (optionally as float16) with the
name and the working size chosen on the *validation* split; all other metadata (architecture,
hyper-parameters, data, recipe, date) is carried over. The manifest records each file's SHA-256.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archcolour.weights import load_model, save_model, write_manifest


def rebundle(src: str, name: str, working_size: int, out: Path, half: bool, role: str, description: str) -> dict:
    model, info = load_model(src)
    extra = {k: v for k, v in info.extra.items()
             if k not in ("name", "architecture", "hparams", "working_size", "version", "data", "recipe", "dtype", "date")}
    extra["trained_date"] = info.extra.get("date", "")
    extra["source_sha256"] = info.sha256
    fname = f"{name}.safetensors"
    sha = save_model(model, out / fname, name=name, architecture=info.architecture, hparams=info.hparams,
                     working_size=working_size, version=info.version, data=info.extra.get("data", ""),
                     recipe=info.extra.get("recipe", ""), extra=extra, half=half)
    guidance = (["hints"] if info.hparams.get("hints") else []) + (["reference"] if info.hparams.get("ref_bins") else [])
    return {"name": name, "file": fname, "sha256": sha, "role": role, "architecture": info.architecture,
            "working_size": working_size, "description": description, "guidance": guidance}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.bundle")
    p.add_argument("--out", default="models")
    p.add_argument("--default", metavar="WEIGHTS:NAME:SIZE")
    p.add_argument("--add", metavar="WEIGHTS:NAME:SIZE",
                   help="add one more model to an existing manifest (its default and other entries untouched)")
    p.add_argument("--role", default="guided", help="role of the --add model")
    p.add_argument("--description", default="", help="description of the --add model")
    p.add_argument("--make-default", action="store_true",
                   help="the --add model becomes the default; the previous default stays, with role 'previous default'")
    p.add_argument("--reference", action="append", default=[], metavar="WEIGHTS:NAME:SIZE")
    p.add_argument("--half", action="store_true", help="store the default model as float16")
    a = p.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    if a.add:
        from archcolour.weights import read_manifest

        manifest = read_manifest(out)
        src, name, size = a.add.rsplit(":", 2)
        entries = [e for e in manifest["models"] if e.get("name") != name]
        default = manifest["default"]
        if a.make_default:
            for e in entries:
                if e.get("name") == default:
                    e["role"] = "previous default"
            default = name
        entries.append(rebundle(src, name, int(size), out, a.half, "default" if a.make_default else a.role,
                                a.description or name))
        print(write_manifest(out, entries, default=default))
        print(f"{name}: sha256 {entries[-1]['sha256']}")
        return 0
    if not a.default:
        p.error("--default or --add is required")
    src, name, size = a.default.rsplit(":", 2)
    entries = [rebundle(src, name, int(size), out, a.half, "default", "archcolour's own model (see MODEL_CARD.md)")]
    for spec in a.reference:
        src, rname, size = spec.rsplit(":", 2)
        entries.append(rebundle(src, rname, int(size), out, False, "reference",
                                "the report's GAN generator, reproduced as the reference (see MODEL_CARD.md)"))
    print(write_manifest(out, entries, default=name))
    for e in entries:
        print(f"{e['name']}: {e['file']} sha256 {e['sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

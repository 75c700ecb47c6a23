"""Smoke test of a built desktop bundle (``dist/archcolour/``), run from outside the bundle.

    python packaging/smoke_test.py [dist/archcolour] [--skip-gui] [--keep]

Runs with the project's environment (it uses Pillow and tifffile to read the outputs back) but starts
the frozen executables with a scrubbed environment (no ARCHCOLOUR_MODELS, PYTHONPATH, PYTHONHOME or
virtualenv) from an empty temporary working directory, so nothing can come from the source tree:

1. layout: the three executables, ``_internal/models`` (manifest, every weights file it lists with a
   matching SHA-256, MODEL_CARD.md), icons, samples, desktop entry; none of the excluded packages or
   pruned Qt plugins; every library the bundle ships resolves its bundled dependencies (``ldd``);
2. CLI: ``--version``; ``models`` lists the folder inside the bundle; ``colourise`` on a copy of
   the bundled samples writes one valid colour image per sample, of the sample's exact size;
   ``inspect --json`` reads their provenance back (IPTC digital source type, the bundled model's
   SHA-256); every other bundled model colourises one sample (``--model NAME``); the CLI runs through a symbolic link (as when linked into ~/.local/bin); a tampered copy
   of the weights is refused with exit status 2;
3. GUI: ``archcolour-gui --version``; the real ``archcolour-gui`` starts offscreen and keeps running
   for a few seconds; ``archcolour-gui-smoke`` shows the main window offscreen, loads the bundled
   model, computes a preview of the first sample, saves a screenshot and exits with status 0; where
   ``xvfb-run`` is installed, the same again on an X server with the bundled xcb plugin.

Exit status 0 when every check passed, 1 otherwise. Each check prints one PASS/FAIL line.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle  # noqa: E402  (packaging/bundle.py)

IPTC_COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"}
# must not be in the bundle (packaging/bundle.py excludes or prunes them)
ABSENT = ("scipy", "skimage", "sympy", "networkx", "matplotlib", "torchvision", "pytest", "PyInstaller",
          "training", "tests", "torch/_inductor", "torch/_dynamo", "torch/onnx", "torch/include", "torch/bin/protoc",
          "torch/test", "PySide6/Qt/plugins/egldeviceintegrations", "PySide6/Qt/plugins/sqldrivers",
          "PySide6/Qt/plugins/generic", "PySide6/Qt/plugins/imageformats/libqpdf.so", "PySide6/Qt/translations",
          "PySide6/Qt/qml", "PySide6/Qt/lib/libQt6Quick.so.6", "PySide6/Qt/lib/libQt6Qml.so.6",
          "PySide6/Qt/lib/libQt6Pdf.so.6")
# libraries the bundle itself provides: ldd must resolve these inside it (system libraries such as
# GTK for the gtk3 platform theme are the desktop's business and may be absent on a build machine)
BUNDLED_LIB_PREFIXES = ("libQt6", "libpyside6", "libshiboken6", "libicu", "libtorch", "libc10", "libgomp",
                        "libpython3", "libopenblas", "libscipy", "libgfortran", "libquadmath")


class Checks:
    def __init__(self) -> None:
        self.failed: list[str] = []
        self.passed = 0

    def check(self, ok: bool, name: str, detail: str = "") -> bool:
        print(f"{'PASS' if ok else 'FAIL'}  {name}" + (f": {detail}" if detail else ""), flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed.append(name)
        return ok


def frozen_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ARCHCOLOUR_", "PYTHON", "VIRTUAL_ENV", "CONDA", "QT_", "LD_LIBRARY_PATH"))}
    env["ARCHCOLOUR_CONFIG_DIR"] = str(tmp / "config")
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.setdefault("HOME", str(tmp))
    return env


def run(cmd: list, env: dict, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    t = time.perf_counter()
    res = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    res.seconds = time.perf_counter() - t  # type: ignore[attr-defined]
    return res


def tail(res: subprocess.CompletedProcess, n: int = 1500) -> str:
    return (res.stdout[-n:] + "\n" + res.stderr[-n:]).strip()


def sha256(path: Path) -> str:
    return bundle._sha256(path)


def image_info(path: Path) -> tuple[tuple[int, int], bool]:
    """((width, height), has colour) of an output, decoding every pixel."""
    import numpy as np

    if path.suffix.lower() in (".tif", ".tiff"):
        import tifffile

        a = tifffile.imread(path)
    else:
        from PIL import Image

        with Image.open(path) as im:
            im.load()
            a = np.asarray(im.convert("RGB"))
    if a.ndim != 3 or a.shape[2] < 3:
        return (a.shape[1], a.shape[0]), False
    a = a[..., :3].astype(np.int64)
    colour = bool(np.abs(a[..., 0] - a[..., 1]).max() > 0 or np.abs(a[..., 1] - a[..., 2]).max() > 0)
    return (a.shape[1], a.shape[0]), colour


def source_size(path: Path) -> tuple[int, int]:
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).size


# ---------------------------------------------------------------------------------------------
def check_layout(c: Checks, dist: Path) -> dict:
    internal = dist / "_internal"
    for name, _script, _console in bundle.EXECUTABLES:
        exe = dist / name
        c.check(exe.is_file() and os.access(exe, os.X_OK), f"layout: executable {name}")
    models = internal / bundle.MODEL_FILES_DEST
    manifest = {}
    try:
        manifest = json.loads((models / "manifest.json").read_text(encoding="utf-8"))
        c.check(True, "layout: models/manifest.json inside the bundle", str(models))
    except (OSError, ValueError) as e:
        c.check(False, "layout: models/manifest.json inside the bundle", str(e))
        return {}
    for e in manifest.get("models", []):
        f = models / e["file"]
        ok = f.is_file() and sha256(f) == e["sha256"]
        c.check(ok, f"layout: weights {e['file']} match the manifest", e["sha256"][:12])
    c.check((models / "MODEL_CARD.md").is_file(), "layout: models/MODEL_CARD.md")
    res = internal / "resources"
    c.check((res / "icons" / "archcolour.png").is_file() and (res / "icons" / "archcolour.svg").is_file(),
            "layout: resources/icons (png + svg)")
    samples = sorted(p for p in (res / "samples").glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    c.check(len(samples) > 0, "layout: resources/samples", f"{len(samples)} images")
    c.check((res / "archcolour.desktop").is_file(), "layout: resources/archcolour.desktop")
    present = [a for a in ABSENT if (internal / a).exists()]
    c.check(not present, "layout: excluded packages and pruned Qt parts are absent", ", ".join(present))
    c.check(not list(internal.rglob("*.safetensors.tmp")) and not (dist / "models").exists(),
            "layout: weights only under _internal/models")
    check_ldd(c, internal)
    return manifest


def check_ldd(c: Checks, internal: Path) -> None:
    if not shutil.which("ldd") or not sys.platform.startswith("linux"):
        c.check(True, "layout: library dependencies", "skipped (no ldd)")
        return
    missing: dict[str, set[str]] = {}
    libs = [p for p in internal.rglob("*.so*") if p.is_file() and not p.is_symlink()]
    for p in libs:
        try:
            out = subprocess.run(["ldd", str(p)], capture_output=True, text=True, timeout=60).stdout
        except subprocess.TimeoutExpired:
            continue
        for line in out.splitlines():
            if "not found" in line:
                name = line.split("=>")[0].strip()
                if name.startswith(BUNDLED_LIB_PREFIXES):
                    missing.setdefault(name, set()).add(str(p.relative_to(internal)))
    detail = "; ".join(f"{k} (needed by {', '.join(sorted(v)[:3])})" for k, v in sorted(missing.items()))
    c.check(not missing, f"layout: bundled libraries resolve ({len(libs)} checked)", detail)


def check_cli(c: Checks, dist: Path, tmp: Path, manifest: dict) -> None:
    env = frozen_env(tmp)
    work = tmp / "work"
    work.mkdir()
    cli = dist / "archcolour"
    default = next((e for e in manifest.get("models", []) if e.get("name") == manifest.get("default")), {})

    r = run([cli, "--version"], env, work, 120)
    c.check(r.returncode == 0 and r.stdout.startswith("archcolour "), "CLI: --version",
            f"{r.stdout.strip()} ({r.seconds:.1f} s)" if r.returncode == 0 else tail(r))

    r = run([cli, "models"], env, work, 120)
    inside = str((dist / "_internal" / "models").resolve())
    c.check(r.returncode == 0 and inside in r.stdout, "CLI: models are the bundled ones",
            r.stdout.splitlines()[0] if r.returncode == 0 and r.stdout else tail(r))

    samples_src = dist / "_internal" / "resources" / "samples"
    samples = work / "samples"
    shutil.copytree(samples_src, samples)
    images = sorted(p for p in samples.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    out = work / "colourised"
    r = run([cli, "colourise", samples, "-o", out], env, work)
    c.check(r.returncode == 0, f"CLI: colourise {len(images)} samples", f"{r.seconds:.1f} s" if r.returncode == 0 else tail(r))
    outputs = []
    for src in images:
        o = out / f"{src.stem}_colourised{src.suffix}"
        if not o.is_file():
            c.check(False, f"CLI: output {o.name}", "missing")
            continue
        try:
            size, colour = image_info(o)
            want = source_size(src)
            c.check(size == want and colour, f"CLI: output {o.name}",
                    f"{size[0]}x{size[1]}" + ("" if size == want else f", source is {want[0]}x{want[1]}")
                    + ("" if colour else ", no colour"))
            outputs.append(o)
        except Exception as e:  # noqa: BLE001
            c.check(False, f"CLI: output {o.name} is a valid image", repr(e))
    if outputs:
        r = run([cli, "inspect", "--json", *outputs], env, work, 300)
        ok, detail = r.returncode == 0, tail(r)
        if ok:
            data = json.loads(r.stdout)
            data = data if len(outputs) > 1 else {str(outputs[0]): data}
            bad = [Path(k).name for k, v in data.items()
                   if not v or v.get("digital_source_type") != IPTC_COMPOSITE
                   or v.get("model", {}).get("sha256") != default.get("sha256")]
            ok = not bad and len(data) == len(outputs)
            detail = (f"{len(data)} files, IPTC compositeWithTrainedAlgorithmicMedia, model "
                      f"{default.get('name')} {str(default.get('sha256'))[:12]}") if ok else f"wrong or missing: {bad}"
        c.check(ok, "CLI: inspect reads the provenance back", detail)

    # the other bundled models (other architectures) load and run too
    for e in manifest.get("models", []):
        if e is default or not images:
            continue
        dest = work / "other_models" / e["name"]
        r = run([cli, "colourise", images[0], "-o", dest, "--model", e["name"], "-q"], env, work, 300)
        o = dest / f"{images[0].stem}_colourised{images[0].suffix}"
        c.check(r.returncode == 0 and o.is_file(), f"CLI: bundled model {e['name']} ({e.get('architecture', '?')})",
                f"{r.seconds:.1f} s" if r.returncode == 0 else tail(r))

    link_dir = tmp / "bin"
    link_dir.mkdir()
    (link_dir / "archcolour").symlink_to(cli.resolve())
    r = run([link_dir / "archcolour", "models"], env, work, 120)
    c.check(r.returncode == 0 and inside in r.stdout, "CLI: runs through a symbolic link", tail(r) if r.returncode else "")

    # the frozen app verifies the hash too: a tampered copy of the bundled weights is refused
    bad_models = tmp / "tampered"
    shutil.copytree(dist / "_internal" / "models", bad_models)
    wf = bad_models / default.get("file", "missing")
    if wf.is_file():
        with open(wf, "r+b") as f:
            f.seek(-1, os.SEEK_END)
            last = f.read(1)
            f.seek(-1, os.SEEK_END)
            f.write(bytes([last[0] ^ 0xFF]))
        env2 = dict(env, ARCHCOLOUR_MODELS=str(bad_models))
        r = run([cli, "colourise", images[0], "-o", work / "tampered_out"], env2, work, 300)
        c.check(r.returncode == 2 and "does not match its manifest" in r.stderr, "CLI: tampered weights refused",
                r.stderr.strip().splitlines()[-1] if r.stderr.strip() else tail(r))


def check_gui(c: Checks, dist: Path, tmp: Path) -> None:
    env = frozen_env(tmp)
    work = tmp / "gui"
    work.mkdir()
    r = run([dist / "archcolour-gui", "--version"], env, work, 120)
    c.check(r.returncode == 0 and "archcolour" in r.stdout, "GUI: --version", r.stdout.strip() or tail(r))

    # the real entry point: starts offscreen and stays up (it has no way to quit by itself)
    t = time.perf_counter()
    p = subprocess.Popen([str(dist / "archcolour-gui")], env=env, cwd=work, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        rc = p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        rc = None
    if rc is None:
        p.terminate()
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        c.check(True, "GUI: archcolour-gui starts offscreen and keeps running", f"stopped after {time.perf_counter() - t:.0f} s")
    else:
        _out, err = p.communicate()
        c.check(False, "GUI: archcolour-gui starts offscreen and keeps running", f"exited with {rc}: {err[-1500:]}")

    shot = tmp / "gui_smoke.png"
    r = run([dist / "archcolour-gui-smoke", "--screenshot", shot, "--timeout", "240"], env, work, 300)
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith("GUI-SMOKE")), "")
    inside = str((dist / "_internal" / "models").resolve())
    ok = r.returncode == 0 and line.startswith("GUI-SMOKE OK") and inside in line
    c.check(ok, "GUI: window shown offscreen, preview computed, clean exit (status 0)",
            f"{line} ({r.seconds:.1f} s)" if ok else f"status {r.returncode}: {tail(r)}")
    if shot.is_file():
        size, colour = image_info(shot)
        c.check(colour and size[0] > 300, "GUI: screenshot of the window with a colour preview", f"{size[0]}x{size[1]}")
    else:
        c.check(False, "GUI: screenshot of the window with a colour preview", "not written")

    # the same on a real X11 server (the bundled xcb platform plugin), where Xvfb is installed
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        print("SKIP  GUI: under X11 (xcb): xvfb-run not installed (apt-get install xvfb)", flush=True)
        return
    env_x = dict(env, QT_QPA_PLATFORM="xcb")
    env_x.pop("DISPLAY", None)
    r = run([xvfb, "-a", "-s", "-screen 0 1280x800x24", dist / "archcolour-gui-smoke", "--timeout", "240"],
            env_x, work, 300)
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith("GUI-SMOKE")), "")
    ok = r.returncode == 0 and line.startswith("GUI-SMOKE OK")
    c.check(ok, "GUI: the same under X11 (xcb platform plugin, Xvfb)",
            f"{r.seconds:.1f} s" if ok else f"status {r.returncode}: {tail(r)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dist", nargs="?", default=str(ROOT / "dist" / bundle.BUNDLE_NAME), help="the built bundle folder")
    ap.add_argument("--skip-gui", action="store_true", help="check the layout and the CLI only")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (outputs, screenshot)")
    args = ap.parse_args(argv)
    dist = Path(args.dist).resolve()
    if not (dist / "_internal").is_dir():
        print(f"smoke_test: no bundle at {dist} (build it with packaging/build.sh)", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="archcolour-smoke-"))
    c = Checks()
    try:
        manifest = check_layout(c, dist)
        check_cli(c, dist, tmp, manifest)
        if not args.skip_gui:
            check_gui(c, dist, tmp)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    total = c.passed + len(c.failed)
    print(f"\nsmoke test of {dist}: {c.passed}/{total} checks passed in {time.perf_counter() - t0:.0f} s"
          + (f"; FAILED: {', '.join(c.failed)}" if c.failed else ""))
    return 0 if not c.failed else 1


if __name__ == "__main__":
    sys.exit(main())

"""What goes into the PyInstaller bundle, as plain functions the spec calls (and the tests check).

Kept apart from ``archcolour.spec`` so that it can be imported without PyInstaller: which executables
there are, which files are bundled (weights verified against their manifest at build time, icons,
samples, desktop entry), which modules are excluded and which Qt plugins and libraries are kept.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Iterable

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent

# (executable name, entry script in packaging/, console). The first two are the project's console
# and gui scripts (pyproject.toml); the third is the hidden self-test of the window used by
# smoke_test.py. All three share one folder of libraries and modules.
EXECUTABLES = (
    ("archcolour", "run_cli.py", True),
    ("archcolour-gui", "run_gui.py", False),
    ("archcolour-gui-smoke", "gui_smoke.py", True),
)
BUNDLE_NAME = "archcolour"
ENV_MODELS = "ARCHCOLOUR_BUNDLE_MODELS"  # a models folder to bundle instead of <repo>/models
ENV_C2PA = "ARCHCOLOUR_BUNDLE_C2PA"      # "1": also bundle c2pa-python (~53 MB) for C2PA signing
MODEL_FILES_DEST = "models"              # <sys._MEIPASS>/models, where archcolour.weights looks


class BundleError(RuntimeError):
    """The bundle cannot be built as asked (no weights, a weights file not matching its manifest...)."""


# ---------------------------------------------------------------------------------------------
# data files
# ---------------------------------------------------------------------------------------------
def models_source(root: Path = ROOT, environ: dict | None = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get(ENV_MODELS) or root / "models").resolve()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_datas(models: Path, *, require_card: bool = True) -> list[tuple[str, str]]:
    """(source, destination folder) of the manifest, the weights it lists and the model card.

    Only files named in ``manifest.json`` are bundled, and each is hashed against it now, so a build
    never ships weights the frozen app would then refuse."""
    manifest_path = models / "manifest.json"
    if not manifest_path.is_file():
        raise BundleError(
            f"no {manifest_path}: the bundle needs trained weights. Export them into models/ "
            f"(python -m training.train ..., see models/MODEL_CARD.md) or point {ENV_MODELS} at a models folder.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        entries = manifest["models"]
        default = manifest["default"]
    except (ValueError, KeyError, TypeError) as e:
        raise BundleError(f"{manifest_path} is not a valid model manifest: {e}") from None
    if not any(e.get("name") == default for e in entries):
        raise BundleError(f"{manifest_path}: the default model {default!r} is not listed")
    out = [(str(manifest_path), MODEL_FILES_DEST)]
    for e in entries:
        f = models / e["file"]
        if not f.is_file():
            raise BundleError(f"{f} is listed in {manifest_path} but missing")
        digest = _sha256(f)
        if digest != str(e.get("sha256", "")).lower():
            raise BundleError(f"{f} does not match its manifest (SHA-256 {digest[:12]}..., "
                              f"expected {str(e.get('sha256'))[:12]}...)")
        out.append((str(f), MODEL_FILES_DEST))
    card = models / "MODEL_CARD.md"
    if card.is_file():
        out.append((str(card), MODEL_FILES_DEST))
    elif require_card:
        raise BundleError(f"no model card {card}: the bundle ships weights only with their card")
    return out


def resource_datas(root: Path = ROOT) -> list[tuple[str, str]]:
    """Icons (the window icon, found under ``<_MEIPASS>/resources/icons`` by archcolour.gui.icons),
    the sample photographs with their SOURCE.md, and the desktop entry."""
    res = root / "resources"
    out: list[tuple[str, str]] = []
    for sub in ("icons", "samples"):
        for f in sorted((res / sub).glob("*")):
            if f.is_file():
                out.append((str(f), f"resources/{sub}"))
    desktop = res / "archcolour.desktop"
    if desktop.is_file():
        out.append((str(desktop), "resources"))
    return out


# ---------------------------------------------------------------------------------------------
# modules
# ---------------------------------------------------------------------------------------------
# Installed in the development environment but never imported by archcolour at run time (the
# training module, tests, benchmarks, the build tools and their dependencies). scikit-image is used
# by the training evaluator only; archcolour/ itself never imports it.
EXCLUDED_PACKAGES = (
    "scipy", "skimage", "sympy", "mpmath", "networkx", "matplotlib", "mpl_toolkits", "pylab",
    "contourpy", "kiwisolver", "fontTools", "cycler", "dateutil", "pyparsing",
    "torchvision", "torchaudio", "tensorboard", "tensorflow", "triton", "onnx", "onnxruntime", "optree",
    "expecttest", "hypothesis", "pandas", "IPython", "jedi", "notebook", "ipykernel", "tkinter", "_tkinter",
    "pytest", "_pytest", "pytestqt", "pluggy", "iniconfig", "importlinter", "grimp",
    "PyInstaller", "setuptools", "pkg_resources", "pip", "wheel",
    "jinja2", "markupsafe", "pygments", "rich", "markdown_it", "mdurl", "click", "fsspec", "filelock",
    "requests", "urllib3", "certifi", "charset_normalizer", "idna", "cryptography", "cffi", "pycparser",
    "imageio", "lazy_loader", "toml", "tzdata", "zarr", "dask", "imagecodecs",
    "training", "tests", "bench",
    # standard library parts nothing here loads
    "sqlite3", "_sqlite3", "pydoc", "pydoc_data", "lib2to3", "ensurepip", "idlelib", "turtledemo", "curses",
)
# Parts of torch the eager inference path never loads: the compiler stack (torch.compile pulls sympy,
# jinja2 and the inductor templates), ONNX export, distributed training, tensorboard and the test
# suite. (Measured: none of these is in sys.modules after the CLI colourises and inspects images or
# the window shows a preview; the smoke test checks the frozen app the same way.)
EXCLUDED_TORCH = (
    "torch._inductor", "torch._dynamo", "torch.onnx", "torch._numpy", "torch._vendor.quack",
    "torch.utils.tensorboard", "torch.utils.benchmark", "torch.utils.bottleneck", "torch.utils.cpp_extension",
    "torch.utils.hipify", "torch.utils._sympy", "torch.utils.model_dump",
    "torch.distributed.tensor", "torch.distributed.fsdp", "torch.distributed.checkpoint",
    "torch.distributed.elastic", "torch.distributed.pipelining", "torch.distributed._shard",
    "torch.distributed._tools", "torch.distributed.launcher", "torch.distributed.run",
    "torch.ao.ns", "torch._export.serde",
    "torch.testing._internal.distributed", "torch.testing._internal.opinfo", "torch.testing._internal.optests",
    "torch.testing._internal.generated", "torch.testing._internal.codegen", "torch.testing._internal.common_utils",
    "torch.testing._internal.common_methods_invocations", "torch.testing._internal.common_modules",
)
# Qt: archcolour.gui uses QtCore, QtGui and QtWidgets only.
EXCLUDED_QT = (
    "PySide6.QtNetwork", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets", "PySide6.QtQuickControls2",
    "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "PySide6.QtPrintSupport", "PySide6.QtSql", "PySide6.QtTest",
    "PySide6.QtXml", "PySide6.QtDBus", "PySide6.QtConcurrent", "PySide6.QtDesigner", "PySide6.QtHelp",
    "PySide6.QtUiTools", "PySide6.QtSvgWidgets", "PySide6.QtPdf", "PySide6.QtPdfWidgets",
    "PyQt5", "PyQt6", "PySide2", "qtpy",
)


def excludes(environ: dict | None = None) -> list[str]:
    environ = os.environ if environ is None else environ
    out = list(EXCLUDED_PACKAGES + EXCLUDED_TORCH + EXCLUDED_QT)
    if environ.get(ENV_C2PA) != "1":
        out.append("c2pa")  # optional signing (pip extra "c2pa"): 53 MB of native library
    return out


def scripts_for(all_scripts: list, entry_script: str) -> list:
    """The Analysis's bootstrap and run-time hook scripts plus the one entry script of an executable
    (one Analysis serves all executables; each runs only its own script)."""
    entry_names = {Path(s).stem for _n, s, _c in EXECUTABLES}
    want = Path(entry_script).stem
    common = [s for s in all_scripts if s[0] not in entry_names]
    mine = [s for s in all_scripts if s[0] == want]
    if len(mine) != 1:
        raise BundleError(f"entry script {entry_script} not found in the Analysis scripts")
    return common + mine


# ---------------------------------------------------------------------------------------------
# Qt plugins and libraries
# ---------------------------------------------------------------------------------------------
QT_PREFIX = "PySide6/Qt/"
# plugin folder -> kept plugin files (None: the whole folder). Everything else under plugins/ goes.
QT_PLUGINS_KEPT: dict[str, tuple[str, ...] | None] = {
    "platforms": ("libqxcb.so", "libqoffscreen.so", "libqwayland.so", "qwindows.dll", "libqcocoa.dylib"),
    "xcbglintegrations": None,               # GLX/EGL for xcb windows
    "wayland-shell-integration": None,       # xdg-shell etc. for native Wayland windows
    "wayland-decoration-client": None,
    "wayland-graphics-integration-client": None,
    # XDG desktop portal: native file dialogs over D-Bus. Not gtk3: it needs the desktop's own GTK,
    # which cannot be bundled, and would load it against the bundle's copies of cairo/pango/glib.
    "platformthemes": ("libqxdgdesktopportal.so",),
    "platforminputcontexts": ("libcomposeplatforminputcontextplugin.so", "libibusplatforminputcontextplugin.so"),
    "iconengines": None,                     # the SVG application icon
    "imageformats": ("libqsvg.so", "qsvg.dll", "libqsvg.dylib"),  # PNG is built in; photos go through Pillow
    "styles": None,                          # Windows/macOS native styles
}


def keep_qt_plugin(dest: str) -> bool:
    """Whether a Qt plugin (destination path in the bundle) is kept; other files are not judged."""
    parts = Path(dest).as_posix().split("/")
    try:
        i = parts.index("plugins")
    except ValueError:
        return True
    if parts[: i] != QT_PREFIX.rstrip("/").split("/") or len(parts) < i + 3:
        return True
    folder, name = parts[i + 1], parts[-1]
    if folder not in QT_PLUGINS_KEPT:
        return False
    names = QT_PLUGINS_KEPT[folder]
    return names is None or name in names


def keep_data(dest: str) -> bool:
    """Data files: Qt's translations go (the interface is English only); the rest stays."""
    p = Path(dest).as_posix()
    return not p.startswith(QT_PREFIX + "translations/")


def _is_prunable_lib(dest: str) -> bool:
    """Libraries collected only as dependencies: Qt's own (PySide6/Qt/lib) and the system libraries
    PyInstaller puts at the top level. They stay only while something kept still needs them."""
    p = Path(dest).as_posix()
    if p.startswith("libpython"):
        return False  # loaded by the bootloader itself, not through any DT_NEEDED entry
    return p.startswith(QT_PREFIX + "lib/") or "/" not in p


def prune_binaries(binaries: list, needed: Callable[[str], Iterable[str]] | None = None) -> list:
    """Drop the unwanted Qt plugins, then every dependency-only library that nothing kept needs.

    ``binaries`` is the Analysis TOC ``[(dest, src, typecode)]``; ``needed(src)`` gives the names of
    the libraries a binary links against (DT_NEEDED; PyInstaller's ``get_imports`` by default)."""
    if needed is None:
        from PyInstaller.depend.bindepend import get_imports

        def needed(src: str) -> Iterable[str]:
            return [name for name, _path in get_imports(src)]

    entries = [e for e in binaries if keep_qt_plugin(e[0])]
    by_name: dict[str, list] = {}
    for e in entries:
        if _is_prunable_lib(e[0]):
            by_name.setdefault(Path(e[0]).name, []).append(e)
    kept = [e for e in entries if not _is_prunable_lib(e[0])]
    seen: set[str] = set()
    todo = list(kept)
    while todo:
        e = todo.pop()
        if e[2] == "SYMLINK" or not os.path.isfile(e[1]):
            continue
        for name in needed(e[1]):
            base = Path(name).name
            if base in by_name and base not in seen:
                seen.add(base)
                todo.extend(by_name[base])
    for base in seen:
        kept.extend(by_name[base])
    order = {id(e): i for i, e in enumerate(binaries)}
    return sorted(kept, key=lambda e: order.get(id(e), 0))


def prune_datas(datas: list, binaries: list) -> list:
    """Data entries that stay: not Qt's translations, and no symbolic link (PyInstaller puts links to
    relocated libraries in ``datas`` as ``(link, target, "SYMLINK")``) whose target was pruned."""
    present = {Path(e[0]).as_posix() for e in binaries} | {Path(e[0]).as_posix() for e in datas if e[2] != "SYMLINK"}
    out = []
    for e in datas:
        if not keep_data(e[0]):
            continue
        if e[2] == "SYMLINK":
            target = os.path.normpath(os.path.join(os.path.dirname(e[0]), e[1]))
            if Path(target).as_posix() not in present:
                continue
        out.append(e)
    return out


# Libraries shipped with their symbol tables (and libpython with debug info) that strip shrinks by
# about 120 MiB (libtorch_cpu 414 -> 329 MiB, libpython 22 -> 5.5 MiB). Only these: the wheels'
# vendored libraries (numpy.libs, pillow.libs) were rewritten by patchelf, and strip can break such
# files, which is why PyInstaller's own strip option (all binaries) stays off.
STRIP_PATTERNS = (
    "libpython3*.so*",
    "torch/lib/libtorch_cpu.so", "torch/lib/libtorch_python.so", "torch/lib/libtorch.so", "torch/lib/libc10.so",
    "python3.*/lib-dynload/*.so",
)


def strip_binaries(binaries: list, workdir: Path, strip: str | None = None) -> tuple[list, int]:
    """Point the entries matching STRIP_PATTERNS at stripped copies in ``workdir`` (made once, reused
    while the source is unchanged). Returns the new TOC and the bytes saved. No-op off Linux or
    without ``strip`` (binutils)."""
    import fnmatch
    import shutil
    import subprocess
    import sys

    strip = strip or shutil.which("strip")
    if not strip or not sys.platform.startswith("linux"):
        return list(binaries), 0
    out, saved = [], 0
    for dest, src, typecode in binaries:
        posix = Path(dest).as_posix()
        if typecode == "SYMLINK" or not any(fnmatch.fnmatch(posix, pat) for pat in STRIP_PATTERNS):
            out.append((dest, src, typecode))
            continue
        target = workdir / posix
        st = os.stat(src)
        stamp = target.with_name(target.name + ".src")
        key = f"{src}\n{st.st_size}\n{st.st_mtime_ns}\n"
        if not (target.is_file() and stamp.is_file() and stamp.read_text() == key):
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".tmp")
            res = subprocess.run([strip, "--strip-unneeded", "-o", str(tmp), src], capture_output=True, text=True)
            if res.returncode != 0:
                out.append((dest, src, typecode))  # keep the original rather than fail the build
                continue
            os.replace(tmp, target)
            stamp.write_text(key)
        saved += st.st_size - target.stat().st_size
        out.append((dest, str(target), typecode))
    return out, saved


def dropped(before: list, after: list) -> list[str]:
    keep = {e[0] for e in after}
    return sorted(e[0] for e in before if e[0] not in keep)

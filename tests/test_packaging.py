"""Cheap checks of the desktop packaging (packaging/, resources/archcolour.desktop).

The full PyInstaller build takes minutes and about 1 GB, so it is not run here: README.md
("Desktop install") says how to build and smoke-test it. These tests check what the build relies on:
the spec names both entry points of pyproject.toml, the bundled data lands where the frozen app looks
for it (weights verified by hash), nothing the app imports at run time is excluded, the Qt pruning
keeps the platforms it needs, and the desktop entry is valid.
"""
from __future__ import annotations

import ast
import configparser
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
sys.path.insert(0, str(PACKAGING))
import bundle  # noqa: E402  (packaging/bundle.py)


def _pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# the spec and its entry points
# ---------------------------------------------------------------------------------------------
def test_spec_parses_and_builds_every_executable_into_one_folder():
    spec = (PACKAGING / "archcolour.spec").read_text(encoding="utf-8")
    tree = ast.parse(spec)  # a spec file is Python
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT"} <= calls
    # one EXE per bundle.EXECUTABLES entry, all handed to the single COLLECT
    assert "for name, script, console in bundle.EXECUTABLES" in spec
    assert "COLLECT(\n    *exes," in spec
    assert "noarchive=True" in spec  # modules shared on disk, not copied into each executable


def test_executables_are_the_console_and_gui_scripts_of_pyproject():
    project = _pyproject()["project"]
    scripts = {**project["scripts"], **project["gui-scripts"]}
    names = {name: script for name, script, _console in bundle.EXECUTABLES}
    assert {"archcolour", "archcolour-gui"} <= set(names)
    for name in ("archcolour", "archcolour-gui"):
        module, func = scripts[name].split(":")
        src = (PACKAGING / names[name]).read_text(encoding="utf-8")
        tree = ast.parse(src)
        imports = [(n.module, a.name) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names]
        assert (module, func) in imports, f"{names[name]} does not run {scripts[name]}"
    for _name, script, _console in bundle.EXECUTABLES:
        compile((PACKAGING / script).read_text(encoding="utf-8"), script, "exec")
    gui_console = {name: console for name, _s, console in bundle.EXECUTABLES}
    assert gui_console["archcolour"] is True and gui_console["archcolour-gui"] is False


def test_each_executable_runs_only_its_own_entry_script():
    scripts = [("pyiboot01_bootstrap", "x", "PYSOURCE"), ("pyi_rth_pyside6", "y", "PYSOURCE")]
    scripts += [(Path(s).stem, str(PACKAGING / s), "PYSOURCE") for _n, s, _c in bundle.EXECUTABLES]
    for _name, script, _console in bundle.EXECUTABLES:
        got = bundle.scripts_for(scripts, script)
        assert [s[0] for s in got] == ["pyiboot01_bootstrap", "pyi_rth_pyside6", Path(script).stem]
    with pytest.raises(bundle.BundleError):
        bundle.scripts_for(scripts[:2], "run_cli.py")


def test_build_script_prints_size_and_time_and_is_executable():
    sh = PACKAGING / "build.sh"
    assert os.access(sh, os.X_OK)
    text = sh.read_text(encoding="utf-8")
    assert "packaging/archcolour.spec" in text and "build time" in text and "MiB on disk" in text
    if shutil.which("bash"):
        assert subprocess.run(["bash", "-n", str(sh)]).returncode == 0
        res = subprocess.run(["bash", str(sh), "--help"], capture_output=True, text=True, timeout=30)
        assert res.returncode == 0 and "--smoke" in res.stdout


# ---------------------------------------------------------------------------------------------
# bundled data: weights (verified), icons, samples
# ---------------------------------------------------------------------------------------------
def _copy_like_pyinstaller(datas: list[tuple[str, str]], meipass: Path) -> None:
    for src, dest in datas:
        (meipass / dest).mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, meipass / dest / Path(src).name)


def test_bundled_weights_are_found_under_meipass_and_verified(tiny_models_dir, tmp_path, monkeypatch):
    from archcolour import weights

    models = tmp_path / "models_src"
    shutil.copytree(tiny_models_dir, models)
    (models / "MODEL_CARD.md").write_text("# card\n", encoding="utf-8")
    (models / "stray.safetensors").write_bytes(b"not listed in the manifest")
    datas = bundle.model_datas(models)
    assert {Path(s).name for s, _d in datas} == {"manifest.json", "tiny.safetensors", "tiny-guided.safetensors",
                                                 "MODEL_CARD.md"}
    assert {d for _s, d in datas} == {"models"}

    meipass = tmp_path / "dist" / "_internal"
    _copy_like_pyinstaller(datas, meipass)
    monkeypatch.delenv("ARCHCOLOUR_MODELS", raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(meipass), raising=False)
    decoy = tmp_path / "cwd"
    (decoy / "models").mkdir(parents=True)
    shutil.copy2(models / "manifest.json", decoy / "models" / "manifest.json")
    monkeypatch.chdir(decoy)
    assert weights.models_dir() == meipass / "models"
    _model, info = weights.load_model()
    assert info.path == meipass / "models" / "tiny.safetensors"
    assert info.sha256 == json.loads((models / "manifest.json").read_text())["models"][0]["sha256"]

    # a file changed after the build is refused by the frozen app's loader
    wf = meipass / "models" / "tiny.safetensors"
    wf.write_bytes(wf.read_bytes()[:-1] + bytes([wf.read_bytes()[-1] ^ 0xFF]))
    with pytest.raises(weights.WeightsError, match="does not match its manifest"):
        weights.load_model()


def test_build_refuses_missing_or_mismatched_weights(tiny_models_dir, tmp_path):
    with pytest.raises(bundle.BundleError, match="ARCHCOLOUR_BUNDLE_MODELS"):
        bundle.model_datas(tmp_path / "empty")
    models = tmp_path / "m"
    shutil.copytree(tiny_models_dir, models)
    with pytest.raises(bundle.BundleError, match="model card"):
        bundle.model_datas(models)
    assert len(bundle.model_datas(models, require_card=False)) == 3  # manifest and two weights files
    (models / "MODEL_CARD.md").write_text("# card\n", encoding="utf-8")
    with open(models / "tiny.safetensors", "ab") as f:
        f.write(b"\0")
    with pytest.raises(bundle.BundleError, match="does not match its manifest"):
        bundle.model_datas(models)
    (models / "tiny.safetensors").unlink()
    with pytest.raises(bundle.BundleError, match="missing"):
        bundle.model_datas(models)


def test_models_source_defaults_to_repo_models_and_follows_the_variable(tmp_path):
    assert bundle.models_source(ROOT, {}) == (ROOT / "models").resolve()
    assert bundle.models_source(ROOT, {bundle.ENV_MODELS: str(tmp_path)}) == tmp_path.resolve()


def test_icons_and_samples_are_found_under_meipass(tmp_path, monkeypatch):
    pytest.importorskip("PySide6.QtGui")
    datas = bundle.resource_datas(ROOT)
    dests = {(Path(s).name, d) for s, d in datas}
    assert ("archcolour.png", "resources/icons") in dests and ("archcolour.svg", "resources/icons") in dests
    assert ("archcolour.desktop", "resources") in dests and ("SOURCE.md", "resources/samples") in dests
    meipass = tmp_path / "_internal"
    _copy_like_pyinstaller(datas, meipass)
    monkeypatch.setattr(sys, "_MEIPASS", str(meipass), raising=False)
    from archcolour.gui import icons

    assert icons.icon_file("png") == meipass / "resources" / "icons" / "archcolour.png"
    assert icons.icon_file("svg") == meipass / "resources" / "icons" / "archcolour.svg"
    import gui_smoke

    assert gui_smoke.bundled_samples() == meipass / "resources" / "samples"


# ---------------------------------------------------------------------------------------------
# modules: nothing the app loads at run time is excluded
# ---------------------------------------------------------------------------------------------
RUNTIME_PROBE = r"""
import importlib.abc, json, sys

EXCLUDED = json.loads(sys.argv[4])


class Excluded(importlib.abc.MetaPathFinder):
    # what the frozen app sees: the excluded modules are simply not there
    def find_spec(self, name, path=None, target=None):
        if any(name == x or name.startswith(x + ".") for x in EXCLUDED):
            raise ModuleNotFoundError(f"No module named {name!r} (excluded from the bundle)", name=name)
        return None


sys.meta_path.insert(0, Excluded())
from archcolour import cli
rc = cli.main(["colourise", sys.argv[1], "-o", sys.argv[2], "-q"])
rc2 = cli.main(["inspect", sys.argv[3]])
from archcolour.gui import app, main_window  # noqa: F401  (the window's modules; Qt not started)
print(json.dumps({"rc": [rc, rc2], "modules": sorted(sys.modules)}))
"""


def test_app_runs_without_the_excluded_modules(tiny_models_dir, tmp_path):
    """Colourise and inspect through the CLI and import the window's modules with every excluded
    module made unimportable, as in the bundle (c2pa, optional, is then reported as unavailable)."""
    pytest.importorskip("PySide6.QtWidgets")
    from PIL import Image

    src = tmp_path / "in" / "scan.tif"
    src.parent.mkdir()
    Image.new("L", (40, 30), 120).save(src)
    out = tmp_path / "out"
    env = dict(os.environ, ARCHCOLOUR_MODELS=str(tiny_models_dir), QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-c", RUNTIME_PROBE, str(src), str(out), str(out / "scan_colourised.tif"),
                          json.dumps(bundle.excludes({}))],
                         env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    data = json.loads(res.stdout.strip().splitlines()[-1])
    assert data["rc"] == [0, 0], res.stderr[-3000:]
    assert (out / "scan_colourised.tif").is_file()
    # the lead asked: the core needs neither scikit-image nor scipy at run time
    assert not any(m.split(".")[0] in ("skimage", "scipy", "matplotlib", "sympy") for m in data["modules"])


def test_c2pa_is_bundled_only_when_asked():
    assert "c2pa" in bundle.excludes({})
    assert "c2pa" not in bundle.excludes({bundle.ENV_C2PA: "1"})


# ---------------------------------------------------------------------------------------------
# Qt plugins and libraries
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dest,kept", [
    ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
    ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
    ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
    ("PySide6/Qt/plugins/platforms/libqeglfs.so", False),
    ("PySide6/Qt/plugins/platforms/libqvnc.so", False),
    ("PySide6/Qt/plugins/imageformats/libqsvg.so", True),
    ("PySide6/Qt/plugins/imageformats/libqpdf.so", False),
    ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", True),
    ("PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-kms-integration.so", False),
    ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", False),
    ("PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so", True),
    ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
    ("PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so", False),
    ("PySide6/Qt/lib/libQt6Core.so.6", True),
    ("torch/lib/libtorch_cpu.so", True),
])
def test_qt_plugin_selection(dest, kept):
    assert bundle.keep_qt_plugin(dest) is kept


def test_kept_plugins_exist_in_the_installed_pyside6():
    if not sys.platform.startswith("linux"):
        pytest.skip("plugin file names checked on Linux")
    qt = pytest.importorskip("PySide6")
    plugins = Path(qt.__file__).parent / "Qt" / "plugins"
    for name in ("libqxcb.so", "libqoffscreen.so"):
        assert (plugins / "platforms" / name).is_file()
    assert (plugins / "imageformats" / "libqsvg.so").is_file()
    assert (plugins / "iconengines" / "libqsvgicon.so").is_file()


def test_prune_keeps_what_kept_binaries_need_and_drops_the_rest(tmp_path):
    def f(name):
        p = tmp_path / name
        p.write_bytes(b"\x7fELF")
        return str(p)

    toc = [
        ("PySide6/QtWidgets.abi3.so", f("QtWidgets"), "EXTENSION"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", f("qxcb"), "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", f("qeglfs"), "BINARY"),
        ("PySide6/Qt/lib/libQt6Widgets.so.6", f("W"), "BINARY"),
        ("PySide6/Qt/lib/libQt6XcbQpa.so.6", f("X"), "BINARY"),
        ("PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6", f("E"), "BINARY"),
        ("libxcb-cursor.so.0", f("xc"), "BINARY"),
        ("libdrm.so.2", f("drm"), "BINARY"),
        ("torch/lib/libtorch_global_deps.so", f("tg"), "BINARY"),  # loaded with ctypes: never pruned
    ]
    graph = {"QtWidgets": ["libQt6Widgets.so.6"], "qxcb": ["libQt6XcbQpa.so.6"], "X": ["libxcb-cursor.so.0"],
             "qeglfs": ["libQt6EglFSDeviceIntegration.so.6"], "E": ["libdrm.so.2"]}
    kept = bundle.prune_binaries(toc, needed=lambda src: graph.get(Path(src).name, []))
    names = [d for d, _s, _t in kept]
    assert names == ["PySide6/QtWidgets.abi3.so", "PySide6/Qt/plugins/platforms/libqxcb.so",
                     "PySide6/Qt/lib/libQt6Widgets.so.6", "PySide6/Qt/lib/libQt6XcbQpa.so.6",
                     "libxcb-cursor.so.0", "torch/lib/libtorch_global_deps.so"]
    assert bundle.dropped(toc, kept) == ["PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6",
                                         "PySide6/Qt/plugins/platforms/libqeglfs.so", "libdrm.so.2"]


def test_qt_translations_and_dangling_links_are_dropped_and_other_data_kept():
    binaries = [("PySide6/Qt/lib/libQt6Core.so.6", "/x/libQt6Core.so.6", "BINARY")]
    datas = [
        ("PySide6/Qt/translations/qtbase_de.qm", "/x/qtbase_de.qm", "DATA"),
        ("models/manifest.json", "/m/manifest.json", "DATA"),
        ("resources/icons/archcolour.svg", "/r/archcolour.svg", "DATA"),
        ("libQt6Core.so.6", "PySide6/Qt/lib/libQt6Core.so.6", "SYMLINK"),
        ("libQt6Network.so.6", "PySide6/Qt/lib/libQt6Network.so.6", "SYMLINK"),  # its library was pruned
    ]
    kept = [e[0] for e in bundle.prune_datas(datas, binaries)]
    assert kept == ["models/manifest.json", "resources/icons/archcolour.svg", "libQt6Core.so.6"]


# ---------------------------------------------------------------------------------------------
# desktop entry
# ---------------------------------------------------------------------------------------------
DESKTOP = ROOT / "resources" / "archcolour.desktop"


def test_desktop_entry_is_valid():
    validator = shutil.which("desktop-file-validate")
    if validator:
        res = subprocess.run([validator, str(DESKTOP)], capture_output=True, text=True, timeout=30)
        assert res.returncode == 0 and "error" not in res.stdout, res.stdout + res.stderr
    cp = configparser.ConfigParser(interpolation=None, strict=True)
    cp.optionxform = str  # keys are case-sensitive
    cp.read_string(DESKTOP.read_text(encoding="utf-8"))
    e = cp["Desktop Entry"]
    assert e["Type"] == "Application" and e["Name"] == "archcolour" and e["Terminal"] == "false"
    exe = e["Exec"].split()[0]
    assert exe in {name for name, _s, _c in bundle.EXECUTABLES} and e["TryExec"] == exe
    assert e["Exec"].split()[1:] == ["%F"]  # archcolour-gui takes files and folders as arguments
    icon = e["Icon"]
    assert (ROOT / "resources" / "icons" / f"{icon}.png").is_file() and (ROOT / "resources" / "icons" / f"{icon}.svg").is_file()
    # the window's X11 WM_CLASS is ("archcolour-gui", "archcolour") and its Wayland app id "archcolour"
    # (QGuiApplication.setDesktopFileName), so docks match the window with this entry
    assert e["StartupWMClass"] == "archcolour" == DESKTOP.stem
    cats = e["Categories"].rstrip(";").split(";")
    assert "Graphics" in cats and e["Categories"].endswith(";")
    from archcolour import imageio

    mime_ext = {"image/jpeg": ".jpg", "image/png": ".png", "image/tiff": ".tif", "image/webp": ".webp",
                "image/bmp": ".bmp"}
    mimes = e["MimeType"].rstrip(";").split(";")
    assert set(mimes) == set(mime_ext) and all(mime_ext[m] in imageio.IMAGE_EXTENSIONS for m in mimes)


def test_torch_hook_collects_what_import_torch_needs_and_no_test_libraries():
    pytest.importorskip("PyInstaller")
    pytest.importorskip("torch")
    ns: dict = {}
    hook = PACKAGING / "hooks" / "hook-torch.py"
    exec(compile(hook.read_text(encoding="utf-8"), str(hook), "exec"), ns)
    dests = {(Path(src).name, dest) for src, dest in ns["binaries"]}
    names = {n for n, _d in dests}
    if sys.platform.startswith("linux"):
        assert ("torch_shm_manager", "torch/bin") in dests  # import torch checks it exists
        assert "libtorch_global_deps.so" in names  # loaded with ctypes, invisible to dependency analysis
    assert not any(n.startswith(("libjitbackend_test", "libtorchbind_test")) for n in names)
    assert ns["module_collection_mode"] == "pyz+py"  # import torch reads some of its own sources
    assert ns["datas"] == []


@pytest.mark.skipif(not shutil.which("bash") or sys.platform == "win32", reason="the installer is a bash script")
def test_install_desktop_places_commands_entry_and_icons_and_uninstalls(tmp_path):
    fake = tmp_path / "dist" / "archcolour"
    for name in ("archcolour", "archcolour-gui"):
        (fake).mkdir(parents=True, exist_ok=True)
        (fake / name).write_text("#!/bin/sh\necho frozen " + name + "\n")
        (fake / name).chmod(0o755)
    for src, dest in bundle.resource_datas(ROOT):
        (fake / "_internal" / dest).mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, fake / "_internal" / dest)
    prefix = tmp_path / "home dir" / ".local"  # a space in the path on purpose
    sh = PACKAGING / "install_desktop.sh"
    res = subprocess.run(["bash", str(sh), "--prefix", str(prefix), "--bundle", str(fake)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    opt = prefix / "opt" / "archcolour"
    out = subprocess.run([str(prefix / "bin" / "archcolour-gui")], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "frozen archcolour-gui"
    assert (prefix / "bin" / "archcolour").resolve() == (opt / "archcolour").resolve()
    desktop = prefix / "share" / "applications" / "archcolour.desktop"
    text = desktop.read_text(encoding="utf-8")
    assert f'Exec="{opt}/archcolour-gui" %F' in text and f"TryExec={opt}/archcolour-gui" in text
    validator = shutil.which("desktop-file-validate")
    if validator:
        v = subprocess.run([validator, str(desktop)], capture_output=True, text=True, timeout=30)
        assert v.returncode == 0, v.stdout + v.stderr
    assert (prefix / "share/icons/hicolor/scalable/apps/archcolour.svg").is_file()
    assert (prefix / "share/icons/hicolor/256x256/apps/archcolour.png").is_file()

    res = subprocess.run(["bash", str(sh), "--uninstall", "--prefix", str(prefix)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert not opt.exists() and not desktop.exists() and not (prefix / "bin" / "archcolour-gui").exists()
    # no bundle: a clear refusal, not a half install
    res = subprocess.run(["bash", str(sh), "--prefix", str(prefix), "--bundle", str(tmp_path / "nothing")],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "no built bundle" in res.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="stripping is done on Linux builds")
def test_strip_only_the_listed_libraries_and_reuse_the_copies(tmp_path):
    fake_strip = tmp_path / "strip"
    calls = tmp_path / "calls"
    # stands in for binutils' strip: "--strip-unneeded -o OUT SRC" writes the first half of SRC
    fake_strip.write_text(f'#!/bin/sh\necho "$4" >> "{calls}"\nhead -c $(( $(wc -c < "$4") / 2 )) "$4" > "$3"\n')
    fake_strip.chmod(0o755)
    src = tmp_path / "src"
    src.mkdir()
    for name in ("libtorch_cpu.so", "libpython3.11.so.1.0", "libopenblas.so", "_ssl.so"):
        (src / name).write_bytes(b"x" * 1000)
    toc = [
        ("torch/lib/libtorch_cpu.so", str(src / "libtorch_cpu.so"), "BINARY"),
        ("libpython3.11.so.1.0", str(src / "libpython3.11.so.1.0"), "BINARY"),
        ("numpy.libs/libopenblas.so", str(src / "libopenblas.so"), "BINARY"),  # patchelf'd: left alone
        ("python3.11/lib-dynload/_ssl.so", str(src / "_ssl.so"), "EXTENSION"),
    ]
    work = tmp_path / "stripped"
    out, saved = bundle.strip_binaries(toc, work, strip=str(fake_strip))
    assert saved == 3 * 500
    assert [Path(s).parent == src for _d, s, _t in out] == [False, False, True, False]
    assert [d for d, _s, _t in out] == [d for d, _s, _t in toc]
    assert (work / "torch/lib/libtorch_cpu.so").stat().st_size == 500
    out2, saved2 = bundle.strip_binaries(toc, work, strip=str(fake_strip))
    assert out2 == out and saved2 == saved
    assert len(calls.read_text().split()) == 3  # the copies were reused, not stripped again

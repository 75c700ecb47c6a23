"""The import contracts in pyproject.toml hold: only archcolour.gui imports Qt; the I/O tables stay torch-free.

Two independent checks, each shown to be able to fail:

* import-linter run on pyproject.toml itself (static: finds imports anywhere in a module, including
  inside functions). Every module the contracts name must exist, so a renamed module cannot quietly
  drop out of the contract;
* a dynamic check: import every non-GUI module in a fresh interpreter where importing PySide6 (or any
  Qt binding) raises.

A missing import-linter skips the static check on a developer's machine and fails it under ``CI=true``.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QT_NAMES = ("PySide6", "PyQt5", "PyQt6", "qtpy", "shiboken6")


def _lint_imports() -> str:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(exe).exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("import-linter is not installed (pip install -e .[test]); CI must run this check")
        pytest.skip("import-linter is not installed")
    return exe


def _run_lint(config: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(cwd))
    return subprocess.run([_lint_imports(), str(config), "--no-cache"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def _contracts() -> list[dict]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return data["tool"]["importlinter"]["contracts"]


def _module_exists(name: str) -> bool:
    sys.path.insert(0, str(ROOT))
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False
    finally:
        sys.path.remove(str(ROOT))


def test_the_contracts_name_existing_modules_and_cover_the_core():
    contracts = _contracts()
    (qt,) = [c for c in contracts if "PySide6" in c["forbidden_modules"]]
    missing = [m for c in contracts for m in c["source_modules"] if not _module_exists(m)]
    assert not missing, f"pyproject.toml's import contracts name modules that do not exist: {missing}"
    core = sorted(m.name for m in (ROOT / "archcolour").iterdir()
                  if m.name not in ("gui", "__pycache__", "__init__.py", "__main__.py")
                  and (m.suffix == ".py" or (m / "__init__.py").exists()))
    listed = {m.removeprefix("archcolour.") for m in qt["source_modules"]}
    assert {Path(n).stem for n in core} <= listed, "a core module is missing from the no-Qt contract"
    assert not any(s == "archcolour.gui" or s.startswith("archcolour.gui.") for s in qt["source_modules"])
    assert any("torch" in c["forbidden_modules"] for c in contracts)


def test_pyproject_contracts_hold():
    res = _run_lint(ROOT / "pyproject.toml", ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "BROKEN" not in res.stdout and res.stdout.count("KEPT") == len(_contracts())


def _fake_package(tmp_path: Path) -> Path:
    pkg = tmp_path / "src" / "fakecore"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "engine.py").write_text("def f():\n    from . import helper\n    return helper\n")
    # an indirect, function-level Qt import: the kind of thing that slips in unnoticed
    (pkg / "helper.py").write_text("def g():\n    from PySide6 import QtCore\n    return QtCore\n")
    return tmp_path / "src"


def test_lint_contract_can_fail(tmp_path):
    """pyproject.toml's own no-Qt contract, pointed at a package that breaks it, is reported BROKEN."""
    src = _fake_package(tmp_path)
    (qt,) = [c for c in _contracts() if "PySide6" in c["forbidden_modules"]]
    cfg = src / "pyproject.toml"
    cfg.write_text(textwrap.dedent(f"""\
        [tool.importlinter]
        root_package = "fakecore"
        include_external_packages = true

        [[tool.importlinter.contracts]]
        name = {qt["name"]!r}
        type = "forbidden"
        source_modules = ["fakecore.engine"]
        forbidden_modules = {list(qt["forbidden_modules"])!r}
        allow_indirect_imports = false
        """).replace("'", '"'), encoding="utf-8")
    res = _run_lint(cfg, src)
    assert res.returncode != 0
    assert "BROKEN" in res.stdout


BLOCKER = textwrap.dedent("""\
    import importlib, importlib.abc, pkgutil, sys
    BLOCKED = {blocked!r}
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split('.')[0] in BLOCKED:
                raise ImportError('Qt is blocked: ' + name)
            return None
    sys.meta_path.insert(0, Block())
    pkg = importlib.import_module({package!r})
    names = []
    def walk(p):
        for m in pkgutil.iter_modules(p.__path__, p.__name__ + '.'):
            if m.name == {package!r} + '.gui':
                continue
            mod = importlib.import_module(m.name)
            names.append(m.name)
            if m.ispkg:
                walk(mod)
    walk(pkg)
    print('imported', len(names))
    """)


def _run_blocked(package: str, path: Path) -> subprocess.CompletedProcess:
    code = BLOCKER.format(blocked=set(QT_NAMES), package=package)
    env = dict(os.environ, PYTHONPATH=str(path))
    return subprocess.run([sys.executable, "-c", code], cwd=path, env=env, capture_output=True, text=True,
                          timeout=300)


def test_core_imports_with_qt_blocked():
    res = _run_blocked("archcolour", ROOT)
    assert res.returncode == 0, res.stderr[-3000:]
    assert int(res.stdout.split()[-1]) >= 5


def test_blocked_import_check_can_fail(tmp_path):
    src = _fake_package(tmp_path)
    (src / "fakecore" / "eager.py").write_text("from PySide6 import QtCore\n")
    res = _run_blocked("fakecore", src)
    assert res.returncode != 0
    assert "Qt is blocked" in res.stderr

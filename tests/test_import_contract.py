"""Only archcolour.gui may import Qt.

Two independent checks, each shown to be able to fail:

* import-linter's contract from pyproject.toml (static: finds imports anywhere in a module, including
  inside functions). Source modules that do not exist yet are dropped from the contract, so the check
  runs while the package grows;
* a dynamic check: import every non-GUI module in a fresh interpreter where importing PySide6 (or any
  Qt binding) raises.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover
    tomllib = None

ROOT = Path(__file__).resolve().parents[1]
QT_NAMES = ("PySide6", "PyQt5", "PyQt6", "qtpy", "shiboken6")


def _lint_imports() -> str:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(exe).exists():
        pytest.skip("import-linter is not installed")
    return exe


def _write_config(tmp_path: Path, root_package: str, sources: list[str], forbidden: list[str]) -> Path:
    # Forbidding external packages (PySide6) needs include_external_packages; pyproject.toml's
    # [tool.importlinter] table lacks it as of this writing, so the generated config sets it.
    lines = ["[importlinter]", f"root_package = {root_package}", "include_external_packages = True", "",
             "[importlinter:contract:no-qt]", "name = The core stays free of Qt", "type = forbidden",
             "source_modules ="] + [f"    {m}" for m in sources] + ["forbidden_modules ="] + \
            [f"    {m}" for m in forbidden] + ["allow_indirect_imports = false", ""]
    cfg = tmp_path / "importlinter.ini"
    cfg.write_text("\n".join(lines), encoding="utf-8")
    return cfg


def _run_lint(cfg: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(cwd))
    return subprocess.run([_lint_imports(), str(cfg), "--no-cache"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def _pyproject_contract() -> dict:
    if tomllib is None:
        pytest.skip("tomllib needs Python 3.11+")
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = data["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["type"] == "forbidden" and "PySide6" in c["forbidden_modules"]]
    return contract


def _module_exists(name: str) -> bool:
    sys.path.insert(0, str(ROOT))
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False
    finally:
        sys.path.remove(str(ROOT))


def test_pyproject_contract_holds(tmp_path):
    contract = _pyproject_contract()
    sources = [m for m in contract["source_modules"] if _module_exists(m)]
    assert "archcolour.engine" in sources and "archcolour.settings" in sources
    assert not any(s.startswith("archcolour.gui") for s in contract["source_modules"])
    cfg = _write_config(tmp_path, "archcolour", sources, contract["forbidden_modules"])
    res = _run_lint(cfg, ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "KEPT" in res.stdout


def _fake_package(tmp_path: Path) -> Path:
    pkg = tmp_path / "src" / "fakecore"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "engine.py").write_text("def f():\n    from . import helper\n    return helper\n")
    # an indirect, function-level Qt import: the kind of thing that slips in unnoticed
    (pkg / "helper.py").write_text("def g():\n    from PySide6 import QtCore\n    return QtCore\n")
    return tmp_path / "src"


def test_lint_contract_can_fail(tmp_path):
    src = _fake_package(tmp_path)
    cfg = _write_config(tmp_path, "fakecore", ["fakecore.engine"], ["PySide6"])
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

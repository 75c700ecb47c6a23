"""Under CI=true a missing test dependency fails the run; locally it skips."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# pytest-qt made unimportable (plugins not auto-loaded), then the GUI tests collected
RUN = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'pytestqt':
            raise ImportError('pytest-qt is not installed (blocked)')
sys.meta_path.insert(0, Block())
import pytest
sys.exit(pytest.main(['-q', '--co', '-p', 'no:cacheprovider', '-rs', 'tests/gui/test_workers.py']))
"""


def _run(ci: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(QT_QPA_PLATFORM="offscreen", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-c", RUN], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_missing_pytest_qt_fails_under_ci():
    res = _run("true")
    out = res.stdout + res.stderr
    assert res.returncode not in (0, 5), out
    assert "test dependency pytestqt is missing" in out


@pytest.mark.parametrize("ci, outcome", [("true", pytest.fail.Exception), ("1", pytest.fail.Exception),
                                         (None, pytest.skip.Exception), ("", pytest.skip.Exception)])
def test_require_skips_locally_and_fails_under_ci(monkeypatch, ci, outcome):
    from testdeps import require

    monkeypatch.delenv("CI", raising=False)
    if ci is not None:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="test dependency no_such_module_here is missing"):
        require("no_such_module_here")
    assert require("json").dumps([1]) == "[1]"

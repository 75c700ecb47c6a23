"""Test dependencies: a missing one skips its tests on a developer's machine and FAILS them under CI=true.

CI must never pass because a whole group of tests (the GUI suite without pytest-qt, C2PA signing
without c2pa-python) quietly skipped itself.
"""
from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require(module: str) -> ModuleType:
    """Import ``module``; when it is missing, skip (locally) or fail (under CI=true) the calling test module."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        msg = f"test dependency {module} is missing ({e}); install the test extra: pip install -e '.[test]'"
        if in_ci():
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg, allow_module_level=True)

"""docs/ARCHITECTURE.md stays true: every name it lists for a module exists there."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "ARCHITECTURE.md"


def documented() -> list[tuple[str, str]]:
    """(module, name) for every name on a module section's ``Names:`` line (which may wrap)."""
    pairs: list[tuple[str, str]] = []
    module = None
    text = DOC.read_text(encoding="utf-8")
    for block in re.split(r"\n(?=### )", text):
        head = re.match(r"### `([\w.]+)`", block)
        if not head:
            continue
        module = head.group(1)
        m = re.search(r"^Names: (.+?)(?:\n\n|\n###|\Z)", block, re.S | re.M)
        if m:
            pairs.extend((module, n) for n in re.findall(r"`([\w.]+)`", m.group(1)))
    return pairs


def test_the_doc_lists_names_for_the_core_modules():
    modules = {m for m, _ in documented()}
    assert {"archcolour.formats", "archcolour.imageio", "archcolour.fsutil", "archcolour.colour",
            "archcolour.engine", "archcolour.batch", "archcolour.provenance"} <= modules
    assert len(documented()) > 100


@pytest.mark.parametrize("module, name", documented())
def test_every_documented_name_exists(module, name):
    obj = importlib.import_module(module)
    for part in name.split("."):
        if not hasattr(obj, part):  # a submodule of a package (imageio.read)
            obj = importlib.import_module(f"{obj.__name__}.{part}")
        else:
            obj = getattr(obj, part)


def test_every_module_the_doc_names_in_prose_exists():
    text = DOC.read_text(encoding="utf-8")
    for name in set(re.findall(r"`((?:archcolour\.)?(?:imageio|batch|provenance)\.[a-z_0-9]+)`", text)):
        full = name if name.startswith("archcolour.") else f"archcolour.{name}"
        try:
            importlib.import_module(full)
        except ModuleNotFoundError:
            parent, _, attr = full.rpartition(".")
            assert hasattr(importlib.import_module(parent), attr), name


def test_the_check_can_fail(tmp_path, monkeypatch):
    fake = tmp_path / "ARCHITECTURE.md"
    fake.write_text("### `archcolour.formats`\nNames: `FORMATS`, `no_such_name_here`.\n", encoding="utf-8")
    monkeypatch.setattr(__import__(__name__), "DOC", fake)
    pairs = documented()
    assert pairs == [("archcolour.formats", "FORMATS"), ("archcolour.formats", "no_such_name_here")]
    with pytest.raises(ModuleNotFoundError):
        test_every_documented_name_exists(*pairs[1])

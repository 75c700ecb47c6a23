"""Fixtures for the desktop application tests (offscreen Qt, tiny images, the tiny fixture model)."""
from __future__ import annotations

from pathlib import Path

import pytest

from testdeps import require  # noqa: E402 - tests/ is on sys.path (rootdir conftest)

require("PySide6.QtWidgets")  # skipped locally when missing, a failure under CI=true
require("pytestqt")

from gui_helpers import write_grey_photos  # noqa: E402


@pytest.fixture(autouse=True)
def _config_dir(tmp_path, monkeypatch):
    """Settings and thumbnail cache in a fresh folder for every test."""
    d = tmp_path / "config"
    monkeypatch.setenv("ARCHCOLOUR_CONFIG_DIR", str(d))
    return d


@pytest.fixture
def photo_folder(tmp_path) -> Path:
    folder = tmp_path / "archive"
    write_grey_photos(folder, 4)
    return folder


@pytest.fixture
def make_window(qtbot):
    """Build a shown MainWindow whose engine has loaded; batches are stopped before it is closed."""
    from archcolour import settings as settings_mod
    from archcolour.gui.main_window import MainWindow

    made = []

    def make(settings=None, wait_engine=True):
        win = MainWindow(settings if settings is not None else settings_mod.load_settings())
        win.confirm_stop_batch = lambda: True
        made.append(win)
        qtbot.addWidget(win)
        if wait_engine:
            with qtbot.waitSignal(win.engineReady, timeout=30000):
                win.show()
        else:
            win.show()
        return win

    yield make
    for win in made:
        if win.batch is not None:
            with qtbot.waitSignal(win.batchFinished, timeout=60000):
                win.cancel_batch()


@pytest.fixture
def window(make_window):
    return make_window()

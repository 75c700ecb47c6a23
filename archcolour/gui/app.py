"""Entry point of the desktop application (``archcolour-gui``).

The window is shown before torch is imported: the engine (and with it torch, imageio and batch) is
loaded on a background thread right after the first paint.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from .. import __version__


def parse_args(argv: list[str] | None):
    ap = argparse.ArgumentParser(prog="archcolour-gui", description="archcolour desktop application")
    ap.add_argument("paths", nargs="*", help="a folder to open, or images to list")
    ap.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (overrides the saved choice)")
    ap.add_argument("--version", action="version", version=f"archcolour {__version__}")
    return ap.parse_args(argv)


def create_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setApplicationName("archcolour")
    app.setApplicationDisplayName("archcolour")
    app.setOrganizationName("archcolour")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("archcolour")
    from .icons import app_icon

    app.setWindowIcon(app_icon())
    from .qt_compat import install

    install()  # PySide6 6.12 on Python 3.11 leaks references to None (see qt_compat)
    return app


def create_window(paths: list[str] | None = None, device: str | None = None, start_engine: bool = True):
    from .. import settings as settings_mod
    from .main_window import MainWindow

    s = settings_mod.load_settings()
    if device:
        s.device = device
    win = MainWindow(s, start_engine=start_engine)
    if paths:
        ps = [Path(p) for p in paths]
        QTimer.singleShot(0, lambda: win.add_paths(ps))
    return win


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=os.environ.get("ARCHCOLOUR_LOG", "WARNING").upper(),
                        format="%(levelname)s %(name)s: %(message)s")
    app = create_app()
    win = create_window(args.paths, args.device)
    win.show()
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Self-test of the desktop application, frozen as the hidden ``archcolour-gui-smoke`` executable.

Shows the real main window (``archcolour.gui.app.create_app`` / ``create_window``), waits for the
model to load, opens a folder of images (a temporary copy of the bundled ``resources/samples`` unless
one is given), waits until the first image's colour preview is on show, optionally saves a screenshot,
prints one ``GUI-SMOKE OK ...`` line and closes the window. Exit status 0 only when all of that
happened; otherwise non-zero with a ``GUI-SMOKE FAIL ...`` line on stderr:

    3  the model could not be loaded        4  the preview failed
    5  no images listed                      6  timed out
    7  the window did not show / no colour   8  the event loop exited with an error status

It needs no environment variable to switch it on (the shipped ``archcolour-gui`` stays unchanged);
run it with ``QT_QPA_PLATFORM=offscreen`` on a machine without a display. Settings and thumbnails go
to a temporary folder (``ARCHCOLOUR_CONFIG_DIR``) unless that variable is already set, so a smoke run
never touches the user's settings.

    archcolour-gui-smoke [FOLDER] [--timeout S] [--screenshot PNG] [--device cpu]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


def bundled_samples() -> Path | None:
    """``resources/samples`` inside a PyInstaller bundle, else in the source checkout."""
    dirs = []
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        dirs.append(Path(meipass) / "resources" / "samples")
    dirs.append(Path(__file__).resolve().parents[1] / "resources" / "samples")
    for d in dirs:
        if d.is_dir():
            return d
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="archcolour-gui-smoke", description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", nargs="?", help="folder of images (default: a copy of the bundled samples)")
    ap.add_argument("--timeout", type=float, default=180.0, help="give up after this many seconds")
    ap.add_argument("--screenshot", help="save the window as this PNG once the preview is on show")
    ap.add_argument("--device", default="cpu", help="device for the engine (default cpu)")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)

    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="archcolour-gui-smoke-"))
    os.environ.setdefault("ARCHCOLOUR_CONFIG_DIR", str(tmp / "config"))
    if args.folder:
        folder = Path(args.folder)
    else:
        samples = bundled_samples()
        if samples is None:
            print("GUI-SMOKE FAIL no bundled resources/samples folder", file=sys.stderr, flush=True)
            return 5
        folder = tmp / "samples"
        shutil.copytree(samples, folder)

    from PySide6.QtCore import QTimer

    from archcolour.gui.app import create_app, create_window

    app = create_app()
    win = create_window(device=args.device)
    win.confirm_stop_batch = lambda: True
    state: dict = {"code": None, "why": "", "marks": {}}

    def mark(name: str) -> None:
        state["marks"][name] = time.perf_counter() - t0

    def finish(code: int, why: str = "") -> None:
        if state["code"] is not None:
            return
        state["code"], state["why"] = code, why
        # close through the normal path (stops the workers, saves settings), then leave the loop
        QTimer.singleShot(0, win.close)
        QTimer.singleShot(0, app.quit)

    def on_engine(colouriser) -> None:
        mark("engine")
        state["engine"] = colouriser
        win.open_folder(folder)

    def on_loaded(n: int) -> None:
        mark("listed")
        state["listed"] = n
        if n == 0:
            finish(5, f"no images listed in {folder}")

    def on_preview(path: str) -> None:
        mark("preview")
        if not win.isVisible():
            finish(7, "the window is not visible")
            return
        if not win.compare.has_colour():
            finish(7, "previewReady without a colour image on show")
            return
        if args.screenshot:
            win.grab().save(args.screenshot, "PNG")
        state["preview"] = path
        finish(0)

    win.engineReady.connect(on_engine)
    win.engineFailed.connect(lambda msg: finish(3, f"model not loaded: {msg}"))
    win.folderLoaded.connect(on_loaded)
    win.previewReady.connect(on_preview)
    win.previewFailed.connect(lambda path, msg: finish(4, f"preview of {path} failed: {msg}"))
    QTimer.singleShot(int(args.timeout * 1000), lambda: finish(6, f"timed out after {args.timeout:.0f} s"))

    win.show()
    QTimer.singleShot(0, lambda: mark("shown") if win.isVisible() else None)
    rc = app.exec()
    shutil.rmtree(tmp, ignore_errors=True)

    code = state["code"] if state["code"] is not None else 8
    if code == 0 and rc != 0:
        code, state["why"] = 8, f"the event loop exited with status {rc}"
    if code != 0:
        print(f"GUI-SMOKE FAIL {state['why'] or 'the event loop ended early'}", file=sys.stderr, flush=True)
        return code
    c = state["engine"]
    m = state["marks"]
    print(f"GUI-SMOKE OK window shown at {m.get('shown', float('nan')):.1f} s, model {c.info.name} "
          f"{c.info.short_hash} from {c.info.path} on {c.device_name} at {m['engine']:.1f} s, "
          f"{state['listed']} images listed, preview of {Path(state['preview']).name} at {m['preview']:.1f} s",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

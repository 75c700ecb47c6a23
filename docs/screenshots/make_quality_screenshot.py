"""Take the README's screenshot of the Colour quality choice (the test-time ensemble).

    xvfb-run -s "-screen 0 1600x1000x24" python docs/screenshots/make_quality_screenshot.py

Opens grey copies of the sample photographs with the bundled models, shows one's refined preview (the
default, "Best: several looks"), scrolls the Export panel so that the Colour quality row and its help
line are in view, and grabs the window: ``quality-setting.png``. Works under ``QT_QPA_PLATFORM=offscreen``
too.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")
    tmp = Path(tempfile.mkdtemp(prefix="archcolour-quality-shot-"))
    os.environ["ARCHCOLOUR_CONFIG_DIR"] = str(tmp / "config")
    os.environ.setdefault("ARCHCOLOUR_MODELS", str(ROOT / "models"))

    from PIL import Image

    archive = tmp / "Site survey 1923"
    archive.mkdir()
    for src in sorted((ROOT / "resources" / "samples").glob("*.*")):
        if src.suffix.lower() not in (".jpg", ".png", ".tif"):
            continue
        with Image.open(src) as im:
            g = im.convert("L")
            s = 900 / max(g.size)
            g.resize((round(g.width * s), round(g.height * s)), Image.Resampling.BICUBIC).save(
                archive / f"{src.stem}.jpg", quality=92)

    from PySide6.QtCore import QEventLoop, QTimer

    from archcolour import settings as settings_mod
    from archcolour.gui.app import create_app
    from archcolour.gui.main_window import MainWindow

    app = create_app()
    app.setStyle("Fusion")

    def wait(signal, timeout_s=300.0):
        loop = QEventLoop()
        got = []
        signal.connect(lambda *a: (got.append(a), loop.quit()))
        QTimer.singleShot(int(timeout_s * 1000), loop.quit)
        loop.exec()
        if not got:
            raise TimeoutError(str(signal))

    def settle(ms=500):
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    win = MainWindow(settings_mod.Settings())
    win.move(0, 0)
    win.resize(1280, 800)
    win.show()
    wait(win.engineReady)
    win.open_folder(archive)
    wait(win.folderLoaded)
    if win.thumbs.busy:
        wait(win.thumbs.idle)
    win.select_path(archive / "colosseum.jpg")
    wait(win.previewRefined)
    win.compare.set_divider(0.5)
    win.guidance_dock.hide()  # the Export panel alone
    win.export_dock.raise_()
    win.statusBar().clearMessage()
    # the panel scrolled to start at the Format row: Working size, Colour quality and its help line in view
    scroll = win.export_dock.widget()
    scroll.verticalScrollBar().setValue(win.export.format_combo.geometry().top() - 6)
    settle(800)
    path = OUT / "quality-setting.png"
    win.grab().save(str(path))
    print("wrote", path)
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

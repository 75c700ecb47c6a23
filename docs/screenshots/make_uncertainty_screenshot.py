"""Take the README's screenshot of "Show uncertain colour" (the hatch where the ensemble's looks disagree).

    xvfb-run -s "-screen 0 1600x1000x24" python docs/screenshots/make_uncertainty_screenshot.py
    ... make_uncertainty_screenshot.py --photos DIR --out DIR --extra   # other photographs; zoomed and
                                                                        # side-by-side views too

Opens grey copies of the sample photographs (or the photographs in ``--photos``) with the bundled
models and the default colour quality (Best), shows ``--pick`` (Machu Picchu: its sky is where the
looks disagree), turns the hatching on and grabs the window with the divider a third of the way
across: ``uncertain-colour.png``. With ``--extra``, also the same image at
250 % and side by side, and the first photograph with colour quality Fast (the toggle disabled), for
checking by eye.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from shotkit import grey_archive, photographs, settle, wait  # noqa: E402  (docs/screenshots/shotkit.py)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=Path, help="photographs to open (default: grey copies of resources/samples)")
    ap.add_argument("--out", type=Path, default=OUT, help="where the PNGs go (default: docs/screenshots)")
    ap.add_argument("--pick", default="machu_picchu",
                    help="the name (without extension) of the photograph to show; else the first")
    ap.add_argument("--extra", action="store_true", help="also zoomed, side by side, and Fast")
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")
    tmp = Path(tempfile.mkdtemp(prefix="archcolour-uncertain-shot-"))
    os.environ["ARCHCOLOUR_CONFIG_DIR"] = str(tmp / "config")
    os.environ.setdefault("ARCHCOLOUR_MODELS", str(ROOT / "models"))
    args.out.mkdir(parents=True, exist_ok=True)

    archive = tmp / "Site survey 1923"
    grey_archive(archive, photographs(args.photos or ROOT / "resources" / "samples"), 1100,
                 only_shrink=bool(args.photos))

    from PySide6.QtCore import QPointF

    from archcolour import settings as settings_mod
    from archcolour.gui.app import create_app
    from archcolour.gui.main_window import MainWindow

    app = create_app()
    app.setStyle("Fusion")

    def refined(action):
        """Do ``action`` and wait for the refined preview it brings (which may come at once, from the cache)."""
        got = []
        slot = lambda p: got.append(p)  # noqa: E731
        win.previewRefined.connect(slot)
        action()
        if not got:
            wait(win.previewRefined, 300)
        win.previewRefined.disconnect(slot)

    def shot(name):
        settle(400)
        path = args.out / name
        win.grab().save(str(path))
        print("wrote", path, "·", win.preview_info.text())

    win = MainWindow(settings_mod.Settings())  # a new user's defaults: colour quality Best
    win.resize(1280, 800)
    win.show()
    wait(win.engineReady, 300)
    win.open_folder(archive)
    wait(win.folderLoaded, 300)
    if win.thumbs.busy:
        wait(win.thumbs.idle, 300)
    entries = win.model.entries()
    entry = next((e for e in entries if e.source.stem == args.pick), entries[0])
    refined(lambda: win.select_path(entry.source))
    win.uncertain_action.setChecked(True)
    win.compare.set_divider(0.35)
    shot("uncertain-colour.png")
    if args.extra:
        c = win.compare
        r = c.image_rect_in(c.pane_rects()[0])
        c.set_zoom(2.5, QPointF(r.left() + r.width() * 0.6, r.top() + r.height() * 0.4))
        shot("uncertain-colour-zoom.png")
        c.fit()
        win.side_by_side_action.setChecked(True)
        shot("uncertain-colour-side-by-side.png")
        win.side_by_side_action.setChecked(False)
        combo = win.export.ensemble_combo
        refined(lambda: combo.setCurrentIndex(combo.findData("none")))
        print("Fast: enabled", win.uncertain_action.isEnabled(), "· tooltip:", win.uncertain_action.toolTip())
        shot("uncertain-colour-fast.png")
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

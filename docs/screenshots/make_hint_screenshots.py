"""Take the README's screenshots of hint mode and the reference chooser (issue 10).

    xvfb-run -s "-screen 0 1600x1000x24" python docs/screenshots/make_hint_screenshots.py

Needs a model that takes hints and a reference: the bundled one whose manifest entry lists
``"guidance": ["hints", ...]``, or ``--models DIR``; without one it falls back to a freshly initialised
guided ArchUNet and says so (the layout is right, the colours mean nothing: do not commit those shots).
Writes ``hint-mode.png`` (the window, three hints placed, one selected) and ``reference-chooser.png``
(the Guidance panel with a reference photograph and the eyedropper's colour).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from shotkit import settle, wait  # noqa: E402  (docs/screenshots/shotkit.py)

HINTS = [(0.50, 0.30, "#b8322a"), (0.22, 0.80, "#4f7a3a"), (0.80, 0.12, "#3f6fb5")]


def guided_model(models_dir: Path) -> str | None:
    m = models_dir / "manifest.json"
    if not m.is_file():
        return None
    for e in json.loads(m.read_text())["models"]:
        if "hints" in (e.get("guidance") or []):
            return e["name"]
    return None


def untrained_guided(folder: Path) -> str:
    import torch

    from archcolour import weights
    from archcolour.nets.archunet import ArchUNet

    torch.manual_seed(0)
    folder.mkdir(parents=True)
    net = ArchUNet(widths=(16, 32, 64, 128, 256), hints=True, ref_bins=16).eval()
    sha = weights.save_model(net, folder / "guided-init.safetensors", name="guided-init", architecture="archunet",
                             hparams={"widths": [16, 32, 64, 128, 256], "hints": True, "ref_bins": 16},
                             working_size=256, version="untrained")
    weights.write_manifest(folder, [{"name": "guided-init", "file": "guided-init.safetensors", "sha256": sha,
                                     "role": "default", "description": "untrained stand-in",
                                     "guidance": ["hints", "reference"]}], default="guided-init")
    return "guided-init"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=Path, default=None, help="models folder (default: the bundled one)")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")
    tmp = Path(tempfile.mkdtemp(prefix="archcolour-hint-shots-"))
    os.environ["ARCHCOLOUR_CONFIG_DIR"] = str(tmp / "config")
    models_dir = args.models or Path(os.environ.get("ARCHCOLOUR_MODELS") or ROOT / "models")
    name = guided_model(models_dir)
    if name is None:
        print("no model taking hints: an untrained stand-in (colours meaningless)", file=sys.stderr)
        models_dir = tmp / "models"
        name = untrained_guided(models_dir)
    os.environ["ARCHCOLOUR_MODELS"] = str(models_dir)

    from PIL import Image

    archive = tmp / "Site survey 1923"
    archive.mkdir()
    samples = ROOT / "resources" / "samples"
    for stem in ("badshahi_mosque", "colosseum", "petra_treasury"):
        src = next(samples.glob(stem + ".*"))
        with Image.open(src) as im:
            g = im.convert("L")
            s = 1100 / max(g.size)
            g.resize((round(g.width * s), round(g.height * s)), Image.Resampling.BICUBIC).save(archive / f"{stem}.jpg",
                                                                                             quality=92)
    # a colour photograph of a similar building (resources/samples are black and white)
    refs = sorted(Path("/work/shared/datasets/wonders7/taj_mahal").glob("*.jpg"))
    reference = refs[0] if refs else next(samples.glob("petra_treasury.*"))

    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest

    from archcolour import settings as settings_mod
    from archcolour.gui.app import create_app
    from archcolour.gui.main_window import MainWindow

    app = create_app()
    app.setStyle("Fusion")

    s = settings_mod.Settings()
    s.model = name
    win = MainWindow(s)
    win.resize(1400, 880)
    win.show()
    wait(win.engineReady, 180)
    win.open_folder(archive)
    wait(win.folderLoaded, 180)
    wait(win.previewRefined, 180)
    g = win.guidance
    g.set_reference(reference)
    wait(win.previewRefined, 180)
    win.hint_mode_action.setChecked(True)
    for x, y, c in HINTS:
        g.set_colour(c)
        r = win.compare.image_rect_in(win.compare.pane_rects()[0])
        QTest.mouseClick(g.overlay, Qt.LeftButton, Qt.NoModifier,
                         QPointF(r.left() + x * r.width(), r.top() + y * r.height()).toPoint())
        wait(win.previewRefined, 180)
    win.compare.set_divider(0.35)
    g.overlay._select(0)
    settle(400)
    win.grab().save(str(OUT / "hint-mode.png"))
    print("wrote", OUT / "hint-mode.png")

    # the eyedropper takes a colour from the reference for the next hint
    g.panel.eyedropper_button.setChecked(True)
    t = g.panel.thumb
    QTest.mouseClick(t, Qt.LeftButton, Qt.NoModifier, t.rect().center())
    settle(400)
    g.dock.grab().save(str(OUT / "reference-chooser.png"))
    print("wrote", OUT / "reference-chooser.png")
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Take the README's screenshot of per-image settings (issue 12).

    xvfb-run -s "-screen 0 1600x1000x24" python docs/screenshots/make_image_settings_screenshot.py

Opens the sample photographs with the bundled models, gives two of them settings of their own (a larger
working size; the guided model with a muted vividness), shows the second one's preview and its
*Settings for this image* dialog over the window, and grabs the screen (the dialog is a window of its
own) cropped to the main window: ``per-image-settings.png``.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from shotkit import grey_archive, photographs, settle, wait  # noqa: E402  (docs/screenshots/shotkit.py)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")
    tmp = Path(tempfile.mkdtemp(prefix="archcolour-settings-shot-"))
    os.environ["ARCHCOLOUR_CONFIG_DIR"] = str(tmp / "config")
    os.environ.setdefault("ARCHCOLOUR_MODELS", str(ROOT / "models"))

    archive = tmp / "Site survey 1923"
    grey_archive(archive, photographs(ROOT / "resources" / "samples"), 1100)

    from archcolour import image_settings as ims
    from archcolour import settings as settings_mod
    from archcolour.gui.app import create_app
    from archcolour.gui.image_settings_dialog import ImageSettingsDialog
    from archcolour.gui.main_window import MainWindow

    app = create_app()
    app.setStyle("Fusion")

    win = MainWindow(settings_mod.Settings())
    win.move(0, 0)
    win.resize(1400, 880)
    win.show()
    wait(win.engineReady, 300)
    win.open_folder(archive)
    wait(win.folderLoaded, 300)
    if win.thumbs.busy:
        wait(win.thumbs.idle, 300)
    ctl = win.image_settings
    colosseum, petra = archive / "colosseum.jpg", archive / "petra_treasury.jpg"
    ctl.apply([win.model.find(colosseum)], ims.ImageSettings(working_size=384))
    win.select_path(petra)
    wait(win.previewRefined, 300)
    ctl.apply([win.model.find(petra)], ims.ImageSettings(model="archunet-guided", vividness=0.8))
    wait(win.previewRefined, 300)
    shown = win.previews._shown
    assert shown.final and shown.model == "archunet-guided", (shown.final, shown.model)  # the image's own model
    win.compare.set_divider(0.45)
    win.statusBar().clearMessage()

    e = win.model.find(petra)
    dlg = ImageSettingsDialog([e.display_name], e.own, ctl.folder_defaults(), ctl.models(), win)
    dlg.resize(460, dlg.sizeHint().height())
    dlg.show()
    frame = win.frameGeometry()
    view = win.compare.mapToGlobal(win.compare.rect().bottomLeft())  # low in the preview: the image stays in view
    dlg.move(view.x() + 40, view.y() - dlg.height() - 12)
    settle(800)
    shot = app.primaryScreen().grabWindow(0).copy(frame)
    shot.save(str(OUT / "per-image-settings.png"))
    print("wrote", OUT / "per-image-settings.png")
    dlg.close()
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Take the README's screenshots of the desktop application.

    xvfb-run -s "-screen 0 1600x1000x24" python docs/screenshots/make_screenshots.py   # real X server
    QT_QPA_PLATFORM=offscreen python docs/screenshots/make_screenshots.py             # fallback

Uses the bundled model when ``models/manifest.json`` exists; otherwise trains a tiny ArchUNet for a
minute on colour photographs of ``/work/shared/datasets/wonders7`` (a stand-in: its colours are only
roughly right). The photographs shown are grey copies of ``resources/samples`` (or of wonders7), plus one
damaged file to show an error row. Settings go to a temporary folder.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from shotkit import settle, wait  # noqa: E402  (docs/screenshots/shotkit.py)

SITES = ["petra", "the_roman_colosseum", "chichen_itza", "taj_mahal", "machu_picchu", "the_great_wall_of_china",
         "christ_the_redeemer_statue"]


def stand_in_model(folder: Path, seconds: float = 90.0) -> Path:
    """A small ArchUNet trained briefly on real photographs (only when no bundled model exists)."""
    import numpy as np
    import torch
    from PIL import Image

    from archcolour import colour, nets, weights

    files = sorted(Path("/work/shared/datasets/wonders7").rglob("*.jpg"))
    rng = np.random.default_rng(0)
    crops = []
    for f in files:
        with Image.open(f) as im:
            im = im.convert("RGB")
            s = 96 / min(im.size)
            im = im.resize((max(96, round(im.width * s)), max(96, round(im.height * s))), Image.Resampling.BILINEAR)
            a = np.asarray(im, dtype=np.float32) / 255.0
            y = (a.shape[0] - 96) // 2
            x = (a.shape[1] - 96) // 2
            crops.append(a[y:y + 96, x:x + 96])
    data = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).contiguous()
    hp = {"widths": [8, 16, 24, 32, 32]}
    torch.manual_seed(0)
    model = nets.build("archunet", **{k: tuple(v) for k, v in hp.items()})
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    t0 = time.perf_counter()
    steps = 0
    while time.perf_counter() - t0 < seconds:
        idx = torch.from_numpy(rng.integers(0, len(data), 12))
        batch = data[idx]
        if rng.random() < 0.5:
            batch = batch.flip(-1)
        i, j = rng.integers(0, 49, 2)
        batch = batch[..., i:i + 48, j:j + 48]
        lab = colour.rgb_to_lab(batch)
        loss = torch.nn.functional.smooth_l1_loss(model(lab[:, :1]), lab[:, 1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
        steps += 1
    model.eval()
    folder.mkdir(parents=True, exist_ok=True)
    sha = weights.save_model(model, folder / "standin.safetensors", name="screenshot-stand-in", architecture="archunet",
                             hparams=hp, working_size=256, version="0-standin", data="wonders7 (stand-in)",
                             recipe=f"{steps} Adam steps, {seconds:.0f} s on CPU, for screenshots only")
    weights.write_manifest(folder, [{"name": "screenshot-stand-in", "file": "standin.safetensors", "sha256": sha,
                                     "role": "default"}], default="screenshot-stand-in")
    print(f"stand-in model: {steps} steps")
    return folder


def make_archive(folder: Path) -> Path:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    samples = sorted(p for p in (ROOT / "resources" / "samples").glob("*")
                     if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".tif", ".tiff"))
    if samples:
        chosen = samples[:10]
        names = [p.stem for p in chosen]
    else:
        chosen, names = [], []
        for k in range(2):
            for site in SITES:
                fs = sorted((Path("/work/shared/datasets/wonders7") / site).glob("*.jpg"))
                if len(fs) > k * 5:
                    chosen.append(fs[k * 5])
                    names.append(f"{site.replace('the_', '')}_{k + 1:02d}")
        chosen, names = chosen[:10], names[:10]
    for src, name in zip(chosen, names):
        with Image.open(src) as im:
            g = im.convert("L")
            if max(g.size) < 900:  # archive scans are bigger than these web photos
                s = 900 / max(g.size)
                g = g.resize((round(g.width * s), round(g.height * s)), Image.Resampling.BICUBIC)
            g.save(folder / f"{name}.jpg", quality=92)
    (folder / "scan_1897_damaged.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"truncated transfer")
    describe(folder)
    return folder


def describe(folder: Path) -> None:
    """Give one scan the descriptive metadata an archive records (with exiftool, when installed)."""
    import shutil
    import subprocess

    exe = shutil.which("exiftool")
    target = next((p for p in sorted(folder.glob("*.jpg")) if "damaged" not in p.name), None)
    if exe is None or target is None:
        return
    subprocess.run([exe, "-q", "-overwrite_original", f"-XMP-dc:Title={target.stem.replace('_', ' ').title()}",
                    "-XMP-dc:Description=Survey photograph, north-east approach, taken for the site register",
                    "-XMP-dc:Creator=Survey photographer (unknown)", "-IPTC:DateCreated=19230614",
                    "-XMP-dc:Rights=Public domain (photographer died before 1950)", str(target)], check=False)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")
    tmp = Path(tempfile.mkdtemp(prefix="archcolour-shots-"))
    os.environ["ARCHCOLOUR_CONFIG_DIR"] = str(tmp / "config")
    if (ROOT / "models" / "manifest.json").is_file():
        os.environ.pop("ARCHCOLOUR_MODELS", None)
    elif not os.environ.get("ARCHCOLOUR_MODELS"):
        os.environ["ARCHCOLOUR_MODELS"] = str(stand_in_model(tmp / "models"))
    archive = make_archive(tmp / "Site survey 1923")

    from PySide6.QtCore import QEventLoop, Qt, QTimer

    from archcolour import settings as settings_mod
    from archcolour.gui.app import create_app
    from archcolour.gui.main_window import MainWindow

    app = create_app()
    app.setStyle("Fusion")

    def show(path):
        """Select ``path`` and wait for its refined preview (which may come at once, from the cache)."""
        got = []
        slot = lambda p: got.append(p)  # noqa: E731
        win.previewRefined.connect(slot)
        win.select_path(path)
        loop = QEventLoop()
        win.previewRefined.connect(loop.quit)
        if not got:
            QTimer.singleShot(120000, loop.quit)
            loop.exec()
        win.previewRefined.disconnect(slot)
        win.previewRefined.disconnect(loop.quit)

    def shot(name):
        settle(300)
        path = OUT / name
        win.grab().save(str(path))
        print("wrote", path)

    win = MainWindow(settings_mod.Settings())  # the defaults a new user sees (model default working size)
    win.resize(1280, 800)
    win.show()
    wait(win.engineReady, 120)
    win.open_folder(archive)
    wait(win.folderLoaded, 120)
    if win.thumbs.busy:
        wait(win.thumbs.idle, 120)
    first_good = [e for e in win.model.entries() if "damaged" not in e.source.name]
    show(first_good[1].source)
    shot("main-window.png")

    show(first_good[0].source)
    win.compare.set_divider(0.5)
    win.compare.set_zoom(win.compare.zoom * 1.6)
    shot("preview-divider.png")

    win.compare.fit()
    win.side_by_side_action.setChecked(True)
    shot("side-by-side.png")
    win.side_by_side_action.setChecked(False)

    # a batch in progress: the picture is taken while it really runs, once 4 images are done
    show(first_good[2].source)
    taken = []

    def on_progress(done, total, eta):
        if done >= 4 and not taken:
            taken.append(done)
            win.repaint()
            path = OUT / "batch-in-progress.png"
            win.grab().save(str(path))
            print("wrote", path, f"at {done}/{total}")

    win.colourise_all()
    win.batch.progress.connect(on_progress)
    wait(win.batchFinished, 600)
    if win.thumbs.busy:
        wait(win.thumbs.idle, 120)
    damaged = [e for e in win.model.entries() if "damaged" in e.source.name][0]
    win.select_path(damaged.source)
    settle(500)
    shot("error-row.png")
    win.problems_dock.hide()

    # the review grid: flags (P / X / U) on the contact sheet
    done = [e for e in win.model.entries() if e.output is not None and e.output.exists()]
    for e, flag in zip(done, ["accepted", "accepted", "rejected", "redo", "accepted", "rejected"]):
        win.review.set_flag(e, flag)
    win.select_path(done[0].source)
    win.grid_action.setChecked(True)
    shot("review-grid.png")
    win.grid.filter_combo.setCurrentIndex(win.grid.filter_combo.findData("flag:rejected"))
    shot("review-grid-rejected.png")
    win.grid.filter_combo.setCurrentIndex(0)
    win.grid_action.setChecked(False)

    # the metadata panel: the source's descriptive metadata beside the output's provenance
    win.metadata_dock.show()
    win.resizeDocks([win.metadata_dock], [300], Qt.Vertical)
    show(done[0].source)
    settle(800)
    shot("metadata-panel.png")
    win.metadata_dock.hide()

    # colour quality (the test-time ensemble): the Export panel alone, scrolled to start at the Format
    # row so that Working size, Colour quality and its help line are in view; the default chosen
    guidance = getattr(win, "guidance_dock", None)
    if guidance is not None:
        guidance.hide()  # the Export panel alone, its help lines readable
    win.export_dock.raise_()
    scroll = win.export_dock.widget().verticalScrollBar()
    scroll.setValue(win.export.format_combo.geometry().top() - 6)
    shot("quality-setting.png")
    scroll.setValue(0)

    # export presets: the Export panel with a preset chosen and its help lines
    from archcolour.gui import presets

    win.export.apply_preset(next(p for p in presets.BUILT_IN if p.name.startswith("Web")))
    win.export_dock.raise_()
    shot("export-presets.png")
    if guidance is not None:
        guidance.show()

    # the batch report (the manifest as a table)
    win.show_report()
    settle(500)
    dlg = win.report_dialog
    path = OUT / "batch-report.png"
    dlg.grab().save(str(path))
    print("wrote", path)
    dlg.close()
    win.confirm_stop_batch = lambda: True
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

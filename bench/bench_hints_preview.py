"""Benchmark: from a hint placed in the preview to the recomputed colour on show (issue 10, target < 0.5 s).

Drives the real window (offscreen Qt) with a guided model: the bundled one that takes hints when
``models/manifest.json`` lists one, otherwise a freshly initialised ArchUNet of the guided recipe's size
(``training/train.py`` "guided": widths 16..256, hints, 16 reference bins; the same computation as a
trained one) at working size 256. A grey copy of ``resources/samples/badshahi_mosque.jpg`` scaled to
``--long-side`` px is opened; each round clicks a new hint with the mouse on the overlay, then waits
for the first (fast, about the view's size) colour pass and the refined pass (up to 1280 px).
Prints medians and their ratio to the 0.5 s target.

    python bench/bench_hints_preview.py [--long-side 1600] [--rounds 8] [--threads N]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET_S = 0.5


def guided_models_dir(tmp: Path) -> Path | None:
    """A models folder whose default takes hints: None when the bundled manifest has one."""
    m = ROOT / "models" / "manifest.json"
    if m.exists() and any("hints" in (e.get("guidance") or []) for e in json.loads(m.read_text())["models"]):
        return None
    import torch

    from archcolour import weights
    from archcolour.nets.archunet import ArchUNet

    torch.manual_seed(0)
    hp = {"widths": [16, 32, 64, 128, 256], "hints": True, "ref_bins": 16}
    net = ArchUNet(widths=tuple(hp["widths"]), hints=True, ref_bins=16).eval()
    d = tmp / "models"
    d.mkdir()
    sha = weights.save_model(net, d / "guided-init.safetensors", name="guided-init", architecture="archunet",
                             hparams=hp, working_size=256, version="bench", recipe="untrained (benchmark)")
    weights.write_manifest(d, [{"name": "guided-init", "file": "guided-init.safetensors", "sha256": sha,
                                "role": "default", "description": "benchmark", "guidance": ["hints", "reference"]}],
                           default="guided-init")
    return d


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--long-side", type=int, default=1600)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's choice)")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    tmp = Path(tempfile.mkdtemp(prefix="bench_hints_"))
    os.environ["ARCHCOLOUR_CONFIG_DIR"] = str(tmp / "config")
    models = guided_models_dir(tmp)
    if models is not None:
        os.environ["ARCHCOLOUR_MODELS"] = str(models)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    from PIL import Image
    from PySide6.QtCore import QEventLoop, QPointF, Qt, QTimer
    from PySide6.QtTest import QTest

    from archcolour.gui.app import create_app
    from archcolour.gui.main_window import MainWindow

    folder = tmp / "archive"
    folder.mkdir()
    with Image.open(ROOT / "resources" / "samples" / "badshahi_mosque.jpg") as im:
        im = im.convert("L")
        s = args.long_side / max(im.size)
        im.resize((round(im.width * s), round(im.height * s)), Image.Resampling.LANCZOS).save(folder / "scan.png")

    app = create_app()
    win = MainWindow()
    win.resize(1400, 900)
    win.show()

    def wait(signal, timeout_s: float = 120.0) -> float:
        loop = QEventLoop()
        t0 = time.perf_counter()
        signal.connect(loop.quit)
        QTimer.singleShot(int(timeout_s * 1000), loop.quit)
        loop.exec()
        signal.disconnect(loop.quit)
        return time.perf_counter() - t0

    if win.colouriser is None:
        wait(win.engineReady)
    if not win.guidance.takes_hints:
        sys.exit(f"the model {win.colouriser.info.name} takes no hints")
    win.open_folder(folder)
    wait(win.previewRefined)
    win.hint_mode_action.setChecked(True)
    ov = win.guidance.overlay
    fast, refined = [], []
    for k in range(args.rounds):
        r = win.compare.image_rect_in(win.compare.pane_rects()[0])
        x, y = 0.1 + 0.8 * ((k * 0.37) % 1.0), 0.1 + 0.8 * ((k * 0.61) % 1.0)
        got = {}
        t0 = time.perf_counter()
        win.previewReady.connect(lambda _p: got.setdefault("fast", time.perf_counter() - t0))
        win.previewRefined.connect(lambda _p: got.setdefault("refined", time.perf_counter() - t0))
        QTest.mouseClick(ov, Qt.LeftButton, Qt.NoModifier,
                         QPointF(r.left() + x * r.width(), r.top() + y * r.height()).toPoint())
        while "refined" not in got and time.perf_counter() - t0 < 120:
            app.processEvents(QEventLoop.WaitForMoreEvents, 50)
        win.previewReady.disconnect()
        win.previewRefined.disconnect()
        fast.append(got.get("fast", float("nan")))
        refined.append(got.get("refined", float("nan")))
    info = win.colouriser.info
    print(f"model {info.name} (working size {win.colouriser.working_size}), scan {args.long_side} px long side, "
          f"{args.rounds} hints placed one by one, {os.cpu_count()} CPUs")
    print(f"hint -> first colour pass: median {statistics.median(fast):.3f} s "
          f"(ratio to the {TARGET_S} s target {statistics.median(fast) / TARGET_S:.2f}), max {max(fast):.3f} s")
    print(f"hint -> refined pass:      median {statistics.median(refined):.3f} s "
          f"(ratio {statistics.median(refined) / TARGET_S:.2f}), max {max(refined):.3f} s")
    win.close()


if __name__ == "__main__":
    main()

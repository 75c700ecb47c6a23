"""Benchmark of the desktop application's responsiveness. Prints four figures, and the load average
before and after (the machine's other work changes every figure):

1. cold start: from launching a fresh Python process to the main window's first paint (target < 2 s);
2. select-to-preview: from selecting an image to its colour preview on show, at ``--working-size``
   (default 256; the app's own default is the model's, 192 for the bundled one) (target < 0.5 s), each
   image selected for the first time (no cache hit); the first colour pass (at the size the 1280 x 800
   window's view shows the image, fitted) and the refined one (up to 1280 px) are timed apart. The
   network runs once per preview; both passes recombine its prediction. Beside it, the engine alone
   doing that same work (the network on the preview's lightness, the recombination at the first pass's
   size) in this process right after, and the ratio: what the window adds, whatever the load;
3. the longest UI-thread stall during a 50-image batch, measured with a 5 ms QTimer heartbeat
   (target < 50 ms);
4. select-to-preview again, on images the batch has not reached yet, *while that batch runs*
   (target < 0.5 s for the first colour pass), and how many of the batch's steps waited for a preview
   (previews go first: :class:`archcolour.gui.workers.PreviewGate`).

Uses the bundled model when ``models/manifest.json`` exists (or ``--models DIR``); otherwise a freshly
initialised ArchUNet of the default size (the same amount of computation as a trained one). Test
photographs are grey copies of ``resources/samples`` or of ``/work/shared/datasets/wonders7``, scaled to
``--long-side`` pixels.

    python bench/bench_gui.py [--long-side 1600] [--images 50] [--starts 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROBE = r"""
import sys, time
sys.path.insert(0, {root!r})
from PySide6.QtCore import QObject, QEvent, QTimer
from archcolour.gui.app import create_app, create_window
app = create_app()
win = create_window()
class First(QObject):
    def eventFilter(self, obj, ev):
        if ev.type() == QEvent.Paint and obj is win:
            print("SHOWN", time.time(), flush=True)
            win.engineReady.connect(lambda c: (print("ENGINE", time.time(), flush=True), app.quit()))
            win.engineFailed.connect(lambda m: (print("ENGINE", time.time(), flush=True), app.quit()))
            obj.removeEventFilter(self)
        return False
f = First()
win.installEventFilter(f)
win.show()
QTimer.singleShot(60000, app.quit)
app.exec()
"""


def find_models(arg: str | None, tmp: Path) -> Path:
    if arg:
        return Path(arg)
    bundled = ROOT / "models"
    if (bundled / "manifest.json").is_file():
        return bundled
    from archcolour import nets, weights

    d = tmp / "models"
    d.mkdir()
    model = nets.build("archunet").eval()
    sha = weights.save_model(model, d / "bench.safetensors", name="bench-untrained", architecture="archunet",
                             hparams={}, working_size=256, version="bench", data="none (random init)",
                             recipe="none: timing only")
    weights.write_manifest(d, [{"name": "bench-untrained", "file": "bench.safetensors", "sha256": sha,
                                "role": "default"}], default="bench-untrained")
    return d


def make_photos(folder: Path, n: int, long_side: int) -> list[Path]:
    from PIL import Image

    src_dir = ROOT / "resources" / "samples"
    srcs = sorted(p for p in src_dir.glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".tif", ".tiff"))
    if len(srcs) < 4:
        srcs = sorted(Path("/work/shared/datasets/wonders7").rglob("*.jpg"))
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        with Image.open(srcs[i % len(srcs)]) as im:
            g = im.convert("L")
            s = long_side / max(g.size)
            g = g.resize((max(1, round(g.width * s)), max(1, round(g.height * s))), Image.Resampling.BICUBIC)
            p = folder / f"scan_{i:03d}.jpg"
            g.save(p, quality=92)
            out.append(p)
    return out


def cold_start(runs: int, env: dict) -> tuple[list[float], list[float]]:
    shown, engine = [], []
    for _ in range(runs):
        t0 = time.time()
        res = subprocess.run([sys.executable, "-c", PROBE.format(root=str(ROOT))], env=env, capture_output=True,
                             text=True, timeout=120)
        marks = dict(line.split() for line in res.stdout.splitlines() if line.startswith(("SHOWN", "ENGINE")))
        if "SHOWN" not in marks:
            raise RuntimeError(f"the probe did not show a window:\n{res.stdout}\n{res.stderr[-2000:]}")
        shown.append(float(marks["SHOWN"]) - t0)
        if "ENGINE" in marks:
            engine.append(float(marks["ENGINE"]) - t0)
    return shown, engine


def wait(app, signal, timeout_s: float = 120.0):
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    got = []
    signal.connect(lambda *a: (got.append(a), loop.quit()))
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    if not got:
        raise TimeoutError(f"no {signal} within {timeout_s} s")
    return got[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=50)
    ap.add_argument("--long-side", type=int, default=1280, help="size of the test photographs")
    ap.add_argument("--previews", type=int, default=8)
    ap.add_argument("--starts", type=int, default=3, help="cold starts to time")
    ap.add_argument("--working-size", type=int, default=256)
    ap.add_argument("--models", help="models folder (default: bundled, else an untrained ArchUNet)")
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    tmp = Path(tempfile.mkdtemp(prefix="archcolour-bench-gui-"))
    os.environ["ARCHCOLOUR_CONFIG_DIR"] = str(tmp / "config")
    models = find_models(args.models, tmp)
    os.environ["ARCHCOLOUR_MODELS"] = str(models)
    env = dict(os.environ)
    load_before = os.getloadavg()

    # 1. cold start (separate processes; nothing imported here yet that they could share)
    shown, engine = cold_start(args.starts, env)

    photos = make_photos(tmp / "archive", args.images, args.long_side)

    from PySide6.QtCore import QElapsedTimer, QTimer

    from archcolour import settings as settings_mod
    from archcolour.gui.app import create_app
    from archcolour.gui.main_window import MainWindow

    app = create_app()
    s = settings_mod.Settings(device=args.device, working_size=args.working_size)
    win = MainWindow(s)
    win.resize(1280, 800)
    win.show()
    colouriser = wait(app, win.engineReady)[0]
    win.open_folder(tmp / "archive")
    wait(app, win.folderLoaded)
    if win.list_view.currentIndex().isValid():
        wait(app, win.previewReady)  # the first image, selected on opening (also warms the network)

    finals: dict[str, float] = {}
    win.previews.worker.previewReady.connect(
        lambda res: finals.__setitem__(str(res.path), time.perf_counter()) if res.final else None)

    def select_and_time(p: Path) -> tuple[float, float]:
        """(first colour on show, refined colour ready) in seconds after selecting ``p``."""
        finals.pop(str(p), None)
        t = time.perf_counter()
        win.select_path(p)
        wait(app, win.previewReady)
        first = time.perf_counter() - t
        deadline = time.perf_counter() + 30
        while str(p) not in finals and time.perf_counter() < deadline:
            app.processEvents()
            time.sleep(0.002)
        return first, finals.get(str(p), float("nan")) - t

    # 2. select -> preview, each image new, nothing else running
    idle = [select_and_time(p) for p in photos[1: 1 + args.previews]]

    # 3. UI stall during a batch, with a 5 ms heartbeat; 4. previews while that batch runs
    gaps = []
    clock = QElapsedTimer()
    beat = QTimer()
    beat.setInterval(5)
    last = [0]

    def tick():
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    beat.timeout.connect(tick)
    clock.start()
    beat.start()
    t = time.perf_counter()
    finished = []
    win.batchFinished.connect(lambda *a: finished.append(a))
    win.colourise_all()
    gate = win.previews.worker.gate
    held_before = gate.held
    busy = []
    for p in reversed(photos[-args.previews:]):  # the batch reaches these last
        if finished:
            break
        busy.append(select_and_time(p))
    summary, cancelled = finished[0] if finished else wait(app, win.batchFinished, timeout_s=1800)
    batch_s = time.perf_counter() - t
    held = gate.held - held_before
    beat.stop()
    view = win.previews.view_size()
    win.confirm_stop_batch = lambda: True
    win.close()

    # the engine alone doing the first pass's work on the same photographs, in this process, right now:
    # on a loaded machine the ratio to it says what the window adds, whatever the load
    import numpy as np
    import torch

    from archcolour.gui.preview_source import load_preview_source
    from archcolour.gui.workers import PREVIEW_MAX_SIDE, first_pass_side, shrink_l, with_working_size

    c = with_working_size(colouriser, args.working_size)
    bare, sides = [], []
    for p in photos[1: 1 + args.previews]:
        l = load_preview_source(p, PREVIEW_MAX_SIDE).l
        side = first_pass_side(l.shape[1], l.shape[0], view)
        sides.append(side)
        small = torch.from_numpy(shrink_l(l, side))
        t = time.perf_counter()
        c.recombine(small, c.predict(torch.from_numpy(l)), out_dtype=np.uint8)
        bare.append(time.perf_counter() - t)

    dev = colouriser.device_name
    info = colouriser.info
    print(f"archcolour GUI benchmark  ({dev}; model {info.name} {info.short_hash}; "
          f"{args.images} photos of {args.long_side} px long side; working size {args.working_size}; "
          f"Qt platform {os.environ['QT_QPA_PLATFORM']}; {os.cpu_count()} CPUs)")
    print(f"cold start to shown window:  median {statistics.median(shown):.2f} s  (runs: "
          + ", ".join(f"{x:.2f}" for x in shown) + ")  target < 2 s"
          + (f"; model ready after {statistics.median(engine):.2f} s" if engine else ""))
    def ms(xs):
        return f"median {statistics.median(xs) * 1000:.0f} ms, max {max(xs) * 1000:.0f} ms"

    print(f"select to preview, idle:     first colour {ms([a for a, _ in idle])}; refined {ms([b for _, b in idle])} "
          f"over {len(idle)} images  target < 500 ms")
    print(f"engine alone, same images (network, then recombined at the first pass's {min(sides)}-{max(sides)} px "
          f"for a {view[0]}x{view[1]} view): {ms(bare)}; first colour / engine alone: "
          f"{statistics.median([a for a, _ in idle]) / statistics.median(bare):.2f}x (median)")
    print(f"longest UI stall in batch:   {max(gaps[1:] or [0]):.0f} ms heartbeat gap (5 ms timer; "
          f"{len(gaps)} beats over {batch_s:.1f} s; {summary})  target < 50 ms")
    if busy:
        print(f"select to preview, batch running: first colour {ms([a for a, _ in busy])}; refined "
              f"{ms([b for _, b in busy])} over {len(busy)} images  target < 500 ms; "
              f"{held} batch steps waited for a preview")
    else:
        print("select to preview, batch running: the batch ended before a preview could be timed")
    load_after = os.getloadavg()
    print("load average before: " + " ".join(f"{x:.2f}" for x in load_before)
          + "; after: " + " ".join(f"{x:.2f}" for x in load_after))
    return 0


if __name__ == "__main__":
    sys.exit(main())

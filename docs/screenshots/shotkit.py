"""What the screenshot scripts share: grey archive copies of photographs, and waiting on the Qt event
loop (for a signal, or for a moment so the window settles). Import after QT_QPA_PLATFORM is set."""
from __future__ import annotations

from pathlib import Path

SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")


def grey_archive(folder: Path, sources, long_side: int = 1100, only_shrink: bool = False) -> list[Path]:
    """Grey JPEG copies of ``sources`` in ``folder`` (made if needed), long side ``long_side`` px (with
    ``only_shrink``, photographs already smaller keep their size): an archive folder to open."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for src in sources:
        with Image.open(src) as im:
            g = im.convert("L")
            s = long_side / max(g.size)
            if only_shrink:
                s = min(1.0, s)
            out = folder / f"{Path(src).stem}.jpg"
            g.resize((round(g.width * s), round(g.height * s)), Image.Resampling.BICUBIC).save(out, quality=92)
            made.append(out)
    return made


def photographs(folder: Path) -> list[Path]:
    """The photographs in ``folder``, sorted by name."""
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in SUFFIXES)


def wait(signal, timeout_s: float = 300.0):
    """Run the event loop until ``signal`` fires (its arguments) or ``timeout_s`` passes (TimeoutError)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    got = []
    signal.connect(lambda *a: (got.append(a), loop.quit()))
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    if not got:
        raise TimeoutError(str(signal))
    return got[0]


def settle(ms: int = 400) -> None:
    """Run the event loop for ``ms`` milliseconds (layout, repaint)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()

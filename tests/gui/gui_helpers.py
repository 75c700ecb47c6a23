"""Helpers shared by the GUI tests (importable as a plain module: tests/ is not a package)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def _scenes(n: int, size: int, seed: int) -> np.ndarray:
    """Sky over ground, as in the session fixture's training data: (n, size, size, 3) in [0, 1]."""
    rng = np.random.default_rng(seed)
    rows = np.linspace(0, 1, size)[:, None, None]
    out = np.empty((n, size, size, 3))
    for i in range(n):
        horizon = 0.3 + 0.4 * rng.random()
        sky = np.array([0.35, 0.55, 0.9]) * (0.7 + 0.3 * rng.random())
        ground = np.array([0.3, 0.6, 0.2]) if rng.random() < 0.5 else np.array([0.6, 0.4, 0.25])
        out[i] = np.where(rows < horizon, sky, ground) + 0.03 * rng.standard_normal((size, size, 3))
    return out.clip(0, 1)


def write_grey_photos(folder: Path, n: int, size=(64, 48), seed: int = 0, fmt: str = "png") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rgb = _scenes(n, max(size), seed)
    paths = []
    for i in range(n):
        arr = (rgb[i][: size[1], : size[0]] * 255).astype(np.uint8)
        grey = Image.fromarray(arr).convert("L")
        p = folder / f"photo_{i:02d}.{fmt}"
        grey.save(p)
        paths.append(p)
    return paths


def open_folder(qtbot, win, folder: Path, thumbnails: bool = True) -> None:
    with qtbot.waitSignal(win.folderLoaded, timeout=30000):
        win.open_folder(folder)
    if thumbnails and win.thumbs.busy:
        with qtbot.waitSignal(win.thumbs.idle, timeout=30000):
            pass

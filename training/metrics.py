"""Colour-quality metrics. Inputs are sRGB float arrays (H, W, 3) in [0, 1]."""
from __future__ import annotations

import numpy as np
import torch
from skimage.color import deltaE_ciede2000

from archcolour.colour import rgb_to_lab


def lab_of(rgb: np.ndarray) -> np.ndarray:
    t = torch.from_numpy(np.ascontiguousarray(rgb, dtype=np.float32)).permute(2, 0, 1)
    return rgb_to_lab(t).permute(1, 2, 0).numpy().astype(np.float64)


def psnr(out: np.ndarray, gt: np.ndarray) -> float:
    mse = float(np.mean((out.astype(np.float64) - gt.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(1.0 / mse)


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk (2003) colourfulness M on 0-255 sRGB."""
    x = rgb.astype(np.float64) * 255.0
    rg = x[..., 0] - x[..., 1]
    yb = 0.5 * (x[..., 0] + x[..., 1]) - x[..., 2]
    return float(np.sqrt(rg.std() ** 2 + yb.std() ** 2) + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2))


#: A pixel is on a strong edge where the gradient of the true L exceeds this many L units per pixel
#: (Sobel, normalised); the edge band is those pixels and their neighbours within EDGE_BAND pixels.
EDGE_GRADIENT = 8.0
EDGE_BAND = 2


def edge_band(l: np.ndarray, threshold: float = EDGE_GRADIENT, band: int = EDGE_BAND) -> np.ndarray:
    """Boolean mask of the pixels within ``band`` of a strong edge of ``l`` (H, W)."""
    from scipy import ndimage

    gx = ndimage.sobel(l, axis=1, mode="nearest") / 8.0
    gy = ndimage.sobel(l, axis=0, mode="nearest") / 8.0
    edges = np.hypot(gx, gy) > threshold
    return ndimage.binary_dilation(edges, iterations=band) if band else edges


def image_metrics(out: np.ndarray, gt: np.ndarray) -> dict[str, float]:
    lo, lg = lab_of(out), lab_of(gt)
    band = edge_band(lg[..., 0])
    d_ab = ((lo[..., 1:] - lg[..., 1:]) ** 2).sum(-1)
    return {
        "edge_ab_rmse": float(np.sqrt(d_ab[band].mean() / 2)) if band.any() else float("nan"),
        "psnr": psnr(out, gt),
        "ciede2000": float(deltaE_ciede2000(lg, lo).mean()),
        "ab_rmse": float(np.sqrt(np.mean((lo[..., 1:] - lg[..., 1:]) ** 2))),
        "colourfulness": colourfulness(out),
        "colourfulness_gt": colourfulness(gt),
    }


def summarise(rows: list[dict[str, float]]) -> dict[str, float]:
    keys = ["psnr", "ciede2000", "ab_rmse", "colourfulness", "colourfulness_gt", "edge_ab_rmse"]
    s = {k: float(np.nanmean([r.get(k, np.nan) for r in rows])) for k in keys}
    s["colourfulness_gap"] = abs(s["colourfulness_gt"] - s["colourfulness"])
    s["colourfulness_ratio"] = s["colourfulness"] / s["colourfulness_gt"]
    s["n"] = len(rows)
    return s

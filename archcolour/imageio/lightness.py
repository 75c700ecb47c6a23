"""Pixel arrays of any type -> CIELAB lightness L (float32, [0, 100]).

Colour or toned scans are reduced with :mod:`archcolour.colour` (never a plain average of R, G and
B); grey levels go through an exact table (65,536 entries for 16 bits). Work is done in row chunks
so temporaries stay bounded. ``colour`` (and with it torch) is imported on first use, so importing
the I/O package stays cheap.
"""
from __future__ import annotations

import numpy as np

_ROWS = 512  # rows per chunk for per-pixel conversions (bounded temporaries)
_LUTS: dict[int, np.ndarray] = {}


def grey_lut(levels: int) -> np.ndarray:
    """L of every grey level 0..levels-1 (exact, via colour.grey_to_l in float64)."""
    lut = _LUTS.get(levels)
    if lut is None:
        from .. import colour

        g = np.arange(levels, dtype=np.float64) / (levels - 1)
        lut = colour.grey_to_l(g).astype(np.float32)
        _LUTS[levels] = lut
    return lut


def _grey_int_to_l(arr: np.ndarray, levels: int) -> np.ndarray:
    lut = grey_lut(levels)
    out = np.empty(arr.shape, dtype=np.float32)
    for top in range(0, arr.shape[0], _ROWS):  # row chunks: fancy indexing makes an intp copy
        out[top:top + _ROWS] = lut[arr[top:top + _ROWS]]
    return out


def _grey_float_to_l(arr: np.ndarray) -> np.ndarray:
    from .. import colour

    out = np.empty(arr.shape, dtype=np.float32)
    for top in range(0, arr.shape[0], _ROWS):
        g = np.clip(np.array(arr[top:top + _ROWS], dtype=np.float32), 0.0, 1.0)
        out[top:top + _ROWS] = colour.grey_to_l(g)
    return out


def _rgb_to_l(rgb: np.ndarray, scale: float) -> np.ndarray:
    """(H, W, 3) integer or float RGB (0..scale) -> L, in row chunks (torch: fast, multi-threaded)."""
    import torch

    from .. import colour

    out = np.empty(rgb.shape[:2], dtype=np.float32)
    for top in range(0, rgb.shape[0], _ROWS):
        t = torch.from_numpy(np.array(rgb[top:top + _ROWS], dtype=np.float32)).permute(2, 0, 1)
        if scale != 1.0:
            t = t / scale
        out[top:top + _ROWS] = colour.rgb_to_l(t.clamp_(0.0, 1.0), chunk_rows=None)[0].numpy()
    return out


def _is_grey(rgb: np.ndarray) -> bool:
    for top in range(0, rgb.shape[0], _ROWS):
        c = rgb[top:top + _ROWS]
        if not (np.array_equal(c[..., 0], c[..., 1]) and np.array_equal(c[..., 0], c[..., 2])):
            return False
    return True


def _float_to_unit(arr: np.ndarray, notes: list[str]) -> np.ndarray:
    """Float pixel values to [0, 1]: as they are when already there, else stretched min..max."""
    finite = np.isfinite(arr)
    if not finite.all():
        arr = np.where(finite, arr, 0.0).astype(np.float32)
        notes.append("non-finite pixel values replaced by 0")
    lo, hi = float(arr.min()), float(arr.max())
    if lo >= 0.0 and hi <= 1.0:
        return arr
    notes.append(f"floating-point values in [{lo:.4g}, {hi:.4g}] stretched to black..white")
    if hi <= lo:
        return np.zeros_like(arr, dtype=np.float32)
    return ((arr - lo) / (hi - lo)).astype(np.float32)


def _int_to_unit(arr: np.ndarray, notes: list[str]) -> np.ndarray:
    lo, hi = int(arr.min()), int(arr.max())
    if lo >= 0 and hi <= 65535:
        return (arr.astype(np.float32) / 65535.0)
    notes.append(f"integer values in [{lo}, {hi}] stretched to black..white")
    if hi <= lo:
        return np.zeros(arr.shape, dtype=np.float32)
    return ((arr.astype(np.float64) - lo) / (hi - lo)).astype(np.float32)


def array_to_l(arr: np.ndarray, notes: list[str], *, colour_channels: bool) -> tuple[np.ndarray, int, bool]:
    """Pixel array (H, W) or (H, W, C>=3) of any numeric dtype -> (L, bit_depth, was_colour)."""
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    grey = arr if arr.ndim == 2 else None
    if arr.ndim == 3 and colour_channels:
        rgb = arr[..., :3]
        if _is_grey(rgb):
            grey = rgb[..., 0]
        else:
            if arr.dtype == np.uint8:
                return _rgb_to_l(rgb, 255.0), 8, True
            if arr.dtype == np.uint16:
                return _rgb_to_l(rgb, 65535.0), 16, True
            if arr.dtype.kind == "f":
                return _rgb_to_l(_float_to_unit(rgb.astype(np.float32), notes), 1.0), 16, True
            if arr.dtype.kind in "iu":
                return _rgb_to_l(_int_to_unit(rgb, notes), 1.0), 16, True
            raise ValueError(f"unsupported pixel type {arr.dtype}")
    elif arr.ndim == 3:
        grey = arr[..., 0]
    if grey is None:
        raise ValueError(f"unsupported pixel layout {arr.shape}")
    if grey.dtype == np.uint8:
        return _grey_int_to_l(grey, 256), 8, False
    if grey.dtype == np.uint16:
        return _grey_int_to_l(grey, 65536), 16, False
    if grey.dtype.kind == "f":
        return _grey_float_to_l(_float_to_unit(grey.astype(np.float32, copy=False), notes)), 16, False
    if grey.dtype.kind in "iu":
        lo, hi = int(grey.min()), int(grey.max())
        if lo >= 0 and hi <= 65535:
            return _grey_int_to_l(grey.astype(np.uint16), 65536), 16, False
        return _grey_float_to_l(_int_to_unit(grey, notes)), 16, False
    raise ValueError(f"unsupported pixel type {grey.dtype}")


_ORIENT = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1, :],
    5: lambda a: a.T,
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a[::-1, ::-1].T,
    8: lambda a: np.rot90(a, 1),
}


def apply_orientation(l: np.ndarray, orientation: int | None) -> np.ndarray:
    """EXIF orientation 2..8 applied to a 2-D array (as ImageOps.exif_transpose does)."""
    op = _ORIENT.get(int(orientation or 1))
    return l if op is None else np.ascontiguousarray(op(l))


__all__ = ["apply_orientation", "array_to_l", "grey_lut"]

"""sRGB <-> CIELAB (D65, 2 degree observer) on torch tensors.

One implementation used by the engine, the training module and the evaluator. The formulas and
constants follow scikit-image's ``rgb2lab`` / ``lab2rgb`` exactly (tests check agreement to 1e-3), so
numbers are comparable with the report, which used scikit-image.

Layout: channels first, ``(..., 3, H, W)``; RGB in [0, 1]; L in [0, 100], a/b roughly in [-128, 127].
Large images are converted in row chunks (``chunk_rows``) so the temporaries stay bounded; the chunked
and unchunked results are identical because every operation is per-pixel.

Each conversion is a plain function with an ``nn.Module`` twin (``RGBToLab``, ``LabToRGB``) for use
inside models and training pipelines.
"""
from __future__ import annotations

import functools

import numpy as np
import torch
from torch import nn

# scikit-image's matrices (skimage.color.colorconv.xyz_from_rgb and its inverse).
_XYZ_FROM_RGB = (
    (0.412453, 0.357580, 0.180423),
    (0.212671, 0.715160, 0.072169),
    (0.019334, 0.119193, 0.950227),
)
_WHITE_D65 = (0.95047, 1.0, 1.08883)
#: Weights of linear R, G, B in the luminance Y (the middle row of the matrix above).
Y_FROM_LINEAR_RGB = _XYZ_FROM_RGB[1]

DEFAULT_CHUNK_ROWS = 256


@functools.lru_cache(maxsize=None)
def _matrix(dtype: torch.dtype, device: torch.device, inverse: bool = False) -> torch.Tensor:
    """The RGB -> XYZ matrix (or its inverse), built once per dtype and device (no per-call rebuild)."""
    m = torch.tensor(_XYZ_FROM_RGB, dtype=torch.float64)
    if inverse:
        m = torch.linalg.inv(m)
    return m.to(device=device, dtype=dtype)


@functools.lru_cache(maxsize=None)
def _white(dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    return torch.tensor(_WHITE_D65, dtype=dtype, device=device).view(3, 1, 1)


def _float(t: torch.Tensor) -> torch.Tensor:
    return t if t.is_floating_point() else t.float()


# -- the formulas, written once each; every one takes a torch tensor or a numpy array ---------------
def _where(cond, a, b):
    return np.where(cond, a, b) if isinstance(cond, (np.ndarray, np.generic)) else torch.where(cond, a, b)


def srgb_to_linear(x):
    """The sRGB transfer function, decoded: gamma-encoded [0, 1] -> linear light."""
    return _where(x > 0.04045, ((x + 0.055).clip(min=0) / 1.055) ** 2.4, x / 12.92)


def linear_to_srgb(lin):
    """The sRGB transfer function: linear light -> gamma-encoded (not clipped)."""
    return _where(lin > 0.0031308, 1.055 * lin.clip(min=0.0031308) ** (1.0 / 2.4) - 0.055, 12.92 * lin)


def cie_f(t):
    """CIE f(t): the cube root with its linear toe (scikit-image's constants)."""
    return _where(t > 0.008856, t.clip(min=0) ** (1.0 / 3.0), 7.787 * t + 16.0 / 116.0)


_F_KNEE = 0.2068966  # cie_f(0.008856)


def cie_f_inv(f):
    """Inverse of :func:`cie_f`."""
    return _where(f > _F_KNEE, f * f * f, (f - 16.0 / 116.0) / 7.787)


def y_to_l(y):
    """Relative luminance Y (white = 1) -> CIELAB L."""
    return 116.0 * cie_f(y) - 16.0


def l_to_y(l):
    """CIELAB L -> relative luminance Y (white = 1); the inverse of :func:`y_to_l`."""
    return cie_f_inv((l + 16.0) / 116.0)


#: Y of an sRGB grey R = G = B = 1: the Y row sums to the white point only approximately.
_GREY_Y = sum(Y_FROM_LINEAR_RGB)


def l_to_grey(l):
    """Lightness L in [0, 100] -> the sRGB-encoded grey (R = G = B, clipped to [0, 1]) of exactly that L.

    The inverse of :func:`grey_to_l`; what previews and thumbnails show for a source.
    """
    return linear_to_srgb(l_to_y(l) / _GREY_Y).clip(0.0, 1.0)


_GREY8_STEPS = 4096
_GREY8_LUT: np.ndarray | None = None


def grey8_from_l(l) -> np.ndarray:
    """(H, W) lightness (numpy) -> uint8 sRGB grey via a 4097-entry table of :func:`l_to_grey`
    (milliseconds for megapixels). Previews and thumbnails both use it, so they show the same grey."""
    global _GREY8_LUT
    if _GREY8_LUT is None:
        _GREY8_LUT = np.clip(l_to_grey(np.linspace(0.0, 100.0, _GREY8_STEPS + 1)) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    idx = np.clip(np.rint(np.asarray(l, dtype=np.float32) * (_GREY8_STEPS / 100.0)), 0, _GREY8_STEPS)
    return _GREY8_LUT[idx.astype(np.intp)]


def _apply_matrix(m: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    # x: (..., 3, H, W); out[..., i, h, w] = sum_j m[i, j] x[..., j, h, w]
    return torch.einsum("ij,...jhw->...ihw", m, x)


def _rgb_to_lab_block(rgb: torch.Tensor) -> torch.Tensor:
    rgb = _float(rgb)
    lin = srgb_to_linear(rgb)
    xyz = _apply_matrix(_matrix(rgb.dtype, rgb.device), lin) / _white(rgb.dtype, rgb.device)
    f = cie_f(xyz)
    fx, fy, fz = f.unbind(-3)
    L = 116.0 * fy - 16.0
    a = 500.0 * (fx - fy)
    b = 200.0 * (fy - fz)
    return torch.stack((L, a, b), dim=-3)


def _lab_to_rgb_block(lab: torch.Tensor) -> torch.Tensor:
    return lab_to_rgb_unclipped(lab).clamp(0.0, 1.0)


def _chunked(fn, x: torch.Tensor, chunk_rows: int | None) -> torch.Tensor:
    if x.dim() < 3 or x.shape[-3] != 3:
        raise ValueError(f"expected a tensor of shape (..., 3, H, W), got {tuple(x.shape)}")
    h = x.shape[-2]
    if not chunk_rows or h <= chunk_rows:
        return fn(x)
    dtype = x.dtype if x.is_floating_point() else torch.float32
    out = torch.empty(x.shape, dtype=dtype, device=x.device)
    for top in range(0, h, chunk_rows):
        out[..., top : top + chunk_rows, :] = fn(x[..., top : top + chunk_rows, :])
    return out


def rgb_to_lab(rgb: torch.Tensor, chunk_rows: int | None = DEFAULT_CHUNK_ROWS) -> torch.Tensor:
    """sRGB in [0, 1], shape (..., 3, H, W) -> CIELAB (L in [0, 100])."""
    return _chunked(_rgb_to_lab_block, rgb, chunk_rows)


def lab_to_rgb(lab: torch.Tensor, chunk_rows: int | None = DEFAULT_CHUNK_ROWS) -> torch.Tensor:
    """CIELAB, shape (..., 3, H, W) -> sRGB clipped to [0, 1]."""
    return _chunked(_lab_to_rgb_block, lab, chunk_rows)


def rgb_to_l(rgb: torch.Tensor, chunk_rows: int | None = DEFAULT_CHUNK_ROWS) -> torch.Tensor:
    """sRGB (..., 3, H, W) -> L (..., 1, H, W). Only the Y row of the matrix is needed."""
    def block(x: torch.Tensor) -> torch.Tensor:
        x = _float(x)
        y = torch.einsum("j,...jhw->...hw", _matrix(x.dtype, x.device)[1], srgb_to_linear(x)).unsqueeze(-3)
        return y_to_l(y)

    if rgb.dim() < 3 or rgb.shape[-3] != 3:
        raise ValueError(f"expected a tensor of shape (..., 3, H, W), got {tuple(rgb.shape)}")
    h = rgb.shape[-2]
    if not chunk_rows or h <= chunk_rows:
        return block(rgb)
    out = torch.empty((*rgb.shape[:-3], 1, *rgb.shape[-2:]), dtype=torch.float32 if not rgb.is_floating_point() else rgb.dtype, device=rgb.device)
    for top in range(0, h, chunk_rows):
        out[..., top : top + chunk_rows, :] = block(rgb[..., top : top + chunk_rows, :])
    return out


def grey_to_l(grey):
    """Greyscale sRGB values in [0, 1] (R = G = B) -> L; a torch tensor or a numpy array.

    Exact: Y is the linearised grey value times the Y-row sum (see :func:`l_to_grey`).
    """
    g = grey if isinstance(grey, np.ndarray) else _float(grey)
    return y_to_l(srgb_to_linear(g) * _GREY_Y)


class RGBToLab(nn.Module):
    """Module twin of :func:`rgb_to_lab`."""

    def __init__(self, chunk_rows: int | None = None):
        super().__init__()
        self.chunk_rows = chunk_rows

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return rgb_to_lab(rgb, self.chunk_rows)


class LabToRGB(nn.Module):
    """Module twin of :func:`lab_to_rgb`."""

    def __init__(self, chunk_rows: int | None = None):
        super().__init__()
        self.chunk_rows = chunk_rows

    def forward(self, lab: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return lab_to_rgb(lab, self.chunk_rows)


def lab_to_linear(lab: torch.Tensor) -> torch.Tensor:
    """CIELAB (..., 3, H, W) -> *linear* sRGB, unclipped (values outside [0, 1] are out of gamut).

    The result is a (..., 3, H, W) view of channels-last memory (one 3x3 matrix product per pixel),
    so ``.movedim(-3, -1)`` of it is contiguous: the layout image files use. Written for speed (the
    engine runs it on every output pixel): few passes over memory, in place where possible.
    """
    lab = _float(lab)
    L, a, b = lab.unbind(-3)
    f = torch.empty((*L.shape, 3), dtype=lab.dtype, device=lab.device)  # (fx, fy, fz), channels last
    fy = torch.add(L, 16.0, out=f[..., 1]).div_(116.0)
    torch.add(fy, a, alpha=1.0 / 500.0, out=f[..., 0])
    torch.add(fy, b, alpha=-1.0 / 200.0, out=f[..., 2]).clamp_min_(0.0)  # scikit-image clips negative z to 0
    xyz = torch.where(f > _F_KNEE, f.pow(3), f.sub(16.0 / 116.0).mul_(1.0 / 7.787)).mul_(_white(lab.dtype, lab.device).view(3))
    return torch.matmul(xyz, _matrix(lab.dtype, lab.device, inverse=True).T).movedim(-1, -3)


def lab_to_rgb_unclipped(lab: torch.Tensor) -> torch.Tensor:
    """CIELAB -> gamma-encoded sRGB *without* the final clip (values outside [0, 1] are out of gamut)."""
    return linear_to_srgb(lab_to_linear(lab))


def linear_gamut_bounds(tol: float = 1e-4) -> tuple[float, float]:
    """Linear-light values whose sRGB encoding is exactly -tol and 1 + tol: the gamut test
    ``-tol <= srgb <= 1 + tol`` done on linear values (the transfer function is monotonic)."""
    return -tol / 12.92, float(srgb_to_linear(np.float64(1.0 + tol)))


def out_of_gamut(lin: torch.Tensor, tol: float = 1e-4) -> torch.Tensor:
    """(..., 3, H, W) linear RGB -> (..., H, W) bool: the pixels outside the sRGB gamut (beyond ``tol``)."""
    lo, hi = linear_gamut_bounds(tol)
    return (lin - (lo + hi) / 2).abs_().gt_((hi - lo) / 2).any(dim=-3)  # one pass fewer than lo/hi tests


def gamut_map_ab(l: torch.Tensor, ab: torch.Tensor, iterations: int = 8, tol: float = 1e-4) -> torch.Tensor:
    """Shrink ab toward grey, per pixel, until (L, ab) lies inside the sRGB gamut.

    Keeps L and the hue; only the chroma of out-of-gamut pixels is reduced (binary search on the
    chroma scale). This is what lets the engine guarantee that the output's lightness is the input's:
    clipping RGB instead would change L. Shapes: l (..., 1, H, W), ab (..., 2, H, W).
    """
    bad = out_of_gamut(lab_to_linear(torch.cat((l, ab), dim=-3)), tol)  # (..., H, W)
    if not bool(bad.any()):
        return ab
    ab = ab.clone()
    # Work on the out-of-gamut pixels only, as a flat list of (L, a, b).
    ab_t = ab.movedim(-3, -1)  # view (..., H, W, 2)
    l_t = l.movedim(-3, -1)
    lb = l_t[bad]  # (P, 1)
    abb = ab_t[bad]  # (P, 2)
    lo = torch.zeros(lb.shape[0], 1, dtype=ab.dtype, device=ab.device)
    hi = torch.ones_like(lo)
    for _ in range(iterations):
        mid = (lo + hi) / 2
        cand = torch.cat((lb, abb * mid), dim=-1).T.reshape(3, -1, 1)
        ok = ~out_of_gamut(lab_to_linear(cand), tol).reshape(-1, 1)
        lo = torch.where(ok, mid, lo)
        hi = torch.where(ok, hi, mid)
    ab_t[bad] = abb * lo
    return ab


#: Steps of the linear-light axis in the tables of :func:`encode_linear` (2^20: the table's rounding
#: moves a 16-bit code by at most one level, an 8-bit code by one level for about 1 value in 10^4).
ENCODE_STEPS = 1 << 20


@functools.lru_cache(maxsize=None)
def _encode_table(dtype: str) -> np.ndarray:
    scale = float(np.iinfo(dtype).max)
    lin = np.linspace(0.0, 1.0, ENCODE_STEPS + 1)
    return np.clip(np.rint(linear_to_srgb(lin) * scale), 0, scale).astype(dtype)


def encode_linear(lin: torch.Tensor, out: np.ndarray) -> np.ndarray:
    """Linear RGB (3, h, W) -> gamma-encoded sRGB integers in ``out`` (h, W, 3), uint8 or uint16.

    The sRGB transfer function and the rounding are one table lookup per value (a table of
    :data:`ENCODE_STEPS` + 1 entries per output type, built once): the same codes as
    ``round(linear_to_srgb(clip(lin, 0, 1)) * max)`` to within the table's step, and far cheaper than
    the power function. ``lin`` is clobbered; its values must be finite and below 2000.
    """
    table = _encode_table(out.dtype.name)
    # truncation toward zero of x + 0.5 rounds x >= 0; take(mode="clip") is the clip to [0, 1]
    idx = lin.mul_(ENCODE_STEPS).add_(0.5).to(torch.int32)  # keeps lin's memory layout
    np.take(table, idx.permute(1, 2, 0).numpy(), out=out, mode="clip")
    return out

"""Batch augmentation on the training device (CPU, CUDA or MPS), as the report describes it.

One affine warp per image does all three of the report's augmentations at once: a small random
rotation, a random resized crop (zoom into a random part of the picture) and a random horizontal
flip. The result is converted to Lab with :mod:`archcolour.colour`, the same code the engine uses.
All randomness comes from an explicit ``torch.Generator`` so a resumed run draws the same numbers.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from archcolour.colour import rgb_to_lab


def random_affine(n: int, gen: torch.Generator, max_rotation_deg: float = 10.0,
                  area: tuple[float, float] = (0.5, 1.0), flip: bool = True) -> torch.Tensor:
    """(n, 2, 3) affine matrices in normalised coordinates (output -> input sampling)."""
    u = torch.rand(n, 5, generator=gen)
    theta = (u[:, 0] * 2 - 1) * math.radians(max_rotation_deg)
    scale = torch.sqrt(area[0] + (area[1] - area[0]) * u[:, 1])  # side fraction of the crop
    # keep the rotated crop inside the picture as far as possible
    room = (1 - scale).clamp_min(0)
    tx = (u[:, 2] * 2 - 1) * room
    ty = (u[:, 3] * 2 - 1) * room
    sign = torch.where((u[:, 4] < 0.5) & flip, -1.0, 1.0)
    cos, sin = torch.cos(theta) * scale, torch.sin(theta) * scale
    mat = torch.stack([
        torch.stack([cos * sign, -sin, tx], dim=1),
        torch.stack([sin * sign, cos, ty], dim=1),
    ], dim=1)
    return mat


def augment_rgb(rgb_u8: torch.Tensor, out_size: int, gen: torch.Generator, **kwargs) -> torch.Tensor:
    """uint8 (N, S, S, 3) -> randomly warped sRGB (N, 3, out, out) float32 in [0, 1] (training)."""
    x = rgb_u8.permute(0, 3, 1, 2).float().div_(255.0)
    n = x.shape[0]
    mat = random_affine(n, gen, **kwargs).to(x.device, non_blocking=True)
    grid = F.affine_grid(mat, [n, 3, out_size, out_size], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False).clamp_(0, 1)


def augment_to_lab(rgb_u8: torch.Tensor, out_size: int, gen: torch.Generator, train: bool = True,
                   **kwargs) -> torch.Tensor:
    """uint8 (N, S, S, 3) on any device -> augmented Lab (N, 3, out, out) float32 on that device."""
    x = rgb_u8.permute(0, 3, 1, 2).float().div_(255.0)
    n = x.shape[0]
    if train:
        mat = random_affine(n, gen, **kwargs).to(x.device)
        grid = F.affine_grid(mat, [n, 3, out_size, out_size], align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    elif x.shape[-1] != out_size:
        x = F.interpolate(x, size=(out_size, out_size), mode="bilinear", antialias=True, align_corners=False)
    return rgb_to_lab(x.clamp_(0, 1), chunk_rows=None)

import warnings

import numpy as np
import pytest
import torch
from skimage import color as skcolor

from archcolour import colour


def _chw(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1)


def _hwc(t: torch.Tensor) -> np.ndarray:
    return t.permute(1, 2, 0).numpy()


@pytest.mark.parametrize("chunk", [None, 7, 64])
def test_rgb_to_lab_matches_skimage(rng, chunk):
    rgb = rng.random((130, 70, 3))
    ours = _hwc(colour.rgb_to_lab(_chw(rgb).float(), chunk_rows=chunk))
    assert np.abs(ours - skcolor.rgb2lab(rgb)).max() < 1e-3


def test_lab_to_rgb_matches_skimage_including_out_of_gamut(rng):
    lab = np.stack([rng.random((60, 40)) * 100, rng.random((60, 40)) * 256 - 128, rng.random((60, 40)) * 256 - 128], -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = skcolor.lab2rgb(lab)
    ours = _hwc(colour.lab_to_rgb(_chw(lab).float(), chunk_rows=16))
    assert np.abs(ours - ref).max() < 1e-3


def test_round_trip_rgb_lab_rgb(rng):
    rgb = torch.rand(2, 3, 33, 47)
    back = colour.lab_to_rgb(colour.rgb_to_lab(rgb))
    assert back.shape == rgb.shape
    assert (back - rgb).abs().max() < 1e-4


def test_module_twins_and_batch_shapes():
    rgb = torch.rand(4, 3, 16, 16)
    lab = colour.RGBToLab()(rgb)
    assert lab.shape == (4, 3, 16, 16) and lab.dtype == torch.float32
    assert torch.allclose(colour.LabToRGB()(lab), rgb, atol=1e-4)


def test_uint8_input_is_rejected_by_shape_not_silently_misread():
    with pytest.raises(ValueError):
        colour.rgb_to_lab(torch.rand(16, 16))


def test_l_only_and_grey_paths_agree_with_full_conversion(rng):
    rgb = torch.rand(3, 20, 30)
    assert torch.allclose(colour.rgb_to_l(rgb, chunk_rows=5)[0], colour.rgb_to_lab(rgb)[0], atol=1e-4)
    grey = torch.rand(20, 30, dtype=torch.float64)
    ref = skcolor.rgb2lab(np.stack([grey.numpy()] * 3, -1))[..., 0]
    assert np.abs(colour.grey_to_l(grey).numpy() - ref).max() < 1e-6


def test_gamut_mapping_keeps_l_and_hue_and_lands_in_gamut():
    l = torch.full((1, 4, 4), 50.0)
    ab = torch.zeros(2, 4, 4)
    ab[0] = 120.0  # far outside sRGB at L = 50
    ab[1] = -90.0
    mapped = colour.gamut_map_ab(l, ab)
    rgb = colour.lab_to_rgb_unclipped(torch.cat((l, mapped)))
    assert rgb.min() >= -1e-3 and rgb.max() <= 1 + 1e-3
    # hue kept: a/b ratio unchanged; chroma reduced
    assert torch.allclose(mapped[0] / mapped[1], ab[0] / ab[1])
    assert (mapped.abs() < ab.abs()).all()
    # lightness of the clipped result equals the requested L
    assert (colour.rgb_to_lab(rgb.clamp(0, 1))[0] - 50.0).abs().max() < 0.05


def test_in_gamut_colours_are_untouched():
    l = torch.full((1, 2, 2), 60.0)
    ab = torch.full((2, 2, 2), 5.0)
    assert torch.equal(colour.gamut_map_ab(l, ab), ab)


@pytest.mark.parametrize("fn", [colour.srgb_to_linear, colour.linear_to_srgb, colour.cie_f, colour.cie_f_inv,
                                colour.y_to_l, colour.l_to_y, colour.grey_to_l])
def test_each_formula_gives_the_same_numbers_on_numpy_and_torch(fn):
    x = np.linspace(-0.1, 1.2, 2001)
    assert np.allclose(fn(x), fn(torch.from_numpy(x)).numpy(), rtol=0, atol=1e-12)


def test_l_to_grey_inverts_grey_to_l_and_agrees_with_lab_to_rgb():
    g = np.linspace(0.0, 1.0, 4001)
    assert np.abs(colour.l_to_grey(colour.grey_to_l(g)) - g).max() < 1e-12
    lab = torch.zeros(3, 1, 101, dtype=torch.float64)
    lab[0, 0] = torch.linspace(0, 100, 101, dtype=torch.float64)
    full = colour.lab_to_rgb(lab)[:, 0].numpy()  # (3, 101): R, G and B of a = b = 0
    assert np.abs(full - colour.l_to_grey(np.linspace(0, 100, 101))).max() < 2e-4


def test_grey8_from_l_round_trips_every_8_bit_grey():
    levels = np.arange(256)
    assert np.array_equal(colour.grey8_from_l(colour.grey_to_l(levels / 255.0).reshape(16, 16)),
                          levels.reshape(16, 16).astype(np.uint8))
    assert colour.grey8_from_l(np.array([[-5.0, 130.0]])).tolist() == [[0, 255]]

"""The report's networks (parameter counts, layer structure) and our own, through the one interface."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from archcolour import nets


@pytest.mark.parametrize("name,expected", [("seed_generator", 11_000_000), ("seed_discriminator", 7_000_000),
                                           ("seed_baseline", 210_000)])
def test_parameter_counts_match_the_report_within_10_percent(name, expected):
    n = nets.count_parameters(nets.build(name))
    assert abs(n - expected) / expected <= 0.10, f"{name}: {n:,} parameters, report says ~{expected:,}"


def _layers(model: nn.Module, kind) -> list:
    return [m for m in model.modules() if isinstance(m, kind)]


def test_generator_structure_as_the_report_describes():
    g = nets.build("seed_generator")
    convs = [m for m in g.modules() if type(m) is nn.Conv2d]
    deconvs = _layers(g, nn.ConvTranspose2d)
    assert [(c.kernel_size, c.stride, c.padding) for c in convs] == [((3, 3), (1, 1), (1, 1))] + [((3, 3), (2, 2), (1, 1))] * 4
    assert [(d.kernel_size, d.stride, d.padding) for d in deconvs] == [((4, 4), (2, 2), (1, 1))] * 4 + [((3, 3), (1, 1), (1, 1))]
    assert convs[0].in_channels == 2  # L and the noise plane (the report's "duplicated L channel" slot)
    assert deconvs[-1].out_channels == 2
    assert len(_layers(g, nn.BatchNorm2d)) == 9  # after every layer but the last


def test_discriminator_structure():
    d = nets.build("seed_discriminator")
    convs = _layers(d, nn.Conv2d)
    assert [(c.kernel_size, c.stride) for c in convs] == [((3, 3), (3, 3))] * 3
    assert len(_layers(d, nn.Linear)) == 2
    out = d(torch.randn(2, 2, 128, 128) * 20)
    assert out.shape == (2, 1)


@pytest.mark.parametrize("name,kw", [("seed_generator", {"widths": (8, 8, 8, 8, 8)}), ("seed_baseline", {}),
                                     ("archunet", {"widths": (8, 8, 16, 16, 16)})])
def test_colourisers_map_l_to_ab(name, kw):
    assert name in nets.COLOURISERS
    m = nets.build(name, **kw).eval()
    l = torch.rand(2, 1, 64, 48) * 100
    noise = torch.randn_like(l) if m.needs_noise else None
    with torch.no_grad():
        ab = m(l, noise)
    assert ab.shape == (2, 2, 64, 48) and torch.isfinite(ab).all()
    assert isinstance(m.size_multiple, int) and m.size_multiple >= 1


def test_unknown_architecture_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown architecture 'nope'"):
        nets.build("nope")


def test_archunet_guidance_inputs_absent_equal_zero_encoding():
    """No hints / no reference must give what training saw for 'none' (zero planes, zero histogram):
    the reference branch has biases, so skipping it would shift every colour."""
    import torch

    from archcolour import nets

    torch.manual_seed(0)
    m = nets.build("archunet", widths=(8, 8, 16, 16, 16), hints=True, ref_bins=4).eval()
    for p in m.parameters():  # as after training: nothing zero
        torch.nn.init.normal_(p, std=0.1)
    l = torch.rand(2, 1, 32, 32) * 100
    with torch.no_grad():
        plain = m(l)
        zeros = m(l, None, hints=torch.zeros(2, 3, 32, 32), ref=torch.zeros(2, 17))
        offset = m.context.ref(torch.zeros(1, 17))
    assert torch.allclose(plain, zeros, atol=1e-5)
    assert offset.abs().sum() > 0  # the zero encoding is not "no effect": it must not be skipped

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


def _randomised(m: nn.Module, seed: int = 0) -> nn.Module:
    """As after training: no zero or identity layers (batch-norm statistics included)."""
    g = torch.Generator().manual_seed(seed)
    for t in list(m.parameters()) + [b for b in m.buffers() if b.is_floating_point() and b.dim() == 1 and b.numel() > 2]:
        with torch.no_grad():
            t.copy_(torch.randn(t.shape, generator=g) * 0.1 + (1.0 if t.dim() == 1 and t.min() > 0.5 else 0.0))
    return m


def test_archunet_classification_head_outputs_ab_from_bin_logits():
    from archcolour.nets.abbins import annealed_mean, gamut_centres

    m = _randomised(nets.build("archunet", widths=(8, 8, 16, 16, 16), ab_bins=True)).eval()
    q = gamut_centres().shape[0]
    assert m.head.out_channels == q and torch.equal(m.centres, gamut_centres()) and m.temperature == 0.38
    l = torch.rand(2, 1, 32, 48) * 100
    with torch.no_grad():
        ab = m(l)
        z = m(l, None, logits=True)
    assert ab.shape == (2, 2, 32, 48) and torch.isfinite(ab).all() and ab.abs().max() <= 110
    assert z.shape == (2, q, 32, 48)
    assert torch.allclose(ab, annealed_mean(z, m.centres, 0.38), atol=1e-5)
    assert ab.std() > 1.0  # not a constant: the logits vary with the input
    m.temperature = 1.0
    with torch.no_grad():
        assert not torch.allclose(m(l), ab, atol=0.1)  # the temperature is the one the network decodes with


def test_classification_head_adds_no_persistent_state_and_regression_is_unchanged():
    reg = nets.build("archunet", widths=(8, 8, 16, 16, 16))
    cls = nets.build("archunet", widths=(8, 8, 16, 16, 16), ab_bins=True)
    assert list(reg.state_dict()) == list(cls.state_dict())  # the same names: files need no centres
    assert "centres" not in cls.state_dict() and "centres" in dict(cls.named_buffers())
    assert not hasattr(reg, "centres") and reg.ab_bins is False and reg.head.out_channels == 2
    with pytest.raises(ValueError, match="ab_bins"):
        reg.eval()(torch.rand(1, 1, 32, 32) * 100, logits=True)


def test_classification_network_round_trips_through_a_weights_file(tmp_path):
    from archcolour import weights

    hp = {"widths": [8, 8, 16, 16, 16], "ab_bins": True}
    m = _randomised(nets.build("archunet", widths=(8, 8, 16, 16, 16), ab_bins=True), seed=4).eval()
    weights.save_model(m, tmp_path / "cls.safetensors", name="cls", architecture="archunet", hparams=hp, working_size=64)
    back, info = weights.load_model(tmp_path / "cls.safetensors")
    assert info.hparams == hp and back.ab_bins and back.head.out_channels == m.head.out_channels
    l = torch.rand(2, 1, 32, 32) * 100
    with torch.no_grad():
        assert torch.equal(back(l), m(l))

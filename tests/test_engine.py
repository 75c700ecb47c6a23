"""The engine: exact size and lightness, determinism, device choice, out-of-memory fallback."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from archcolour import colour, engine, looks, nets, weights
from archcolour.choices import ENSEMBLES, MIN_WORKING_SIZE, Ensemble
from archcolour.engine import Colouriser, network_size


def _l_image(h: int, w: int, seed: int = 0) -> np.ndarray:
    r = np.random.default_rng(seed)
    y = np.linspace(0, 1, h)[:, None]
    x = np.linspace(0, 1, w)[None, :]
    base = 25 + 50 * y + 15 * np.sin(6 * x) + 8 * r.standard_normal((h, w))
    return np.clip(base, 0, 100).astype(np.float32)


def _l_of(rgb: np.ndarray) -> np.ndarray:
    scale = 255.0 if rgb.dtype == np.uint8 else 65535.0
    t = torch.from_numpy(rgb.astype(np.float64) / scale).permute(2, 0, 1)
    return colour.rgb_to_l(t, chunk_rows=None)[0].numpy()


@pytest.fixture(scope="module")
def colouriser(tiny_models_dir) -> Colouriser:
    return Colouriser(tiny_models_dir / "tiny.safetensors", device="cpu")


@pytest.mark.parametrize("shape", [(48, 64), (37, 53), (5, 300), (300, 7), (1, 1), (129, 64)])
def test_output_has_exact_size_and_lightness_8bit(colouriser, shape):
    l = _l_image(*shape)
    out = colouriser.colourise(l, out_dtype=np.uint8)
    assert out.rgb.shape == (*shape, 3) and out.rgb.dtype == np.uint8
    # 8-bit quantisation of RGB moves L by at most about half a unit
    assert np.abs(_l_of(out.rgb) - l).max() <= 0.5


def test_output_lightness_16bit_is_near_exact(colouriser):
    l = _l_image(40, 70, seed=3)
    out = colouriser.colourise(l, out_dtype=np.uint16)
    assert out.rgb.dtype == np.uint16
    assert np.abs(_l_of(out.rgb) - l).max() <= 0.01


def test_output_is_coloured_not_grey(colouriser):
    # the tiny model learnt blue skies over green/brown ground: its output must carry chroma
    l = _l_image(64, 64)
    rgb = colouriser.colourise(l, out_dtype=np.float32).rgb
    assert rgb.dtype == np.float32 and 0 <= rgb.min() and rgb.max() <= 1
    lab = colour.rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1))
    assert lab[1:].norm(dim=0).mean() > 1.0


def test_extreme_lightness_stays_in_gamut(colouriser):
    l = np.zeros((32, 32), np.float32)
    l[:, 16:] = 100.0
    rgb = colouriser.colourise(l, out_dtype=np.uint16).rgb
    assert np.abs(_l_of(rgb) - l).max() <= 0.01


def test_strip_size_does_not_change_the_result(colouriser):
    l = _l_image(70, 50)
    a = colouriser.colourise(l, strip_rows=7).rgb
    b = colouriser.colourise(l, strip_rows=4096).rgb
    assert np.array_equal(a, b)


def test_row_upsampling_equals_bilinear_interpolate():
    ab = torch.randn(1, 2, 9, 13)
    full = F.interpolate(ab, size=(40, 57), mode="bilinear", align_corners=False)[0]
    rows = Colouriser.upsample_ab_rows(ab, 40, 57, 11, 29)
    assert torch.allclose(rows, full[:, 11:29], atol=1e-5)


def test_same_inputs_give_identical_bytes(tiny_models_dir):
    l = _l_image(50, 80)
    a = Colouriser(tiny_models_dir / "tiny.safetensors", device="cpu").colourise(l).rgb
    b = Colouriser(device="cpu").colourise(l).rgb  # the bundled default is the same file
    assert a.tobytes() == b.tobytes()


def test_noise_models_are_seeded(tmp_path):
    torch.manual_seed(0)
    hp = {"widths": [8, 8, 8, 8, 8]}
    model = nets.build("seed_generator", widths=(8, 8, 8, 8, 8)).eval()
    assert model.needs_noise
    p = tmp_path / "gen.safetensors"
    weights.save_model(model, p, name="gen", architecture="seed_generator", hparams=hp, working_size=64)
    l = _l_image(40, 60)
    # one look: averaging six views (and the ensemble's gain pushing this random network's colour to the
    # gamut's edge) can wash out what the seed changes; reproducibility is what this test is about
    r1 = Colouriser(p, device="cpu", seed=1, ensemble="none").colourise(l).rgb
    r1b = Colouriser(p, device="cpu", seed=1, ensemble="none").colourise(l).rgb
    r2 = Colouriser(p, device="cpu", seed=2, ensemble="none").colourise(l).rgb
    assert np.array_equal(Colouriser(p, device="cpu", seed=1).colourise(l).rgb,
                          Colouriser(p, device="cpu", seed=1).colourise(l).rgb)
    assert np.array_equal(r1, r1b)
    assert not np.array_equal(r1, r2)


def test_working_size_override_and_default(tiny_models_dir):
    c = Colouriser(device="cpu")
    assert c.working_size == c.info.working_size == 64
    c2 = Colouriser(device="cpu", working_size=96)
    assert c2.colourise(_l_image(50, 100)).working_size == 96
    with pytest.raises(ValueError):
        Colouriser(device="cpu", working_size=8)


def test_network_sees_the_working_size(colouriser, monkeypatch):
    seen = []
    real = colouriser.net.forward

    def spy(l, noise=None):
        seen.append(tuple(l.shape[-2:]))
        return real(l, noise)

    monkeypatch.setattr(colouriser.net, "forward", spy)
    monkeypatch.setattr(colouriser, "ensemble", "none")
    colouriser.colourise(_l_image(300, 450))
    assert seen == [(64, 96)]  # short side 300 -> 64, long side 450 -> 96 (a multiple of 16)


def test_full_ensemble_runs_the_mirror_image_at_three_sizes(colouriser, monkeypatch):
    assert colouriser.ensemble == "full"
    seen = []
    real = colouriser.net.forward

    def spy(l, noise=None):
        seen.append(tuple(l.shape))
        return real(l, noise)

    monkeypatch.setattr(colouriser.net, "forward", spy)
    out = colouriser.colourise(_l_image(300, 450))
    assert out.rgb.shape == (300, 450, 3)
    sizes = [64] + [max(MIN_WORKING_SIZE, round(64 * s)) for s in ENSEMBLES["full"].scales]
    want = []
    for ws in sizes:
        nh, nw = network_size(300, 450, ws)
        want.append((2, 1, nh + (-nh) % 16, nw + (-nw) % 16))  # the photograph and its mirror image, one batch
    assert seen == want


@pytest.mark.parametrize("views", [Ensemble(False, (), 1.0, 0.0), Ensemble(True, (), 1.0, 0.0),
                                   Ensemble(False, (0.75, 1.5), 1.0, 0.0), Ensemble(True, (0.75, 1.5), 1.0, 0.0),
                                   Ensemble(True, (0.75, 1.5), 1.05, 0.0), Ensemble(True, (0.75, 1.5), 1.2, 8.0)])
def test_ensemble_combines_the_views_colour(colouriser, monkeypatch, views):
    """A stand-in network that is not mirror-symmetric (its colour grows from left to right): the
    engine's colour combines its colour for each view, each brought back onto the working grid
    (``looks.combine``: the mean, less where the views disagree, times the ensemble's gain).
    (Sizes chosen so that no view needs padding to a multiple of 32.)"""
    monkeypatch.setitem(engine.ENSEMBLES, "test", views)
    ensemble = "test"

    def fake(l, noise=None):
        ramp = torch.linspace(0, 1, l.shape[-1]).expand_as(l)
        return torch.cat((l * ramp, 100 - l), dim=1)

    monkeypatch.setattr(colouriser.net, "forward", fake)
    monkeypatch.setattr(colouriser, "ensemble", ensemble)
    l_full = torch.from_numpy(_l_image(256, 256))
    ab = colouriser.predict(l_full, 128).ab

    def view(ws: int, mirror: bool) -> torch.Tensor:
        nh, nw = ws, ws
        l = F.interpolate(l_full[None, None], size=(nh, nw), mode="bilinear", align_corners=False, antialias=True)
        a = fake(l)
        if mirror:
            a = torch.cat((a, fake(l.flip(-1)).flip(-1)))
        return F.interpolate(a, size=(128, 128), mode="bilinear", align_corners=False, antialias=nh > 128)

    every = torch.cat([view(ws, views.mirror) for ws in [128] + [round(128 * s) for s in views.scales]])
    assert every.shape[0] == (1 + len(views.scales)) * (2 if views.mirror else 1)
    want = looks.combine(every, views.gain, views.agreement)
    assert ab.shape == (1, 2, 128, 128)
    assert torch.allclose(ab, want, atol=1e-4)
    if views.agreement == 0:
        assert torch.allclose(ab, views.gain * every.mean(0, keepdim=True), atol=1e-4)
    if views != Ensemble(False, (), 1.0, 0.0):  # the other views matter for this network
        assert not torch.allclose(ab, view(128, False), atol=1e-2)


@pytest.mark.parametrize("ensemble", list(ENSEMBLES))
def test_predict_says_where_the_colour_is_uncertain_when_its_ensemble_tones_colour_down(colouriser, monkeypatch,
                                                                                     ensemble):
    """"full" (several looks, agreement 8): the prediction carries the looks' uncertainty on the working
    grid, at the ensemble's own agreement, and its colour is exactly the mean less that share (times the
    gain). One look ("none") or the plain mean ("mirror"): no map."""
    monkeypatch.setattr(colouriser, "ensemble", ensemble)
    ens = ENSEMBLES[ensemble]
    l_full = torch.from_numpy(_l_image(90, 130))
    pred = colouriser.predict(l_full, 64)
    assert (pred.uncertainty is not None) == ens.shows_uncertainty == (ensemble == "full")
    if pred.uncertainty is None:
        return
    views, l_small = colouriser.take_looks(l_full, 64)
    assert views.shape[0] == ens.n_looks == 6
    u = pred.uncertainty
    assert u.shape == (1, 1) + tuple(pred.ab.shape[-2:]) == (1, 1) + tuple(l_small.shape[-2:])  # small: not upsampled
    assert torch.equal(u, looks.uncertainty(views, ens.agreement))
    assert float(u.min()) >= 0 and float(u.max()) < 1 and float(u.max()) > 0
    assert torch.allclose(pred.ab, ens.gain * views.mean(0, keepdim=True) * (1 - u), atol=1e-5)
    # the user's vividness scales the colour, not the uncertainty
    vivid = colouriser.predict(l_full, 64, engine.Guidance(vividness=0.5))
    assert torch.equal(vivid.uncertainty, u) and torch.allclose(vivid.ab, 0.5 * pred.ab)


def test_ensemble_says_how_many_looks_and_whether_it_shows_uncertainty():
    assert [(e.n_looks, e.shows_uncertainty) for e in ENSEMBLES.values()] == [(6, True), (2, False), (1, False)]
    assert Ensemble(False, (0.5,), 1.0, 2.0).shows_uncertainty and not Ensemble(False, (), 1.0, 2.0).shows_uncertainty


def test_out_of_memory_retries_smaller(colouriser, monkeypatch):
    real = colouriser.predict
    calls = []

    def flaky(l_full, working_size=None, guide=engine.NO_GUIDANCE):
        calls.append(working_size)
        if working_size and working_size > 80:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(l_full, working_size, guide)

    monkeypatch.setattr(colouriser, "predict", flaky)
    monkeypatch.setattr(colouriser, "working_size", 128)
    out = colouriser.colourise(_l_image(60, 90))
    assert out.working_size < 128 and out.working_size <= 80
    assert out.warnings and "retried" in out.warnings[0]
    assert calls[0] == 128


def test_other_errors_are_not_retried(colouriser, monkeypatch):
    def broken(l_full, working_size=None, guide=engine.NO_GUIDANCE):
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(colouriser, "predict", broken)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        colouriser.colourise(_l_image(20, 20))


def test_bad_inputs_rejected(colouriser):
    with pytest.raises(ValueError):
        colouriser.colourise(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError):
        colouriser.colourise(np.zeros((4, 4), np.float32), out_dtype=np.int32)


def test_device_choice():
    assert engine.choose_device("cpu").type == "cpu"
    assert engine.choose_device("auto").type in ("cpu", "cuda", "mps")
    assert engine.device_description(torch.device("cpu")) == "CPU"
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            engine.choose_device("cuda")


def test_model_description(colouriser):
    assert colouriser.model_info.name == "tiny"
    assert colouriser.device_name == "CPU"
    assert len(colouriser.info.short_hash) == 12

"""The GUI's worker threads: grey rendering, preview shrinking, working-size views, the preview's passes
(one prediction, the first at the view's size, the refined one the batch's output) and the preview gate."""
from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from archcolour import colour
from archcolour.gui import workers


def test_grey_from_l_matches_the_core_conversion():
    l = np.random.default_rng(0).random((37, 53), dtype=np.float32) * 100
    lab = torch.zeros(3, 37, 53)
    lab[0] = torch.from_numpy(l)
    ref = np.clip(colour.lab_to_rgb(lab)[0].numpy() * 255 + 0.5, 0, 255)
    grey = workers.grey_from_l(l)
    assert grey.dtype == np.uint8 and grey.shape == (37, 53)
    assert np.abs(grey.astype(int) - ref.astype(int)).max() <= 1


def test_shrink_l_keeps_small_images_and_reduces_big_ones():
    small = np.full((40, 30), 50, np.float32)
    assert workers.shrink_l(small, 64) is small
    big = np.linspace(0, 100, 3000 * 2000, dtype=np.float32).reshape(2000, 3000)
    out = workers.shrink_l(big, 1280)
    assert out.shape == (853, 1280) and out.dtype == np.float32
    assert abs(float(out.mean()) - float(big.mean())) < 0.1


def test_with_working_size_shares_the_network(tiny_weights):
    from archcolour.engine import Colouriser

    c = Colouriser(tiny_weights, device="cpu")
    assert workers.with_working_size(c, None) is c
    v = workers.with_working_size(c, 128)
    assert v.working_size == 128 and c.working_size == 64 and v.net is c.net


# -- previews: one prediction, the first pass at the view's size, the refined pass is the batch's output ----
def _qimage_rgb(img) -> np.ndarray:
    """A QImage as (H, W, 3) uint8 RGB (via RGB888, whatever its format)."""
    from PySide6.QtGui import QImage

    img = img.convertToFormat(QImage.Format_RGB888)
    a = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    return a[:, : img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def _grey_scan(path, w=900, h=600, seed=3):
    from PIL import Image

    rng = np.random.default_rng(seed)
    base = np.linspace(40, 220, w)[None, :] + np.linspace(-30, 30, h)[:, None]
    Image.fromarray(np.clip(base + rng.normal(0, 12, (h, w)), 0, 255).astype(np.uint8), "L").save(path)
    return path


def _run_preview(req):
    """Compute one preview on this thread; the results emitted (grey first, then each colour pass)."""
    w = workers.PreviewWorker()
    got = {"grey": [], "colour": []}
    w.greyReady.connect(got["grey"].append)
    w.previewReady.connect(got["colour"].append)
    w.request(req)  # makes it the newest (not stale); run() is not started, so nothing else computes it
    w._compute(req)
    return got


@pytest.mark.parametrize("ensemble", ["none", "full"])
def test_preview_predicts_once_per_look_and_its_refined_pass_is_what_the_batch_writes(tiny_weights, tmp_path,
                                                                                      monkeypatch, ensemble):
    """One look (no ensemble): the network once, for both passes. With the test-time ensemble the first
    pass shows one look's colour (fast) and the refined pass the ensemble's, which the batch writes."""
    from archcolour import imageio
    from archcolour.engine import Colouriser

    path = _grey_scan(tmp_path / "scan.png")
    c = Colouriser(tiny_weights, device="cpu", ensemble=ensemble)
    calls = []
    real = Colouriser.predict
    monkeypatch.setattr(Colouriser, "predict", lambda self, *a, **k: calls.append((self.ensemble, tuple(a[0].shape)))
                        or real(self, *a, **k))
    got = _run_preview(workers.PreviewRequest(1, path, c, view_size=(300, 200)))
    # the network on the refined pass's lightness: once, or one look and then the ensemble
    assert calls == ([("none", (600, 900))] if ensemble == "none" else [("none", (600, 900)), ("full", (600, 900))])
    fast, refined = got["colour"]
    assert not fast.final and refined.final
    # each pass says which colour quality made its colour: one look first, then the ensemble chosen
    assert (fast.ensemble, refined.ensemble) == ("none", ensemble)
    assert fast.preview_size == (300, 200)  # the first pass at the size the view shows it (fitted)
    assert refined.preview_size == (900, 600)
    batch = c.colourise(imageio.load_image(path).l, out_dtype=np.uint8).rgb  # what batch.item does
    assert np.array_equal(_qimage_rgb(refined.colour), batch)


def _alpha(img) -> np.ndarray:
    """An Alpha8 QImage as (H, W) uint8."""
    a = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    return a[:, : img.width()].copy()


def test_uncertainty_mask_ramps_from_agreement_to_disagreement_at_the_colour_s_size():
    """Below UNCERTAIN_FROM nothing, above UNCERTAIN_FULL the whole pattern, linear in between; brought to
    the size asked for as the colour is (bilinear), an Alpha8 image of its own."""
    from PySide6.QtGui import QImage

    lo, hi = workers.UNCERTAIN_FROM, workers.UNCERTAIN_FULL
    assert 0 < lo < hi < 1
    u = torch.tensor([0.0, lo - 0.01, lo, lo + 0.6 * (hi - lo), hi, 0.99, 0.3, 0.3])[None, None, None].expand(1, 1, 4, 8)
    img, share = workers.uncertainty_mask(u, 8, 4)
    assert img.format() == QImage.Format_Alpha8 and (img.width(), img.height()) == (8, 4)
    assert _alpha(img)[0].tolist() == [0, 0, 0, 153, 255, 255, 0, 0]
    assert share == pytest.approx(3 / 8)  # at least half marked: 60 % and the two at or above the full
    big, _ = workers.uncertainty_mask(u.contiguous(), 32, 12)
    want = torch.nn.functional.interpolate(u.contiguous(), size=(12, 32), mode="bilinear", align_corners=False)
    want = ((want[0, 0] - lo) / (hi - lo)).clamp(0, 1) * 255
    assert np.abs(_alpha(big).astype(int) - want.round().numpy().astype(int)).max() <= 1


@pytest.mark.parametrize("ensemble", ["none", "mirror", "full"])
def test_the_preview_worker_provides_the_uncertainty_of_the_colour_it_shows(tiny_weights, tmp_path, ensemble):
    """Best ("full"): the refined pass (the ensemble's colour) comes with its uncertainty mask, at that
    pass's size, from the engine's own map; the first pass (one look) has none. Fast and Mirror: none."""
    from archcolour.engine import Colouriser

    path = _grey_scan(tmp_path / "scan.png", 600, 400)
    c = Colouriser(tiny_weights, device="cpu", ensemble=ensemble)
    fast, refined = _run_preview(workers.PreviewRequest(1, path, c, view_size=(300, 200)))["colour"]
    assert fast.doubt is None
    if ensemble != "full":
        assert refined.doubt is None
        return
    assert refined.doubt is not None and (refined.doubt.width(), refined.doubt.height()) == refined.preview_size
    from archcolour import imageio

    pred = c.predict(torch.from_numpy(imageio.load_image(path).l))
    want, share = workers.uncertainty_mask(pred.uncertainty, 600, 400)
    assert np.array_equal(_alpha(refined.doubt), _alpha(want)) and refined.doubt_share == share


def test_preview_of_a_grey_scan_shows_the_scan_as_its_lightness(tiny_weights, tmp_path):
    from PIL import Image

    from archcolour.engine import Colouriser

    path = _grey_scan(tmp_path / "scan.png", 300, 200)
    got = _run_preview(workers.PreviewRequest(1, path, Colouriser(tiny_weights, device="cpu"), view_size=(800, 600)))
    res = got["grey"][0]
    assert res.grey is res.original  # an 8-bit grey scan is exactly the grey its lightness renders to
    assert np.array_equal(_qimage_rgb(res.original)[..., 0], np.asarray(Image.open(path)))
    assert [r.preview_size for r in got["colour"]] == [(300, 200)]  # no bigger than the view: one pass


def test_first_pass_side_is_the_fitted_size_within_bounds():
    assert workers.first_pass_side(1280, 960, (400, 600)) == 400
    assert workers.first_pass_side(960, 1280, (400, 600)) == 533  # 1280 * 400 / 960
    assert workers.first_pass_side(1280, 960, (3000, 3000)) == workers.PREVIEW_FAST_SIDE
    assert workers.first_pass_side(1280, 960, (100, 80)) == workers.PREVIEW_MIN_SIDE
    assert workers.first_pass_side(1280, 960, None) == workers.PREVIEW_FAST_SIDE


# -- previews go first: the batch's colourisers wait at the preview gate ---------------------------------
def test_gated_colouriser_computes_exactly_the_same(tiny_weights):
    from archcolour.engine import Colouriser

    c = Colouriser(tiny_weights, device="cpu")
    gate = workers.PreviewGate()
    g = workers.gated(c, gate)
    assert g is not c and g.net is c.net and g.working_size == c.working_size
    assert workers.gated(g, gate) is g
    l = np.random.default_rng(0).random((70, 90), dtype=np.float32) * 100
    for dtype in (np.uint8, np.uint16, np.float32):
        assert np.array_equal(g.colourise(l, out_dtype=dtype).rgb, c.colourise(l, out_dtype=dtype).rgb)
    v = workers.with_working_size(g, 96)  # a view of a gated colouriser (an image's own size) waits too
    assert v._gate is gate and v.working_size == 96


def test_gated_colouriser_waits_before_the_network_each_strip_and_the_encode(tiny_weights):
    from archcolour.engine import Colouriser

    c = Colouriser(tiny_weights, device="cpu")
    gate = workers.PreviewGate(max_hold_s=0.0)  # closed, but never holding anything back: counts the steps
    gate.close()
    g = workers.gated(c, gate)
    l = np.random.default_rng(0).random((64, 50), dtype=np.float32) * 100
    out = g.colourise(l, strip_rows=8)
    assert np.array_equal(out.rgb, c.colourise(l, strip_rows=8).rgb)
    assert gate.held == 1 + 1 + 64 // 8 + 1  # network, recombination, each strip, before the encode


def test_a_closed_gate_holds_the_batch_until_the_preview_is_done(tiny_weights):
    import threading

    from archcolour.engine import Colouriser

    c = Colouriser(tiny_weights, device="cpu")
    gate = workers.PreviewGate(max_hold_s=600)
    g = workers.gated(c, gate)
    l = np.random.default_rng(0).random((40, 40), dtype=np.float32) * 100
    gate.close()
    out = []
    t = threading.Thread(target=lambda: out.append(g.colourise(l)))
    t.start()
    deadline = time.monotonic() + 60
    while gate.waiting == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert gate.waiting == 1 and not out  # waiting before the network
    gate.open()
    t.join(60)
    assert out and np.array_equal(out[0].rgb, c.colourise(l).rgb)


def test_gated_colourisers_hand_out_gated_colourisers_for_every_model(tiny_models_dir):
    from archcolour.batch.colourisers import Colourisers
    from archcolour.engine import Colouriser
    from archcolour.image_settings import ImageSettings

    pool = Colourisers(Colouriser(model="tiny", device="cpu"))
    gate = workers.PreviewGate()
    g = workers.gated(pool, gate)
    assert isinstance(g, Colourisers) and Colourisers.of(g) is g
    assert g.base._gate is gate and pool.base is not g.base and getattr(pool.base, "_gate", None) is None
    assert g.for_settings(None) is g.base
    own = g.for_settings(ImageSettings(model="tiny-guided", working_size=80))
    assert own._gate is gate and own.info.name == "tiny-guided" and own.working_size == 80
    assert getattr(pool.model("tiny-guided"), "_gate", None) is None  # the shared model itself stays ungated


def test_preview_worker_closes_the_gate_while_it_computes(tiny_weights, tmp_path, qtbot):
    from archcolour.engine import Colouriser

    path = _grey_scan(tmp_path / "scan.png", 300, 200)
    c = Colouriser(tiny_weights, device="cpu")
    w = workers.PreviewWorker()
    seen = []
    real = c.predict
    c.predict = lambda *a, **k: seen.append(w.gate.closed) or real(*a, **k)
    w.start()
    try:
        with qtbot.waitSignal(w.previewReady, timeout=60000):
            w.request(workers.PreviewRequest(1, path, c, view_size=(800, 600)))
        assert seen == [True]
        qtbot.waitUntil(lambda: not w.gate.closed, timeout=60000)  # idle again: batches go on
    finally:
        w.stop()
        w.wait(10000)


def test_a_preview_thread_first_used_after_a_batch_shared_the_cores_gets_the_engine_s_threads(tiny_weights,
                                                                                              tmp_path, monkeypatch):
    import threading

    from archcolour.engine import Colouriser

    path = _grey_scan(tmp_path / "scan.png", 300, 200)
    c = Colouriser(tiny_weights, device="cpu")
    # the engine was loaded with 2 threads; since then a batch set 1 (this session's conftest did too)
    monkeypatch.setattr(workers, "ENGINE_THREADS", 2)
    seen = []

    def preview_thread():
        seen.append(torch.get_num_threads())  # a new thread starts from the last set_num_threads: 1
        _run_preview(workers.PreviewRequest(1, path, c, view_size=(800, 600)))
        seen.append(torch.get_num_threads())

    t = threading.Thread(target=preview_thread)
    t.start()
    t.join(120)
    torch.set_num_threads(1)  # threads started later in this session: 1 again
    assert seen == [1, 2]

"""The colourising engine: one network, any image size.

The network only ever sees the image at its *working size* (short side, default from the weights'
metadata). It predicts ab there; ab is upsampled to the full resolution and recombined with the
untouched full-resolution L, strip by strip so memory stays bounded on huge scans. Out-of-gamut
colours are brought into the sRGB gamut by reducing their chroma (never by clipping RGB), so the
output has exactly the input's size and, up to quantisation, its lightness.

Everything that colourises (CLI, GUI, benchmarks, the training evaluator) goes through
:class:`Colouriser`.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from . import colour, guidance, looks, upsample
from .choices import DEFAULT_ENSEMBLE, ENSEMBLES, MIN_WORKING_SIZE, UPSAMPLING, VIVIDNESS_RANGE  # noqa: F401 - re-exported
from .weights import ModelInfo, load_model

log = logging.getLogger(__name__)

#: Rows per strip when recombining at full resolution (at most; wide images use fewer rows).
STRIP_ROWS = 256
#: Pixels per strip: bounds the float temporaries of the Lab -> RGB conversion (~15 of them), and
#: keeps them in the CPU's cache (128K pixels measured about 1.3x faster than 1M on 1024x768 images).
STRIP_PIXELS = 1 << 17
#: The network's input is at most this many working sizes long, and at most this many working sizes
#: squared in pixels, whatever the image's shape (a 1 x 20,000 strip must not become 192 x 3.8 million).
MAX_NETWORK_SIDE_FACTOR = 4
MAX_NETWORK_PIXEL_FACTOR = 4


def network_size(h: int, w: int, working_size: int) -> tuple[int, int]:
    """(height, width) at which the network sees an (h, w) image.

    The short side is scaled to ``working_size``, unless that would make the long side longer than
    ``MAX_NETWORK_SIDE_FACTOR * working_size`` or the image larger than ``MAX_NETWORK_PIXEL_FACTOR *
    working_size**2`` pixels: then the image is scaled to fit both bounds (keeping its aspect ratio, at
    least 1 pixel a side). Only images more than 4:1 are affected.
    """
    import math

    scale = working_size / min(h, w)
    capped = min(scale, MAX_NETWORK_SIDE_FACTOR * working_size / max(h, w),
                 math.sqrt(MAX_NETWORK_PIXEL_FACTOR * working_size * working_size / (h * w)))
    if capped < scale:  # round down so the bounds hold exactly
        return max(1, math.floor(h * capped)), max(1, math.floor(w * capped))
    return max(1, round(h * scale)), max(1, round(w * scale))


def choose_device(preference: str | None = "auto") -> torch.device:
    """CUDA, then Apple MPS, then CPU; ``preference`` ('cuda', 'cuda:1', 'mps', 'cpu') overrides."""
    pref = (preference or "auto").lower()
    if pref == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if pref.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError("CUDA was requested but no CUDA device is available")
    if pref == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise RuntimeError("Apple MPS was requested but is not available")
    return torch.device(pref)


def device_description(device: torch.device) -> str:
    """A short human-readable name: the GPU's name, 'Apple MPS' or 'CPU'."""
    if device.type == "cuda":
        return f"GPU: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple MPS"
    return "CPU"


@dataclass
class ColourisedImage:
    """The engine's output for one image."""

    rgb: np.ndarray  # (H, W, 3), uint8 or uint16 (or float32 in [0, 1])
    working_size: int  # the working size actually used (after any out-of-memory fallback)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Guidance:
    """What the user tells the network, beyond the photograph.

    ``hints``: colour points in relative coordinates (see :mod:`archcolour.hints`); ``reference``: the
    colour distribution of a reference photograph (:func:`reference_distribution`); ``vividness``: a
    chroma scale on the predicted colour (1 = as predicted, 0 = grey).
    """

    hints: tuple = ()
    reference: torch.Tensor | None = None
    vividness: float = 1.0

    @property
    def empty(self) -> bool:
        return not self.hints and self.reference is None and self.vividness == 1.0


NO_GUIDANCE = Guidance()


def reference_distribution(rgb: np.ndarray | torch.Tensor, bins: int) -> torch.Tensor:
    """A reference photograph's colour distribution, (1, bins * bins + 1), as the network takes it.

    ``rgb`` is (H, W, 3) sRGB, uint8/uint16 or float in [0, 1]; it is first reduced to at most 256 px
    on the short side (the distribution does not need more).
    """
    t = torch.as_tensor(np.asarray(rgb))
    if t.dtype == torch.uint8:
        t = t.float() / 255.0
    elif t.dtype in (torch.int32, torch.uint16) or (t.dtype == torch.int64 and t.max() > 255):
        t = t.float() / 65535.0
    t = t.float().permute(2, 0, 1)[None]
    short = min(t.shape[-2:])
    if short > 256:
        s = 256 / short
        t = F.interpolate(t, size=(max(1, round(t.shape[-2] * s)), max(1, round(t.shape[-1] * s))),
                          mode="bilinear", antialias=True, align_corners=False)
    lab = colour.rgb_to_lab(t.clamp(0, 1), chunk_rows=None)
    return guidance.ab_histogram(lab[:, 1:], bins)


@dataclass(frozen=True)
class Reference:
    """A reference photograph for a batch: its file name, SHA-256 and colour distribution."""

    name: str
    sha256: str
    distribution: torch.Tensor  # (1, bins * bins + 1)


def load_reference(path: str | os.PathLike, bins: int) -> Reference:
    """Read a colour photograph as a reference (orientation applied, decompression-bomb limit kept).

    Raises ``ValueError`` with one line naming the file when it cannot be used.
    """
    from pathlib import Path

    from PIL import Image, ImageOps

    from .fsutil import sha256_file
    from .imageio.read import check_pixels

    p = Path(path)
    try:
        if not p.is_file():
            raise ValueError("not found or not a regular file")
        with Image.open(p) as im:
            check_pixels(p, *im.size)
            im.draft("RGB", (512, 512))  # JPEGs decode at a reduced size: the distribution needs no more
            rgb = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
        digest = sha256_file(p)
    except ValueError as exc:
        raise ValueError(f"reference {p.name}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - any decoder error is one line
        msg = getattr(exc, "message", None) or " ".join(str(exc).split()) or type(exc).__name__
        raise ValueError(f"reference {p.name}: cannot be read as an image ({msg})") from None
    return Reference(name=p.name, sha256=digest, distribution=reference_distribution(rgb, bins))


@dataclass
class Prediction:
    """The network's colour at its working size, and the L it saw (the guide for upsampling).

    ``uncertainty`` (1, 1, h, w) in [0, 1), on the same small grid as ``ab``: where the colour is a guess,
    the fraction of the looks' mean colour the ensemble toned down because its looks disagreed
    (:func:`archcolour.looks.uncertainty`). None when the ensemble does not tone colour down (one look,
    or "mirror"'s plain mean: ``choices.Ensemble.shows_uncertainty``). It is not upsampled here: a caller
    that shows it brings it to the size it shows (the preview's).
    """

    ab: torch.Tensor  # (1, 2, h, w)
    l_small: torch.Tensor  # (1, 1, h, w)
    uncertainty: torch.Tensor | None = None  # (1, 1, h, w) in [0, 1), or None


def _is_oom(exc: BaseException) -> bool:
    if isinstance(exc, getattr(torch.cuda, "OutOfMemoryError", ())):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


class Colouriser:
    """Colourise lightness images with one loaded network.

    Parameters
    ----------
    weights: a safetensors file; None for the bundled default (or ``model`` by name).
    model: name of a bundled model (see ``models/manifest.json``).
    device: 'auto' (CUDA, MPS, CPU), or an explicit torch device string.
    working_size: short side the network sees; None for the weights' own.
    seed: seeds the noise plane of networks that take one: same image, weights, seed and device give
        the same output bit for bit.
    upsampling: how the colour reaches full resolution (``archcolour.choices.UPSAMPLING``).
    ensemble: test-time views whose colour is averaged (``archcolour.choices.ENSEMBLES``): by default
        the mirror image and two other working sizes too.
    """

    def __init__(
        self,
        weights: str | os.PathLike | None = None,
        *,
        model: str | None = None,
        device: str | None = "auto",
        working_size: int | None = None,
        seed: int = 0,
        expected_sha256: str | None = None,
        upsampling: str = "guided",
        ensemble: str = DEFAULT_ENSEMBLE,
    ):
        if upsampling not in UPSAMPLING:
            raise ValueError(f"upsampling must be one of {', '.join(UPSAMPLING)}, not {upsampling!r}")
        self.upsampling = upsampling
        self.guide_radius, self.guide_eps = upsample.DEFAULT_RADIUS, upsample.DEFAULT_EPS
        self.device = choose_device(device)
        self.net, self.info = load_model(weights, name=model, expected_sha256=expected_sha256, device=self.device)
        if self.device.type != "mps":
            self.net = self.net.to(memory_format=torch.channels_last)
        self.working_size = int(working_size or self.info.working_size)
        if self.working_size < MIN_WORKING_SIZE:
            raise ValueError(f"working size must be at least {MIN_WORKING_SIZE} px")
        self.seed = int(seed)
        if ensemble not in ENSEMBLES:
            raise ValueError(f"ensemble must be one of {', '.join(ENSEMBLES)}, not {ensemble!r}")
        self.ensemble = ensemble

    # -- description ------------------------------------------------------------------------
    @property
    def model_info(self) -> ModelInfo:
        return self.info

    @property
    def device_name(self) -> str:
        return device_description(self.device)

    # -- the network at working size ----------------------------------------------------------
    def _network_size(self, h: int, w: int, working_size: int) -> tuple[int, int]:
        return network_size(h, w, working_size)

    @property
    def accepts_hints(self) -> bool:
        return bool(getattr(self.net, "hints", False))

    @property
    def reference_bins(self) -> int:
        """Histogram bins of the reference input; 0 when the network takes no reference."""
        return int(getattr(self.net, "ref_bins", 0))

    def _guidance_inputs(self, g: Guidance, nh: int, nw: int, ph: int, pw: int) -> dict:
        extra: dict = {}
        if g.hints:
            if not self.accepts_hints:
                raise ValueError(f"the model {self.info.name!r} does not take colour hints")
            from .hints import to_hint_points

            planes = guidance.paint_hints(to_hint_points(g.hints, nh, nw), nh, nw)
            extra["hints"] = F.pad(planes, (0, pw, 0, ph)).to(self.device)
        if g.reference is not None:
            if not self.reference_bins:
                raise ValueError(f"the model {self.info.name!r} does not take a reference photograph")
            extra["ref"] = g.reference.reshape(1, -1).to(self.device)
        return extra

    def _run_network(self, l_full: torch.Tensor, ws: int, guide: Guidance) -> tuple[torch.Tensor, torch.Tensor]:
        """The network's looks at working size ``ws``, ab (k, 2, h, w) on the CPU (k = 2 with the mirror
        image, its colour flipped back; else 1), and L (1, 1, h, w) at that size."""
        h, w = l_full.shape
        nh, nw = self._network_size(h, w, ws)
        l = l_full[None, None]
        if (nh, nw) != (h, w):
            # antialias when shrinking, so fine texture does not alias into the network's input
            l = F.interpolate(l, size=(nh, nw), mode="bilinear", align_corners=False, antialias=(nh < h))
        l_small = l
        mult = int(getattr(self.net, "size_multiple", 16))
        ph, pw = (-nh) % mult, (-nw) % mult
        if ph or pw:
            mode = "reflect" if (ph < nh and pw < nw) else "replicate"
            l = F.pad(l, (0, pw, 0, ph), mode=mode)
        extra = self._guidance_inputs(guide, nh, nw, ph, pw)
        l = l.to(self.device)
        if self.device.type != "mps":
            l = l.contiguous(memory_format=torch.channels_last)
        noise = None
        if getattr(self.net, "needs_noise", False):
            gen = torch.Generator(device="cpu").manual_seed(self.seed)
            noise = torch.randn(l.shape, generator=gen).to(self.device)
        mirror = ENSEMBLES[self.ensemble].mirror
        if mirror:
            # the photograph and its mirror image in one batch; the mirror's colour is flipped back (the
            # network is not exactly mirror-symmetric: the two looks differ, and are combined later)
            l = torch.cat((l, l.flip(-1)))
            noise = None if noise is None else torch.cat((noise, noise.flip(-1)))
            extra = {k: torch.cat((v, v.flip(-1) if v.dim() == 4 else v)) for k, v in extra.items()}
        ab = self.net(l, noise, **extra) if extra else self.net(l, noise)
        if mirror:
            ab = torch.cat((ab[:1], ab[1:].flip(-1)))
        return ab[..., :nh, :nw].float().cpu().contiguous(), l_small.contiguous()

    @torch.inference_mode()
    def take_looks(self, l_full: torch.Tensor, working_size: int | None = None,
                   guide: Guidance = NO_GUIDANCE) -> tuple[torch.Tensor, torch.Tensor]:
        """The ensemble's looks at the photograph, ab (k, 2, h, w) on the working-size grid, and L
        (1, 1, h, w) at the working size, on the CPU. ``l_full`` is (H, W) float32 in [0, 100]."""
        ws = int(working_size or self.working_size)
        ab, l_small = self._run_network(l_full, ws, guide)
        nh, nw = l_small.shape[-2:]
        views = [ab]
        for s in ENSEMBLES[self.ensemble].scales:
            # the same photograph seen by the network at another size, its colour resized onto this
            # grid: more looks, as the mirror image is one
            ab_s, _ = self._run_network(l_full, max(MIN_WORKING_SIZE, round(ws * s)), guide)
            views.append(F.interpolate(ab_s, size=(nh, nw), mode="bilinear", align_corners=False,
                                       antialias=ab_s.shape[-2] > nh))
        return torch.cat(views), l_small

    @torch.inference_mode()
    def predict(self, l_full: torch.Tensor, working_size: int | None = None, guide: Guidance = NO_GUIDANCE) -> Prediction:
        """Run the network on L resized to the working size; ab (1, 2, h, w) and that L, on the CPU.

        ``l_full`` is (H, W) float32 in [0, 100] on the CPU. The ensemble's looks are combined by
        :func:`archcolour.looks.combine`, then scaled by the user's vividness. With an ensemble that
        tones colour down where its looks disagree (``choices.Ensemble.shows_uncertainty``: "full"),
        the prediction's ``uncertainty`` says where, at its own agreement; else it is None.
        """
        views, l_small = self.take_looks(l_full, working_size, guide)
        ens = ENSEMBLES[self.ensemble]
        ab, doubt = looks.combine_with_uncertainty(views, ens.gain, ens.agreement)
        if guide.vividness != 1.0:
            ab = ab * float(guide.vividness)
        return Prediction(ab=ab, l_small=l_small, uncertainty=doubt)

    def predict_ab_small(self, l_full: torch.Tensor, working_size: int | None = None) -> torch.Tensor:
        """The network's ab at working size (no guidance): ``predict(...).ab``."""
        return self.predict(l_full, working_size).ab

    def _predict_with_fallback(self, l_full: torch.Tensor, warnings: list[str], guide: Guidance) -> tuple[Prediction, int]:
        ws = self.working_size
        while True:
            try:
                return self.predict(l_full, ws, guide), ws
            except Exception as exc:  # noqa: BLE001 - only out-of-memory is retried
                if not _is_oom(exc) or ws <= MIN_WORKING_SIZE:
                    raise
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
                new_ws = max(MIN_WORKING_SIZE, int(ws * 0.7))
                msg = f"out of {self.device.type.upper()} memory at working size {ws}; retried at {new_ws}"
                log.warning(msg)
                warnings.append(msg)
                ws = new_ws

    # -- full resolution -----------------------------------------------------------------------
    @torch.inference_mode()
    def colourise(self, l_full: np.ndarray | torch.Tensor, out_dtype=np.uint8, strip_rows: int | None = None,
                  guide: Guidance = NO_GUIDANCE) -> ColourisedImage:
        """Colourise a lightness image (H, W) in [0, 100] to sRGB (H, W, 3) of ``out_dtype``.

        ``out_dtype`` is np.uint8, np.uint16 or np.float32 (values in [0, 1]). ``guide`` carries the
        user's hints, reference and vividness.
        """
        l_t = torch.as_tensor(l_full, dtype=torch.float32)
        if l_t.dim() != 2:
            raise ValueError(f"expected a 2-D lightness image, got shape {tuple(l_t.shape)}")
        warnings: list[str] = []
        pred, used = self._predict_with_fallback(l_t, warnings, guide)
        rgb = self.recombine(l_t, pred, out_dtype=out_dtype, strip_rows=strip_rows)
        return ColourisedImage(rgb=rgb, working_size=used, warnings=warnings)

    @staticmethod
    def upsample_ab_x(ab_small: torch.Tensor, W: int) -> torch.Tensor:
        """First, horizontal pass of the bilinear upsampling: ab (1, 2, h, w) -> (2, h, W)."""
        h = ab_small.shape[-2]
        return F.interpolate(ab_small, size=(h, W), mode="bilinear", align_corners=False)[0]

    @staticmethod
    def lerp_rows(ab_x: torch.Tensor, H: int, top: int, bottom: int) -> torch.Tensor:
        """Second, vertical pass: rows [top, bottom) of the (2, H, W) upsampling of ``ab_x`` (2, h, W)."""
        h = ab_x.shape[-2]
        ys = ((torch.arange(top, bottom, dtype=torch.float64) + 0.5) * (h / H) - 0.5).clamp(0, h - 1)
        y0 = ys.floor().long()
        y1 = (y0 + 1).clamp(max=h - 1)
        wy = (ys - y0).float()[None, :, None]
        return torch.lerp(ab_x.index_select(1, y0), ab_x.index_select(1, y1), wy)

    @classmethod
    def upsample_ab_rows(cls, ab_small: torch.Tensor, H: int, W: int, top: int, bottom: int) -> torch.Tensor:
        """Bilinear upsampling of ab (1, 2, h, w) to rows [top, bottom) of an (H, W) image.

        Equal (to float rounding) to ``F.interpolate(..., size=(H, W), mode='bilinear',
        align_corners=False)`` restricted to those rows, without materialising the full-resolution ab.
        Bilinear interpolation is separable, so :meth:`recombine` does the horizontal pass once at the
        network's height and only the vertical pass per strip.
        """
        return cls.lerp_rows(cls.upsample_ab_x(ab_small, W), H, top, bottom)

    @staticmethod
    def lab_strip_to_linear(l: torch.Tensor, ab: torch.Tensor, tol: float = 1e-4) -> torch.Tensor:
        """(1, h, W) L + (2, h, W) ab -> *linear* sRGB (3, h, W), out-of-gamut chroma reduced.

        The same result as ``lab_to_linear(cat(l, gamut_map_ab(l, ab)))``, but the conversion runs once
        over the strip and the gamut search only over the (few) out-of-gamut pixels.
        """
        lin = colour.lab_to_linear(torch.cat((l, ab), dim=0))
        bad = colour.out_of_gamut(lin, tol).view(-1)
        if bool(bad.any()):
            idx = bad.nonzero().squeeze(1)
            lb = l.reshape(1, -1).index_select(1, idx)[..., None]  # (1, P, 1)
            abb = colour.gamut_map_ab(lb, ab.reshape(2, -1).index_select(1, idx)[..., None], tol=tol)  # (2, P, 1)
            lin.view(3, -1)[:, idx] = colour.lab_to_linear(torch.cat((lb, abb), dim=0))[..., 0]
        return lin

    @classmethod
    def lab_strip_to_rgb(cls, l: torch.Tensor, ab: torch.Tensor, tol: float = 1e-4) -> torch.Tensor:
        """(1, h, W) L + (2, h, W) ab -> sRGB (3, h, W) in [0, 1], out-of-gamut chroma reduced."""
        return colour.linear_to_srgb(cls.lab_strip_to_linear(l, ab, tol)).clamp_(0.0, 1.0)

    def recombine(self, l_full: torch.Tensor, pred: Prediction | torch.Tensor, out_dtype=np.uint8,
                  strip_rows: int | None = None) -> np.ndarray:
        """Full-resolution L + upsampled colour -> sRGB array (H, W, 3), strip by strip.

        ``pred`` is a :class:`Prediction` (guided upsampling when the colouriser uses it) or a bare ab
        tensor (1, 2, h, w) (bilinear). ``strip_rows`` None picks up to :data:`STRIP_ROWS` rows, fewer
        for wide images, so a strip holds about :data:`STRIP_PIXELS` pixels whatever the width.
        """
        H, W = l_full.shape
        if not strip_rows:
            strip_rows = max(8, min(STRIP_ROWS, STRIP_PIXELS // max(1, W)))
        out_dtype = np.dtype(out_dtype)
        if out_dtype == np.uint8:
            scale = 255.0
        elif out_dtype == np.uint16:
            scale = 65535.0
        elif out_dtype == np.float32:
            scale = None
        else:
            raise ValueError(f"unsupported output dtype {out_dtype}")
        guided = isinstance(pred, Prediction) and self.upsampling == "guided"
        if guided:
            planes = upsample.guided_coefficients(pred.l_small, pred.ab, self.guide_radius, self.guide_eps)  # (1, 4, h, w)
        else:
            planes = pred.ab if isinstance(pred, Prediction) else pred
        out = np.empty((H, W, 3), dtype=out_dtype)
        planes_x = self.upsample_ab_x(planes, W)  # (C, h, W): small (h is the working size)
        for top in range(0, H, strip_rows):
            bottom = min(H, top + strip_rows)
            l = l_full[top:bottom][None]
            rows = self.lerp_rows(planes_x, H, top, bottom)
            ab = upsample.apply_coefficients(l, rows) if guided else rows
            if scale is None:
                out[top:bottom] = self.lab_strip_to_rgb(l, ab).permute(1, 2, 0).numpy()
            else:
                colour.encode_linear(self.lab_strip_to_linear(l, ab), out[top:bottom])
        return out

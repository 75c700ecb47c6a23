"""Train the report's networks and ours; checkpoint, resume exactly, export safetensors.

Recipes (``--recipe``):

* ``baseline``  the report's baseline autoencoder, MSE, Adam 1e-4, batch 32.
* ``mse``       the report's generator pre-trained with MSE, Adam 1e-4, batch 32.
* ``gan``       the report's adversarial phase: starts from a ``mse`` run (``--init``), then SGD without
                momentum for generator and discriminator (BCE with logits) in the three phases of the
                report's Table 1 (epochs 0-100, 100-200, 200-250: lengths 2:2:1 of the budget; learning
                rates G/D 1e-4/1e-4, 1e-4/1e-5, 1e-5/1e-5).
* ``ours``      ArchUNet, L1 + chroma-moment loss, AdamW with warm-up and cosine decay, wider zoom range.
* ``guided``    ``ours`` for old prints and user guidance: the input L is aged (orthochromatic or early
                panchromatic response, fading, blur, grain, dust, vignetting, low-resolution copies; see
                :mod:`training.degrade`) for 60% of the images, and the network takes optional colour
                hints (sampled from the ground truth for half of the images) and a reference colour
                histogram (the image's own, for 30%). Usually warm-started from ``ours`` weights
                (``--init model.safetensors``): the new inputs start at zero, so nothing is lost.
* ``aged``      ``ours`` with old-print renderings of 35% of the inputs (no guidance inputs), working size 192.
* ``cls``       ``aged`` as classification over the quantised ab gamut (Zhang et al. 2016): the network
                gives logits over the gamut's bins (:mod:`archcolour.nets.abbins`), trained with the
                soft-encoded cross-entropy, each pixel weighted by its bin's rebalancing weight (from
                the training images' ab distribution, saved as ``prior.json`` in the run folder,
                ``lam`` 0.5); it still outputs ab (annealed mean at ``temperature`` 0.38). Can start
                from a regression network's weights (``--init``): all but the head is kept.

Budgets are counted in image-steps (images seen by the network being trained), so recipes compare at
equal budget. Every run is seeded; all randomness (sampling, augmentation, noise) comes from one
generator whose state is checkpointed, so an interrupted run resumes exactly where it stopped.

    python -m training.train --recipe ours --image-steps 60000 --out runs/ours
    python -m training.train --recipe gan --init runs/mse/checkpoint.pt --image-steps 4000 --out runs/gan
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from archcolour import nets
from archcolour.engine import choose_device
from archcolour.fsutil import atomic_write, atomic_write_bytes
from archcolour.nets.abbins import annealed_mean, empirical_prior, rebalance_weights
from archcolour.weights import save_model

from . import losses
from archcolour import guidance

from .augment import augment_to_lab, augment_rgb
from archcolour.colour import rgb_to_lab

from .data import PackedSplit, default_data_root, drop_least_colourful, load_packed, pack, sampling_weights
from .degrade import age_l

RECIPES: dict[str, dict] = {
    "baseline": dict(arch="seed_baseline", hparams={}, loss="mse", optimiser="adam", lr=1e-4,
                     area=(0.7, 1.0), working_size=128),
    "mse": dict(arch="seed_generator", hparams={}, loss="mse", optimiser="adam", lr=1e-4,
                area=(0.7, 1.0), working_size=128),
    "gan": dict(arch="seed_generator", hparams={}, loss="gan", optimiser="sgd", lr=1e-4,
                area=(0.7, 1.0), working_size=128,
                phases=[(0.4, 1e-4, 1e-4), (0.4, 1e-4, 1e-5), (0.2, 1e-5, 1e-5)]),
    "ours": dict(arch="archunet", hparams={"widths": [16, 32, 64, 128, 256]}, loss="ours",
                 optimiser="adamw", lr=1.5e-3, weight_decay=1e-4, warmup=0.03, area=(0.3, 1.0),
                 chroma_weight=1.0, working_size=256),
    "guided": dict(arch="archunet", hparams={"widths": [16, 32, 64, 128, 256], "hints": True, "ref_bins": 16},
                   loss="ours", optimiser="adamw", lr=8e-4, weight_decay=1e-4, warmup=0.02, area=(0.3, 1.0),
                   chroma_weight=1.0, working_size=256, p_aged=0.5, p_no_hints=0.5, p_ref=0.3, new_layers_lr_mult=3.0),
    # the default model's recipe with old-print renderings of a third of the inputs (no guidance inputs)
    "aged": dict(arch="archunet", hparams={"widths": [16, 32, 64, 128, 256]}, loss="ours",
                 optimiser="adamw", lr=3e-4, weight_decay=1e-4, warmup=0.02, area=(0.3, 1.0),
                 chroma_weight=1.0, working_size=192, p_aged=0.35),
    # ``aged`` as classification over the quantised ab gamut (Zhang et al. 2016)
    "cls": dict(arch="archunet", hparams={"widths": [16, 32, 64, 128, 256], "ab_bins": True}, loss="cls",
                optimiser="adamw", lr=3e-4, weight_decay=1e-4, warmup=0.02, area=(0.3, 1.0),
                working_size=192, p_aged=0.35, lam=0.5, temperature=0.38),
}

#: ab pixels sampled from the training images for the classification recipe's bin prior.
PRIOR_SAMPLES = 2_000_000


@dataclass
class Config:
    recipe: str
    out: str
    image_steps: int = 60000
    batch: int = 32
    size: int = 128
    seed: int = 0
    device: str = "auto"
    data_root: str = ""
    cache: str = "training/cache"
    packed: str = ""  # a compact file from `python -m training.pack --compact` (instead of the data root)
    sets: list[str] | None = None
    balance: str = "sqrt"
    init: str | None = None
    eval_every: int = 2000  # image-steps
    ckpt_every: int = 2000  # image-steps
    snapshots: list[int] = field(default_factory=list)  # image-steps at which to export weights too
    val_images: int = 512
    drop_dull: float = 0.0  # drop this fraction of the least colourful training images
    max_minutes: float = 0.0  # time budget: after a short warm-up the schedule is shortened to fit it
    log_every: int = 256  # image-steps between training-loss records
    threads: int = 0
    name: str = ""
    limit_per_set: int | None = None
    overrides: dict = field(default_factory=dict)

    @property
    def spec(self) -> dict:
        s = dict(RECIPES[self.recipe])
        s.update(self.overrides)
        return s


def _amp_ctx(device: torch.device):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


def _atomic_save(obj, path: Path) -> None:
    atomic_write(path, lambda f: torch.save(obj, f))


class Trainer:
    def __init__(self, cfg: Config, train: PackedSplit, val: PackedSplit, data_summary: str):
        self.cfg = cfg
        self.spec = cfg.spec
        self.device = choose_device(cfg.device)
        self.out = Path(cfg.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.data_summary = data_summary
        torch.manual_seed(cfg.seed)
        np.random.seed(cfg.seed)
        self.gen = torch.Generator().manual_seed(cfg.seed)
        cl = torch.channels_last
        self.hparams = dict(self.spec["hparams"])
        if self.hparams.get("ab_bins") and "temperature" in self.spec:
            self.hparams["temperature"] = self.spec["temperature"]  # built and exported with the network
        self.model = nets.build(self.spec["arch"], **{k: tuple(v) if isinstance(v, list) else v
                                                      for k, v in self.hparams.items()}).to(self.device, memory_format=cl)
        self.class_weights = None
        if self.spec["loss"] == "cls":
            self.class_weights = self._bin_weights(train)
            self._prior_head()
        self.disc = None
        if self.spec["loss"] == "gan":
            self.disc = nets.build("seed_discriminator", size=cfg.size).to(self.device, memory_format=cl)
        self.opt = self._optimiser(self.model, self.spec["lr"])
        self.dopt = self._optimiser(self.disc, self.spec["lr"]) if self.disc is not None else None
        self.iters = max(1, cfg.image_steps // cfg.batch)
        self.step = 0
        self.history: dict[str, list] = {"train": [], "val": []}
        # data on the training device, sampled with per-set weights
        self.train_imgs = torch.from_numpy(train.images).to(self.device)
        self.probs = torch.from_numpy(sampling_weights(train, cfg.balance))
        vi = np.linspace(0, len(val) - 1, min(cfg.val_images, len(val))).astype(int) if len(val) else np.zeros(0, int)
        self.val_lab = augment_to_lab(torch.from_numpy(val.images[vi]).to(self.device), cfg.size, self.gen, train=False) if len(vi) else None
        self.val_rgb = torch.from_numpy(val.images[vi]).to(self.device).permute(0, 3, 1, 2).float().div(255.0) if len(vi) else None
        if self.val_rgb is not None and self.val_rgb.shape[-1] != cfg.size:
            self.val_rgb = F.interpolate(self.val_rgb, size=(cfg.size, cfg.size), mode="bilinear", antialias=True, align_corners=False)
        self._val_inputs = None
        self.val_noise = torch.randn((len(vi), 1, cfg.size, cfg.size), generator=torch.Generator().manual_seed(12345)).to(self.device) if len(vi) else None
        if cfg.init:
            self._load_init(Path(cfg.init))

    # -- setup ---------------------------------------------------------------------------------
    def _optimiser(self, model, lr):
        kind = self.spec["optimiser"]
        if kind == "adam":
            return torch.optim.Adam(model.parameters(), lr=lr)
        if kind == "adamw":
            # layers new to a warm start (the guidance inputs) may learn faster than the rest
            mult = float(self.spec.get("new_layers_lr_mult", 1.0))
            new = [p for n, p in model.named_parameters() if n.startswith(("hint_in.", "context.ref."))]
            ids = {id(p) for p in new}
            rest = [p for p in model.parameters() if id(p) not in ids]
            groups = [{"params": rest, "lr_mult": 1.0}] + ([{"params": new, "lr_mult": mult}] if new else [])
            return torch.optim.AdamW(groups, lr=lr, weight_decay=self.spec.get("weight_decay", 0.0))
        if kind == "sgd":
            return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.0)
        raise ValueError(kind)

    def _bin_weights(self, train: PackedSplit) -> torch.Tensor:
        """The classification loss's per-bin weights, from the ab of ~2M pixels sampled (seeded) from
        the training images; the prior and the weights are saved as ``prior.json`` in the run folder."""
        pixels = train.images.reshape(-1, 3)
        rng = np.random.default_rng(self.cfg.seed)
        if len(pixels) > PRIOR_SAMPLES:
            pixels = pixels[np.sort(rng.integers(0, len(pixels), PRIOR_SAMPLES))]
        rgb = torch.from_numpy(np.ascontiguousarray(pixels.T)).float().div_(255.0)[:, None, :]  # (3, 1, M)
        ab = rgb_to_lab(rgb, chunk_rows=None)[1:, 0].T.contiguous()  # (M, 2)
        centres = self.model.centres.cpu()
        lam = float(self.spec.get("lam", 0.5))
        prior = empirical_prior(ab, centres, sigma=5.0)
        weights = rebalance_weights(prior, lam)
        record = {"samples": int(ab.shape[0]), "seed": self.cfg.seed, "sigma": 5.0, "lam": lam,
                  "centres": centres.tolist(), "prior": prior.tolist(), "weights": weights.tolist()}
        atomic_write_bytes(self.out / "prior.json", json.dumps(record).encode())
        print(f"bin prior from {ab.shape[0]:,} training pixels: {centres.shape[0]} bins, rebalancing weights "
              f"{weights.min():.3g} to {weights.max():.3g} (lam {lam:g})", flush=True)
        self._log_prior = prior.clamp_min(1e-8).log()
        return weights.to(self.device)

    @torch.no_grad()
    def _prior_head(self) -> None:
        """A new classification head starts at the training prior: zero weights, bias log(prior), so the
        first predictions are the average colour distribution, not random colours (a warm start from
        a regression network keeps this head: the shapes differ)."""
        self.model.head.weight.zero_()
        self.model.head.bias.copy_(self._log_prior.to(self.model.head.bias))

    def _load_init(self, path: Path) -> None:
        """Start from a checkpoint (.pt) or exported weights (.safetensors). Layers the source lacks
        (the guidance inputs, which start at zero) keep their initialisation; nothing else may differ,
        except that a classification network (``ab_bins``) may start from a regression network: its head
        (a different shape) keeps its initialisation."""
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            weights, step = load_file(str(path), device=str(self.device)), "exported"
        else:
            state = torch.load(path, map_location=self.device, weights_only=True)
            weights, step = state["model"], state.get("step")
        own = self.model.state_dict()
        new_ok = ("hint_in.", "context.ref.")
        if getattr(self.model, "ab_bins", False):
            new_ok += ("head.",)
            weights = {k: v for k, v in weights.items()
                       if not (k.startswith("head.") and k in own and v.shape != own[k].shape)}
        weights = {k: v.to(own[k].dtype) for k, v in weights.items() if k in own}
        missing, unexpected = self.model.load_state_dict(weights, strict=False)
        if unexpected or any(not k.startswith(new_ok) for k in missing):
            raise ValueError(f"{path} does not fit {self.spec['arch']}: missing {missing}, unexpected {unexpected}")
        print(f"initialised {self.spec['arch']} from {path} (step {step}; new: {missing or 'none'})", flush=True)

    def lr_factors(self, it: int) -> tuple[float, float | None]:
        """(generator lr, discriminator lr) at iteration ``it``."""
        spec = self.spec
        if spec["loss"] == "gan":
            frac = it / self.iters
            acc = 0.0
            for share, glr, dlr in spec["phases"]:
                acc += share
                if frac < acc:
                    return glr, dlr
            return spec["phases"][-1][1], spec["phases"][-1][2]
        if spec["optimiser"] == "adamw":
            warm = max(1, int(spec.get("warmup", 0.0) * self.iters))
            if it < warm:
                return spec["lr"] * (it + 1) / warm, None
            p = (it - warm) / max(1, self.iters - warm)
            return spec["lr"] * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * p))), None
        return spec["lr"], None

    # -- checkpoints -----------------------------------------------------------------------------
    @property
    def ckpt_path(self) -> Path:
        return self.out / "checkpoint.pt"

    def save_checkpoint(self) -> None:
        state = {"model": self.model.state_dict(), "opt": self.opt.state_dict(), "step": self.step,
                 "gen": self.gen.get_state(), "torch_rng": torch.get_rng_state(), "history": self.history,
                 "config": json.dumps(asdict(self.cfg))}
        if self.disc is not None:
            state["disc"] = self.disc.state_dict()
            state["dopt"] = self.dopt.state_dict()
        _atomic_save(state, self.ckpt_path)

    def resume(self) -> bool:
        if not self.ckpt_path.is_file():
            return False
        state = torch.load(self.ckpt_path, map_location=self.device, weights_only=True)
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        if self.disc is not None:
            self.disc.load_state_dict(state["disc"])
            self.dopt.load_state_dict(state["dopt"])
        self.step = int(state["step"])
        self.gen.set_state(state["gen"])
        torch.set_rng_state(state["torch_rng"])
        self.history = state["history"]
        print(f"resumed from {self.ckpt_path} at iteration {self.step}/{self.iters}", flush=True)
        return True

    # -- one iteration ---------------------------------------------------------------------------
    @property
    def guided(self) -> bool:
        return bool(getattr(self.model, "hints", False) or getattr(self.model, "ref_bins", 0))

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor | None, dict]:
        """(Lab target, noise, extra network inputs) for one training batch."""
        idx = torch.multinomial(self.probs, self.cfg.batch, replacement=True, generator=self.gen).to(self.device, non_blocking=True)
        extra: dict = {}
        if "p_aged" in self.spec:
            rgb = augment_rgb(self.train_imgs[idx], self.cfg.size, self.gen, area=tuple(self.spec["area"]))
            lab = rgb_to_lab(rgb, chunk_rows=None)
            lab = torch.cat((age_l(rgb, self.gen, self.spec["p_aged"], l_clean=lab[:, :1]), lab[:, 1:]), dim=1)
        else:
            lab = augment_to_lab(self.train_imgs[idx], self.cfg.size, self.gen, train=True, area=tuple(self.spec["area"]))
        if getattr(self.model, "hints", False):
            extra["hints"] = guidance.sample_hints(lab[:, 1:], self.gen, p_none=self.spec.get("p_no_hints", 0.5))
        bins = getattr(self.model, "ref_bins", 0)
        if bins:
            # the reference is the colour distribution of the ground truth (Zhang et al. 2017's global hint)
            use = (torch.rand(lab.shape[0], generator=self.gen) < self.spec.get("p_ref", 0.3)).to(self.device)
            extra["ref"] = guidance.ab_histogram(lab[:, 1:], bins) * use[:, None]
        noise = None
        if getattr(self.model, "needs_noise", False):
            noise = torch.randn((lab.shape[0], 1, lab.shape[2], lab.shape[3]), generator=self.gen).to(self.device, non_blocking=True)
        return lab.contiguous(memory_format=torch.channels_last), noise, extra

    def train_step(self) -> dict:
        glr, dlr = self.lr_factors(self.step)
        for g in self.opt.param_groups:
            g["lr"] = glr * g.get("lr_mult", 1.0)
        if self.dopt is not None:
            for g in self.dopt.param_groups:
                g["lr"] = dlr
        self.model.train()
        lab, noise, extra = self._batch()
        l, ab = lab[:, :1], lab[:, 1:]
        kind = self.spec["loss"]
        rec: dict = {"it": self.step + 1, "lr": glr}
        with _amp_ctx(self.device):
            if kind == "gan":
                self.disc.train()
                fake = self.model(l, noise)
                d_real = self.disc(ab)
                d_fake = self.disc(fake.detach())
                loss_d = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \
                    F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
                self.dopt.zero_grad(set_to_none=True)
                loss_d.backward()
                self.dopt.step()
                g_out = self.disc(fake)
                loss = F.binary_cross_entropy_with_logits(g_out, torch.ones_like(g_out))
                acc = 0.5 * ((d_real > 0).float().mean() + (d_fake < 0).float().mean())
                rec.update(d_bce=loss_d.detach(), d_acc=acc.detach(), g_bce=loss.detach(), mse=losses.mse(fake.detach(), ab).detach())
            elif kind == "cls":
                logits = self.model(l, noise, logits=True, **extra)
                loss, parts = losses.classification(logits, ab, self.model.centres, self.class_weights)
                with torch.no_grad():  # the ab the network outputs, for the same mse record as the others
                    pred = annealed_mean(logits.detach(), self.model.centres, self.model.temperature)
                rec.update(parts, mse=losses.mse(pred.float(), ab).detach())
                del logits, pred
            else:
                pred = self.model(l, noise, **extra)
                if kind == "mse":
                    loss = losses.mse(pred, ab)
                    rec["mse"] = loss.detach()
                else:
                    loss, parts = losses.ours(pred, ab, self.spec.get("chroma_weight", 1.0))
                    rec.update(parts, mse=losses.mse(pred.detach(), ab).detach())
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        rec["loss"] = loss.detach()  # tensors: read back only when logged (no per-step host sync)
        self.step += 1
        return rec

    def _val_variants(self) -> dict[str, tuple[torch.Tensor, dict]]:
        """Validation inputs: plain L; aged L when the recipe trains on old prints; for guided networks
        also 10 hints and the own reference."""
        l = self.val_lab[:, :1]
        out: dict[str, tuple[torch.Tensor, dict]] = {"": (l, {})}
        g = torch.Generator().manual_seed(4321)
        if self.guided or "p_aged" in self.spec:
            out["_aged"] = (age_l(self.val_rgb, g, 1.0), {})
        if getattr(self.model, "hints", False):
            out["_hints10"] = (l, {"hints": guidance.sample_hints(self.val_lab[:, 1:], g, p_none=0.0, mean_count=10.0, max_count=10)})
        if getattr(self.model, "ref_bins", 0):
            out["_ref"] = (l, {"ref": guidance.ab_histogram(self.val_lab[:, 1:], self.model.ref_bins)})
        return out

    @torch.no_grad()
    def validate(self) -> dict:
        if self.val_lab is None:
            return {}
        self.model.eval()
        if self._val_inputs is None:
            self._val_inputs = self._val_variants()
        out = {"it": self.step, "image_steps": self.step * self.cfg.batch}
        for suffix, (l_all, extra_all) in self._val_inputs.items():
            tot, n, d_acc = 0.0, 0, []
            for i in range(0, self.val_lab.shape[0], 64):
                lab = self.val_lab[i:i + 64].contiguous(memory_format=torch.channels_last)
                extra = {k: v[i:i + 64] for k, v in extra_all.items()}
                with _amp_ctx(self.device):
                    pred = self.model(l_all[i:i + 64].contiguous(memory_format=torch.channels_last), self.val_noise[i:i + 64], **extra).float()
                    if self.disc is not None:
                        self.disc.eval()
                        dr, df = self.disc(lab[:, 1:]), self.disc(pred)
                        d_acc.append(0.5 * ((dr > 0).float().mean() + (df < 0).float().mean()).item())
                tot += F.mse_loss(pred, lab[:, 1:], reduction="sum").item() / (2 * lab.shape[2] * lab.shape[3])
                n += lab.shape[0]
            out[f"val_mse{suffix}"] = tot / n
            if d_acc:
                out["val_d_acc"] = float(np.mean(d_acc))
        return out

    def export(self, path: Path, image_steps: int) -> str:
        spec = self.spec
        recipe = {k: v for k, v in spec.items() if k not in ("arch", "hparams")}
        name = self.cfg.name or f"{self.cfg.recipe}"
        return save_model(
            self.model, path, name=name, architecture=spec["arch"], hparams=self.hparams,
            working_size=spec["working_size"], version="1", data=self.data_summary,
            recipe=json.dumps({"recipe": self.cfg.recipe, "image_steps": image_steps, "batch": self.cfg.batch,
                               "size": self.cfg.size, "seed": self.cfg.seed, "balance": self.cfg.balance,
                               "init": self.cfg.init or "", **recipe}),
            extra={"device": str(self.device), "torch": torch.__version__},
        )

    # -- loop --------------------------------------------------------------------------------------
    def run(self, stop_after: int | None = None) -> None:
        cfg = self.cfg
        b = cfg.batch
        eval_it = max(1, cfg.eval_every // b)
        ckpt_it = max(1, cfg.ckpt_every // b)
        snap_its = {max(1, s // b): s for s in cfg.snapshots}
        if self.step == 0 and not self.history["val"]:
            v = self.validate()
            if v:
                self.history["val"].append(v)
        t0, s0 = time.perf_counter(), self.step
        acc: dict[str, list] = {}
        last_print = time.perf_counter()
        fitted = not cfg.max_minutes
        while self.step < self.iters:
            if not fitted and self.step - s0 == 20:
                # a time budget: measure the rate over 20 iterations, then fit the schedule to the time left
                rate = 20 / max(time.perf_counter() - t0, 1e-9)
                left = cfg.max_minutes * 60 - (time.perf_counter() - t0)
                self.iters = min(self.iters, self.step + max(1, int(0.9 * rate * left)))
                print(f"time budget {cfg.max_minutes:g} min: {rate * b:.0f} img/s, schedule set to {self.iters} "
                      f"iterations ({self.iters * b} image-steps)", flush=True)
                fitted = True
            rec = self.train_step()
            for k, v in rec.items():
                acc.setdefault(k, []).append(v)
            if self.step % max(1, cfg.log_every // b) == 0 or self.step == self.iters:
                self.history["train"].append({k: float(torch.stack([torch.as_tensor(x, dtype=torch.float32).cpu() for x in v]).mean()) for k, v in acc.items()} | {"it": self.step, "image_steps": self.step * b})
                acc = {}
            if self.step % eval_it == 0 or self.step == self.iters:
                v = self.validate()
                if v:
                    self.history["val"].append(v)
            if self.step in snap_its:
                sha = self.export(self.out / f"snapshot-{snap_its[self.step]}.safetensors", snap_its[self.step])
                print(f"snapshot at {snap_its[self.step]} image-steps: {sha[:12]}", flush=True)
            if self.step % ckpt_it == 0 or self.step == self.iters:
                self.save_checkpoint()
                atomic_write_bytes(self.out / "history.json", json.dumps(self.history).encode())
            now = time.perf_counter()
            if now - last_print > 15 or self.step == self.iters:
                rate = (self.step - s0) * b / max(now - t0, 1e-9)
                eta = (self.iters - self.step) * b / max(rate, 1e-9)
                last = self.history["train"][-1] if self.history["train"] else rec
                val = self.history["val"][-1].get("val_mse", float("nan")) if self.history["val"] else float("nan")
                print(f"[{cfg.recipe}] it {self.step}/{self.iters} ({self.step * b} img) {rate:.1f} img/s "
                      f"loss {last.get('loss', float('nan')):.4f} val_mse {val:.1f} ETA {eta / 60:.1f} min", flush=True)
                last_print = now
            if stop_after is not None and self.step >= stop_after:
                self.save_checkpoint()
                return
        self.save_checkpoint()
        atomic_write_bytes(self.out / "history.json", json.dumps(self.history).encode())
        sha = self.export(self.out / "model.safetensors", self.step * b)
        print(f"exported {self.out / 'model.safetensors'} sha256 {sha}", flush=True)


def load_data(cfg: Config) -> tuple[PackedSplit, PackedSplit, str]:
    if cfg.packed:
        from .pack import read_compact

        splits = read_compact(Path(cfg.packed))
        train, val, root = splits["train"], splits["val"], Path(cfg.packed)
    else:
        root = Path(cfg.data_root) if cfg.data_root else default_data_root()
        paths = pack(root, Path(cfg.cache), size=cfg.size, sets=cfg.sets, limit_per_set=cfg.limit_per_set)
        train, val = load_packed(paths["train"]), load_packed(paths["val"])
    dropped = ""
    if cfg.drop_dull:
        train, n_drop = drop_least_colourful(train, cfg.drop_dull)
        dropped = f"; the {n_drop} least colourful training images ({cfg.drop_dull:.0%}) dropped"
    counts = {n: int((train.set_ids == k).sum()) for k, n in enumerate(train.set_names)}
    summary = (f"{root.name}: {len(train)} train / {len(val)} val images at {cfg.size}px; per set (train): "
               + ", ".join(f"{k} {v}" for k, v in counts.items()) + f"; sampling {cfg.balance}{dropped}")
    return train, val, summary


def parse_args(argv: list[str] | None = None) -> tuple[Config, bool]:
    p = argparse.ArgumentParser(prog="python -m training.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", required=True, choices=sorted(RECIPES))
    p.add_argument("--out", required=True, help="run folder (checkpoint, history, exported weights)")
    p.add_argument("--image-steps", type=int, default=60000)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--data-root", default="", help="default: $ARCHCOLOUR_DATA or ../shared/datasets")
    p.add_argument("--cache", default="training/cache")
    p.add_argument("--packed", default="", help="compact data file from `python -m training.pack --compact`")
    p.add_argument("--sets", nargs="*", default=None)
    p.add_argument("--balance", choices=["sqrt", "natural"], default="sqrt")
    p.add_argument("--init", default=None, help="checkpoint (.pt) or weights (.safetensors) to start from (gan: the mse run)")
    p.add_argument("--drop-dull", type=float, default=0.0, help="drop this fraction of the least colourful training images")
    p.add_argument("--val-images", type=int, default=512)
    p.add_argument("--max-minutes", type=float, default=0.0,
                   help="fit the schedule into this many minutes (measured after 20 iterations); 0: no limit")
    p.add_argument("--eval-every", type=int, default=2000)
    p.add_argument("--ckpt-every", type=int, default=2000)
    p.add_argument("--snapshot", type=int, action="append", default=[], help="also export at these image-steps")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--name", default="")
    p.add_argument("--no-resume", action="store_true", help="start over even if a checkpoint exists")
    p.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="override a recipe field")
    a = p.parse_args(argv)
    overrides = {}
    for kv in a.set:
        k, v = kv.split("=", 1)
        overrides[k] = json.loads(v)
    cfg = Config(recipe=a.recipe, out=a.out, image_steps=a.image_steps, batch=a.batch, size=a.size, seed=a.seed,
                 device=a.device, data_root=a.data_root, cache=a.cache, packed=a.packed, sets=a.sets, balance=a.balance, init=a.init,
                 eval_every=a.eval_every, ckpt_every=a.ckpt_every, drop_dull=a.drop_dull, val_images=a.val_images, max_minutes=a.max_minutes, snapshots=a.snapshot, threads=a.threads,
                 name=a.name, overrides=overrides)
    return cfg, not a.no_resume


def main(argv: list[str] | None = None) -> int:
    cfg, resume = parse_args(argv)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.backends.cudnn.benchmark = True  # fixed input sizes: let cuDNN pick its fastest kernels
    train, val, summary = load_data(cfg)
    print(summary, flush=True)
    trainer = Trainer(cfg, train, val, summary)
    if resume:
        trainer.resume()
    print(f"{cfg.recipe}: {nets.count_parameters(trainer.model):,} parameters on {trainer.device}; "
          f"{trainer.iters} iterations of {cfg.batch}", flush=True)
    trainer.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

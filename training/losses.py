"""Losses. ab tensors are in CIELAB units, shape (N, 2, H, W)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from archcolour.nets.abbins import soft_encode
from archcolour.nets.common import AB_SCALE


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The report's loss: mean squared error in ab units (its curves sit at 20-130)."""
    return F.mse_loss(pred, target)


def chroma_moments_gap(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """Per-image gap between the first two moments of the colour distribution, in units of AB_SCALE.

    Compares, image by image, the mean chroma and the spread (std) of a and of b of the prediction
    with those of the ground truth. Pixel losses (L1 or MSE) pull an uncertain pixel toward the
    average of its plausible colours, which is grey-brown; this term asks the *image as a whole* to be
    as colourful as the real one without saying where the colour goes, so it fights dull sepia
    output while the pixel term keeps the colours in the right places.
    """
    p, t = pred / AB_SCALE, target / AB_SCALE
    cp = (p.pow(2).sum(1) + eps).sqrt().mean(dim=(1, 2))
    ct = (t.pow(2).sum(1) + eps).sqrt().mean(dim=(1, 2))
    sp = p.flatten(2).std(dim=2)
    st = t.flatten(2).std(dim=2)
    return (cp - ct).abs().mean() + (sp - st).abs().sum(1).mean()


def ours(pred: torch.Tensor, target: torch.Tensor, chroma_weight: float = 1.0) -> tuple[torch.Tensor, dict]:
    """L1 on ab (less averaging than MSE) plus the chroma-moment term."""
    l1 = F.l1_loss(pred / AB_SCALE, target / AB_SCALE)
    gap = chroma_moments_gap(pred, target)
    return l1 + chroma_weight * gap, {"l1": l1.detach(), "chroma_gap": gap.detach()}


def classification(logits: torch.Tensor, target_ab: torch.Tensor, centres: torch.Tensor, weights: torch.Tensor,
                   k: int = 5, sigma: float = 5.0) -> tuple[torch.Tensor, dict]:
    """Zhang et al. (2016)'s loss: cross-entropy of the bin logits (N, Q, H, W) against the soft-encoded
    target (its ``k`` nearest bins, Gaussian weights of ``sigma`` ab units), each pixel weighted by the
    rebalancing weight (Q,) of its target's nearest bin.

    The dense (N, Q, H, W) target is never made: log_softmax(logits) is read only at the k target bins,
    as ``logits.gather(k bins) - logsumexp(logits)`` (the same numbers, without keeping a second
    (N, Q, H, W) tensor for the backward pass)."""
    idx, w = soft_encode(target_ab, centres, k=k, sigma=sigma)
    z = logits.float()
    log_p = z.gather(1, idx) - torch.logsumexp(z, dim=1, keepdim=True)
    ce = -(w * log_p).sum(1)  # (N, H, W)
    loss = (weights.to(ce)[idx[:, 0]] * ce).mean()
    return loss, {"ce": ce.mean().detach()}

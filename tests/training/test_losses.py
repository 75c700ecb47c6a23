"""Training losses: the classification loss over the quantised ab gamut."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from archcolour.nets.abbins import gamut_centres, soft_encode
from training import losses


def _targets(q: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(bin indices (2, 6, 7), ab near those bins' centres (2, 2, 6, 7))."""
    g = torch.Generator().manual_seed(seed)
    centres = gamut_centres()
    idx = torch.randint(0, q, (2, 6, 7), generator=g)
    ab = centres[idx].permute(0, 3, 1, 2) + torch.rand(2, 2, 6, 7, generator=g) * 4 - 2
    return idx, ab


def test_classification_loss_is_the_weighted_dense_cross_entropy():
    centres = gamut_centres()
    q = centres.shape[0]
    _, ab = _targets(q, 0)
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(2, q, 6, 7, generator=g)
    weights = torch.rand(q, generator=g) + 0.5
    loss, parts = losses.classification(logits, ab, centres, weights)
    idx, w = soft_encode(ab, centres)  # the dense target, as Zhang et al. write it
    dense = torch.zeros(2, q, 6, 7).scatter_(1, idx, w)
    ce = -(dense * F.log_softmax(logits, 1)).sum(1)
    assert torch.allclose(loss, (weights[idx[:, 0]] * ce).mean(), atol=1e-5)
    assert torch.allclose(parts["ce"], ce.mean(), atol=1e-5) and not parts["ce"].requires_grad


def test_classification_loss_prefers_the_right_bins_and_goes_down():
    centres = gamut_centres()
    q = centres.shape[0]
    idx, ab = _targets(q, 2)
    weights = torch.ones(q)
    right = torch.zeros(2, q, 6, 7).scatter_(1, idx[:, None], 8.0)
    wrong = torch.zeros(2, q, 6, 7).scatter_(1, ((idx + q // 2) % q)[:, None], 8.0)
    assert losses.classification(right, ab, centres, weights)[0] < 0.5 * losses.classification(wrong, ab, centres, weights)[0]
    # a few optimisation steps from random logits on the tiny batch
    logits = torch.randn(2, q, 6, 7, generator=torch.Generator().manual_seed(3)).requires_grad_(True)
    opt = torch.optim.Adam([logits], lr=0.3)
    history = []
    for _ in range(15):
        loss, _ = losses.classification(logits, ab, centres, weights)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(loss.item())
    assert history[-1] < 0.5 * history[0] and all(b <= a + 1e-6 for a, b in zip(history[:5], history[1:6]))


def test_rare_bins_weigh_more_in_the_loss():
    centres = gamut_centres()
    q = centres.shape[0]
    idx, ab = _targets(q, 4)
    logits = torch.zeros(2, q, 6, 7)
    heavy = torch.ones(q)
    heavy[idx[0, 0, 0]] = 100.0  # one pixel's bin made rare
    assert losses.classification(logits, ab, centres, heavy)[0] > losses.classification(logits, ab, centres, torch.ones(q))[0]

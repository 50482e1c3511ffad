"""Tests of nasbench_lab/oneshot/searchers/darts.py: the second-order hypergradient against finite differences."""

from __future__ import annotations

import torch

from nasbench_lab.oneshot.context import Batch
from nasbench_lab.oneshot.searchers.darts import _train_loss, _virtual_step, unrolled_hypergradient


def _double_batch(batch: Batch) -> Batch:
    return Batch(batch.images.double(), batch.labels)


def test_second_order_hypergradient_matches_a_finite_difference_estimate(make_ctx) -> None:
    ctx = make_ctx(seed=3, C=2)
    ctx.net.double()
    train = _double_batch(next(ctx.train_batches()))
    valid = _double_batch(ctx.valid_batch())
    ctx.weight_step(train, torch.full((6, 5), 0.2, dtype=torch.float64))  # momentum buffers exist: the step uses them
    alpha = 0.5 * torch.randn((6, 5), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    xi = 0.5  # large, so that the second-order term is far from negligible
    before = [p.detach().clone() for p in ctx.net.parameters()]

    # In float64 a small step keeps the central difference of grad_alpha away from ReLU kinks (DARTS' 0.01 in
    # float32 trades that for round-off; on this tiny net it crosses kinks and the product is noisy).
    hyper = unrolled_hypergradient(ctx, alpha, train, valid, xi, eps=1e-6)

    for p, q in zip(ctx.net.parameters(), before):  # the finite-difference probes leave w as it was
        torch.testing.assert_close(p.detach(), q, rtol=0, atol=1e-12)

    def objective(a: torch.Tensor) -> float:  # L_val(w - xi * step(w, a), a): what the hypergradient differentiates
        return float(_train_loss(ctx, _virtual_step(ctx, train, a, xi), valid, a).detach())

    h = 1e-5
    estimate = torch.zeros_like(alpha)
    for i in range(6):
        for k in range(5):
            step = torch.zeros_like(alpha)
            step[i, k] = h
            estimate[i, k] = (objective(alpha + step) - objective(alpha - step)) / (2 * h)
    scale = float(estimate.abs().max())
    torch.testing.assert_close(hyper, estimate, rtol=0, atol=2e-3 * scale)

    alpha_leaf = alpha.clone().requires_grad_(True)  # the first-order gradient at w' misses the second-order term
    first_order = torch.autograd.grad(_train_loss(ctx, _virtual_step(ctx, train, alpha, xi), valid, alpha_leaf), alpha_leaf)[0]
    assert float((first_order - estimate).abs().max()) > 20 * 2e-3 * scale

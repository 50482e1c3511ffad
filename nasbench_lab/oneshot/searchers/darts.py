"""DARTS (Liu et al., ICLR 2019): continuous relaxation, bilevel optimisation, first or second order.

Each step first updates alpha on a valid batch, then the weights on a train batch with every op mixed by
``softmax(alpha)``. First order (``order = 1``, "DARTS-V1" in NB201) takes the valid loss's gradient at
the current weights. Second order (``order = 2``, "DARTS-V2") differentiates through one virtual SGD step
``w' = w - xi * (momentum * buf + grad_w L_train(w, alpha) + weight_decay * w)`` with ``xi`` the current
weight learning rate:

    dL_val(w', alpha)/dalpha = grad_alpha L_val(w', alpha)
                               - xi * grad^2_{alpha,w} L_train(w, alpha) . grad_w' L_val(w', alpha)

where the Hessian-vector product is the central finite difference
``(grad_alpha L_train(w + eps v) - grad_alpha L_train(w - eps v)) / (2 eps)``, ``v = grad_w' L_val``,
``eps = unroll_eps / ||v||`` (:func:`unrolled_hypergradient`). The derived arch is ``argmax alpha`` per edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.func import functional_call

from nasbench_lab.config import setting
from nasbench_lab.oneshot.base import AlphaParams, AlphaSearcher, register_searcher
from nasbench_lab.oneshot.context import Batch, SearchContext, cross_entropy


@dataclass(frozen=True)
class DartsParams(AlphaParams):
    """DARTS' parameters (its paper's defaults; ``order`` chooses V1 or V2)."""

    order: int = setting(1, low=1, high=2, doc="1: first-order DARTS (V1); 2: second order, unrolled (V2)")
    unroll_eps: float = setting(0.01, low=1e-8, doc="finite-difference step of the Hessian-vector product, / ||v||")


def _train_loss(ctx: SearchContext, params: dict[str, torch.Tensor] | None, batch: Batch,
                alpha: torch.Tensor) -> torch.Tensor:
    weights = torch.softmax(alpha, dim=-1)
    if params is None:
        return ctx.loss(batch, weights)
    ctx.net.train()
    with ctx.rt.autocast():
        logits = functional_call(ctx.net, params, (batch.images, weights))
    return cross_entropy(logits, batch.labels)


def _virtual_step(ctx: SearchContext, train: Batch, alpha: torch.Tensor, xi: float) -> dict[str, torch.Tensor]:
    """``w'`` after one SGD step (momentum and weight decay as the real optimiser), as leaf tensors."""
    named = dict(ctx.net.named_parameters())
    grads = torch.autograd.grad(_train_loss(ctx, None, train, alpha.detach()), list(named.values()))
    group = ctx.optimizer.param_groups[0]
    unrolled = {}
    for (name, p), g in zip(named.items(), grads):
        step = g + group["weight_decay"] * p.detach()
        buf = ctx.optimizer.state.get(p, {}).get("momentum_buffer")
        if buf is not None:
            step = step + group["momentum"] * buf
        unrolled[name] = (p.detach() - xi * step).requires_grad_(True)
    return unrolled


def unrolled_hypergradient(ctx: SearchContext, alpha: torch.Tensor, train: Batch, valid: Batch, xi: float,
                           eps: float = 0.01) -> torch.Tensor:
    """Second-order DARTS' gradient of the valid loss after one virtual weight step, w.r.t. alpha.

    Args:
        ctx: the run (its supernet's weights ``w`` are left unchanged).
        alpha: architecture parameters ``(6, 5)``.
        train: batch of the virtual weight step.
        valid: batch of the valid loss.
        xi: learning rate of the virtual step.
        eps: finite-difference step, divided by ``||grad_w' L_val||``.

    Returns:
        The hypergradient, shape ``(6, 5)``.
    """
    unrolled = _virtual_step(ctx, train, alpha, xi)
    alpha_leaf = alpha.detach().requires_grad_(True)
    val_loss = _train_loss(ctx, unrolled, valid, alpha_leaf)
    grads = torch.autograd.grad(val_loss, [alpha_leaf, *unrolled.values()])
    d_alpha, v = grads[0], grads[1:]
    norm_sq = (v[0] * v[0]).sum()
    for g in v[1:]:  # summed left to right, in float32 as the rest of the step
        norm_sq = norm_sq + (g * g).sum()
    r = eps / torch.sqrt(norm_sq)
    params = list(ctx.net.parameters())
    fd = []
    for sign in (1.0, -2.0):  # w + r v, then w - r v
        with torch.no_grad():
            for p, g in zip(params, v):
                p.add_(g, alpha=sign * float(r))
        fd.append(torch.autograd.grad(_train_loss(ctx, None, train, alpha_leaf), alpha_leaf)[0])
    with torch.no_grad():
        for p, g in zip(params, v):
            p.add_(g, alpha=float(r))
    hessian_v = (fd[0] - fd[1]) / (2 * r)
    return d_alpha - xi * hessian_v


@register_searcher("darts")
class Darts(AlphaSearcher):
    """DARTS, first (V1) or second (V2) order; see the module docstring."""

    Params = DartsParams
    paper = "Liu, Simonyan & Yang, DARTS: Differentiable Architecture Search, ICLR 2019"

    def search_epoch(self, epoch: int) -> None:
        """Per step: alpha on a valid batch, then the weights on the train batch with ``softmax(alpha)``."""
        for train in self.ctx.train_batches():
            valid = self.ctx.valid_batch()
            self.arch_optimizer.zero_grad(set_to_none=True)
            if self.params.order == 1:
                self.ctx.loss(valid, torch.softmax(self.alpha, dim=-1)).backward()
            else:
                self.alpha.grad = unrolled_hypergradient(self.ctx, self.alpha, train, valid, self.ctx.lr,
                                                         self.params.unroll_eps)
            self.arch_optimizer.step()
            self.ctx.net.zero_grad(set_to_none=True)
            self.ctx.weight_step(train, torch.softmax(self.alpha, dim=-1))

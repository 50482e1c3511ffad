"""GDAS (Dong & Yang, CVPR 2019): a differentiable sampler of one op per edge.

Each step draws Gumbel noise ``g`` and forms ``p = softmax((alpha + g) / tau)``; the forward pass runs only
``k = argmax p`` on each edge, multiplied by the straight-through weight ``h_k = 1 - p_k.detach() + p_k``
(value 1, gradient of ``p_k``), so one op per edge is computed and alpha still gets a gradient. The weights
learn on a train batch and alpha (Adam, DARTS' settings) on a valid batch, each with its own sample. The
temperature falls linearly from ``tau_max`` to ``tau_min`` over the search epochs (NB201: 10 -> 0.1).
The derived arch is ``argmax alpha``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nasbench_lab.config import setting
from nasbench_lab.errors import ConfigError
from nasbench_lab.oneshot.base import AlphaParams, AlphaSearcher, register_searcher
from nasbench_lab.oneshot.context import SearchContext


@dataclass(frozen=True)
class GdasParams(AlphaParams):
    """GDAS' parameters (NB201's settings)."""

    tau_max: float = setting(10.0, low=1e-3, doc="Gumbel-softmax temperature of the first epoch")
    tau_min: float = setting(0.1, low=1e-3, doc="temperature of the last epoch (linear schedule)")

    def check(self) -> None:
        """``tau_min <= tau_max``."""
        if self.tau_min > self.tau_max:
            raise ConfigError(f"tau_min: must be <= tau_max ({self.tau_max}), got {self.tau_min}")


def gumbel_hard(alpha: torch.Tensor, tau: float, generator: torch.Generator) -> tuple[torch.Tensor, list[int]]:
    """GDAS' hard sample: straight-through one-hot weights ``(6, 5)`` and the op picked on each edge.

    The Gumbel noise comes from ``generator`` (CPU), so a seed gives the same samples on every device.
    """
    while True:  # -log(Exp(1)) is Gumbel(0, 1); redraw in the (rare) case of an infinite sample
        gumbel = -torch.empty(alpha.shape).exponential_(generator=generator).log()
        if torch.isfinite(gumbel).all():
            break
    probs = torch.softmax((alpha + gumbel.to(alpha.device)) / tau, dim=-1)
    index = probs.argmax(dim=-1)
    hard = torch.zeros_like(probs).scatter_(-1, index[:, None], 1.0)
    return hard - probs.detach() + probs, [int(k) for k in index.cpu()]


@register_searcher("gdas")
class Gdas(AlphaSearcher):
    """GDAS; see the module docstring."""

    Params = GdasParams
    paper = "Dong & Yang, Searching for A Robust Neural Architecture in Four GPU Hours, CVPR 2019"

    def __init__(self, ctx: SearchContext, params: GdasParams) -> None:
        super().__init__(ctx, params)
        self.tau = params.tau_max

    def temperature(self, epoch: int) -> float:
        """Linear schedule from ``tau_max`` (first epoch) to ``tau_min`` (last)."""
        last = max(self.ctx.cfg["epochs"] - 1, 1)
        return self.params.tau_max - (self.params.tau_max - self.params.tau_min) * min(epoch, last) / last

    def search_epoch(self, epoch: int) -> None:
        """Per step: weights on a train batch, then alpha on a valid batch, each through one sampled path."""
        self.tau = self.temperature(epoch)
        for train in self.ctx.train_batches():
            weights, active = gumbel_hard(self.alpha.detach(), self.tau, self.ctx.generator)
            self.ctx.weight_step(train, weights, active)
            weights, active = gumbel_hard(self.alpha, self.tau, self.ctx.generator)
            self.arch_optimizer.zero_grad(set_to_none=True)
            self.ctx.loss(self.ctx.valid_batch(), weights, active).backward()
            self.arch_optimizer.step()
            self.ctx.net.zero_grad(set_to_none=True)

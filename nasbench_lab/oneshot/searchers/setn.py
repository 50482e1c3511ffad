"""SETN (Dong & Yang, ICCV 2019): one-shot training with template sampling, and an evaluator.

Each step trains the shared weights through one uniformly sampled path on a train batch ("uniform
sampling", as NB201's SETN), then updates alpha with Adam on a valid batch through the
``softmax(alpha)``-weighted supernet. The pick (the evaluator) samples ``n_candidates`` templates from
``softmax(alpha)`` (one op per edge) and keeps the one with the best one-shot valid accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from nasbench_lab.oneshot.base import AlphaParams, AlphaSearcher, CandidateParams, random_arch, register_searcher
from nasbench_lab.space import N_OPS, Arch


@dataclass(frozen=True)
class SetnParams(CandidateParams, AlphaParams):
    """SETN's parameters: alpha's Adam (DARTS' settings) and the evaluator's candidates."""


def sample_archs(probs: np.ndarray, n: int, rng: np.random.Generator) -> list[Arch]:
    """``n`` archs, each edge's op drawn from its row of ``probs`` ``(6, 5)`` (inverse-CDF, vectorised)."""
    cdf = np.cumsum(probs, axis=1)
    draws = rng.random((n, probs.shape[0], 1))
    ops = np.minimum((draws > cdf[None, :, :]).sum(axis=2), N_OPS - 1)
    return [Arch(tuple(int(k) for k in row)) for row in ops]


@register_searcher("setn")
class Setn(AlphaSearcher):
    """SETN; see the module docstring."""

    Params = SetnParams
    paper = "Dong & Yang, One-Shot Neural Architecture Search via Self-Evaluated Template Network, ICCV 2019"

    def search_epoch(self, epoch: int) -> None:
        """Per step: weights through a uniform path on a train batch, alpha through the mixture on a valid batch."""
        for train in self.ctx.train_batches():
            arch = random_arch(self.ctx.rng)
            self.ctx.path_step(train, arch)
            self.arch_optimizer.zero_grad(set_to_none=True)
            self.ctx.loss(self.ctx.valid_batch(), torch.softmax(self.alpha, dim=-1)).backward()
            self.arch_optimizer.step()
            self.ctx.net.zero_grad(set_to_none=True)

    def derive(self) -> Arch:
        """The best of ``n_candidates`` templates sampled from ``softmax(alpha)``, by one-shot valid accuracy."""
        return self.best_of(sample_archs(self.probs(), self.params.n_candidates, self.ctx.rng))


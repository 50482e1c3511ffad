"""RSPS (Li & Talwalkar, UAI 2019): random search with parameter sharing.

The shared weights train through one uniformly random path per train batch; the pick is the best of
``n_candidates`` uniformly random archs by one-shot valid accuracy (NB201: 100). RSPS has no alpha: its
recorded distribution is the uniform one it samples from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nasbench_lab.oneshot.base import CandidateParams, Searcher, random_arch, register_searcher
from nasbench_lab.oneshot.supernet import ALPHA_SHAPE
from nasbench_lab.space import N_OPS, Arch


@dataclass(frozen=True)
class RspsParams(CandidateParams):
    """RSPS' parameters: how many random archs the final pick scores."""


@register_searcher("rsps")
class Rsps(Searcher):
    """RSPS; see the module docstring."""

    Params = RspsParams
    paper = "Li & Talwalkar, Random Search and Reproducibility for Neural Architecture Search, UAI 2019"

    def search_epoch(self, epoch: int) -> None:
        """One pass over the train split, each batch through a uniformly random path."""
        for train in self.ctx.train_batches():
            self.ctx.path_step(train, random_arch(self.ctx.rng))

    def derive(self) -> Arch:
        """The best of ``n_candidates`` uniformly random archs by one-shot valid accuracy."""
        return self.best_of([random_arch(self.ctx.rng) for _ in range(self.params.n_candidates)])

    def probs(self) -> np.ndarray:
        """The uniform distribution RSPS samples from."""
        return np.full(ALPHA_SHAPE, 1.0 / N_OPS)

"""The :class:`Searcher` interface and its registry.

A searcher is a weight-sharing NAS method. The run loop (:func:`nasbench_lab.oneshot.engine.run_search`)
calls :meth:`Searcher.search_epoch` once per search epoch, then asks for the searcher's current pick
(:meth:`Searcher.derive`) and its architecture distribution (:meth:`Searcher.probs`) to record them. The
searcher never sees the benchmark: the runner looks the picks up in the table afterwards.

Searchers register with ``@register_searcher("name")`` and declare their typed parameters in ``Params``
(a :class:`~nasbench_lab.config.Config`), which oneshot specs are validated against.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from nasbench_lab.config import Config, setting
from nasbench_lab.oneshot.context import SearchContext
from nasbench_lab.oneshot.supernet import ALPHA_SHAPE, derive
from nasbench_lab.registry import Registry
from nasbench_lab.space import N_EDGES, N_OPS, Arch

SEARCHERS: Registry[type[Searcher]] = Registry(
    "searcher",
    autoload=tuple(f"nasbench_lab.oneshot.searchers.{m}" for m in ("darts", "gdas", "setn", "enas", "rsps")),
)
register_searcher = SEARCHERS.register


@dataclass(frozen=True)
class AlphaParams(Config):
    """Parameters of the searchers that learn alpha with Adam on the valid split (DARTS, GDAS, SETN).

    Defaults are DARTS' (Liu et al., 2019) as NB201's searchers use them.
    """

    arch_lr: float = setting(3e-4, low=0.0, doc="Adam learning rate of alpha")
    arch_beta1: float = setting(0.5, low=0.0, high=1.0, doc="Adam beta1 of alpha")
    arch_weight_decay: float = setting(1e-3, low=0.0, doc="weight decay of alpha")
    exclude_none: bool = setting(False, doc="never derive `none` (original DARTS); NB201 keeps it")


@dataclass(frozen=True)
class CandidateParams(Config):
    """How a sampling searcher picks its arch: the best of ``n_candidates`` by one-shot valid accuracy."""

    n_candidates: int = setting(100, low=1, doc="archs sampled and scored with the shared weights per pick (NB201: 100)")
    candidate_images: int | None = setting(256, low=1, doc="valid images each candidate is scored on (null: all)")


class Searcher(ABC):
    """Base class of the weight-sharing searchers.

    Args:
        ctx: the run's supernet, data and weight optimiser.
        params: the searcher's validated parameters (an instance of ``Params``).

    Attributes:
        Params: the searcher's parameter dataclass.
        paper: the method's reference, for the documentation.
    """

    Params: ClassVar[type[Config]]
    paper: ClassVar[str] = ""

    def __init__(self, ctx: SearchContext, params: Config) -> None:
        if not isinstance(params, self.Params):
            raise TypeError(f"{type(self).__name__} takes {self.Params.__name__}, got {type(params).__name__}")
        self.ctx = ctx
        self.params: Any = params

    @abstractmethod
    def search_epoch(self, epoch: int) -> None:
        """Run one search epoch (one pass over the train split) of weight and architecture updates."""

    @abstractmethod
    def derive(self) -> Arch:
        """The searcher's current pick (argmax of alpha, or the best of its sampled candidates)."""

    @abstractmethod
    def probs(self) -> np.ndarray:
        """The searcher's current op distribution per edge, shape ``(6, 5)``, rows summing to 1."""

    def best_of(self, candidates: list[Arch]) -> Arch:
        """The candidate with the best one-shot valid accuracy (ties: the first); the SETN/ENAS/RSPS evaluator."""
        scores = self.ctx.oneshot_accuracy(candidates, self.params.candidate_images)
        return candidates[int(np.argmax(scores))]


class AlphaSearcher(Searcher):
    """A searcher with architecture parameters ``alpha`` ``(6, 5)`` learnt by Adam (DARTS, GDAS, SETN).

    ``alpha`` starts at ``1e-3 * N(0, 1)`` drawn from the run's generator (as DARTS/NB201); its optimiser
    is DARTS': Adam with ``arch_lr``, betas ``(arch_beta1, 0.999)`` and ``arch_weight_decay``.

    Attributes:
        alpha: the architecture parameters.
        arch_optimizer: their Adam.
    """

    def __init__(self, ctx: SearchContext, params: Config) -> None:
        super().__init__(ctx, params)
        alpha = 1e-3 * torch.randn(ALPHA_SHAPE, generator=ctx.generator)
        self.alpha = torch.nn.Parameter(alpha.to(ctx.rt.device))
        self.arch_optimizer = torch.optim.Adam([self.alpha], lr=self.params.arch_lr, betas=(self.params.arch_beta1, 0.999),
                                               weight_decay=self.params.arch_weight_decay)

    def derive(self) -> Arch:
        """``argmax alpha`` per edge (``none`` excluded if ``exclude_none``)."""
        return derive(self.alpha, exclude_none=self.params.exclude_none)

    def probs(self) -> np.ndarray:
        """``softmax(alpha)`` per edge."""
        return torch.softmax(self.alpha.detach(), dim=-1).cpu().double().numpy()


def random_arch(rng: np.random.Generator) -> Arch:
    """An arch with every op drawn uniformly (RSPS/SETN/ENAS weight steps use one per batch)."""
    return Arch(tuple(int(k) for k in rng.integers(0, N_OPS, size=N_EDGES)))


def searcher_class(name: str) -> type[Searcher]:
    """The searcher registered as ``name``.

    Raises:
        ConfigError: no searcher has that name; the message lists the registered ones.
    """
    return SEARCHERS.get(name)

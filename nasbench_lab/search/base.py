"""The search :class:`Strategy` interface (ask/tell) and its registry.

A strategy proposes architectures and learns from what the runner observes. It never touches the
benchmark and never sees test metrics: the runner queries the benchmark, charges the simulated cost
and hands back an :class:`Observation`. All randomness comes from the ``numpy.random.Generator`` the
strategy is given.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from nasbench_lab.registry import Registry

STRATEGIES: Registry[type[Strategy]] = Registry(
    "strategy",
    autoload=tuple(
        f"nasbench_lab.search.{m}"
        for m in ("simple", "bo", "bananas", "hyperband", "pnas", "reinforce", "zc_warmstart", "multiobjective")
    ),
)
register_strategy = STRATEGIES.register


@dataclass(frozen=True)
class Proposal:
    """What a strategy asks the runner to evaluate.

    Attributes:
        arch: NB201 index of the architecture.
        epochs: how many curve columns (evaluation points) to train for; ``None`` means the full
            recipe. Multi-fidelity strategies (successive halving) ask for fewer.
    """

    arch: int
    epochs: int | None = None


@dataclass(frozen=True)
class Observation:
    """What the runner tells the strategy about a proposal.

    Attributes:
        value: the objective (e.g. validation accuracy) at the fidelity trained; larger is better.
        cost: simulated seconds charged for it.
        curve: the objective at every evaluation point trained so far, shape ``(epochs,)``.
    """

    value: float
    cost: float
    curve: np.ndarray = field(default_factory=lambda: np.empty(0))


# A zero-cost proxy oracle: indices (n,) -> scores (n,); the runner charges its cost.
ProxyOracle = Callable[[np.ndarray], np.ndarray]


class Strategy(ABC):
    """Base class of every search strategy.

    Args:
        rng: the only source of randomness.
        max_epochs: number of curve columns of the recipe searched (the full fidelity).
        proxy_oracle: optional zero-cost proxy oracle, for strategies that use one.
    """

    uses_proxies: ClassVar[bool] = False
    multi_fidelity: ClassVar[bool] = False  # True: may ask for fewer epochs than max_epochs

    def __init__(self, rng: np.random.Generator, *, max_epochs: int = 1, proxy_oracle: ProxyOracle | None = None) -> None:
        self.rng = rng
        self.max_epochs = max_epochs
        self.proxy_oracle = proxy_oracle

    @abstractmethod
    def ask(self) -> Proposal:
        """The next architecture (and fidelity) to evaluate."""

    @abstractmethod
    def tell(self, proposal: Proposal, observation: Observation) -> None:
        """Record the outcome of ``proposal``."""

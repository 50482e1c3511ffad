"""Zero-cost warm start (Abdelfattah et al. 2021): rank a random pool by a proxy, seed a search with the best.

The strategy draws ``pool_size`` distinct random archs, scores them all with one call to the
``proxy_oracle`` the runner provides (the runner charges its cost), and proposes the ``n_warm``
best-scoring archs first. Their observations are then told to an inner strategy (``then``:
``"evolution"`` or ``"bo"``, built with ``then_params``), which takes over: regularised evolution
starts with them as its population, BO with them as its initial design. Archs whose proxy score is
NaN (a proxy that failed on them) are never picked for the warm start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from nasbench_lab import space
from nasbench_lab.config import Config, setting
from nasbench_lab.errors import ConfigError
from nasbench_lab.search.base import STRATEGIES, Observation, Proposal, ProxyOracle, register_strategy
from nasbench_lab.search.common import ConfiguredStrategy


@dataclass(frozen=True)
class WarmStartParams(Config):
    """Parameters of :class:`ZeroCostWarmStart`."""

    pool_size: int = setting(3000, low=1, high=space.N_ARCHS, doc="random archs scored by the proxy")
    n_warm: int = setting(10, low=1, doc="best-scoring archs evaluated first")
    then: str = setting("evolution", choices=("evolution", "bo"), doc="strategy seeded with them")
    then_params: dict[str, Any] = setting({}, doc="parameters of that strategy")

    def check(self) -> None:
        """The warm start is drawn from the pool."""
        if self.n_warm > self.pool_size:
            raise ConfigError(f"n_warm: must be <= pool_size ({self.pool_size}), got {self.n_warm}")


@register_strategy("zc_warmstart")
class ZeroCostWarmStart(ConfiguredStrategy):
    """Proxy-ranked warm start of evolution or BO."""

    uses_proxies = True
    Params: ClassVar[type[Config]] = WarmStartParams
    params: WarmStartParams

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, **kwargs)
        if self.proxy_oracle is None:
            raise ConfigError(f"{self.owner}: needs a zero-cost proxy oracle; name a proxy in the study spec")
        self.oracle: ProxyOracle = self.proxy_oracle
        inner_rng = np.random.default_rng(int(rng.integers(2**63)))
        self.inner = STRATEGIES.get(self.params.then)(inner_rng, max_epochs=self.max_epochs, **self.params.then_params)
        self._warm: list[int] | None = None

    def _rank_pool(self) -> list[int]:
        pool = self.rng.choice(space.N_ARCHS, size=self.params.pool_size, replace=False).astype(np.int64)
        scores = np.asarray(self.oracle(pool), dtype=np.float64)
        if scores.shape != pool.shape:
            raise ConfigError(f"{self.owner}: the proxy oracle returned shape {scores.shape} for {pool.shape} archs")
        ok = ~np.isnan(scores)
        order = np.argsort(-scores[ok], kind="stable")[: self.params.n_warm]
        return [int(a) for a in pool[ok][order][::-1]]

    def ask(self) -> Proposal:
        """A warm-start arch while any is left, then whatever the inner strategy asks."""
        if self._warm is None:
            self._warm = self._rank_pool()
        if self._warm:
            return Proposal(self._warm.pop())
        return self.inner.ask()

    def tell(self, proposal: Proposal, observation: Observation) -> None:
        """Pass every observation to the inner strategy."""
        self.inner.tell(proposal, observation)

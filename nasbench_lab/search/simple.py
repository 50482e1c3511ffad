"""Model-free baselines: random search, regularised evolution and local search.

All three propose only archs they have not proposed before (see ``docs/search.md``: a repeated arch
would be a cached lookup costing nothing, so re-proposing it only wastes a step). Proposals are marked
as seen when asked, so several outstanding asks never collide.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from nasbench_lab import space
from nasbench_lab.config import Config, setting
from nasbench_lab.errors import ConfigError
from nasbench_lab.search.base import Observation, Proposal, register_strategy
from nasbench_lab.search.common import (
    HistoryStrategy,
    draw_below,
    mutate_unseen,
    neighbours_of,
    random_unseen,
)


@register_strategy("random")
class RandomSearch(HistoryStrategy):
    """Uniform random search without repeats (Bergstra & Bengio 2012; NB201's RS baseline)."""

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, **kwargs)
        self._order: list[int] = []  # a random permutation of all archs, walked from the end

    def ask(self) -> Proposal:
        """A uniformly drawn arch not proposed before (the next unasked one of a random permutation)."""
        if not self._order:
            self._order = self.rng.permutation(space.N_ARCHS).tolist()
        while self._order:
            arch = self._order.pop()
            if not self._asked[arch]:
                break
        else:  # every arch has been asked: repeats are all that is left
            arch = int(self.rng.integers(space.N_ARCHS))
        return self._propose(arch)


@dataclass(frozen=True)
class EvolutionParams(Config):
    """Parameters of :class:`RegularisedEvolution`."""

    population: int = setting(10, low=2, doc="population size (NB201: 10)")
    sample_size: int = setting(3, low=1, doc="tournament size; must be <= population")

    def check(self) -> None:
        """The tournament cannot be larger than the population."""
        if self.sample_size > self.population:
            raise ConfigError(f"sample_size: must be <= population ({self.population}), got {self.sample_size}")


@dataclass(frozen=True)
class LocalSearchParams(Config):
    """Parameters of :class:`LocalSearch`."""

    n_init: int = setting(10, low=1, doc="random archs evaluated before the first climb")


@register_strategy("evolution")
class RegularisedEvolution(HistoryStrategy):
    """Regularised (aging) evolution, REA (Real et al. 2019), as used as a baseline by NB201.

    The first ``population`` proposals are random. Afterwards each proposal mutates (one edit, as
    :meth:`nasbench_lab.space.Arch.mutate`) the best of ``sample_size`` members drawn without
    replacement from the population; every told arch joins the population and the oldest member dies.
    Told archs that were not asked (a warm start) join the population the same way.
    """

    Params: ClassVar[type[Config]] = EvolutionParams
    params: EvolutionParams

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, **kwargs)
        self._members: deque[tuple[int, float]] = deque(maxlen=self.params.population)
        self._n_asked = 0

    def ask(self) -> Proposal:
        """A random arch while the population fills, then a mutation of a tournament winner."""
        population = self.params.population
        if len(self._members) < population and self._n_asked < population:
            arch = random_unseen(self.rng, self._asked)
        else:
            arch = mutate_unseen(self.rng, self._tournament(), self._asked)
        self._n_asked += 1
        return self._propose(arch)

    def _tournament(self) -> int:
        members = list(self._members)
        if not members:  # every initial proposal is still outstanding
            return random_unseen(self.rng, self._asked)
        m, k = len(members), min(self.params.sample_size, len(members))
        while True:  # k distinct members, drawn by rejection (one draw for the k picks when m**k is small)
            if m**k < 2**40:
                code = draw_below(self.rng, m**k)
                picks = [(code // m**j) % m for j in range(k)]
            else:
                picks = [draw_below(self.rng, m) for _ in range(k)]
            if len(set(picks)) == k:
                break
        best = max(picks, key=lambda i: members[i][1])
        return members[best][0]

    def tell(self, proposal: Proposal, observation: Observation) -> None:
        """Add the told arch to the population (the oldest member dies when it is full)."""
        arch, value = self._record(proposal, observation)
        self._members.append((arch, value))


@register_strategy("local_search")
class LocalSearch(HistoryStrategy):
    """Best-improvement local search over the 1-edit neighbourhood (White et al. 2021).

    Starts from the best of ``n_init`` random archs, evaluates the incumbent's whole neighbourhood
    (the 24 one-edit neighbours of :func:`nasbench_lab.space.neighbour_indices`, in random order, skipping
    seen ones) and moves to the best neighbour if it beats the incumbent. At a local optimum it restarts
    from one fresh random arch.
    """

    Params: ClassVar[type[Config]] = LocalSearchParams
    params: LocalSearchParams

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, **kwargs)
        self._value: dict[int, float] = {}
        self._queue: list[int] = []
        self._batch: np.ndarray = np.empty(0, dtype=np.int64)  # archs whose results pick the next move
        self.incumbent: int | None = None
        self.n_restarts = 0

    def ask(self) -> Proposal:
        """The next unseen neighbour of the incumbent (or a start/restart arch)."""
        while not self._queue:
            self._plan()
        return self._propose(self._queue.pop())

    def _plan(self) -> None:
        """Refill the queue: start, climb to the best neighbour, or restart at a local optimum."""
        if self.incumbent is None and not self._batch.size:
            n = self.params.n_init if not self.history else 1
            self._batch = np.array([self._fresh() for _ in range(n)], dtype=np.int64)
            self._queue = [int(a) for a in self._batch[::-1]]
            return
        known = [a for a in self._batch.tolist() if a in self._value]
        best = max(known, key=self._value.__getitem__) if known else None
        if self.incumbent is None or (best is not None and self._value[best] > self._value.get(self.incumbent, -np.inf)):
            if best is None:
                self._batch = np.empty(0, dtype=np.int64)
                return
            self.incumbent = best
            neighbours = neighbours_of(best)
            self._batch = np.asarray(neighbours, dtype=np.int64)
            fresh = [a for a in neighbours if not self._asked[a]]
            self._queue = [fresh[i] for i in self.rng.permutation(len(fresh)).tolist()]
            return
        self.incumbent = None  # local optimum: restart
        self.n_restarts += 1
        self._batch = np.empty(0, dtype=np.int64)

    def _fresh(self) -> int:
        arch = random_unseen(self.rng, self._asked)
        self._asked[arch] = True
        return arch

    def tell(self, proposal: Proposal, observation: Observation) -> None:
        """Record the observation; moves are decided when the neighbourhood is exhausted."""
        arch, value = self._record(proposal, observation)
        self._value[arch] = max(value, self._value.get(arch, -np.inf))

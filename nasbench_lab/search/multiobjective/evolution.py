"""Model-free multi-objective strategies: random search, NSGA-II and Pareto local search.

All three never re-propose an arch (as their single-objective counterparts) and rank told points by
constrained domination (:func:`~nasbench_lab.search.multiobjective.base.constrained_ranks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from nasbench_lab import pareto, space
from nasbench_lab.config import Config, setting
from nasbench_lab.search.base import Proposal, register_strategy
from nasbench_lab.search.common import all_ops, index_from_ops, mutate_unseen, neighbours_of, random_unseen
from nasbench_lab.search.multiobjective.base import MOStrategy, constrained_ranks
from nasbench_lab.search.simple import RandomSearch


@register_strategy("mo_random")
class MORandomSearch(RandomSearch, MOStrategy):
    """Uniform random search without repeats, told objective vectors: the baseline of every MO study."""


@dataclass(frozen=True)
class NSGA2Params(Config):
    """Parameters of :class:`NSGA2`."""

    population: int = setting(20, low=2, doc="parents kept each generation")
    crossover: float = setting(0.5, low=0.0, high=1.0, doc="probability that a child crosses two parents")


@dataclass(frozen=True)
class ParetoLocalSearchParams(Config):
    """Parameters of :class:`ParetoLocalSearch`."""

    n_init: int = setting(10, low=1, doc="random archs evaluated before the first move")


@register_strategy("nsga2")
class NSGA2(MOStrategy):
    """NSGA-II (Deb et al. 2002) over the NB201 cell, with constrained domination for constraints.

    The first ``population`` proposals are random. Each later proposal is a child of two parents picked
    by binary tournament (lower rank, then larger crowding distance): uniform crossover of their edge
    ops with probability ``crossover``, then a one-edit mutation, re-drawn while it repeats a seen arch.
    Once ``population`` children have been told, parents and children are merged and the best
    ``population`` survive by rank, then crowding distance.
    """

    Params: ClassVar[type[Config]] = NSGA2Params
    params: NSGA2Params

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, **kwargs)
        self._parents: np.ndarray = np.zeros(0, dtype=np.int64)  # positions in the told history
        self._ranks: np.ndarray = np.zeros(0, dtype=np.int64)  # of the parents
        self._crowd: np.ndarray = np.zeros(0)  # of the parents
        self._selected_upto = 0  # told points already through environmental selection
        self._n_asked = 0

    def ask(self) -> Proposal:
        """A random arch while the first population fills, then a mutated (crossed) child of two parents."""
        self._n_asked += 1
        self._select()
        if self._n_asked <= self.params.population or not self._parents.size:
            return self._propose(random_unseen(self.rng, self._asked))
        archs, _, _ = self.told()
        a, b = archs[self._tournament()], archs[self._tournament()]
        child = a
        if self.rng.random() < self.params.crossover:
            ops = all_ops()
            take = self.rng.random(space.N_EDGES) < 0.5
            child = index_from_ops(np.where(take, ops[a], ops[b]))
        return self._propose(mutate_unseen(self.rng, int(child), self._asked))

    def _select(self) -> None:
        """Environmental selection once a full generation (or the first population) has been told."""
        n = len(self.points)
        if n - self._selected_upto < self.params.population:
            return
        pool = np.concatenate([self._parents, np.arange(self._selected_upto, n)])
        _, points, slack = self.told()
        ranks = constrained_ranks(points[pool], slack[pool])
        crowd = np.zeros(pool.size)
        for r in np.unique(ranks):
            members = ranks == r
            crowd[members] = pareto.crowding_distance(points[pool[members]])
        order = np.lexsort((-crowd, ranks))
        keep = order[: self.params.population]
        self._parents, self._ranks, self._crowd = pool[keep], ranks[keep], crowd[keep]
        self._selected_upto = n

    def _tournament(self) -> int:
        """Position (in the told history) of the better of two random parents."""
        i, j = self.rng.integers(self._parents.size, size=2)
        better = i if (self._ranks[i], -self._crowd[i]) <= (self._ranks[j], -self._crowd[j]) else j
        return int(self._parents[better])


@register_strategy("mo_local_search")
class ParetoLocalSearch(MOStrategy):
    """Pareto local search (Paquete et al. 2004) over the 1-edit neighbourhood.

    Starts from ``n_init`` random archs. Repeatedly picks a random unexplored member of the current
    front (constrained domination), evaluates all its unseen neighbours and marks it explored; the
    front is updated as results come in. When every front member is explored, one random arch
    restarts the search.
    """

    Params: ClassVar[type[Config]] = ParetoLocalSearchParams
    params: ParetoLocalSearchParams

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, **kwargs)
        self._explored = np.zeros(space.N_ARCHS, dtype=bool)
        self._queue: list[int] = []
        self._n_asked = 0
        self.n_restarts = 0

    def ask(self) -> Proposal:
        """The next unseen neighbour of a front member, or a start/restart arch."""
        self._n_asked += 1
        while not self._queue:
            if self._n_asked <= self.params.n_init or not self.points:
                return self._propose(random_unseen(self.rng, self._asked))
            if not self._expand():
                self.n_restarts += 1
                return self._propose(random_unseen(self.rng, self._asked))
        return self._propose(self._queue.pop())

    def _expand(self) -> bool:
        """Queue the unseen neighbours of one unexplored front member; False if there is none."""
        archs, _, _ = self.told()
        members = np.unique(archs[self.front()])
        members = members[~self._explored[members]]
        while members.size:
            pick = int(members[self.rng.integers(members.size)])
            self._explored[pick] = True
            fresh = [a for a in neighbours_of(pick) if not self._asked[a]]
            if fresh:
                self._queue = [fresh[i] for i in self.rng.permutation(len(fresh)).tolist()]
                return True
            members = members[members != pick]
        return False

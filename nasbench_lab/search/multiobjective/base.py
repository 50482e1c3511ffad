"""What multi-objective strategies share: the vector observation and the told Pareto history.

A multi-objective strategy runs under the same ask/tell interface as every other strategy. The runner
tells it a :class:`VectorObservation`: the oriented objective vector (every objective larger-is-better,
see :mod:`nasbench_lab.objectives`) and the slack of every constraint (``>= 0`` feasible). Strategies
declare ``multi_objective = True`` so a study knows to hand them vectors.

Constraints are handled by feasibility (Deb's constrained domination): a feasible point beats an
infeasible one; feasible points are ranked by Pareto dominance; infeasible ones by total violation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from nasbench_lab import pareto
from nasbench_lab.errors import ConfigError
from nasbench_lab.search.base import Observation, Proposal
from nasbench_lab.search.common import HistoryStrategy


@dataclass(frozen=True)
class VectorObservation(Observation):
    """An :class:`Observation` with one value per objective and per constraint.

    Attributes:
        values: oriented objective values (larger is better), shape ``(m,)``; ``value`` is ``values[0]``.
        slack: constraint slacks, shape ``(c,)``; all ``>= 0`` means feasible.
    """

    values: np.ndarray = field(default_factory=lambda: np.empty(0))
    slack: np.ndarray = field(default_factory=lambda: np.empty(0))

    @classmethod
    def of(cls, values: np.ndarray, cost: float, slack: np.ndarray | None = None,
           curve: np.ndarray | None = None) -> VectorObservation:
        """Build one from an objective vector (``value`` becomes its first entry)."""
        vals = np.asarray(values, dtype=np.float64).reshape(-1)
        return cls(value=float(vals[0]), cost=float(cost), curve=np.empty(0) if curve is None else curve,
                   values=vals, slack=np.empty(0) if slack is None else np.asarray(slack, dtype=np.float64).reshape(-1))

    @property
    def feasible(self) -> bool:
        """Whether every constraint holds."""
        return bool(np.all(self.slack >= 0))


def constrained_ranks(points: np.ndarray, slack: np.ndarray) -> np.ndarray:
    """Ranks under constrained domination, shape ``(n,)`` int (0 is best).

    Feasible points take the Pareto ranks of :func:`nasbench_lab.pareto.pareto_ranks`; infeasible
    points come after every feasible rank, one rank per distinct total violation, least violation first.

    Args:
        points: oriented objective values, shape ``(n, m)``.
        slack: constraint slacks, shape ``(n, c)``.
    """
    n = len(points)
    violation = np.maximum(-slack, 0.0).sum(axis=1) if slack.size else np.zeros(n)
    ok = violation == 0
    ranks = np.zeros(n, dtype=np.int64)
    if ok.any():
        ranks[ok] = pareto.pareto_ranks(points[ok])
    if (~ok).any():
        offset = int(ranks[ok].max()) + 1 if ok.any() else 0
        _, dense = np.unique(violation[~ok], return_inverse=True)
        ranks[~ok] = offset + dense
    return ranks


class MOStrategy(HistoryStrategy):
    """A :class:`HistoryStrategy` told :class:`VectorObservation` values.

    Attributes:
        points: told oriented objective vectors, in order (one per told arch).
        slacks: told constraint slacks, in order.
    """

    multi_objective: ClassVar[bool] = True

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, **kwargs)
        self.points: list[np.ndarray] = []
        self.slacks: list[np.ndarray] = []

    def tell(self, proposal: Proposal, observation: Observation) -> None:
        """Record the observation (subclasses decide what to do with it in :meth:`ask`)."""
        self._record_vector(proposal, observation)

    def _record_vector(self, proposal: Proposal, observation: Observation) -> int:
        """Check and store a vector observation; returns the arch index.

        Raises:
            ConfigError: a scalar observation, a non-finite objective, or a changing number of objectives.
        """
        if not isinstance(observation, VectorObservation):
            raise ConfigError(f"{self.owner} is a multi-objective strategy: tell it VectorObservation values "
                              "(a study with [[objectives]] does)")
        values = np.asarray(observation.values, dtype=np.float64)
        if values.size == 0 or not np.isfinite(values).all():
            raise ConfigError(f"{self.owner}: objective values must be finite, got {values.tolist()}")
        if self.points and (values.size != self.points[0].size or observation.slack.size != self.slacks[0].size):
            raise ConfigError(f"{self.owner}: every observation must have the same objectives and constraints")
        arch, _ = self._record(proposal, observation)
        self.points.append(values)
        self.slacks.append(np.asarray(observation.slack, dtype=np.float64))
        return arch

    def told(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Told archs ``(n,)``, oriented objectives ``(n, m)`` and slacks ``(n, c)``."""
        archs = np.asarray(self.history.archs, dtype=np.int64)
        if not self.points:
            return archs, np.zeros((0, 1)), np.zeros((0, 0))
        return archs, np.vstack(self.points), np.vstack(self.slacks)

    def front(self) -> np.ndarray:
        """Positions (into the told history) of the rank-0 points under constrained domination, shape ``(k,)``."""
        _, points, slack = self.told()
        if not len(points):
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(constrained_ranks(points, slack) == 0)

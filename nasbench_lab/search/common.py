"""Shared machinery of the search strategies: typed parameters, unseen sampling and mutation, the
told history and the ask/tell loop over a table of objective values.

Every strategy is built as ``Cls(rng, *, max_epochs, proxy_oracle, **params)`` where ``params`` come
from a study spec. :class:`ConfiguredStrategy` builds them into the strategy's frozen ``Params``
dataclass (:mod:`nasbench_lab.config`), which fills defaults, refuses unknown names and checks types
and ranges, raising :class:`~nasbench_lab.errors.ConfigError` naming the bad parameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from nasbench_lab import space
from nasbench_lab.config import Config
from nasbench_lab.errors import ConfigError
from nasbench_lab.search.base import Observation, Proposal, ProxyOracle, Strategy


@dataclass(frozen=True)
class NoParams(Config):
    """The parameters of a strategy that takes none."""


class ConfiguredStrategy(Strategy):
    """A :class:`Strategy` whose keyword parameters are a typed, validated :class:`Config`.

    Each subclass names its parameter dataclass in ``Params`` (and narrows the type of
    :attr:`params` to it); the constructor builds it from ``**params``, refusing unknown names,
    wrong types and out-of-range values. Subclasses call ``super().__init__`` first.

    Args:
        rng: the only source of randomness.
        max_epochs: number of curve columns of the full-fidelity recipe.
        proxy_oracle: zero-cost proxy oracle (only strategies with ``uses_proxies`` call it).
        **params: the strategy's own parameters (the fields of ``Params``).

    Attributes:
        params: the validated parameters.
        owner: the registered name, used in error messages.

    Raises:
        ConfigError: an unknown parameter, or a value of the wrong type or range.
    """

    Params: ClassVar[type[Config]] = NoParams
    proposes_repeats: ClassVar[bool] = False  # True: may re-propose an evaluated (arch, epochs)
    params: Config

    def __init__(
        self,
        rng: np.random.Generator,
        *,
        max_epochs: int = 1,
        proxy_oracle: ProxyOracle | None = None,
        **params: Any,
    ) -> None:
        owner = str(getattr(type(self), "registry_name", type(self).__name__))
        if not isinstance(rng, np.random.Generator):
            raise ConfigError(f"{owner}: rng must be a numpy.random.Generator, got {type(rng).__name__}")
        if isinstance(max_epochs, bool) or not isinstance(max_epochs, (int, np.integer)) or max_epochs < 1:
            raise ConfigError(f"{owner}: max_epochs must be a positive integer, got {max_epochs!r}")
        super().__init__(rng, max_epochs=int(max_epochs), proxy_oracle=proxy_oracle)
        self.owner = owner
        self.params = self.Params.from_table(params, key_prefix=f"{owner}.")


@lru_cache(maxsize=1)
def all_ops() -> np.ndarray:
    """Op ids of every NB201 arch, shape ``(15625, 6)``, int64 (read-only)."""
    table = space.ops_matrix(space.all_indices()).astype(np.int64)
    table.setflags(write=False)
    return table


# --------------------------------------------------------------------------- bookkeeping
class History:
    """The observations a strategy has been told, in order, plus a seen mask over all archs.

    Attributes:
        archs: list of told arch indices (repeats kept).
        values: list of the observed objective values.
        seen: boolean mask of shape ``(15625,)``.
    """

    def __init__(self) -> None:
        self.archs: list[int] = []
        self.values: list[float] = []
        self.seen = np.zeros(space.N_ARCHS, dtype=bool)
        self.best_arch: int | None = None
        self.best_value = -np.inf

    def add(self, arch: int, value: float) -> None:
        """Record that ``arch`` scored ``value``."""
        self.archs.append(int(arch))
        self.values.append(float(value))
        self.seen[arch] = True
        if value > self.best_value:
            self.best_value, self.best_arch = float(value), int(arch)

    def __len__(self) -> int:
        return len(self.archs)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Told archs and values as arrays of shape ``(n,)``."""
        return np.asarray(self.archs, dtype=np.int64), np.asarray(self.values, dtype=np.float64)


def draw_below(rng: np.random.Generator, n: int) -> int:
    """A uniform integer in ``0..n-1`` from one ``rng.random()`` call.

    ``Generator.random`` costs a fraction of ``Generator.integers`` per call, which matters in loops of
    one draw per proposal; the bias of ``floor(u * n)`` is below 2**-50 for any ``n`` used here.
    """
    return int(rng.random() * n)


def random_unseen(rng: np.random.Generator, seen: np.ndarray) -> int:
    """A uniformly drawn arch index not marked in ``seen`` (any arch once every arch is seen).

    Draws by rejection while few archs are seen (fast), else from the explicit list of unseen ones.
    """
    n_seen = int(seen.sum()) if seen.size else 0
    if n_seen < space.N_ARCHS // 2:
        for _ in range(64):
            index = draw_below(rng, space.N_ARCHS)
            if not seen[index]:
                return index
    unseen = np.flatnonzero(~seen)
    if unseen.size == 0:
        return int(rng.integers(space.N_ARCHS))
    return int(unseen[rng.integers(unseen.size)])


def mutate_unseen(rng: np.random.Generator, parent: int, seen: np.ndarray, tries: int = 32) -> int:
    """A one-edit mutation of ``parent`` not yet seen; a random unseen arch if ``tries`` all fail."""
    for _ in range(tries):
        child = mutate_index(rng, parent)
        if not seen[child]:
            return child
    return random_unseen(rng, seen)


_WEIGHTS = [space.N_OPS ** (space.N_EDGES - 1 - e) for e in range(space.N_EDGES)]  # product-order code


@lru_cache(maxsize=1)
def _python_tables() -> tuple[list[list[int]], list[int], list[int]]:
    """Op tuples and product codes of every index, and the index of every code, as Python lists.

    Plain lists make the per-proposal mutation a few list lookups instead of numpy calls.
    """
    ops = all_ops()
    codes = ops @ np.asarray(_WEIGHTS, dtype=np.int64)
    rank = np.empty(space.N_ARCHS, dtype=np.int64)
    rank[codes] = np.arange(space.N_ARCHS)
    return ops.tolist(), codes.tolist(), rank.tolist()


def mutate_index(rng: np.random.Generator, parent: int) -> int:
    """Index of ``parent`` with one uniformly chosen edge set to a different, uniformly chosen op.

    The same distribution as :meth:`nasbench_lab.space.Arch.mutate` (one draw picks the edge and the
    new op together), without building ``Arch`` objects.
    """
    ops, codes, rank = _python_tables()
    draw = draw_below(rng, space.N_EDGES * (space.N_OPS - 1))
    edge, new_op = divmod(draw, space.N_OPS - 1)
    old = ops[parent][edge]
    if new_op >= old:
        new_op += 1
    return rank[codes[parent] + (new_op - old) * _WEIGHTS[edge]]


def neighbours_of(index: int) -> list[int]:
    """The 24 one-edit neighbours of ``index``, in :func:`nasbench_lab.space.neighbour_indices` order."""
    ops, codes, rank = _python_tables()
    row, code = ops[index], codes[index]
    return [
        rank[code + (op - row[edge]) * _WEIGHTS[edge]]
        for edge in range(space.N_EDGES)
        for op in range(space.N_OPS)
        if op != row[edge]
    ]


def index_from_ops(ops: np.ndarray) -> int:
    """NB201 index of one op vector of shape ``(6,)`` (ops in 0..4; not checked, for hot loops)."""
    _, _, rank = _python_tables()
    return rank[sum(int(o) * w for o, w in zip(ops, _WEIGHTS))]


def mutation_pool(rng: np.random.Generator, parents: np.ndarray, size: int, seen: np.ndarray) -> np.ndarray:
    """Up to ``size`` distinct unseen archs made by mutating ``parents`` (cycled in order).

    Returns:
        Indices, shape ``(m,)`` with ``m <= size``; random unseen archs fill in when mutations repeat.
    """
    pool: dict[int, None] = {}
    taken = seen.copy()
    parents = np.asarray(parents, dtype=np.int64)
    attempts = 0
    while len(pool) < size and attempts < 20 * size:
        parent = int(parents[attempts % parents.size])
        attempts += 1
        child = mutate_index(rng, parent)
        if not taken[child]:
            taken[child] = True
            pool[child] = None
    while len(pool) < size and not taken.all():
        child = random_unseen(rng, taken)
        taken[child] = True
        pool[child] = None
    return np.fromiter(pool, dtype=np.int64, count=len(pool))


def proposal_arch(proposal: Proposal) -> int:
    """The arch index of ``proposal``, checked to be in 0..15624."""
    return space.check_index(proposal.arch)


def observed_value(observation: Observation) -> float:
    """The objective of ``observation`` as a float.

    Raises:
        ConfigError: the value is NaN or infinite (the runner must not hand those to a strategy).
    """
    value = float(observation.value)
    if not math.isfinite(value):
        raise ConfigError(f"observation value must be finite, got {value!r}; the runner must filter failed runs")
    return value


class HistoryStrategy(ConfiguredStrategy):
    """A :class:`ConfiguredStrategy` that keeps every told observation and never re-proposes an arch.

    Proposals are marked as asked when made (:meth:`_propose`), so several outstanding asks never
    collide; told archs are marked too, so archs told without being asked (a warm start) are not
    proposed again. The default :meth:`tell` only records; subclasses that learn more from an
    observation override it and call :meth:`_record` first.

    Attributes:
        history: the told observations, in order.
    """

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, **kwargs)
        self.history = History()
        self._asked = np.zeros(space.N_ARCHS, dtype=bool)

    def tell(self, proposal: Proposal, observation: Observation) -> None:
        """Record the observation (the next :meth:`ask` uses it)."""
        self._record(proposal, observation)

    def _propose(self, arch: int) -> Proposal:
        """Mark ``arch`` as asked and return it as a full-fidelity proposal."""
        self._asked[arch] = True
        return Proposal(arch)

    def _record(self, proposal: Proposal, observation: Observation) -> tuple[int, float]:
        """Mark the told arch as asked and add it to :attr:`history`.

        Returns:
            The arch index and its observed value.

        Raises:
            ArchError: the proposal's arch is not an NB201 index.
            ConfigError: the observed value is not finite.
        """
        arch = proposal_arch(proposal)
        value = observed_value(observation)
        self._asked[arch] = True
        self.history.add(arch, value)
        return arch, value


def run_on_table(strategy: Strategy, objective: np.ndarray, n_queries: int) -> list[int]:
    """Drive ``strategy`` for ``n_queries`` ask/tell rounds, answering from a table of objective values.

    Each proposal is answered with ``Observation(objective[arch], cost=1.0)`` whatever fidelity it
    asks for: the loop of the search tests and of the real-data table in ``docs/search.md``.

    Args:
        strategy: the strategy to drive.
        objective: the objective of every arch, shape ``(15625,)``; larger is better.
        n_queries: number of proposals.

    Returns:
        The proposed arch indices, in order, length ``n_queries``.
    """
    archs = []
    for _ in range(n_queries):
        proposal = strategy.ask()
        strategy.tell(proposal, Observation(float(objective[proposal.arch]), 1.0))
        archs.append(proposal.arch)
    return archs


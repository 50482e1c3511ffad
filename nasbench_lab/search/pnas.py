"""PNAS-style progressive search (Liu et al. 2018) on the NB201 cell.

The cell is grown level by level from the empty cell (every edge ``none``). Each level assigns a group
of edges that adds one new input-to-output path, so every expansion computes a different function:

==========  =========================  ======================================
level       edges assigned             expansions per beam member
==========  =========================  ======================================
1           0->3                       5 (all evaluated: no predictor yet)
2           0->1, 1->3                 25
3           0->2, 2->3                 25
4           1->2                       5
==========  =========================  ======================================

Edges not yet assigned stay ``none``. At level 1 every expansion is evaluated. At each later level a
predictor ensemble (:class:`~nasbench_lab.predictors.mlp.MLPEnsemble` or a registered predictor with
``predict``), refitted on all observations before the level, ranks every unseen expansion of every
beam member; the ``beam_size`` best-ranked are evaluated, and the ``beam_size`` best archs by observed
value among the level's expansions (new and previously seen) form the next beam. After level 4 the
search goes on greedily: refit, evaluate the ``beam_size`` best-predicted unseen archs of the whole
space, repeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Any, ClassVar

import numpy as np

from nasbench_lab import space
from nasbench_lab.config import Config, setting
from nasbench_lab.search.base import Observation, Proposal, register_strategy
from nasbench_lab.search.common import (
    HistoryStrategy,
    all_ops,
    index_from_ops,
    random_unseen,
)
from nasbench_lab.search.surrogates import Surrogate, SurrogateParams

# Edge positions (space.EDGES order) assigned at each level.
LEVELS: tuple[tuple[int, ...], ...] = ((3,), (0, 4), (1, 5), (2,))


def expand(parents: np.ndarray, edges: tuple[int, ...]) -> np.ndarray:
    """Every arch obtained from ``parents`` by setting ``edges`` to any ops, unique, shape ``(m,)``."""
    out: dict[int, None] = {}
    for parent in np.asarray(parents, dtype=np.int64):
        ops = all_ops()[parent].copy()
        for combo in product(range(space.N_OPS), repeat=len(edges)):
            ops[list(edges)] = combo
            out[index_from_ops(ops)] = None
    return np.fromiter(out, dtype=np.int64, count=len(out))


@dataclass(frozen=True)
class PnasParams(SurrogateParams):
    """Parameters of :class:`ProgressiveSearch`: the surrogate's (with BANANAS's path encoding), and the beam."""

    encoding: str = setting("live_path", doc="registered dense encoding fed to the MLP ensemble (live_path, onehot, ...)")
    beam_size: int = setting(10, low=1, doc="archs evaluated per level and kept in the beam")


@register_strategy("pnas")
class ProgressiveSearch(HistoryStrategy):
    """Progressive beam search with a predictor ensemble ranking each level's expansions."""

    Params: ClassVar[type[Config]] = PnasParams
    params: PnasParams

    def __init__(self, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(rng, **kwargs)
        self._value: dict[int, float] = {}
        self._queue: list[int] = []
        self.surrogate = Surrogate(self.params, self.rng)
        self.level = 0  # levels completed (planned); len(LEVELS) means the greedy phase
        self.beam = np.zeros(1, dtype=np.int64)
        self.beam[0] = index_from_ops(np.zeros(space.N_EDGES, dtype=np.int64))
        self._level_archs = np.empty(0, dtype=np.int64)

    def ask(self) -> Proposal:
        """The next arch of the current level (or of the greedy phase)."""
        for _ in range(3):
            if self._queue:
                break
            self._plan()
        return self._propose(self._queue.pop() if self._queue else random_unseen(self.rng, self._asked))

    def _plan(self) -> None:
        if self._level_archs.size:  # the previous level's results choose the next beam
            known = [a for a in self._level_archs.tolist() if a in self._value]
            if known:
                known.sort(key=lambda a: -self._value[a])
                self.beam = np.asarray(known[: self.params.beam_size], dtype=np.int64)
        if self.level < len(LEVELS):
            cands = expand(self.beam, LEVELS[self.level])
            self._level_archs = cands
            fresh = cands[~self._asked[cands]]
            chosen = fresh if self.level == 0 else self._top(fresh)
            self.level += 1
        else:
            self._level_archs = np.empty(0, dtype=np.int64)
            chosen = self._top(np.flatnonzero(~self._asked))
        self._queue = [int(a) for a in chosen[::-1]]

    def _top(self, cands: np.ndarray) -> np.ndarray:
        beam_size = self.params.beam_size
        if cands.size <= beam_size or len(self.history) < 2:
            return cands[:beam_size]
        archs, values = self.history.arrays()
        return cands[np.argsort(-self.surrogate.predict(archs, values, cands), kind="stable")[:beam_size]]

    def tell(self, proposal: Proposal, observation: Observation) -> None:
        """Record the observation; the beam is chosen when the level is exhausted."""
        arch, value = self._record(proposal, observation)
        self._value[arch] = max(value, self._value.get(arch, -np.inf))
